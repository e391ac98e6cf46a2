/**
 * End to end: the real start command (`tsx src/main.ts`) on a real socket, then a clean SIGTERM stop;
 * and the CUDA start-up error on this CPU-only install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECTED_MODELS } from './expected-models.js';
import { repoRoot } from './helpers/reference.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(tsx, ['src/main.ts'], { cwd: repoRoot, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env } });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitFor(pattern: RegExp, output: () => string, exited: Promise<number | null>, ms = 90_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  let done = false;
  void exited.then(() => (done = true));
  while (Date.now() < deadline) {
    const m = output().match(pattern);
    if (m) return m;
    if (done) throw new Error(`process exited before printing ${pattern}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${output()}`);
}

describe('service process', () => {
  it('starts with embedded defaults, serves /health on a socket and drains on SIGTERM', async () => {
    // No packs installed: the embedded set alone, with the packs reported missing.
    const { child, output, exited } = start({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-packs-')) });
    const [, port] = await waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, output, exited);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { models: { id: string }[]; executionProvider: string };
    expect(body.executionProvider).toBe('cpu');
    expect(body.models.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED_MODELS).sort());
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/optional packs not installed: minifasnet-v2/);
    expect(output()).toMatch(/warmed up 12 models in \d+ ms/);
    expect(output()).toMatch(/SIGTERM: draining/);
  });

  it('refuses to start on CUDA when the provider library is absent, naming it', async () => {
    const { output, exited } = start({ EXECUTION_PROVIDER: 'cuda' });
    expect(await exited).toBe(1);
    expect(output()).toMatch(/start-up failed: .*libonnxruntime_providers_cuda\.so/);
  });

  it('refuses an invalid configuration, naming the variable', async () => {
    const { output, exited } = start({ PORT: 'http' });
    expect(await exited).toBe(1);
    expect(output()).toMatch(/invalid configuration: .*PORT/s);
  });
});
