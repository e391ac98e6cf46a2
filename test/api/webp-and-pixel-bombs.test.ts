/**
 * Issue 13 ("Hostile input and abuse"), through app.request() on the real use cases and models (embedded set,
 * no packs), real photos and video from ../shared/data:
 *  - WebP: the sessions API stores WebP photos (README "Sessions API"), so processing decodes them; matchFace and
 *    the verifyVideo selfie take WebP too; checkLiveness keeps HyperVerge's "JPG, JPEG, and PNG" and refuses it.
 *  - Pixel bombs (a header declaring a huge picture, generated in test/helpers/pixel-bombs.ts): 413 with
 *    IMAGE_TOO_LARGE in each endpoint's own error format (README "Configuration", MAX_IMAGE_PIXELS), never 400.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { createCheckLiveness } from '../../src/pipeline/check-liveness.js';
import { createMatchFace } from '../../src/pipeline/match-face.js';
import { createVerifyVideo, type VerifyVideo } from '../../src/pipeline/verify-video.js';
import { createProcessSession, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import type { Job } from '../../src/store/job-queue.js';
import { videoBinaries } from '../../src/video/binaries.js';
import { createVideoReader } from '../../src/video/read-video.js';
import { apiDeps, DEFAULT_RULES, memoryStore, postForm as postFormFields, sessionsDeps, testApp, testApps, testCropStore, testSigner, type TestApp } from '../helpers/contract.js';
import { ISSUE_13_BOMBS, pngBomb, svgBomb } from '../helpers/pixel-bombs.js';
import { repoRoot, sharedData } from '../helpers/reference.js';

/** README "Configuration": the default MAX_IMAGE_PIXELS. */
const MAX_IMAGE_PIXELS = 25_000_000;
const HAMILTON = 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4';
const LIN = 'identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png';
const file = (relative: string) => new Uint8Array(readFileSync(sharedData(relative)));
const webpOf = async (relative: string) => new Uint8Array(await sharp(file(relative)).webp({ quality: 90 }).toBuffer());
/** An MP4 header (ftyp) the media store accepts as a video; never decoded here, since the photos fail first. */
const MP4_HEADER = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...new Array(500).fill(0)]);

const work = mkdtempSync(path.join(tmpdir(), 'webp-bombs-'));
const apps = testApps([{ appId: 'kyc', appKey: 'kyc-key', allowedApis: ['*'] }]);
const HYPERVERGE_HEADERS = { appId: 'kyc', appKey: 'kyc-key', transactionId: 'issue-13' };

let registry: ModelRegistry;
let verifyVideo: VerifyVideo;
let app: TestApp;
let sessionsHarness: ReturnType<typeof sessionsApi>;
/** The same sessions API without the upload-time pixel check: what processing does with a bomb already stored. */
let uncheckedSessions: ReturnType<typeof sessionsApi>;

function sessionsApi(imagePixels: number | undefined) {
  const store = memoryStore();
  const enqueued: ProcessSessionPayload[] = [];
  const deps = sessionsDeps({
    apps,
    db: store.db,
    media: store.media,
    jobs: { enqueue: <P>(_type: string, payload: P) => (enqueued.push(payload as ProcessSessionPayload), `job_${enqueued.length}`) },
    limits: { imageBytes: 10 * 1024 * 1024, videoBytes: 64 * 1024 * 1024, maxVideoSeconds: 60, mediaRetentionMs: 86_400_000, ...(imagePixels ? { imagePixels } : {}) },
  });
  const { sessions, media, webhooks } = deps;
  const processSession = createProcessSession({ sessions, media, verifyVideo, rules: { current: () => DEFAULT_RULES }, webhooks, maxAttempts: 3, log: () => {} });
  const sessionApp = testApp({ registry, sessions: deps });
  /** Runs the session's `session.process` job, as the queue would. */
  const runJob = (index: number) => processSession(enqueued[index]!, { id: `job_${index + 1}`, type: 'session.process', payload: enqueued[index]!, state: 'running', attempts: 1, runAfter: 0 } as Job<ProcessSessionPayload>);
  return { app: sessionApp, runJob, close: () => (store.media.close(), store.close()) };
}

