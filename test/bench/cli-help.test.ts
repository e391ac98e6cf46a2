/**
 * `npm run bench -- --help` (issue #19): lists every bench mode with what it measures and its options, each mode's
 * `--help` prints its usage, an unknown mode exits 2 naming the help. Each option the help lists must be read by that
 * mode's own file (so the help cannot drift from the code unnoticed), and the modes listed are the modes that run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/reference.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
const cli = (...args: string[]) => spawnSync(tsx, ['bench/cli.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });

describe('bench CLI help', () => {
  it('lists every mode that runs, each with a summary, and only options its file reads', () => {
    const help = execFileSync(tsx, ['bench/cli.ts', '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(help).toMatch(/^Usage: npm run bench -- <mode>/);
    const modes = new Map<string, string[]>();
    let current: string | undefined;
    for (const line of help.split('\n')) {
      const mode = line.match(/^ {2}([a-z-]+)$/);
      if (mode) modes.set((current = mode[1]!), []);
      const options = line.match(/^ {6}options: (.*)$/);
      if (options && current) modes.set(current, options[1]!.split(' ').map((o) => o.replace(/^--/, '').split('=')[0]!));
    }
    const unknown = cli('no-such-mode');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('npm run bench -- --help');
    const runnable = unknown.stderr.match(/expected one of (.*) \(npm run bench/)![1]!.split(', ');
    expect([...modes.keys()]).toEqual(runnable);
    for (const [mode, options] of modes) {
      const source = readFileSync(path.join(repoRoot, 'bench', mode === 'models' ? 'cli.ts' : `${mode}.ts`), 'utf8');
      for (const option of options) expect(source, `${mode} --${option}`).toMatch(new RegExp(`['"\`](--)?${option}['"=]`));
    }
  });

  it("a mode's --help prints its usage and runs nothing", () => {
    const result = cli('challenge', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^npm run bench -- challenge \[--runs=N\]\n {2}the active liveness challenge/);
  });
});
