/**
 * ONNX Runtime's built-in telemetry stays off: a process that loads the models, on this thread and on the inference
 * thread, writes nothing under its HOME or its temp directory (ORT 1.29 writes a device id and an event database under
 * ~/.cache/Microsoft/DeveloperTools and a debug log per process in the temp directory unless ORT_DISABLE_TELEMETRY is
 * set: src/inference/session.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/reference.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('ONNX Runtime telemetry', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const thread of ['main', 'worker'] as const) {
    it(`is off: loading the models on the ${thread} thread writes nothing under HOME or TMPDIR`, () => {
      const home = mkdtempSync(path.join(tmpdir(), 'ort-home-'));
      const temp = mkdtempSync(path.join(tmpdir(), 'ort-tmp-'));
      dirs.push(home, temp);
      const script = `
        import { ModelRegistry } from '${repoRoot}/src/inference/registry.js';
        import { DEFAULT_SESSION_OPTIONS } from '${repoRoot}/src/inference/session.js';
        import { InferenceThread } from '${repoRoot}/src/inference/inference-thread.js';
        const host = ${thread === 'worker' ? 'await InferenceThread.start()' : 'undefined'};
        const registry = await ModelRegistry.load('${path.join(repoRoot, 'models')}', DEFAULT_SESSION_OPTIONS, undefined, undefined, host);
        console.log('models', registry.list().length);
        await registry.dispose();
        process.exit(0);`;
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: temp };
      delete env.ORT_DISABLE_TELEMETRY;
      const scriptDir = mkdtempSync(path.join(tmpdir(), 'ort-script-'));
      dirs.push(scriptDir);
      writeFileSync(path.join(scriptDir, 'load.mts'), script);
      const out = execFileSync(tsx, [path.join(scriptDir, 'load.mts')], { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000 });
      expect(out).toMatch(/models \d+/);
      expect(filesUnder(home)).toEqual([]);
      // tsx keeps its compile cache in the temp directory (tsx-<uid>/); nothing else may be there.
      expect(filesUnder(temp).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
    }, 150_000);
  }
});