beforeAll(async () => {
  registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
  // 8 frames are enough to find and match the face; the e2e and pipeline tests cover full sampling.
  const readVideo = createVideoReader({ binaries: videoBinaries(), tempDir: path.join(work, 'video'), timeoutMs: 30_000, maxDurationSeconds: 60, maxPixels: 3840 * 2160, fps: 4, maxFrames: 8, maxSide: 640, log: () => {} });
  verifyVideo = createVerifyVideo(registry, { maxImagePixels: MAX_IMAGE_PIXELS, readVideo });
  // One rate limiter, one set of run slots, one crop store and one signer for the three APIs.
  const shared = { ...apiDeps({ apps, concurrency: 2, queueSize: 8 }), croppedImages: testCropStore(), signer: testSigner() };
  const liveness = { ...shared, bodyLimitBytes: 10 * 1024 * 1024, checkLiveness: createCheckLiveness(registry, { maxPixels: MAX_IMAGE_PIXELS }) };
  app = testApp({
    registry,
    liveness,
    matchFace: { ...liveness, matchFace: createMatchFace(registry, { maxPixels: MAX_IMAGE_PIXELS }) },
    verifyVideo: { ...shared, bodyLimitBytes: 64 * 1024 * 1024, verifyVideo },
  });
  sessionsHarness = sessionsApi(MAX_IMAGE_PIXELS);
  uncheckedSessions = sessionsApi(undefined);
}, 120_000);

afterAll(async () => {
  sessionsHarness?.close();
  uncheckedSessions?.close();
  await registry?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Posts `files` then `fields`; file names lie on purpose (each is sent as `<field>.jpg`): the type is sniffed from the bytes. */
function postForm(target: TestApp, url: string, files: Record<string, Uint8Array>, fields: Record<string, string> = {}, headers: Record<string, string> = HYPERVERGE_HEADERS) {
  const asJpg = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, [bytes, `${name}.jpg`] as const]));
  return postFormFields(target, url, { ...asJpg, ...fields }, headers);
}

async function createSession(target: TestApp, steps: string[]) {
  const res = await target.request('/v1/sessions', {
    method: 'POST',
    headers: { Authorization: 'Bearer kyc-key', 'Content-Type': 'application/json' },
    body: JSON.stringify({ profile: { steps, video_mode: 'self_record', video_max_duration: 60 } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; capture: Record<string, { upload_url: string }> };
}

const CONSENT = { consent_given_at: '2026-03-18T10:01:00Z', consent_text_version: 'issue-13-v1' };

async function sessionState(target: TestApp, id: string) {
  return (await (await target.request(`/v1/sessions/${id}`, { headers: { Authorization: 'Bearer kyc-key' } })).json()) as any;
}

describe('WebP photos', () => {
  it('matchFace takes a WebP selfie and a WebP id, and matches them', async () => {
    const res = await postForm(app, '/v1/matchFace', {
      selfie: await webpOf('identity/face_recognition_ageitgey/obama/obama.jpg'),
      id: await webpOf('identity/face_recognition_ageitgey/obama/obama2.jpg'),
    });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.result.details.match).toMatchObject({ value: 'yes' });
  }, 60_000);

  it('verifyVideo takes a WebP selfie', async () => {
    const res = await postForm(app, '/v1/verifyVideo', { video: file(HAMILTON), selfie: await webpOf(LIN) });
    const body = (await res.json()) as any;
    expect(res.status, JSON.stringify(body)).toBe(200);
    // bench/RESULTS.md "verifyVideo": the clip matches Lin-Manuel Miranda (above the same-person 50).
    expect(body.result.face_match_score).toBeGreaterThan(50);
  }, 120_000);

  it('a session whose selfie is WebP is processed, not declined for its format', async () => {
    const { app: sessionApp, runJob } = sessionsHarness;
    const session = await createSession(sessionApp, ['selfie', 'video']);
    const selfie = await postForm(sessionApp, session.capture.selfie!.upload_url, { image: await webpOf(LIN) }, {}, {});
    expect(selfie.status).toBe(201);
    expect(((await selfie.json()) as any).content_type).toBe('image/webp');
    expect((await postForm(sessionApp, session.capture.video!.upload_url, { video: file(HAMILTON) }, CONSENT, {})).status).toBe(201);
    await runJob(0);
    const done = await sessionState(sessionApp, session.id);
    expect(done.status).toBe('completed');
    expect(done.result_reason ?? '').not.toMatch(/unsupported|webp/i);
    const video = (await (await sessionApp.request(`/v1/sessions/${session.id}/video`, { headers: { Authorization: 'Bearer kyc-key' } })).json()) as any;
    expect(video.face_match_score).toBeGreaterThan(50);
  }, 120_000);

  it('checkLiveness still refuses WebP: HyperVerge documents JPG, JPEG and PNG only', async () => {
    const res = await postForm(app, '/v1/checkLiveness', { image: await webpOf('attributes/face_recognition_ageitgey/obama-480p.jpg') });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      status: 'failure',
      statusCode: 400,
      result: {
        error: 'Unsupported file type',
        summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] },
        reason: 'unsupported image type webp: expected JPEG or PNG',
      },
    });
  });

  it("matchFace's 111 is the document's message; its reason lists the types matchFace takes, WebP included", async () => {
    const gif = new Uint8Array(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).gif().toBuffer());
    const res = await postForm(app, '/v1/matchFace', { selfie: gif, id: file('identity/face_recognition_ageitgey/obama/obama.jpg') });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      result: {
        error: 'Unsupported file type',
        summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] },
        reason: 'form field "selfie": unsupported image type gif: expected JPEG, PNG or WebP',
      },
    });
  });
});

