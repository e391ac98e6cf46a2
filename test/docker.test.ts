/**
 * The Dockerfiles, linted: no container engine runs here, so they cannot be built in CI (issue #19). dockerfile-utils
 * (the Dockerfile linter of the Docker language server used by VS Code) checks the syntax and instruction arguments;
 * the rules below check what this service's images must do.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/reference.js';

const read = (name: string) => readFileSync(path.join(repoRoot, name), 'utf8');
/** The instructions, continuation lines joined, comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe.each(['Dockerfile', 'Dockerfile.gpu'])('%s', (name) => {
  const text = read(name);
  const lines = instructions(text);

  it('has no lint problems', () => {
    expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('pins its base image by version, runs as a non-root user, and starts the compiled build with node as PID 1', () => {
    const from = lines.filter((l) => l.startsWith('FROM '));
    expect(from.length).toBeGreaterThan(0);
    for (const f of from) expect(f).toMatch(/^FROM \S+:\d[\w.-]*$/);
    const lastIndex = (prefix: string) => lines.map((l) => l.startsWith(prefix)).lastIndexOf(true);
    const user = lastIndex('USER ');
    const cmd = lastIndex('CMD ');
    expect(user).toBeGreaterThan(-1);
    expect(lines[user]).not.toMatch(/^USER (root|0)\b/);
    expect(cmd).toBeGreaterThan(user);
    // Exec form, node itself: the SIGTERM of `docker stop` reaches the service, which drains before exiting.
    expect(lines[cmd]).toBe('CMD ["node", "--single-threaded-gc", "dist/main.js"]');
    expect(lines.some((l) => /npm run build/.test(l))).toBe(true);
    expect(lines.find((l) => l.startsWith('HEALTHCHECK '))).toMatch(/\/health\/live/);
  });
});

describe('the CUDA image', () => {
  it('checks the Node tarball against its pinned sha256, always', () => {
    const text = read('Dockerfile.gpu');
    expect(text).toMatch(/^ARG NODE_VERSION=20\.20\.2$/m);
    // node-v20.20.2-linux-x64.tar.xz in https://nodejs.org/dist/v20.20.2/SHASUMS256.txt.
    expect(text).toMatch(/^ARG NODE_SHA256=df770b2a6f130ed8627c9782c988fda9669fa23898329a61a871e32f965e007d$/m);
    expect(text).toMatch(/echo "\$NODE_SHA256 {2}node-v\$\{NODE_VERSION\}-linux-x64\.tar\.xz" \| sha256sum -c -/);
    expect(text).not.toMatch(/if \[ -n "\$NODE_SHA256" \]/);
  });
});

describe('the linter', () => {
  it('finds problems in a broken Dockerfile (so a clean answer means something)', () => {
    const problems = validate('FROM\nEXPOSE abc\nCMD ["node"\n').map((d) => d.message);
    expect(problems).toContain('Instruction has no arguments');
    expect(problems).toContain('Invalid containerPort: abc');
  });
});
