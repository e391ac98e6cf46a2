/**
 * POST /v1/verifyVideo contract through app.request() with a test-double use case: credentials and API
 * permission, form validation, the success body (scores, signals, result from the verifyVideo rules, the
 * signed best-frame link), and the error envelope (VIDEO_INVALID → 400 with a reason, body limit → 413).
 */
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.js';
import { openApiDocument } from '../../src/http/openapi.js';
import type { VerifyVideo, VideoVerification } from '../../src/pipeline/verify-video.js';
import { postForm, testApp, testApps, verifyVideoDeps, type TestApp } from '../helpers/contract.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const VIDEO = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);

function outcome(overrides: Partial<VideoVerification> = {}): VideoVerification {
  return {
    durationSeconds: 10.0199,
    framesSampled: 40,
    framesWithFace: 38,
    faceMatch: { score: 93.456, distance: 0.42 },
    livenessScore: 88.04,
    signals: {
      passive: { score: 0.8804, frames: 38, liveShare: 0.921 },
      blinks: { count: 2, minOpenness: 0.051, maxOpenness: 0.41 },
      headMotion: { yawRangeDeg: 23.44, pitchRangeDeg: 12.1, nods: 1, turns: 0, moved: true },
      identity: { sameShare: 1, maxDistance: 0.31, consistent: true, medoid: 3 },
      facePresence: 0.95,
    },
    bestFrame: { timeSeconds: 4.25, jpeg: JPEG },
    ...overrides,
  };
}

const apps = testApps([
  { appId: 'all', appKey: 'all-key', allowedApis: ['*'] },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
]);

function harness(pipeline: VerifyVideo, bodyLimitBytes = 64 * 1024) {
  const use = vi.fn<VerifyVideo>(pipeline);
  const deps = verifyVideoDeps({ apps, verifyVideo: use, concurrency: 1, bodyLimitBytes });
  const app = testApp({ verifyVideo: deps, liveness: { ...deps, checkLiveness: async () => { throw new Error('unused'); } } });
  return { app, use };
}

function post(app: TestApp, fields: Record<string, Uint8Array | string>, headers: Record<string, string> = { appId: 'all', appKey: 'all-key', transactionId: 'tx-7' }) {
  return postForm(app, 'http://svc.test/v1/verifyVideo', fields, headers);
}

describe('POST /v1/verifyVideo (contract)', () => {
  it('answers the envelope with scores, signals, the rules result and a signed best-frame link that serves the crop', async () => {
    const { app, use } = harness(async () => outcome({ idMatch: { score: 81.26, distance: 0.47 } }));
    const res = await post(app, { video: VIDEO, selfie: JPEG, id: JPEG });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'tx-7' } });
    expect(body.result).toMatchObject({
      result: 'approved',
      details: [],
      face_match_score: 93.5,
      id_match_score: 81.3,
      liveness_score: 88,
      duration_seconds: 10.02,
      frames_analysed: 40,
      frames_with_face: 38,
      signals: {
        passive: { score: 88, frames_scored: 38, live_frame_share: 0.921 },
        blinks: { count: 2, min_eye_openness: 0.051, max_eye_openness: 0.41 },
        head_motion: { yaw_range_deg: 23.4, pitch_range_deg: 12.1, nods: 1, turns: 0, moved: true },
        identity_consistency: { consistent: true, same_person_share: 1, max_distance: 0.31 },
        face_presence: 0.95,
      },
    });
    expect(use.mock.calls[0]![0]).toEqual({ video: VIDEO, selfie: JPEG, id: JPEG });
    const url = new URL(body.result.best_frame.url);
    expect(body.result.best_frame.time_seconds).toBe(4.25);
    const crop = await app.request(url.pathname + url.search);
    expect(crop.status).toBe(200);
    expect(new Uint8Array(await crop.arrayBuffer())).toEqual(JPEG);
  });

  it.each([
    [{ livenessScore: 55 }, 'needs_review', 'VIDEO_LIVENESS_LOW'],
    [{ livenessScore: 0 }, 'declined', undefined],
    [{ faceMatch: { score: 3, distance: 0.8 } }, 'declined', 'VIDEO_FACE_MISMATCH'],
  ])('result from the verifyVideo rules: %j → %s', async (change, result, code) => {
    const { app } = harness(async () => outcome(change as Partial<VideoVerification>));
    const body = (await (await post(app, { video: VIDEO, selfie: JPEG })).json()) as any;
    expect(body.result.result).toBe(result);
    expect(body.result.details.length).toBeGreaterThan(0);
    if (code) expect(body.result.details.map((d: { code: string }) => d.code)).toContain(code);
    expect(body.result).not.toHaveProperty('id_match_score');
  });

  it.each([
    [{ selfie: JPEG }, /"video".*mandatory/],
    [{ video: VIDEO }, /"selfie".*mandatory/],
    [{ video: 'text', selfie: JPEG }, /"video" must be a file upload/],
    [{ video: new Uint8Array(0), selfie: JPEG }, /"video" is empty/],
    [{ video: VIDEO, selfie: JPEG, clip: VIDEO }, /unknown form field "clip"/],
  ])('400 "Error while parsing request body" for %#', async (fields, reason) => {
    const { app, use } = harness(async () => outcome());
    const res = await post(app, fields as Record<string, Uint8Array | string>);
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'failure', statusCode: 400, result: { error: 'Error while parsing request body' } });
    expect(body.result.reason).toMatch(reason);
    expect(use).not.toHaveBeenCalled();
  });

  it('VIDEO_INVALID from the pipeline → 400 "Invalid video" with the reason', async () => {
    const { app } = harness(async () => {
      throw new AppError('VIDEO_INVALID', 'the video is 600.0 s long; the limit is 60 s');
    });
    const res = await post(app, { video: VIDEO, selfie: JPEG });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      status: 'failure',
      statusCode: 400,
      result: { error: 'Invalid video', reason: 'the video is 600.0 s long; the limit is 60 s' },
      metadata: { transactionId: 'tx-7' },
    });
  });

  it('no face in the video → 422; body over the video body limit → 413 before the pipeline', async () => {
    const { app } = harness(async () => {
      throw new AppError('NO_FACE_DETECTED', 'no face detected in any of the 40 frames sampled from the video');
    });
    expect((await post(app, { video: VIDEO, selfie: JPEG })).status).toBe(422);
    const small = harness(async () => outcome(), 1024);
    const res = await post(small.app, { video: new Uint8Array(4096), selfie: JPEG });
    expect(res.status).toBe(413);
    expect(small.use).not.toHaveBeenCalled();
  });

  it('401 without credentials, 403 for an app not allowed verifyVideo, 400 without transactionId', async () => {
    const { app } = harness(async () => outcome());
    expect((await post(app, { video: VIDEO, selfie: JPEG }, { transactionId: 't' })).status).toBe(401);
    expect((await post(app, { video: VIDEO, selfie: JPEG }, { appId: 'liveness-only', appKey: 'liveness-key', transactionId: 't' })).status).toBe(403);
    expect((await post(app, { video: VIDEO, selfie: JPEG }, { appId: 'all', appKey: 'all-key' })).status).toBe(400);
  });

  it('is described in the OpenAPI document', () => {
    const doc = openApiDocument('1') as { paths: Record<string, { post?: { operationId: string } }> };
    expect(doc.paths['/v1/verifyVideo']?.post?.operationId).toBe('verifyVideo');
  });
});
