/**
 * End to end: an APPS_FILE written by the apps CLI (`tsx scripts/apps.ts add`), with its appKeys encrypted under
 * SECRETS_KEY, started with the real start command (`tsx src/main.ts`). The right key serves; a wrong or missing key
 * stops start-up with a clear message, before any model is loaded, and no key is ever printed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/reference.js';
import { startService, waitForOutput } from './helpers/server.js';

const work = mkdtempSync(path.join(tmpdir(), 'e2e-app-secrets-'));
const APPS_FILE = path.join(work, 'apps.json');
const SECRETS_KEY = randomBytes(32).toString('base64');

/** Adds an app with the CLI, as an operator would; returns the key it printed. */
function addApp(appId: string): string {
  const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/apps.ts', 'add', appId, '--allowed-apis', '*'], {
    cwd: repoRoot,
    env: { ...process.env, APPS_FILE, SECRETS_KEY, SECRETS_KEY_FILE: '' },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.match(/^appKey=(\S+)$/m)![1]!;
}

const opsKey = addApp('ops');
const noPacks = mkdtempSync(path.join(tmpdir(), 'e2e-packs-'));

describe('service start-up with encrypted app keys', () => {
  it('refuses a wrong SECRETS_KEY at once, saying it is the wrong key, printing no key', async () => {
    const wrong = randomBytes(32).toString('base64');
    const service = startService({ APPS_FILE, SECRETS_KEY: wrong, SECRETS_KEY_FILE: '', MODEL_PACKS_DIR: noPacks });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/start-up failed: APPS_FILE .*apps\.json: \[0\]\.appKeyEncrypted of app "ops": encrypted under the master key with id [0-9a-f]{16}, but the configured master key has id [0-9a-f]{16}: wrong SECRETS_KEY/);
    // Before the models: nothing was loaded.
    expect(service.output()).not.toMatch(/loaded \d+ models/);
    for (const secret of [wrong, SECRETS_KEY, opsKey]) expect(service.output()).not.toContain(secret);
  });

  it('refuses encrypted keys without any SECRETS_KEY, naming both variables', async () => {
    const service = startService({ APPS_FILE, SECRETS_KEY: '', SECRETS_KEY_FILE: '', MODEL_PACKS_DIR: noPacks });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/start-up failed: APPS_FILE .*: 1 app\(s\) \("ops"\) store the appKey encrypted .*neither SECRETS_KEY nor SECRETS_KEY_FILE is set/);
  });

  it('refuses a malformed SECRETS_KEY_FILE without echoing it', async () => {
    const keyFile = path.join(work, 'bad.key');
    writeFileSync(keyFile, 'my-passphrase-not-a-key\n', { mode: 0o600 });
    const service = startService({ APPS_FILE, SECRETS_KEY: '', SECRETS_KEY_FILE: keyFile, MODEL_PACKS_DIR: noPacks });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/start-up failed: invalid configuration: SECRETS_KEY_FILE .*bad\.key must be 32 random bytes in standard base64/);
    expect(service.output()).not.toContain('my-passphrase');
  });

  it('serves with the right key from SECRETS_KEY_FILE: the CLI-issued key works, and is never printed', async () => {
    const keyFile = path.join(work, 'master.key');
    writeFileSync(keyFile, `${SECRETS_KEY}\n`, { mode: 0o600 });
    const service = startService({ APPS_FILE, SECRETS_KEY: '', SECRETS_KEY_FILE: keyFile, MODEL_PACKS_DIR: noPacks });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const health = (key: string) => fetch(`http://127.0.0.1:${port}/health?details=1`, { headers: { Authorization: `Bearer ${key}` } });
    expect((await health(opsKey)).status).toBe(200);
    expect((await health(`${opsKey}x`)).status).toBe(401);
    const body = await (await health(opsKey)).text();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    for (const secret of [SECRETS_KEY, opsKey]) {
      expect(service.output()).not.toContain(secret);
      expect(body).not.toContain(secret);
    }
  });
});
