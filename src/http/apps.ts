/**
 * Caller apps and their credentials (HyperVerge style: `appId` + `appKey` headers; `Authorization: Bearer <appKey>`).
 *
 * Every app's key is on file as SHA-256 hex (`appKeySha256`), not scrypt: an appKey is a random secret of ≥ 128 bits
 * issued by the operator (`npm run apps`, scripts/apps.ts), not a human-chosen password, so a slow hash adds nothing
 * against offline guessing (2^128 work either way) while costing tens of milliseconds of CPU on every request — a free
 * amplifier for anyone who floods the endpoint with wrong keys. The comparison is constant-time.
 *
 * The schemes that sign with the key itself (Tencent Cloud TC3-HMAC-SHA256, ADVANCE.AI's sha256(accessKey + secretKey +
 * timestamp)) need it in the clear, so an entry may also hold it encrypted under SECRETS_KEY (`appKeyEncrypted`,
 * src/http/app-key-cipher.ts). It is decrypted once at start-up and kept in a private field of the registry, reachable
 * only through secretOf(): never in the AppDefinition objects the rest of the code passes around, logs or reports.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SecretsKey } from '../config.js';
import { AppError } from '../errors.js';
import { AppKeyDecryptionError, decryptAppKey, encryptedAppKeySchema, secretsKeyId } from './app-key-cipher.js';

/** APIs an app can be allowed to call; `*` = all (also those added later). */
export const API_NAMES = ['checkLiveness', 'matchFace', 'verifyVideo', 'sessions', 'sessionRecording'] as const;
export type ApiName = (typeof API_NAMES)[number];

