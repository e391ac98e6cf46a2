/**
 * End to end: the real start command (`tsx src/main.ts`) on a real socket, then a clean SIGTERM stop;
 * and the start-up errors (CUDA on this CPU-only install, invalid configuration).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECTED_MODELS } from './expected-models.js';
import { startService, waitForOutput } from './helpers/server.js';

describe('service process', () => {
  it('starts with embedded defaults, serves /health on a socket and drains on SIGTERM', async () => {
    // No packs installed: the embedded set alone, with the packs reported missing.
    const service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-packs-')) });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { models: { id: string }[]; executionProvider: string };
    expect(body.executionProvider).toBe('cpu');
    expect(body.models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_MODELS).sort());
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.output()).toMatch(/optional packs not installed: minifasnet-v2/);
    expect(service.output()).toMatch(/warmed up 12 models in \d+ ms/);
    expect(service.output()).toMatch(/SIGTERM: draining/);
  });

  it('refuses to start on CUDA when the provider library is absent, naming it', async () => {
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