describe('pixel bombs answer 413 IMAGE_TOO_LARGE in each API format, never 400', () => {
  const overLimit = (bomb: (typeof ISSUE_13_BOMBS)[number]) => `image is ${bomb.width}×${bomb.height} = ${bomb.width * bomb.height} pixels, over the limit of ${MAX_IMAGE_PIXELS}`;
  const hypervergeTooLarge = async (res: Response, reason: string) => {
    expect(res.status).toBe(413);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'failure', statusCode: 413, metadata: { transactionId: 'issue-13' }, result: { error: 'Content Too Large', reason } });
    expect(body.result.summary).toBeUndefined();
  };

  for (const bomb of ISSUE_13_BOMBS) {
    describe(bomb.name, () => {
      it('checkLiveness', async () => {
        await hypervergeTooLarge(await postForm(app, '/v1/checkLiveness', { image: bomb.bytes }), overLimit(bomb));
      });

      it('matchFace (selfie)', async () => {
        await hypervergeTooLarge(await postForm(app, '/v1/matchFace', { selfie: bomb.bytes, id: file(LIN) }), `form field "selfie": ${overLimit(bomb)}`);
      });

      it('verifyVideo (selfie)', async () => {
        await hypervergeTooLarge(await postForm(app, '/v1/verifyVideo', { video: MP4_HEADER, selfie: bomb.bytes }), `form field "selfie": ${overLimit(bomb)}`);
      });

      it('sessions (selfie and document uploads): Verilock payload_too_large, nothing stored', async () => {
        const { app: sessionApp } = sessionsHarness;
        const session = await createSession(sessionApp, ['document', 'selfie', 'video']);
        for (const [step, field] of [['selfie', 'image'], ['document', 'front']] as const) {
          const res = await postForm(sessionApp, session.capture[step]!.upload_url, { [field]: bomb.bytes }, {}, {});
          expect(res.status, step).toBe(413);
          expect(await res.json()).toEqual({ error: 'payload_too_large', message: overLimit(bomb), details: null });
        }
        // The raw-body upload (no multipart) is checked the same way.
        const raw = await sessionApp.request(session.capture.selfie!.upload_url, { method: 'POST', body: Buffer.from(bomb.bytes) });
        expect(raw.status).toBe(413);
        expect((await sessionState(sessionApp, session.id)).uploaded).toEqual({ document: false, selfie: false, video: false });
      });
    });
  }

  it('matchFace names the id when the bomb is the id', async () => {
    await hypervergeTooLarge(
      await postForm(app, '/v1/matchFace', { selfie: file(LIN), id: svgBomb(100000, 100000) }),
      'form field "id": image is 100000×100000 = 10000000000 pixels, over the limit of 25000000',
    );
  }, 60_000);

  it('a bomb stored without the upload check declines its session with the pixel limit as the reason', async () => {
    const { app: sessionApp, runJob } = uncheckedSessions;
    const session = await createSession(sessionApp, ['selfie', 'video']);
    expect((await postForm(sessionApp, session.capture.selfie!.upload_url, { image: pngBomb(30000, 30000) }, {}, {})).status).toBe(201);
    expect((await postForm(sessionApp, session.capture.video!.upload_url, { video: MP4_HEADER }, CONSENT, {})).status).toBe(201);
    await runJob(0);
    expect(await sessionState(sessionApp, session.id)).toMatchObject({
      status: 'completed',
      result: 'declined',
      result_reason: 'form field "selfie": image is 30000×30000 = 900000000 pixels, over the limit of 25000000',
    });
  });
});
