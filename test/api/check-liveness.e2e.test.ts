/**
 * checkLiveness end to end: the real service process on a socket, real models, real images, real HTTP.
 * Two processes: the two-command default (embedded models only) and one with the MiniFASNet pack
 * installed from the local mirror (the operating point the README recommends for production).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceApiSamples, sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';
import { tamperSignature } from '../helpers/tamper.js';
import { installTestPacks, type TestPacks } from '../helpers/packs.js';

interface Running {
  service: ServiceProcess;
  base: string;
  appKey: string;
}

async function run(env: Record<string, string>): Promise<Running> {
  const service = startService(env);
  const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const [, appKey] = await waitForOutput(service, /appId=default appKey=(\S+)/);
  return { service, base: `http://127.0.0.1:${port}`, appKey: appKey! };
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running) return;
  running.service.child.kill('SIGTERM');
  expect(await running.service.exited).toBe(0);
}

/** POST /v1/checkLiveness with an image file and form fields, the way a HyperVerge client does. */
async function checkLiveness(running: Running, image: Uint8Array, fields: Record<string, string> = {}, appKey = running.appKey) {
  const form = new FormData();
  form.append('image', new Blob([Buffer.from(image)], { type: 'image/jpeg' }), 'selfie.jpg');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`${running.base}/v1/checkLiveness`, { method: 'POST', body: form, headers: { appId: 'default', appKey, transactionId: 'e2e-1' } });
  return { status: res.status, body: (await res.json()) as any };
}

const file = (relative: string) => new Uint8Array(readFileSync(sharedData(relative)));

describe('checkLiveness on a listening server, embedded models only (npm ci && npm start)', () => {
  let running: Running | undefined;
  beforeAll(async () => {
    running = await run({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-nopacks-')) });
  });
  afterAll(async () => stop(running));

  it('answers a face-api sample photo in the HyperVerge envelope with every requested field', async () => {
    const { status, body } = await checkLiveness(running!, new Uint8Array(readFileSync(faceApiSamples()[1]!)), {
      ageRange: 'yes',
      checkGender: 'yes',
      'qualityChecks.multipleFaces': 'yes',
      'qualityChecks.nudity': 'yes',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'e2e-1' } });
    expect(body.metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const { details, summary } = body.result;
    expect(['yes', 'no']).toContain(details.liveFace.value);
    expect(details.liveFace.score).toBeGreaterThanOrEqual(0);
    expect(details.liveFace.score).toBeLessThanOrEqual(1);
    expect(details.ageRange.value).toMatch(/^\d+-\d+$/);
    expect(['Male', 'Female']).toContain(details.gender.value);
    expect(Object.keys(details.qualityChecks).sort()).toEqual(['multipleFaces', 'nudity']);
    expect(details.qualityChecks.multipleFaces.value).toBe('yes'); // sample2 shows three people
    expect(details.qualityChecks.nudity.value).toBe('no');
    expect(['pass', 'fail', 'manualReview']).toContain(summary.action);
    // Without the anti-spoofing pack every liveFace answer says so.
    expect(details.liveFace.limitations).toEqual([{ code: 'antiSpoofingPackMissing', message: expect.stringMatching(/MiniFASNet anti-spoofing pack is not installed.*npm run models:fetch/) }]);
    expect(details.liveFace.signals).not.toHaveProperty('minifasnet');
    expect(details.liveFace.signals.framingEdges).toBeGreaterThanOrEqual(0);
  });

  it('/health says liveness runs without the anti-spoofing pack', async () => {
    const report = await fetch(`${running!.base}/health?details=1`, { headers: { Authorization: `Bearer ${running!.appKey}` } });
    const health = (await report.json()) as { liveness: { antiSpoofingPack: string; summary: string } };
    expect(health.liveness.antiSpoofingPack).toBe('missing');
    expect(health.liveness.summary).toMatch(/WITHOUT the MiniFASNet anti-spoofing pack/);
  });

  it('returns a signed croppedImageUrl that serves the aligned face, and refuses a tampered one', async () => {
    const { body } = await checkLiveness(running!, file('attributes/face_recognition_ageitgey/obama-480p.jpg'), { returnCroppedImageURL: 'yes' });
    const url = new URL(body.result.croppedImageUrl);
    const image = await fetch(url);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/image\/jpeg/);
    const meta = await sharp(new Uint8Array(await image.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 256, 256]);
    expect((await fetch(tamperSignature(url.href))).status).toBe(403);
  });

  it('answers 422 with summary code 121 when there is no face', async () => {
    const { status, body } = await checkLiveness(running!, file('attributes/faceapi/white.png'));
    expect(status).toBe(422);
    expect(body).toMatchObject({
      status: 'failure',
      statusCode: 422,
      result: { error: 'No face detected', summary: { action: 'fail', details: [{ code: '121', message: 'Face Not detected in selfie image' }] } },
    });
  });

  it('answers 400 "Unsupported file type" (code 111) for a WebP, whatever its file name says', async () => {
    const webp = new Uint8Array(await sharp(readFileSync(faceApiSamples()[0]!)).webp().toBuffer());
    const { status, body } = await checkLiveness(running!, webp);
    expect(status).toBe(400);
    expect(body).toMatchObject({ result: { error: 'Unsupported file type', summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] } } });
  });

  // Through HTTP, the quality cases the checks are measured to get right (docs/quality-checks.md).
  it.each([
    ['eyesClosed', 'attributes/inspireface/reaction_close_eyes.jpeg', 'yes'],
    ['eyesClosed', 'attributes/inspireface/reaction_open_eyes.png', 'no'],
    ['headTurned', 'attributes/inspireface/pose_left_face.jpeg', 'yes'],
    ['headTurned', 'attributes/faceapi/neutral.jpg', 'no'],
    ['multipleFaces', 'attributes/dlib_faces/bald_guys.jpg', 'yes'],
    ['multipleFaces', 'attributes/faceapi/neutral.jpg', 'no'],
  ])('qualityChecks.%s on %s → %s', async (check, relative, expected) => {
    const { status, body } = await checkLiveness(running!, file(relative), { [`qualityChecks.${check}`]: 'yes' });
    expect(status).toBe(200);
    expect(Object.keys(body.result.details.qualityChecks)).toEqual([check]);
    expect(body.result.details.qualityChecks[check].value).toBe(expected);
  });

  it('qualityChecks.blur: a blurred copy of a sharp portrait is blurred, the original is not; occlusion answers as faceOccluded', async () => {
    const sharpPhoto = file('attributes/face_recognition_ageitgey/obama-1080p.jpg');
    const blurred = new Uint8Array(await sharp(sharpPhoto).blur(8).jpeg().toBuffer());
    const fields = { 'qualityChecks.blur': 'yes', 'qualityChecks.occlusion': 'yes' };
    const [a, b] = [await checkLiveness(running!, sharpPhoto, fields), await checkLiveness(running!, blurred, fields)];
    expect(a.body.result.details.qualityChecks.blur.value).toBe('no');
    expect(b.body.result.details.qualityChecks.blur.value).toBe('yes');
    expect(Object.keys(a.body.result.details.qualityChecks).sort()).toEqual(['blur', 'faceOccluded']);
  });

  it('answers 401 for a wrong appKey', async () => {
    const { status, body } = await checkLiveness(running!, file('attributes/faceapi/white.png'), {}, 'wrong-key');
    expect(status).toBe(401);
    expect(body).toMatchObject({ status: 'failure', statusCode: 401, result: { error: 'Missing/Invalid credentials' } });
  });
});

