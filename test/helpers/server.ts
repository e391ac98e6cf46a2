/** Starts the real service (`tsx src/main.ts`) as a child process on a free loopback port, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './reference.js';

const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

export interface ServiceProcess {
  child: ChildProcess;
  /**
   * Everything the process printed so far (stdout and stderr), each JSON log line shown as its message (and its
   * error's message, if any), so a test matches the text a person reads.
   */
  output: () => string;
  /** The same, byte for byte as printed (JSON lines). */
  raw: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * `command`: the program and its arguments; default `tsx src/main.ts` (the sources, as `npm run dev` runs them). The
 * compiled build is `[process.execPath, '--single-threaded-gc', '<dir>/main.js']`, as `npm start` runs it.
 */
export function startService(env: Record<string, string>, command: readonly string[] = [tsx, 'src/main.ts']): ServiceProcess {
  // A fresh DATA_DIR per process unless given: test servers running in parallel must not share one store
  // (LocalMediaStore and the job queue assume one process per data directory).
  const dataDir = env.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'service-data-'));
  const child = spawn(command[0]!, command.slice(1), { cwd: repoRoot, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...env } });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => readable(text), raw: () => text, exited };
}

/** A JSON log line (src/app/logger.ts) → its message; other lines unchanged. */
export function readable(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.startsWith('{')) return line;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        return [entry.msg, entry.err?.message].filter((part) => part !== undefined).join(' ') || line;
      } catch {
        return line;
      }
    })
    .join('\n');
}

/** Waits until the process prints `pattern` (fails early if it exits first). */
export async function waitForOutput(service: ServiceProcess, pattern: RegExp, ms = 90_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  let done = false;
  void service.exited.then(() => (done = true));
  while (Date.now() < deadline) {
    const m = service.output().match(pattern);
    if (m) return m;
    if (done) throw new Error(`process exited before printing ${pattern}:\n${service.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${service.output()}`);
}
