/**
 * Caller apps and their credentials (HyperVerge style: `appId` + `appKey` headers).
 *
 * Keys are stored as SHA-256 hex, not scrypt: an appKey is a random secret of ≥ 128 bits issued by the
 * operator (see README), not a human-chosen password, so a slow hash adds nothing against offline
 * guessing (2^128 work either way) while costing tens of milliseconds of CPU on every request — a free
 * amplifier for anyone who floods the endpoint with wrong keys. The comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors.js';

/** APIs an app can be allowed to call; `*` = all (also those added later). */
export const API_NAMES = ['checkLiveness', 'matchFace', 'verifyVideo', 'sessions', 'sessionRecording'] as const;
export type ApiName = (typeof API_NAMES)[number];

const appSchema = z
  .object({
    /** Public identifier sent in the `appId` header. */
    appId: z.string().min(1).max(200),
    /** SHA-256 of the appKey, lowercase hex (`printf %s "$KEY" | sha256sum`). */
    appKeySha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (sha256 of the appKey)'),
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

export type AppDefinition = z.infer<typeof appSchema>;

const DAY_MS = 24 * 3600 * 1000;

/** How long `app`'s evidence media is kept, ms: its evidenceRetentionDays, else `defaultMs` (EVIDENCE_RETENTION_DAYS). */
export function evidenceRetentionMs(app: Pick<AppDefinition, 'evidenceRetentionDays'> | undefined, defaultMs: number): number {
  return app?.evidenceRetentionDays !== undefined ? app.evidenceRetentionDays * DAY_MS : defaultMs;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class AppRegistry {
  private readonly byId: Map<string, { app: AppDefinition; keyHash: Buffer }>;
  private readonly byKeyHash: Map<string, AppDefinition>;

  constructor(apps: readonly AppDefinition[]) {
    this.byId = new Map(apps.map((app) => [app.appId, { app, keyHash: Buffer.from(app.appKeySha256, 'hex') }]));
    this.byKeyHash = new Map(apps.map((app) => [app.appKeySha256, app]));
  }

  /** Reads and validates an APPS_FILE; errors name the file and the field (e.g. `[1].appKeySha256`). */
  static fromFile(file: string): AppRegistry {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new AppError('CONFIG_INVALID', `APPS_FILE ${file}: ${(error as Error).message}`);
    }
    const parsed = appsFileSchema.safeParse(json);
    if (!parsed.success) throw new AppError('CONFIG_INVALID', `APPS_FILE ${file}: ${z.prettifyError(parsed.error)}`);
    return new AppRegistry(parsed.data);
  }

  /**
   * The embedded app for the two-command start: appId "default", a fresh random appKey (192 bits)
   * that the caller prints once, all APIs, no rate limit. Never a hard-coded secret.
   */
  static withDefaultApp(): { registry: AppRegistry; appKey: string } {
    const appKey = randomBytes(24).toString('base64url');
    return { registry: new AppRegistry([{ appId: 'default', appKeySha256: sha256Hex(appKey), allowedApis: ['*'] }]), appKey };
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