const appSchema = z
  .object({
    /** Public identifier sent in the `appId` header. */
    appId: z.string().min(1).max(200),
    /** SHA-256 of the appKey, lowercase hex (`printf %s "$KEY" | sha256sum`). */
    appKeySha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (sha256 of the appKey)'),
    /**
     * The appKey itself, AES-256-GCM-encrypted under SECRETS_KEY and bound to this appId (src/http/app-key-cipher.ts);
     * needed by the signature schemes that sign with the key. Absent = hash only (appId/appKey headers and Bearer work,
     * signature schemes do not). Start-up checks that it decrypts to the key appKeySha256 is the hash of.
     */
    appKeyEncrypted: encryptedAppKeySchema.optional(),
    /** APIs this app may call: names from API_NAMES, or "*"; empty = suspended (every call 403). */
    allowedApis: z.array(z.enum([...API_NAMES, '*'])),
    /** Requests per minute (fixed one-minute windows); absent = no limit. */
    rateLimitPerMinute: z.number().int().min(1).optional(),
    /** Where this app's webhook events (video.completed, video.reviewed) are POSTed; absent = no webhooks. README "Webhooks". */
    webhookUrl: z.url({ protocol: /^https?$/, error: 'webhookUrl must be an http(s) URL' }).max(2048).optional(),
    /** HMAC-SHA256 key for the X-Webhook-Signature header, at least 32 characters; required with webhookUrl. */
    webhookSecret: z.string().min(32, 'webhookSecret must be at least 32 characters').optional(),
    /** Days this app's evidence media (session photos and videos, session recordings) is kept; absent = EVIDENCE_RETENTION_DAYS. */
    evidenceRetentionDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export const appsFileSchema = z.array(appSchema).superRefine((apps, ctx) => {
  const seen = new Set<string>();
  // Bearer-key APIs find the app by its key alone (AppRegistry.authenticateKey), so keys must differ.
  const keys = new Set<string>();
  apps.forEach((app, index) => {
    if (keys.has(app.appKeySha256)) ctx.addIssue({ code: 'custom', path: [index, 'appKeySha256'], message: 'two apps share this appKey; give each app its own' });
    keys.add(app.appKeySha256);
    if (seen.has(app.appId)) ctx.addIssue({ code: 'custom', path: [index, 'appId'], message: `duplicate appId "${app.appId}"` });
    seen.add(app.appId);
    if ((app.webhookUrl === undefined) !== (app.webhookSecret === undefined)) {
      const missing = app.webhookUrl === undefined ? 'webhookUrl' : 'webhookSecret';
      ctx.addIssue({ code: 'custom', path: [index, missing], message: 'webhookUrl and webhookSecret go together: set both or neither' });
    }
  });
});

/** One APPS_FILE entry as stored (with the encrypted key, when there is one). */
export type AppEntry = z.infer<typeof appSchema>;

/** An app as the rest of the code sees it: its entry without any form of the key but the hash. */
export type AppDefinition = Omit<AppEntry, 'appKeyEncrypted'>;

/** Bytes of randomness in an appKey the service generates: 256 bits, base64url (43 characters, safe in headers and URLs). */
export const APP_KEY_BYTES = 32;

/** A fresh random appKey. */
export function generateAppKey(): string {
  return randomBytes(APP_KEY_BYTES).toString('base64url');
}

const DAY_MS = 24 * 3600 * 1000;

/** How long `app`'s evidence media is kept, ms: its evidenceRetentionDays, else `defaultMs` (EVIDENCE_RETENTION_DAYS). */
export function evidenceRetentionMs(app: Pick<AppDefinition, 'evidenceRetentionDays'> | undefined, defaultMs: number): number {
  return app?.evidenceRetentionDays !== undefined ? app.evidenceRetentionDays * DAY_MS : defaultMs;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads and validates an APPS_FILE; errors name the file and the field (e.g. `[1].appKeySha256`). */
export function readAppsFile(file: string): AppEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `APPS_FILE ${file}: ${(error as Error).message}`);
  }
  const parsed = appsFileSchema.safeParse(json);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `APPS_FILE ${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * appId → appKey for the entries that hold it encrypted, decrypted with `keys` (SECRETS_KEY; the apps CLI's rekey also
 * passes the new key): each entry with the key whose id it records, else the first key, which then reports a wrong key.
 * `where` prefixes every error (e.g. `APPS_FILE /etc/apps.json`). Stops with CONFIG_INVALID when there are encrypted
 * entries but no key, when a key id differs (wrong SECRETS_KEY), when a blob does not authenticate, and when a decrypted
 * key does not match its appKeySha256. Errors name apps and key ids, never key material.
 */
export function decryptAppKeys(entries: readonly AppEntry[], keys: SecretsKey | readonly SecretsKey[] | undefined, where: string): Map<string, string> {
  const candidates = keys === undefined ? [] : Array.isArray(keys) ? (keys as readonly SecretsKey[]) : [keys as SecretsKey];
  const keyIds = candidates.map(secretsKeyId);
  const encrypted = entries.flatMap((entry, index) => (entry.appKeyEncrypted ? [{ entry, index, sealed: entry.appKeyEncrypted }] : []));
  const first = candidates[0];
  if (encrypted.length > 0 && first === undefined) {
    const ids = encrypted.map(({ entry }) => `"${entry.appId}"`).join(', ');
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: ${encrypted.length} app(s) (${ids}) store the appKey encrypted (appKeyEncrypted), but neither SECRETS_KEY nor SECRETS_KEY_FILE is set: ` +
        'set the master key they were encrypted with (README "Credentials")',
    );
  }
  const secrets = new Map<string, string>();
  for (const { entry, index, sealed } of encrypted) {
    let appKey: string;
    try {
      appKey = decryptAppKey(candidates[keyIds.indexOf(sealed.keyId)] ?? first!, entry.appId, sealed);
    } catch (error) {
      if (!(error instanceof AppKeyDecryptionError)) throw error;
      throw new AppError('CONFIG_INVALID', `${where}: [${index}].appKeyEncrypted of app "${entry.appId}": ${error.message}`);
    }
    if (!timingSafeEqual(createHash('sha256').update(appKey, 'utf8').digest(), Buffer.from(entry.appKeySha256, 'hex'))) {
      throw new AppError(
        'CONFIG_INVALID',
        `${where}: [${index}].appKeyEncrypted of app "${entry.appId}" is not the key whose hash is [${index}].appKeySha256: give the app a new key (npm run apps -- rotate)`,
      );
    }
    secrets.set(entry.appId, appKey);
  }
  return secrets;
}

