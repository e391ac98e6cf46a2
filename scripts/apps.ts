/**
 * The operator CLI for APPS_FILE (README "Credentials"): adds, lists, rotates and removes caller apps, and re-encrypts
 * every stored appKey under a new master key. Run with `npm run apps -- <command>`; `--help` prints the usage below.
 *
 * A new appKey is random (256 bits, src/http/apps.ts generateAppKey), printed exactly once on stdout, and stored as its
 * SHA-256 plus, unless --hash-only, AES-256-GCM-encrypted under SECRETS_KEY (src/http/app-key-cipher.ts). The file is
 * written whole to a temp file beside it (mode 0600), fsynced and renamed over it, so a reader (a starting service)
 * sees the old file or the new one, never half of one. The service reads APPS_FILE at start-up: changes take effect
 * when it restarts. Two operators editing the same file at once can lose one edit: take turns.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseConfig, type SecretsKey, secretsKeyFromEnv } from '../src/config.js';
import { agentTokenSha256, newAgentToken } from '../src/sessions/live-calls.js';
import { LiveRepository, sqliteLiveSql } from '../src/sessions/live-repository.js';
import { openPostgresLiveRepository } from '../src/sessions/live-repository-postgres.js';
import { openDatabase } from '../src/store/database.js';
import { PostgresDatabase } from '../src/store/postgres.js';
import { encryptAppKey, secretsKeyId } from '../src/http/app-key-cipher.js';
import { API_NAMES, type AppEntry, appsFileSchema, decryptAppKeys, generateAppKey, readAppsFile, sha256Hex } from '../src/http/apps.js';

export const USAGE = `Usage: npm run apps -- <command> [options]

Manages the caller apps in APPS_FILE (README "Credentials"). The service reads the file at start-up: restart it
to apply a change.

Commands:
  add <appId> --allowed-apis <apis> [--rate-limit-per-minute <n>] [--evidence-retention-days <n>] [--hash-only]
      Adds an app with a new random appKey, printed once on stdout (appKey=…). <apis>: comma-separated
      ${API_NAMES.join(', ')}, or "*" for all.
  list
      Lists the apps: id, allowed APIs, limits, webhook URL and how the key is stored. Never a key or secret.
  rotate <appId> [--hash-only]
      Gives the app a new random appKey, printed once. The old key stops working when the service restarts.
  remove <appId>
      Removes the app.
  rekey
      Re-encrypts every encrypted appKey under the master key in NEW_SECRETS_KEY (or NEW_SECRETS_KEY_FILE),
      decrypting with SECRETS_KEY. Then set SECRETS_KEY to the new key and restart the service.

Webhooks (webhookUrl, webhookSecret) are set by editing the file (README "Webhooks"); every command keeps them.

Agents of live agent mode (README "Live agent mode"), kept in the service's database (DATA_DIR, or DATABASE_URL):
  agents add <appId> <name>
      Adds an agent to the app; its token (agt_…) is printed once on stdout (token=…). Usable at once.
  agents list <appId>
      Lists the app's agents: id, name, created, call in progress. Never a token.
  agents remove <appId> <agentId>
      Removes the agent; its token stops working at once. Refused while the agent is in a call.

Options:
  --file <path>   the apps file (default: $APPS_FILE)
  --hash-only     store only the key's SHA-256: appId/appKey headers and Bearer work, the signature schemes
                  that need the key itself (Tencent TC3-HMAC-SHA256, ADVANCE.AI) do not
  -h, --help      this text

Environment:
  APPS_FILE                          the apps file, unless --file is given
  SECRETS_KEY or SECRETS_KEY_FILE    master key: 32 random bytes in base64 (openssl rand -base64 32); required
                                     by add and rotate unless --hash-only, and by rekey
  NEW_SECRETS_KEY or NEW_SECRETS_KEY_FILE   rekey: the master key to re-encrypt under
`;

/** A mistake in the command line: exit status 2 and a pointer to --help. */
export class UsageError extends Error {}

