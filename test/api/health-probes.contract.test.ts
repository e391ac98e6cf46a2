/**
 * GET /health/live and GET /health/ready (issue #19, item 5) through app.request(): liveness answers whenever the
 * process does; readiness needs the models loaded, the store writable and the process not draining, says which
 * check failed and never why (that goes to the log, once per change). The folder probe main wiring passes
 * (writableDirectoriesProbe) on real folders.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { STORE_PROBE_REUSE_MS, STORE_PROBE_TIMEOUT_MS, writableDirectoriesProbe } from '../../src/http/routes/health.js';
import type { ModelRegistry } from '../../src/inference/registry.js';

const versions = { service: '9.9.9', onnxruntime: 'test', node: process.versions.node };
/** list() is all the probes read of the registry: one stand-in model = loaded. */
const loaded = { list: () => [{}] } as unknown as ModelRegistry;
const empty = { list: () => [] } as unknown as ModelRegistry;
const app = (overrides: Partial<AppDeps> = {}) => createApp({ registry: loaded, versions, ...overrides });
const get = async (target: ReturnType<typeof app>, pathname: string) => {
  const res = await target.request(pathname);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, type: res.headers.get('Content-Type') };
};

let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  errorLog.mockRestore();
  vi.useRealTimers();
});

describe('GET /health/live', () => {
  it('200 {"status":"ok"} whenever the process answers: also while draining, without models, with a broken store', async () => {
    const broken = app({ registry: empty, ready: () => false, storeWritable: async () => Promise.reject(new Error('EROFS')) });
    for (const target of [app(), broken]) {
      expect(await get(target, '/health/live')).toEqual({ status: 200, body: { status: 'ok' }, type: 'application/json' });
    }
  });
});

describe('GET /health/ready', () => {
  it('200 when the models are loaded and the process is not draining; no store check configured = not listed', async () => {
    expect(await get(app(), '/health/ready')).toEqual({ status: 200, body: { status: 'ready', checks: { modelsLoaded: true, draining: false } }, type: 'application/json' });
    const withStore = app({ storeWritable: async () => {} });
    expect((await get(withStore, '/health/ready')).body).toEqual({ status: 'ready', checks: { modelsLoaded: true, storeWritable: true, draining: false } });
  });

  it('503 not_ready naming the failed check: no models; draining (after SIGTERM); store not writable', async () => {
    expect(await get(app({ registry: empty }), '/health/ready')).toEqual({
      status: 503,
      body: { status: 'not_ready', checks: { modelsLoaded: false, draining: false } },
      type: 'application/json',
    });
    let ready = true;
    const draining = app({ ready: () => ready });
    expect((await get(draining, '/health/ready')).status).toBe(200);
    ready = false;
    expect(await get(draining, '/health/ready')).toEqual({ status: 503, body: { status: 'not_ready', checks: { modelsLoaded: true, draining: true } }, type: 'application/json' });
    // The plain /health is unchanged beside it.
    expect(await get(draining, '/health')).toEqual({ status: 503, body: { status: 'draining' }, type: 'application/json' });

    const readOnly = app({ storeWritable: async () => Promise.reject(new Error("EROFS: read-only file system, open '/var/lib/kyc/.ready-probe'")) });
    const answer = await get(readOnly, '/health/ready');
    expect(answer).toEqual({ status: 503, body: { status: 'not_ready', checks: { modelsLoaded: true, storeWritable: false, draining: false } }, type: 'application/json' });
    // Why goes to the log, not to anyone who asks.
    expect(JSON.stringify(answer.body)).not.toContain('EROFS');
    expect(errorLog).toHaveBeenCalledWith(expect.stringContaining("store not writable: EROFS: read-only file system, open '/var/lib/kyc/.ready-probe'"));
  });

  it('runs the store check at most once per STORE_PROBE_REUSE_MS, shares it between concurrent probes, and logs only changes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let writable = true;
    const probe = vi.fn(async () => {
      if (!writable) throw new Error('ENOSPC: no space left on device');
    });
    const target = app({ storeWritable: probe });
    const statuses = async () => (await Promise.all([1, 2, 3].map(() => target.request('/health/ready')))).map((r) => r.status);
    expect(await statuses()).toEqual([200, 200, 200]);
    expect(probe).toHaveBeenCalledTimes(1);
    writable = false;
    expect(await statuses()).toEqual([200, 200, 200]); // the result of a moment ago
    vi.setSystemTime(Date.now() + STORE_PROBE_REUSE_MS);
    expect(await statuses()).toEqual([503, 503, 503]);
    vi.setSystemTime(Date.now() + STORE_PROBE_REUSE_MS);
    expect(await statuses()).toEqual([503, 503, 503]);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(errorLog.mock.calls.filter(([m]) => String(m).includes('store not writable'))).toHaveLength(1);
    writable = true;
    vi.setSystemTime(Date.now() + STORE_PROBE_REUSE_MS);
    expect(await statuses()).toEqual([200, 200, 200]);
    expect(errorLog).toHaveBeenLastCalledWith('readiness: store writable again');
  });

  it('a store check that hangs fails after STORE_PROBE_TIMEOUT_MS (under the probe timeout Kubernetes waits by default)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hung = app({ storeWritable: () => new Promise<void>(() => {}) });
    let answered = false;
    const pending = get(hung, '/health/ready').finally(() => (answered = true));
    await vi.advanceTimersByTimeAsync(STORE_PROBE_TIMEOUT_MS - 1);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(answer.body.checks).toEqual({ modelsLoaded: true, storeWritable: false, draining: false });
    expect(errorLog).toHaveBeenCalledWith(`readiness: store not writable: no answer within ${STORE_PROBE_TIMEOUT_MS} ms`);
  });
});

describe('writableDirectoriesProbe', () => {
  it('passes on writable folders and leaves nothing behind', async () => {
    const dirs = [mkdtempSync(path.join(tmpdir(), 'ready-a-')), mkdtempSync(path.join(tmpdir(), 'ready-b-'))];
    await expect(writableDirectoriesProbe(dirs)()).resolves.toBeUndefined();
    for (const dir of dirs) expect(readdirSync(dir)).toEqual([]);
  });

  it('fails naming the folder that is missing or not a folder', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'ready-c-'));
    const missing = path.join(base, 'gone');
    await expect(writableDirectoriesProbe([base, missing])()).rejects.toThrow(`${missing} is not writable: ENOENT`);
    const file = path.join(base, 'a-file');
    writeFileSync(file, 'x');
    await expect(writableDirectoriesProbe([file])()).rejects.toThrow(`${file} is not writable: ENOTDIR`);
    expect(readdirSync(base)).toEqual(['a-file']);
  });

  it('through /health/ready: a store folder that disappears makes the pod not ready', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ready-d-'));
    const target = app({ storeWritable: writableDirectoriesProbe([dir, path.join(dir, 'media')]) });
    expect((await get(target, '/health/ready')).body.checks).toEqual({ modelsLoaded: true, storeWritable: false, draining: false });
  });
});
