/**
 * verifyVideo end to end: the real service process on a socket (embedded models only), a real video and
 * selfie over real HTTP, and the best-frame link fetched back.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

describe('verifyVideo on a listening server', () => {
  let service: ServiceProcess;
  let base: string;
  let appKey: string;
  const videoTemp = mkdtempSync(path.join(tmpdir(), 'e2e-video-tmp-'));
  beforeAll(async () => {
    service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-nopacks-')), VIDEO_TEMP_DIR: videoTemp });
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
    appKey = (await waitForOutput(service, /appId=default appKey=(\S+)/))[1]!;
  });
  afterAll(async () => {
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('verifies the Hamilton clip against Lin-Manuel Miranda, serves the best frame, leaves no temp file', async () => {
    const form = new FormData();
    form.append('video', new Blob([readFileSync(sharedData('videos/face_recognition_ageitgey/short_hamilton_clip.mp4'))], { type: 'video/mp4' }), 'clip.mp4');
    form.append('selfie', new Blob([readFileSync(sharedData('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png'))], { type: 'image/png' }), 'selfie.png');
    const res = await fetch(`${base}/v1/verifyVideo`, { method: 'POST', body: form, headers: { appId: 'default', appKey, transactionId: 'e2e-video' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'e2e-video' } });
    expect(body.result.face_match_score).toBeGreaterThanOrEqual(60);
    expect(body.result.frames_analysed).toBe(40);
    expect(body.result.duration_seconds).toBeCloseTo(10.02, 1);
    expect(['approved', 'declined', 'needs_review']).toContain(body.result.result);
    expect(Object.keys(body.result.signals).sort()).toEqual(['blinks', 'face_presence', 'head_motion', 'identity_consistency', 'passive']);
    const crop = await fetch(body.result.best_frame.url);
    expect(crop.status).toBe(200);
    expect((await sharp(new Uint8Array(await crop.arrayBuffer())).metadata()).format).toBe('jpeg');
    expect(readdirSync(videoTemp)).toEqual([]);
  });
});