/** Writes `entries` to `file` atomically: a 0600 temp file beside it, fsynced, renamed over it, then the folder fsynced. */
export function writeAppsFile(file: string, entries: readonly AppEntry[]): void {
  // The service would refuse a file that does not validate: never write one.
  const parsed = appsFileSchema.safeParse(entries);
  if (!parsed.success) throw new Error(`the new ${file} would be invalid: ${z.prettifyError(parsed.error)}`);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': a fresh file, never one someone prepared; 0600: readable by the service's user only (the umask can only narrow it).
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, `${JSON.stringify(entries, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  // The rename is durable once the folder's entry is on disk (POSIX rename(2) + fsync of the directory).
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some platforms (Windows) cannot open a folder for fsync; the rename itself is still atomic there.
  }
}

function parseAllowedApis(text: string | undefined): AppEntry['allowedApis'] {
  if (text === undefined) throw new UsageError(`add: --allowed-apis is required (comma-separated ${API_NAMES.join(', ')}, or "*")`);
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const allowed: readonly string[] = [...API_NAMES, '*'];
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0) throw new UsageError(`--allowed-apis: unknown API ${unknown.map((n) => `"${n}"`).join(', ')}; expected ${API_NAMES.join(', ')}, or "*"`);
  return names as AppEntry['allowedApis'];
}

function parsePositiveInteger(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) throw new UsageError(`--${option}: expected a whole number ≥ 1, got "${text}"`);
  return value;
}

/** The URL without user name and password: list shows where webhooks go, never credentials. */
function displayUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.href;
}

export interface Io {
  /** stdout: keys and listings (the only place a new key appears). */
  out: (line: string) => void;
  /** stderr: what was done. */
  note: (line: string) => void;
}

function requireKey(key: SecretsKey | undefined, command: string): SecretsKey {
  if (key) return key;
  throw new Error(
    `${command}: neither SECRETS_KEY nor SECRETS_KEY_FILE is set: the appKey is stored encrypted under it (generate one with \`openssl rand -base64 32\`), ` +
      'or pass --hash-only to store only its SHA-256 (the Tencent TC3 and ADVANCE.AI signatures then cannot be checked for this app)',
  );
}

/** The key fields of an entry for `appKey`: its SHA-256, and unless hash-only, the key encrypted under `key`. */
function keyFields(appId: string, appKey: string, key: SecretsKey | undefined): Pick<AppEntry, 'appKeySha256' | 'appKeyEncrypted'> {
  return { appKeySha256: sha256Hex(appKey), ...(key ? { appKeyEncrypted: encryptAppKey(key, appId, appKey) } : {}) };
}

function storedAs(key: SecretsKey | undefined): string {
  return key ? `stored encrypted under master key ${secretsKeyId(key)}` : 'stored as its SHA-256 only';
}

