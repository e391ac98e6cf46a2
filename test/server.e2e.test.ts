/**
 * End to end: the real start command (`tsx src/main.ts`) on a real socket, then a clean SIGTERM stop;
 * and the start-up errors (CUDA on this CPU-only install, invalid configuration).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ortBinaryDirectory } from '../src/inference/session.js';
import { EXPECTED_MODELS } from './expected-models.js';
import { startService, waitForOutput } from './helpers/server.js';

const ALL = ['checkLiveness', 'matchFace', 'verifyVideo'];
/**
 * The embedded models the service loads without packs, and the use cases that ask for each (src/app/models.ts plans
 * it from what the use cases fetch when they are built): written out here, so a use case that starts or stops asking
 * for a model changes this test.
 */
const LOADED_FOR: Record<string, string[]> = {
  'faceapi-ssd-mobilenetv1': ALL,
  'human-blazeface-front': ALL,
  'faceapi-face-landmark-68': ALL,
  'human-liveness': ['checkLiveness', 'verifyVideo'],
  'human-facemesh': ['checkLiveness', 'verifyVideo'],
  'human-iris': ['checkLiveness', 'verifyVideo'],
  'nsfwjs-mobilenet-v2': ['checkLiveness'],
  'faceapi-age-gender': ['checkLiveness'],
  'faceapi-face-recognition': ['matchFace', 'verifyVideo'],
};
const SERVICE_MODELS = Object.keys(LOADED_FOR);
/**
 * Built and in the manifest, asked for by no use case: Human's faceres, the tiny detector and the 256² BlazeFace (the
 * benches and parity tests use them), the context detectors and Human's antispoof while the liveness fusion does not
 * weigh them (bench liveness measures them).
 */
const NOT_LOADED = Object.keys(EXPECTED_MODELS).filter((id) => !SERVICE_MODELS.includes(id));

/** True on a GPU node where scripts/install-cuda-provider.sh put the provider next to the binding. */
const cudaProviderInstalled = existsSync(path.join(ortBinaryDirectory(), 'libonnxruntime_providers_cuda.so'));

interface HealthBody {
  notLoaded: { id: string; origin: string; reason: string }[];
  models: { id: string; loadedFor?: string[]; placement: { measured: boolean; nodes?: Record<string, number> }; batching: { state: string; maxBatch?: number } }[];
  executionProvider: string;
  inferenceThread: string;
}

describe('service process', () => {
  it('starts with embedded defaults, serves /health on a socket and drains on SIGTERM', async () => {
    // No packs installed: the embedded set alone, with the packs reported missing.
    const service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-packs-')) });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const [, appKey] = await waitForOutput(service, /appId=default appKey=(\S+)/);
    // Anyone: the status alone. The embedded app's key: the full report (README "Credentials").
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`http://127.0.0.1:${port}/health?details=1`, { headers: { Authorization: `Bearer ${appKey}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthBody;
    expect(body.executionProvider).toBe('cpu');
    expect(body.inferenceThread).toBe('worker'); // the default: models on their own thread
    // Loaded: what the use cases ask for, each with who asks; the rest of the manifest is listed as not loaded, with why.
    expect(Object.fromEntries(body.models.map((m) => [m.id, m.loadedFor]))).toEqual(LOADED_FOR);
    const notLoaded = [...NOT_LOADED].sort();
    expect(notLoaded).toEqual(['faceapi-tiny-face-detector', 'human-antispoof', 'human-blazeface', 'human-faceres', 'human-handtrack', 'human-nanodet']);
    expect([...body.notLoaded].sort((a, b) => a.id.localeCompare(b.id))).toEqual(notLoaded.map((id) => ({ id, origin: 'embedded', reason: 'no use case of this service asks for it' })));
    // Warm-up ran every model, so where ORT placed their nodes is known: all on the CPU provider; batching is off.
    for (const m of body.models) {
      expect(m.placement.measured, m.id).toBe(true);
      expect(Object.keys(m.placement.nodes!), m.id).toEqual(['CPUExecutionProvider']);
      expect(m.batching).toEqual({ state: 'off' });
    }
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    // The default anti-spoofing pack is missing: the start-up log says liveness runs without it, and how to install it.
    expect(service.output()).toMatch(/liveness: WITHOUT the MiniFASNet anti-spoofing pack \(minifasnet-v2, minifasnet-v1se not installed\).*npm run models:fetch/);
    expect(service.output()).toMatch(/optional packs not installed: yunet-n-320/);
    expect(service.output()).not.toMatch(/optional packs not installed: [^\n]*minifasnet/);
    expect(service.output()).toMatch(new RegExp(`warmed up ${SERVICE_MODELS.length} models in \\d+ ms`));
    expect(service.output()).toMatch(/SIGTERM: draining/);
  });

  it('BATCH_MAX_SIZE turns dynamic batching on for every model with a batch axis', async () => {
    const service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-packs-')), BATCH_MAX_SIZE: '16', BATCH_MAX_DELAY_MS: '1', INFERENCE_THREAD: 'main' });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const [, appKey] = await waitForOutput(service, /appId=default appKey=(\S+)/);
    const body = (await (await fetch(`http://127.0.0.1:${port}/health?details=1`, { headers: { Authorization: `Bearer ${appKey}` } })).json()) as HealthBody;
    const states = Object.fromEntries(body.models.map((m) => [m.id, m.batching.state]));
    // Graphs whose batch of 1 is baked into reshape constants cannot batch (of the loaded ones; HandTrack and NanoDet,
    // fixed too, are not loaded: test/health.test.ts covers them on a registry loaded whole).
    const fixedBatch = ['human-blazeface-front'];
    for (const id of fixedBatch) expect(states[id], id).toBe('fixed-batch');
    expect(Object.entries(states).filter(([id]) => !fixedBatch.includes(id)).every(([, state]) => state === 'on')).toBe(true);
    expect(body.models.find((m) => m.id === 'faceapi-face-recognition')!.batching.maxBatch).toBe(16);
    expect(body.inferenceThread).toBe('main');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.output()).toMatch(new RegExp(`loaded ${SERVICE_MODELS.length} models on cpu \\(main thread\\) in \\d+ ms, dynamic batching up to 16 faces \\(wait 1 ms\\)`));
  });

  it.skipIf(cudaProviderInstalled)('refuses to start on CUDA when the provider library is absent, naming it', async () => {
    const service = startService({ EXECUTION_PROVIDER: 'cuda' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/start-up failed: .*libonnxruntime_providers_cuda\.so/);
  });

  it('refuses an invalid configuration, naming the variable', async () => {
    const service = startService({ PORT: 'http' });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/invalid configuration: .*PORT/s);
  });
});
