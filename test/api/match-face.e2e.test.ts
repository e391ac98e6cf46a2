/**
 * matchFace end to end: the real service process (`tsx src/main.ts`, embedded models only) on a socket,
 * real photos from ../shared/data/identity, real multipart HTTP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

const file = (relative: string) => new Uint8Array(readFileSync(sharedData(relative)));

describe('matchFace on a listening server, embedded models only (npm start)', () => {
  let service: ServiceProcess | undefined;
  let base = '';
  let appKey = '';
  beforeAll(async () => {
    service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-match-nopacks-')) });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    [, appKey = ''] = await waitForOutput(service, /appId=default appKey=(\S+)/);
    base = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    if (!service) return;
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  async function matchFace(selfie: Uint8Array, id: Uint8Array) {
    const form = new FormData();
    form.append('selfie', new Blob([Buffer.from(selfie)]), 'selfie.jpg');
    form.append('id', new Blob([Buffer.from(id)]), 'id.png');
    const res = await fetch(`${base}/v1/matchFace`, { method: 'POST', body: form, headers: { appId: 'default', appKey, transactionId: 'e2e-match' } });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('same person → match yes, pass; different people → no, fail; a faceless id → 422 naming id', async () => {
    const obama = file('identity/face_recognition_ageitgey/obama/obama.jpg');
    const same = await matchFace(obama, file('identity/face_recognition_ageitgey/obama/obama2.jpg'));
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'e2e-match' } });
    expect(same.body.result.details.match).toMatchObject({ value: 'yes', confidence: 'high' });
    expect(same.body.result.details.match.score).toBeGreaterThan(50);
    expect(same.body.result.summary).toEqual({ action: 'pass', details: [] });

    const other = await matchFace(obama, file('identity/face_recognition_ageitgey/biden/biden.jpg'));
    expect(other.body.result.details.match.value).toBe('no');
    expect(other.body.result.summary.action).toBe('fail');

    const faceless = await matchFace(obama, file('attributes/faceapi/white.png'));
    expect(faceless.status).toBe(422);
    expect(faceless.body).toMatchObject({
      result: {
        error: 'No face detected',
        summary: { action: 'fail', details: [{ code: '121', message: 'Face Not detected in id image' }] },
        reason: 'no face detected in the "id" image',
      },
    });
  }, 60_000);
});