/** The live agent mode repository on the service's database (DATABASE_URL, else DATA_DIR/store.sqlite), and its close. */
async function openAgents(env: Record<string, string | undefined>): Promise<{ live: LiveRepository; close: () => Promise<void> }> {
  const config = parseConfig(env);
  if (config.database) {
    const db = new PostgresDatabase(config.database.url.connectionString(), { maxConnections: 2 });
    try {
      return { live: await openPostgresLiveRepository(db), close: () => db.close() };
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  const db = openDatabase(path.join(config.dataDir, 'store.sqlite'));
  return {
    live: new LiveRepository(sqliteLiveSql(db)),
    close: async () => {
      db.close();
    },
  };
}

/** `agents add|list|remove …`: the app's agents for live agent mode, in the database the service uses. */
export async function runAgents(argv: readonly string[], env: Record<string, string | undefined>, io: Io): Promise<void> {
  const [command, appId, operand, ...extra] = argv;
  const operands: Record<string, number> = { add: 2, list: 1, remove: 2 };
  if (command === undefined || operands[command] === undefined) throw new UsageError(`agents: expected add, list or remove, got ${command ?? 'nothing'}`);
  const given = [appId, operand, ...extra].filter((v) => v !== undefined).length;
  if (given !== operands[command]) throw new UsageError(`agents ${command}: expected ${command === 'list' ? '<appId>' : command === 'add' ? '<appId> <name>' : '<appId> <agentId>'}`);
  // The app must be configured, when the apps file is known: an agent of an unknown app could never sign in.
  const appsFile = env.APPS_FILE?.trim() ? path.resolve(env.APPS_FILE) : undefined;
  if (appsFile && command === 'add' && !readAppsFile(appsFile).some((e) => e.appId === appId)) throw new Error(`agents add: no app "${appId}" in ${appsFile}`);
  const { live, close } = await openAgents(env);
  try {
    if (command === 'add') {
      const name = operand!.trim();
      if (name.length === 0 || name.length > 100) throw new UsageError('agents add: <name> must be 1–100 characters');
      const token = newAgentToken();
      const agent = { id: `agent_${randomUUID()}`, appId: appId!, name, createdAt: Date.now() };
      await live.createAgent(agent, agentTokenSha256(token));
      io.note(`added agent "${name}" to app "${appId}". The token below is shown this once: give it to the agent (console sign-in).`);
      io.out(`agentId=${agent.id}`);
      io.out(`token=${token}`);
      return;
    }
    if (command === 'list') {
      const agents = await live.agents(appId!);
      const rows = agents.map((a) => [a.id, a.name, new Date(a.createdAt).toISOString(), a.activeCallId ?? '-']);
      const header = ['agentId', 'name', 'createdAt', 'activeCall'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows]) io.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
      return;
    }
    const agent = await live.agent(appId!, operand!);
    if (!agent) throw new Error(`agents remove: app "${appId}" has no agent ${operand}`);
    const call = await live.activeCallOfAgent(agent.id);
    if (call) throw new Error(`agents remove: agent ${agent.id} is in call ${call.id}; hang it up (console, or DELETE /v1/agents/{id}) or wait for it to end`);
    await live.deleteAgent(appId!, agent.id);
    io.note(`removed agent ${agent.id} ("${agent.name}") from app "${appId}"; its token no longer works.`);
  } finally {
    await close();
  }
}

export function run(argv: readonly string[], env: Record<string, string | undefined>, io: Io): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string' },
        'allowed-apis': { type: 'string' },
        'rate-limit-per-minute': { type: 'string' },
        'evidence-retention-days': { type: 'string' },
        'hash-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  const commands: Record<string, { operands: number; options: readonly string[] }> = {
    add: { operands: 1, options: ['allowed-apis', 'rate-limit-per-minute', 'evidence-retention-days', 'hash-only'] },
    list: { operands: 0, options: [] },
    rotate: { operands: 1, options: ['hash-only'] },
    remove: { operands: 1, options: [] },
    rekey: { operands: 0, options: [] },
  };
  const spec = commands[command];
  if (!spec) throw new UsageError(`unknown command "${command}"; expected ${Object.keys(commands).join(', ')}`);
  if (rest.length !== spec.operands) throw new UsageError(spec.operands === 1 ? `${command}: expected one <appId>, got ${rest.length}` : `${command}: takes no operands, got ${rest.join(' ')}`);
  const misplaced = Object.keys(values).filter((o) => o !== 'file' && !spec.options.includes(o));
  if (misplaced.length > 0) throw new UsageError(`${command} does not take ${misplaced.map((o) => `--${o}`).join(', ')}`);

  const fileOption = values.file ?? (env.APPS_FILE?.trim() ? env.APPS_FILE : undefined);
  if (fileOption === undefined) throw new UsageError('no apps file: set APPS_FILE or pass --file <path>');
  const file = path.resolve(fileOption);
  const appId = rest[0];
  const hashOnly = values['hash-only'] === true;

  if (command === 'add') {
    const allowedApis = parseAllowedApis(values['allowed-apis']);
    const rateLimitPerMinute = parsePositiveInteger('rate-limit-per-minute', values['rate-limit-per-minute']);
    const evidenceRetentionDays = parsePositiveInteger('evidence-retention-days', values['evidence-retention-days']);
    const configured = secretsKeyFromEnv(env);
    const key = hashOnly ? undefined : requireKey(configured, 'add');
    const entries = existsSync(file) ? readAppsFile(file) : [];
    if (entries.some((e) => e.appId === appId)) throw new Error(`add: app "${appId}" is already in ${file} (rotate gives it a new key)`);
    // The file's other encrypted keys must be under the same master key, or the service could not start with it.
    if (configured) decryptAppKeys(entries, configured, `APPS_FILE ${file}`);
    const appKey = generateAppKey();
    const entry: AppEntry = {
      appId: appId!,
      ...keyFields(appId!, appKey, key),
      allowedApis,
      ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}),
      ...(evidenceRetentionDays !== undefined ? { evidenceRetentionDays } : {}),
    };
    writeAppsFile(file, [...entries, entry]);
    io.note(`added app "${appId}" to ${file}, appKey ${storedAs(key)}. The key below is shown this once: store it now. Restart the service to load the app.`);
    io.out(`appId=${appId}`);
    io.out(`appKey=${appKey}`);
    return;
  }

  const entries = readAppsFile(file);
  if (command === 'list') {
    const configured = secretsKeyFromEnv(env);
    const configuredId = configured ? secretsKeyId(configured) : undefined;
    io.out(configuredId ? `master key: ${configuredId}` : 'master key: none configured (SECRETS_KEY / SECRETS_KEY_FILE unset)');
    const rows = entries.map((e) => [
      e.appId,
      e.appKeyEncrypted ? `encrypted (key ${e.appKeyEncrypted.keyId}${configuredId && e.appKeyEncrypted.keyId !== configuredId ? ', not the configured key' : ''})` : 'hash only',
      e.allowedApis.length > 0 ? e.allowedApis.join(',') : '(suspended)',
      e.rateLimitPerMinute !== undefined ? String(e.rateLimitPerMinute) : '-',
      e.evidenceRetentionDays !== undefined ? String(e.evidenceRetentionDays) : '-',
      e.webhookUrl !== undefined ? displayUrl(e.webhookUrl) : '-',
    ]);
    const header = ['appId', 'appKey', 'allowedApis', 'rateLimitPerMinute', 'evidenceRetentionDays', 'webhookUrl'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) io.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
    return;
  }

  if (command === 'rekey') {
    const oldKey = secretsKeyFromEnv(env);
    const newKey = secretsKeyFromEnv(env, 'NEW_SECRETS_KEY');
    if (!newKey) throw new Error('rekey: set NEW_SECRETS_KEY or NEW_SECRETS_KEY_FILE to the master key to re-encrypt under (generate one with `openssl rand -base64 32`)');
    const newId = secretsKeyId(newKey);
    if (oldKey && secretsKeyId(oldKey) === newId) throw new Error(`rekey: NEW_SECRETS_KEY is the key SECRETS_KEY already holds (${newId}): generate a new one`);
    const stale = entries.filter((e) => e.appKeyEncrypted && e.appKeyEncrypted.keyId !== newId);
    if (stale.length > 0 && !oldKey) throw new Error(`rekey: ${stale.length} appKey(s) are encrypted under another key than NEW_SECRETS_KEY: set SECRETS_KEY (or SECRETS_KEY_FILE) to the current master key`);
    // Every key is decrypted (and checked against its hash) before anything is written. An entry already under the new
    // key (a rekey run again after an interruption) is checked and kept as it is.
    const appKeys = decryptAppKeys(entries, oldKey ? [oldKey, newKey] : [newKey], `APPS_FILE ${file}`);
    const rekeyed = entries.map((entry) =>
      entry.appKeyEncrypted && entry.appKeyEncrypted.keyId !== newId ? { ...entry, appKeyEncrypted: encryptAppKey(newKey, entry.appId, appKeys.get(entry.appId)!) } : entry,
    );
    const moved = stale.length;
    const already = appKeys.size - moved;
    if (moved > 0) writeAppsFile(file, rekeyed);
    const hashOnlyCount = entries.filter((e) => !e.appKeyEncrypted).length;
    io.note(
      `rekey: ${moved} appKey(s) re-encrypted under master key ${newId}${already > 0 ? `, ${already} already under it` : ''}` +
        `${hashOnlyCount > 0 ? `, ${hashOnlyCount} hash-only app(s) left as they are` : ''} in ${file}. ` +
        'Now set SECRETS_KEY (or SECRETS_KEY_FILE) to the new key and restart the service.',
    );
    return;
  }

  const index = entries.findIndex((e) => e.appId === appId);
  if (index < 0) throw new Error(`${command}: no app "${appId}" in ${file} (list shows the apps)`);
  const current = entries[index]!;

  if (command === 'remove') {
    writeAppsFile(file, entries.filter((_, i) => i !== index));
    io.note(`removed app "${appId}" from ${file}. Restart the service to stop accepting its key.`);
    return;
  }

  // rotate
  const configured = secretsKeyFromEnv(env);
  const key = hashOnly ? undefined : requireKey(configured, 'rotate');
  // Every encrypted key in the file, this app's old one too, must be under the configured master key (see add): a
  // rotate under the wrong key would leave a file the service cannot start with.
  if (configured) decryptAppKeys(entries, configured, `APPS_FILE ${file}`);
  const appKey = generateAppKey();
  const { appKeyEncrypted: _oldKey, ...settings } = current;
  const rotated: AppEntry = { ...settings, ...keyFields(current.appId, appKey, key) };
  writeAppsFile(
    file,
    entries.map((e, i) => (i === index ? rotated : e)),
  );
  io.note(`rotated the appKey of app "${appId}" in ${file}, ${storedAs(key)}. The key below is shown this once: store it now. The old key works until the service restarts.`);
  io.out(`appId=${appId}`);
  io.out(`appKey=${appKey}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    const io = { out: (line: string) => console.log(line), note: (line: string) => console.error(line) };
    if (process.argv[2] === 'agents') await runAgents(process.argv.slice(3), process.env, io);
    else run(process.argv.slice(2), process.env, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      console.error(`apps: ${message} (see npm run apps -- --help)`);
      process.exit(2);
    }
    console.error(`apps: ${message}`);
    process.exit(1);
  }
}