describe('checkLiveness on a listening server with the MiniFASNet pack installed', () => {
  let running: Running | undefined;
  let packs: TestPacks | undefined;
  beforeAll(async () => {
    packs = await installTestPacks(['minifasnet-v2', 'minifasnet-v1se'], 'e2e-packs-');
    running = await run({ MODEL_PACKS_DIR: packs.dir });
  });
  afterAll(async () => {
    await stop(running);
    packs?.remove();
  });

  it('passes the live Silent-Face photo and fails the tablet replay', async () => {
    const live = await checkLiveness(running!, file('liveness/silent_face/live/image_T1.jpg'));
    expect(live.status).toBe(200);
    expect(live.body.result.details.liveFace.value).toBe('yes');
    expect(live.body.result.details.liveFace.limitations).toEqual([]);
    const replay = await checkLiveness(running!, file('liveness/silent_face/spoof/image_F2.jpg'));
    expect(replay.body.result.details.liveFace).toMatchObject({ value: 'no', confidence: 'high', attackType: 'screen' });
    expect(replay.body.result.summary.action).toBe('fail');
  });

  it('sends the print attack (framing edges, MiniFASNet unsure) to manual review, not to pass', async () => {
    const print = await checkLiveness(running!, file('liveness/silent_face/spoof/image_F1.jpg'));
    expect(print.body.result.details.liveFace).toMatchObject({ value: 'no', confidence: 'low' });
    expect(print.body.result.details.liveFace.signals.framingEdges).toBeGreaterThan(0.3);
    expect(print.body.result.summary).toMatchObject({ action: 'manualReview', details: [expect.objectContaining({ code: 'LIVENESS_UNCERTAIN' })] });
  });

  it('answers a tight face crop with low confidence and a summary detail that says so', async () => {
    // face-api sample1 cut to its primary face (SSD box 1476, 199, 203 × 241): no context around it (context ratio 1.1).
    const sharp = (await import('sharp')).default;
    const crop = await sharp(faceApiSamples()[0]!).extract({ left: 1456, top: 179, width: 243, height: 281 }).jpeg().toBuffer();
    const { status, body } = await checkLiveness(running!, new Uint8Array(crop));
    expect(status).toBe(200);
    expect(body.result.details.liveFace.confidence).toBe('low');
    expect(body.result.details.liveFace.limitations.map((l: { code: string }) => l.code)).toEqual(['tightFaceCrop']);
    expect(body.result.summary.details.map((d: { code: string }) => d.code)).toContain('LIVENESS_TIGHT_CROP');
  });
});
