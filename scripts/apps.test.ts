/**
 * The apps CLI as operators run it: `tsx scripts/apps.ts …` in a child process, on a temp APPS_FILE. What it writes is
 * read back with the service's own loader (AppRegistry.fromFile), so the file it leaves must start the service.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SecretsKey } from '../src/config.js';
import { AppRegistry, appsFileSchema, sha256Hex } from '../src/http/apps.js';
import { agentTokenSha256 } from '../src/sessions/live-calls.js';
import { LiveRepository, sqliteLiveSql } from '../src/sessions/live-repository.js';
import { openDatabase } from '../src/store/database.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `env` on top of this process's environment, minus any apps settings of its own. */
// Asynchronous (not spawnSync): this file runs ≈ 30 CLI processes back to back, and a test worker whose event loop is
// held that long (≈ 64 s here) cannot read vitest's replies, so its pending report times out (60 s) as an error of the run.
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(APPS_FILE|(NEW_)?SECRETS_KEY(_FILE)?)$/.test(name)));
  return new Promise((resolve) => {
    execFile(tsx, ['scripts/apps.ts', ...args], { cwd: repoRoot, env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** The appKey an add or rotate printed (on stdout, `appKey=…`). */
function printedKey(run: Run): string {
  expect(run.status, run.stderr).toBe(0);
  const key = run.stdout.match(/^appKey=(\S+)$/m)?.[1];
  expect(key, run.stdout).toBeDefined();
  return key!;
}

const newMasterKey = () => randomBytes(32).toString('base64');
const masterOf = (base64: string) => new SecretsKey(Buffer.from(base64, 'base64'));
const workDir = () => mkdtempSync(path.join(tmpdir(), 'apps-cli-'));

describe('apps CLI (npm run apps)', () => {
  it('--help explains every command and exits 0', async () => {
    const run = await cli(['--help'], {});
    expect(run.status).toBe(0);
    for (const word of ['add <appId>', 'list', 'rotate <appId>', 'remove <appId>', 'rekey', 'SECRETS_KEY', 'NEW_SECRETS_KEY', '--hash-only']) expect(run.stdout).toContain(word);
  });

  it('add: prints a new random key exactly once, and the file it writes (0600) holds no plaintext key', async () => {
    const dir = workDir();
    const APPS_FILE = path.join(dir, 'apps.json');
    const SECRETS_KEY = newMasterKey();
    const add = await cli(['add', 'onboarding-web', '--allowed-apis', 'checkLiveness,matchFace', '--rate-limit-per-minute', '600', '--evidence-retention-days', '7'], { APPS_FILE, SECRETS_KEY });
    const key = printedKey(add);
    // 32 random bytes, base64url: ≥ 192 bits as the issue asks.
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(`${add.stdout}${add.stderr}`.split(key)).toHaveLength(2);
    expect(add.stderr).toMatch(/added app "onboarding-web" .*stored encrypted under master key [0-9a-f]{16}.*shown this once/);

    const text = readFileSync(APPS_FILE, 'utf8');
    expect(text).not.toContain(key);
    expect(text).not.toContain(Buffer.from(key).toString('base64'));
    expect(text).not.toContain(Buffer.from(key).toString('hex'));
    expect(text).not.toContain(SECRETS_KEY);
    expect(statSync(APPS_FILE).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['apps.json']); // no temp file left behind
    const [entry] = appsFileSchema.parse(JSON.parse(text));
    expect(entry).toMatchObject({ appId: 'onboarding-web', appKeySha256: sha256Hex(key), allowedApis: ['checkLiveness', 'matchFace'], rateLimitPerMinute: 600, evidenceRetentionDays: 7 });
    expect(entry!.appKeyEncrypted).toMatchObject({ version: 1 });

    // The service's loader reads it back: the key authenticates and is available to the signature schemes.
    const apps = AppRegistry.fromFile(APPS_FILE, masterOf(SECRETS_KEY));
    expect(apps.authenticate('onboarding-web', key)?.rateLimitPerMinute).toBe(600);
    expect(apps.secretOf('onboarding-web')).toBe(key);

    // Two keys are never the same.
    const second = printedKey(await cli(['add', 'batch', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY }));
    expect(second).not.toBe(key);
    expect(AppRegistry.fromFile(APPS_FILE, masterOf(SECRETS_KEY)).secretOf('batch')).toBe(second);
  });

  it('list shows every app and how its key is stored, never a key', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    const SECRETS_KEY = newMasterKey();
    const encrypted = printedKey(await cli(['add', 'web', '--allowed-apis', 'sessions', '--rate-limit-per-minute', '30'], { APPS_FILE, SECRETS_KEY }));
    const hashed = printedKey(await cli(['add', 'legacy', '--allowed-apis', '*', '--hash-only'], { APPS_FILE }));
    const list = await cli(['list'], { APPS_FILE, SECRETS_KEY });
    expect(list.status, list.stderr).toBe(0);
    const id = JSON.parse(readFileSync(APPS_FILE, 'utf8'))[0].appKeyEncrypted.keyId as string;
    expect(list.stdout).toContain(`master key: ${id}`);
    expect(list.stdout).toMatch(new RegExp(`^web +encrypted \\(key ${id}\\) +sessions +30 `, 'm'));
    expect(list.stdout).toMatch(/^legacy +hash only +\* +- /m);
    for (const secret of [encrypted, hashed, SECRETS_KEY]) expect(`${list.stdout}${list.stderr}`).not.toContain(secret);
    // Under another master key, list says which entries it does not hold.
    expect((await cli(['list'], { APPS_FILE, SECRETS_KEY: newMasterKey() })).stdout).toMatch(/^web +encrypted \(key [0-9a-f]{16}, not the configured key\)/m);
  });

  it('rotate replaces one app’s key (printed once) and leaves the others as they were; remove drops an app', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    const SECRETS_KEY = newMasterKey();
    const oldKey = printedKey(await cli(['add', 'web', '--allowed-apis', 'checkLiveness', '--rate-limit-per-minute', '5'], { APPS_FILE, SECRETS_KEY }));
    const otherKey = printedKey(await cli(['add', 'other', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY }));
    const before = JSON.parse(readFileSync(APPS_FILE, 'utf8'));

    const rotate = await cli(['rotate', 'web'], { APPS_FILE, SECRETS_KEY });
    const newKey = printedKey(rotate);
    expect(newKey).not.toBe(oldKey);
    expect(`${rotate.stdout}${rotate.stderr}`.split(newKey)).toHaveLength(2);
    expect(`${rotate.stdout}${rotate.stderr}`).not.toContain(oldKey);
    const after = JSON.parse(readFileSync(APPS_FILE, 'utf8'));
    expect(after[1]).toEqual(before[1]);
    expect(after[0]).toMatchObject({ appId: 'web', allowedApis: ['checkLiveness'], rateLimitPerMinute: 5 });
    const apps = AppRegistry.fromFile(APPS_FILE, masterOf(SECRETS_KEY));
    expect(apps.authenticate('web', oldKey)).toBeUndefined();
    expect(apps.authenticate('web', newKey)?.appId).toBe('web');
    expect(apps.secretOf('web')).toBe(newKey);
    expect(apps.secretOf('other')).toBe(otherKey);

    const remove = await cli(['remove', 'web'], { APPS_FILE });
    expect(remove.status, remove.stderr).toBe(0);
    expect(JSON.parse(readFileSync(APPS_FILE, 'utf8')).map((e: { appId: string }) => e.appId)).toEqual(['other']);
    expect(statSync(APPS_FILE).mode & 0o777).toBe(0o600);
    expect((await cli(['remove', 'web'], { APPS_FILE })).stderr).toMatch(/remove: no app "web" in /);
  });

  it('rekey re-encrypts every key under NEW_SECRETS_KEY; the old key then reads as the wrong one; running it again changes nothing', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    const OLD = newMasterKey();
    const NEW = newMasterKey();
    const webKey = printedKey(await cli(['add', 'web', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY: OLD }));
    const batchKey = printedKey(await cli(['add', 'batch', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY: OLD }));
    printedKey(await cli(['add', 'legacy', '--allowed-apis', '*', '--hash-only'], { APPS_FILE, SECRETS_KEY: OLD }));

    const newKeyFile = path.join(workDir(), 'new.key');
    writeFileSync(newKeyFile, `${NEW}\n`, { mode: 0o600 });
    const rekey = await cli(['rekey'], { APPS_FILE, SECRETS_KEY: OLD, NEW_SECRETS_KEY_FILE: newKeyFile });
    expect(rekey.status, rekey.stderr).toBe(0);
    expect(rekey.stderr).toMatch(/rekey: 2 appKey\(s\) re-encrypted under master key [0-9a-f]{16}, 1 hash-only app\(s\) left as they are .*set SECRETS_KEY .* to the new key and restart/);
    const text = readFileSync(APPS_FILE, 'utf8');
    for (const secret of [webKey, batchKey, OLD, NEW]) expect(text).not.toContain(secret);

    const apps = AppRegistry.fromFile(APPS_FILE, masterOf(NEW));
    expect(apps.secretOf('web')).toBe(webKey);
    expect(apps.secretOf('batch')).toBe(batchKey);
    expect(() => AppRegistry.fromFile(APPS_FILE, masterOf(OLD))).toThrow(/wrong SECRETS_KEY/);

    // Interrupted and run again: everything is already under the new key, nothing is rewritten.
    const again = await cli(['rekey'], { APPS_FILE, SECRETS_KEY: OLD, NEW_SECRETS_KEY: NEW });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/rekey: 0 appKey\(s\) re-encrypted under master key [0-9a-f]{16}, 2 already under it/);
    expect(readFileSync(APPS_FILE, 'utf8')).toBe(text);
    // The same key twice is a mistake.
    expect((await cli(['rekey'], { APPS_FILE, SECRETS_KEY: NEW, NEW_SECRETS_KEY: NEW })).stderr).toMatch(/NEW_SECRETS_KEY is the key SECRETS_KEY already holds/);
  });

  it('without a master key, add refuses unless --hash-only, which stores the hash alone', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    const refused = await cli(['add', 'web', '--allowed-apis', '*'], { APPS_FILE });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/add: neither SECRETS_KEY nor SECRETS_KEY_FILE is set: .*openssl rand -base64 32.*--hash-only/);
    expect(refused.stdout).not.toMatch(/appKey=/);
    const key = printedKey(await cli(['add', 'web', '--allowed-apis', '*', '--hash-only'], { APPS_FILE }));
    const [entry] = JSON.parse(readFileSync(APPS_FILE, 'utf8'));
    expect(entry).not.toHaveProperty('appKeyEncrypted');
    const apps = AppRegistry.fromFile(APPS_FILE);
    expect(apps.authenticate('web', key)?.appId).toBe('web');
    expect(apps.secretOf('web')).toBeUndefined();
    // rotate with a key turns a hash-only app into an encrypted one.
    const SECRETS_KEY = newMasterKey();
    const rotated = printedKey(await cli(['rotate', 'web'], { APPS_FILE, SECRETS_KEY }));
    expect(AppRegistry.fromFile(APPS_FILE, masterOf(SECRETS_KEY)).secretOf('web')).toBe(rotated);
  });

  it('a wrong SECRETS_KEY for a file holding encrypted keys is refused before anything is written', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    printedKey(await cli(['add', 'web', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY: newMasterKey() }));
    const before = readFileSync(APPS_FILE, 'utf8');
    const wrong = newMasterKey();
    for (const args of [
      ['add', 'second', '--allowed-apis', '*'],
      ['rotate', 'web'],
    ]) {
      const run = await cli(args, { APPS_FILE, SECRETS_KEY: wrong });
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(/\[0\]\.appKeyEncrypted of app "web": encrypted under the master key with id [0-9a-f]{16}, .* wrong SECRETS_KEY/);
      expect(run.stderr).not.toContain(wrong);
      expect(run.stdout).not.toMatch(/appKey=/);
    }
    expect(readFileSync(APPS_FILE, 'utf8')).toBe(before);
  });

  it('usage mistakes exit 2 with a pointer to --help; other failures exit 1', async () => {
    const APPS_FILE = path.join(workDir(), 'apps.json');
    const SECRETS_KEY = newMasterKey();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], { APPS_FILE }, /no command given/],
      [['launch'], { APPS_FILE }, /unknown command "launch"; expected add, list, rotate, remove, rekey/],
      [['add', 'web', '--allowed-apis', '*', '--colour'], { APPS_FILE, SECRETS_KEY }, /Unknown option '--colour'/],
      [['add', 'web'], { APPS_FILE, SECRETS_KEY }, /add: --allowed-apis is required/],
      [['add', 'web', '--allowed-apis', 'checkLiveness,getVideo'], { APPS_FILE, SECRETS_KEY }, /--allowed-apis: unknown API "getVideo"/],
      [['add', 'web', '--allowed-apis', '*', '--rate-limit-per-minute', '0'], { APPS_FILE, SECRETS_KEY }, /--rate-limit-per-minute: expected a whole number ≥ 1, got "0"/],
      [['add'], { APPS_FILE, SECRETS_KEY }, /add: expected one <appId>, got 0/],
      [['list', '--allowed-apis', '*'], { APPS_FILE }, /list does not take --allowed-apis/],
      [['list'], {}, /no apps file: set APPS_FILE or pass --file <path>/],
    ];
    for (const [args, env, message] of cases) {
      const run = await cli(args, env);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr, args.join(' ')).toMatch(/see npm run apps -- --help/);
    }
    const badKey = await cli(['add', 'web', '--allowed-apis', '*'], { APPS_FILE, SECRETS_KEY: 'hunter2' });
    expect(badKey.status).toBe(1);
    expect(badKey.stderr).toMatch(/SECRETS_KEY must be 32 random bytes in standard base64/);
    expect(badKey.stderr).not.toContain('hunter2');
    // --file instead of APPS_FILE; the evidence retention range is the schema's.
    const other = path.join(workDir(), 'other.json');
    const tooLong = await cli(['add', 'web', '--allowed-apis', '*', '--evidence-retention-days', '9999', '--file', other], { SECRETS_KEY });
    expect(tooLong.status).toBe(1);
    expect(tooLong.stderr).toMatch(/would be invalid: .*evidenceRetentionDays/s);
    expect((await cli(['list', '--file', other], {})).stderr).toMatch(/APPS_FILE .*other\.json: ENOENT/);
  });

  it('agents add | list | remove: an agent in the service\'s database, its token printed once and stored hashed', async () => {
    const dir = workDir();
    const APPS_FILE = path.join(dir, 'apps.json');
    const SECRETS_KEY = newMasterKey();
    printedKey(await cli(['add', 'kyc', '--allowed-apis', 'sessions'], { APPS_FILE, SECRETS_KEY }));
    const env = { APPS_FILE, DATA_DIR: dir };
    const added = await cli(['agents', 'add', 'kyc', 'Ana Lima'], env);
    expect(added.status, added.stderr).toBe(0);
    const token = added.stdout.match(/^token=(agt_\S+)$/m)?.[1];
    const agentId = added.stdout.match(/^agentId=(agent_\S+)$/m)?.[1];
    expect(token).toBeDefined();
    expect(added.stderr).toMatch(/shown this once/);
    // What the service will read: the agent, found by the token's hash; the token itself is nowhere in the database.
    const db = openDatabase(path.join(dir, 'store.sqlite'));
    try {
      const live = new LiveRepository(sqliteLiveSql(db));
      expect(await live.agentByTokenSha256(agentTokenSha256(token!))).toMatchObject({ id: agentId, appId: 'kyc', name: 'Ana Lima' });
    } finally {
      db.close();
    }
    expect(readFileSync(path.join(dir, 'store.sqlite')).includes(Buffer.from(token!))).toBe(false);
    const listed = await cli(['agents', 'list', 'kyc'], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${agentId}\\s+Ana Lima\\s+\\d{4}-\\d\\d-\\d\\dT[^ ]+\\s+-`));
    expect(listed.stdout).not.toContain(token!);
    expect((await cli(['agents', 'add', 'nobody', 'X'], env)).stderr).toMatch(/no app "nobody"/);
    expect((await cli(['agents', 'remove', 'kyc'], env)).status).toBe(2);
    const removed = await cli(['agents', 'remove', 'kyc', agentId!], env);
    expect(removed.status, removed.stderr).toBe(0);
    expect((await cli(['agents', 'list', 'kyc'], env)).stdout).not.toContain(agentId!);
    expect((await cli(['agents', 'remove', 'kyc', agentId!], env)).stderr).toMatch(/has no agent/);
  });
});
