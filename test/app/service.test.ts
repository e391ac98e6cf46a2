/**
 * The composition root (src/app/service.ts) on the real models, through app.request(): the same service main.ts
 * serves, built from a Config. /health says which models are loaded and for which use case, and what is not loaded;
 * each API answers; drain() turns /health to draining.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { createService, type Service } from '../../src/app/service.js';
import { parseConfig } from '../../src/config.js';
import type { HealthReport } from '../../src/http/health.js';
import { sharedData } from '../helpers/reference.js';

const photo = (file: string) => new Blob([readFileSync(sharedData(file))], { type: 'image/jpeg' });

describe('createService (the composition root)', () => {
  let service: Service;
  const logged: string[] = [];
  let headers: Record<string, string>;
  beforeAll(async () => {
    const temp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));
    // The embedded default app (no APPS_FILE), no packs, models on this thread.
    const config = parseConfig({ DATA_DIR: temp('service-data-'), MODEL_PACKS_DIR: temp('service-packs-'), INFERENCE_THREAD: 'main' });
    // Every line the service writes, parsed (it writes JSON lines).
    const destination = { write: (line: string) => void logged.push(line) };
    service = await createService(config, { logger: createLogger({ logLevel: 'info' }, destination) });
    headers = { appId: 'default', appKey: service.embeddedAppKey!, transactionId: 'svc-1' };
  });
  afterAll(async () => service?.close());

  it('loads only what the use cases ask for; /health says for which, and lists the rest with why', async () => {
    const res = await service.app.request('/health?details=1', { headers: { Authorization: `Bearer ${service.embeddedAppKey}` } });
    const body = (await res.json()) as HealthReport;
    const uses = new Set(['checkLiveness', 'matchFace', 'verifyVideo']);
    for (const m of body.models) {
      expect(m.loadedFor!.length, m.id).toBeGreaterThan(0);
      for (const u of m.loadedFor!) expect(uses.has(u), `${m.id}: ${u}`).toBe(true);
    }
    // Every use case is served by some model, and the detector cascade is shared by all three.
    expect(body.models.find((m) => m.id === 'faceapi-ssd-mobilenetv1')!.loadedFor).toEqual(['checkLiveness', 'matchFace', 'verifyVideo']);
    expect(body.notLoaded.map((m) => m.id)).toContain('human-faceres');
    expect(body.notLoaded.every((m) => m.reason === 'no use case of this service asks for it')).toBe(true);
    expect(new Set([...body.models.map((m) => m.id), ...body.notLoaded.map((m) => m.id)]).size).toBe(body.models.length + body.notLoaded.length);
    expect(logged.join('\n')).toMatch(new RegExp(`loaded ${body.models.length} models on cpu \\(main thread\\).*; not loaded, no use case asks for them: `));
  });

  it('serves checkLiveness, matchFace and the sessions API from the one wiring', async () => {
    const form = new FormData();
    form.append('image', photo('identity/face_recognition_ageitgey/obama/obama.jpg'), 'obama.jpg');
    const live = await service.app.request('/v1/checkLiveness', { method: 'POST', headers, body: form });
    expect(live.status).toBe(200);
    expect(((await live.json()) as { result: { details: { liveFace: { value: string } } } }).result.details.liveFace.value).toMatch(/^(yes|no)$/);

    const pair = new FormData();
    pair.append('selfie', photo('identity/face_recognition_ageitgey/obama/obama.jpg'), 'a.jpg');
    pair.append('id', photo('identity/face_recognition_ageitgey/obama/obama2.jpg'), 'b.jpg');
    const match = await service.app.request('/v1/matchFace', { method: 'POST', headers, body: pair });
    expect(match.status).toBe(200);
    expect(((await match.json()) as { result: { details: { match: { value: string } } } }).result.details.match.value).toBe('yes');

    const session = await service.app.request('/v1/sessions', {
      method: 'POST',
      headers: { Authorization: `Bearer ${service.embeddedAppKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }),
    });
    expect(session.status).toBe(201);
  });

  it('drain() makes /health answer draining (503)', async () => {
    service.drain();
    const res = await service.app.request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
  });
});
