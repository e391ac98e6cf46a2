/**
 * The compiled build (issue #17 item 6): `npm run build` turns src/ into plain JavaScript, and the service runs from it
 * with no TypeScript loader, inference thread and checkLiveness's photo thread included (their workers are compiled
 * too). Built here into a directory beside src/ (as dist/ is), started as `npm start` starts dist/main.js, and asked for
 * a real checkLiveness.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleBuildWarning } from '../src/build-info.js';
import { repoRoot, sharedData } from './helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from './helpers/server.js';

/** Direct children of a process, from every thread's `children` list (proc(5)). */
const childrenOf = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));

const outName = `.dist-test-${process.pid}`;
const outDir = path.join(repoRoot, outName);

describe('the compiled build', () => {
  let service: ServiceProcess;
  let base: string;
  let appKey: string;
  const serviceTmp = mkdtempSync(path.join(tmpdir(), 'dist-tmp-'));
  beforeAll(async () => {
    const built = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/build-dist.ts', `--out=${outName}`], { cwd: repoRoot, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    // A fresh TMPDIR: tsx's compile cache lives there, so a worker that did load TypeScript would start esbuild.
    service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'dist-packs-')), TMPDIR: serviceTmp }, [process.execPath, '--single-threaded-gc', path.join(outDir, 'main.js')]);
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
    appKey = (await waitForOutput(service, /appId=default appKey=(\S+)/))[1]!;
  });
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    if (service) expect(await service.exited).toBe(0);
    rmSync(outDir, { recursive: true, force: true });
    rmSync(serviceTmp, { recursive: true, force: true });
  });

  it('serves checkLiveness from plain JavaScript, the models on the inference thread, the pixel work on the photo thread', async () => {
    expect(service.output()).toMatch(/loaded \d+ models on cpu \(inference thread\)/);
    expect(service.output()).toContain('checkLiveness photo thread started');
    // Nothing but node ran: no TypeScript file was loaded (the worker's tsx entry is only for running from src/).
    expect(service.child.spawnargs).toEqual([process.execPath, '--single-threaded-gc', path.join(outDir, 'main.js')]);
    const form = new FormData();
    form.append('image', new Blob([readFileSync(sharedData('identity/face_recognition_ageitgey/obama/obama.jpg'))], { type: 'image/jpeg' }), 'obama.jpg');
    const res = await fetch(`${base}/v1/checkLiveness`, { method: 'POST', headers: { appId: 'default', appKey, transactionId: 'dist-1' }, body: form });
    const body = (await res.json()) as { status: string; result: { details: { liveFace: { value: string } } } };
    expect({ status: res.status, body: body.status }, JSON.stringify(body)).toEqual({ status: 200, body: 'success' });
    expect(['yes', 'no']).toContain(body.result.details.liveFace.value);
    // No process beside the service: neither thread started a loader (from source, tsx's runs an esbuild process).
    expect(childrenOf(service.child.pid!).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'))).toEqual([]);
    // The build is fresh: no warning that src/ changed since.
    expect(service.output()).not.toMatch(/src\/ changed since/);
  });
});

describe('staleBuildWarning', () => {
  it('warns when a source is newer than the build, and not otherwise', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stale-'));
    const [src, dist] = [path.join(dir, 'src'), path.join(dir, 'dist')];
    mkdirSync(src);
    mkdirSync(dist);
    writeFileSync(path.join(src, 'a.ts'), 'export {};');
    utimesSync(path.join(src, 'a.ts'), 1_000_000, 1_000_000);
    writeFileSync(path.join(dist, 'build-info.json'), JSON.stringify({ builtAt: '2026-12-01T00:00:00.000Z', newestSourceMtimeMs: 1_000_000_000 }));
    expect(staleBuildWarning(dist, src)).toBeUndefined();
    utimesSync(path.join(src, 'a.ts'), 1_000_001, 1_000_001);
    expect(staleBuildWarning(dist, src)).toMatch(/dist\/ was built 2026-12-01T00:00:00\.000Z and src\/ changed since/);
    // Running from src/ (no stamp), or a dist/ shipped without src/: nothing to say.
    expect(staleBuildWarning(src, src)).toBeUndefined();
    expect(staleBuildWarning(dist, path.join(dir, 'nowhere'))).toBeUndefined();
  });
});