export class AppRegistry {
  private readonly byId: Map<string, { app: AppDefinition; keyHash: Buffer }>;
  private readonly byKeyHash: Map<string, AppDefinition>;
  /**
   * appId → appKey in the clear, for the apps whose key is known: decrypted from APPS_FILE, or generated (the embedded
   * app). A `#` field, not a property: util.inspect, JSON.stringify and object spread never show it.
   */
  readonly #secrets: ReadonlyMap<string, string>;

  /**
   * @param apps the apps (an AppEntry's appKeyEncrypted, if passed, is dropped).
   * @param secrets appId → appKey for apps whose key is known in the clear; each must hash to its app's appKeySha256.
   */
  constructor(apps: readonly AppDefinition[], secrets: ReadonlyMap<string, string> = new Map()) {
    const definitions = apps.map((app) => {
      const { appKeyEncrypted: _sealed, ...definition } = app as AppEntry;
      return definition;
    });
    this.byId = new Map(definitions.map((app) => [app.appId, { app, keyHash: Buffer.from(app.appKeySha256, 'hex') }]));
    this.byKeyHash = new Map(definitions.map((app) => [app.appKeySha256, app]));
    for (const [appId, appKey] of secrets) {
      const entry = this.byId.get(appId);
      if (!entry || !timingSafeEqual(createHash('sha256').update(appKey, 'utf8').digest(), entry.keyHash)) {
        throw new AppError('CONFIG_INVALID', `the secret given for app "${appId}" is not the key its appKeySha256 is the hash of`);
      }
    }
    this.#secrets = new Map(secrets);
  }

  /**
   * The apps in an APPS_FILE, with the encrypted appKeys decrypted by `secretsKey` (SECRETS_KEY). Errors name the file
   * and the field (e.g. `[1].appKeySha256`); see decryptAppKeys for the key errors.
   */
  static fromFile(file: string, secretsKey?: SecretsKey): AppRegistry {
    const entries = readAppsFile(file);
    return new AppRegistry(entries, decryptAppKeys(entries, secretsKey, `APPS_FILE ${file}`));
  }

  /**
   * The embedded app for the two-command start: appId "default", a fresh random appKey (256 bits)
   * that the caller prints once, all APIs, no rate limit. Never a hard-coded secret. Its key is also
   * available to secretOf (it lives in memory only: nothing to encrypt).
   */
  static withDefaultApp(): { registry: AppRegistry; appKey: string } {
    const appKey = generateAppKey();
    const registry = new AppRegistry([{ appId: 'default', appKeySha256: sha256Hex(appKey), allowedApis: ['*'] }], new Map([['default', appKey]]));
    return { registry, appKey };
  }

  /**
   * The appKey of app `appId` in the clear, for verifying signatures made with it (Tencent TC3-HMAC-SHA256, ADVANCE.AI):
   * known when APPS_FILE stores it encrypted, and for the embedded default app; undefined for hash-only apps and unknown
   * ids. Compare anything derived from it with timingSafeEqual, and never log or return it.
   */
  secretOf(appId: string): string | undefined {
    return this.#secrets.get(appId);
  }

  /** The app for these credentials, or undefined. Constant-time in the key; unknown ids do the same work. */
  authenticate(appId: string | undefined, appKey: string | undefined): AppDefinition | undefined {
    if (!appId || !appKey) return undefined;
    const entry = this.byId.get(appId);
    const given = createHash('sha256').update(appKey, 'utf8').digest();
    const expected = entry?.keyHash ?? Buffer.alloc(32);
    const equal = timingSafeEqual(given, expected);
    return entry && equal ? entry.app : undefined;
  }

  /** The app with this id (its configuration, e.g. the webhook endpoint), or undefined. */
  get(appId: string): AppDefinition | undefined {
    return this.byId.get(appId)?.app;
  }

  /**
   * The app whose appKey this is, for APIs that take only the key (`Authorization: Bearer <appKey>`).
   * Looked up by the key's SHA-256: the map lookup's timing depends on the hash, not on the key, so it
   * tells an attacker nothing usable about a key.
   */
  authenticateKey(appKey: string | undefined): AppDefinition | undefined {
    if (!appKey) return undefined;
    return this.byKeyHash.get(sha256Hex(appKey));
  }

  static allows(app: AppDefinition, api: ApiName): boolean {
    return app.allowedApis.includes('*') || app.allowedApis.includes(api);
  }
}
