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
export const API_NAMES = ['checkLiveness', 'matchFace', 'verifyVideo'] as const;
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
  })
  .strict();

export const appsFileSchema = z.array(appSchema).superRefine((apps, ctx) => {
  const seen = new Set<string>();
  apps.forEach((app, index) => {
    if (seen.has(app.appId)) ctx.addIssue({ code: 'custom', path: [index, 'appId'], message: `duplicate appId "${app.appId}"` });
    seen.add(app.appId);
  });
});

export type AppDefinition = z.infer<typeof appSchema>;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class AppRegistry {
  private readonly byId: Map<string, { app: AppDefinition; keyHash: Buffer }>;

  constructor(apps: readonly AppDefinition[]) {
    this.byId = new Map(apps.map((app) => [app.appId, { app, keyHash: Buffer.from(app.appKeySha256, 'hex') }]));
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

  static allows(app: AppDefinition, api: ApiName): boolean {
    return app.allowedApis.includes('*') || app.allowedApis.includes(api);
  }
}
