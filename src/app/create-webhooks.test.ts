import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { AppRegistry, appsFileSchema, sha256Hex } from '../http/apps.js';
import { openDatabase } from '../store/database.js';
import { SqliteWebhookStore } from '../store/sqlite-webhooks.js';
import { createWebhooks, endpointsFromApps } from './create-webhooks.js';

const SECRET = 's'.repeat(32);
const apps = new AppRegistry([
  { appId: 'hooked', appKeySha256: sha256Hex('k1'), allowedApis: ['*'], webhookUrl: 'https://h.example/in', webhookSecret: SECRET },
  { appId: 'plain', appKeySha256: sha256Hex('k2'), allowedApis: ['*'] },
]);

describe('webhook wiring', () => {
  it('WEBHOOK_* defaults and overrides', () => {
    expect(parseConfig({}).webhooks).toEqual({ maxAttempts: 8, retryBaseMs: 30_000, retryMaxDelayMs: 3_600_000, timeoutMs: 10_000, pollIntervalMs: 1000, concurrency: 4 });
    expect(parseConfig({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_BASE_SECONDS: '5', WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_CONCURRENCY: '1' }).webhooks).toMatchObject({
      maxAttempts: 3,
      retryBaseMs: 5000,
      timeoutMs: 2000,
      concurrency: 1,
    });
    expect(() => parseConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
  });

  it('endpoints come from the app registry; apps without webhookUrl get no events', async () => {
    const endpointFor = endpointsFromApps(apps);
    expect(endpointFor('hooked')).toEqual({ url: 'https://h.example/in', secret: SECRET });
    expect(endpointFor('plain')).toBeUndefined();
    expect(endpointFor('unknown')).toBeUndefined();
    const webhooks = createWebhooks(parseConfig({}).webhooks, new SqliteWebhookStore(openDatabase(':memory:')), apps);
    expect(await webhooks.emit('plain', 'video.completed', { session_id: 's', video_mode: 'self_record', status: 'completed', duration_seconds: null })).toBeUndefined();
    expect(await webhooks.emit('hooked', 'video.completed', { session_id: 's', video_mode: 'self_record', status: 'completed', duration_seconds: null })).toMatch(/^whk_/);
  });

  it('APPS_FILE: webhookUrl and webhookSecret go together; the URL must be http(s); keys must differ', () => {
    const base = { appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['*'] };
    expect(appsFileSchema.safeParse([{ ...base, webhookUrl: 'https://x.example/h', webhookSecret: SECRET }]).success).toBe(true);
    const issues = (value: unknown) => appsFileSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues([{ ...base, webhookUrl: 'https://x.example/h' }])).toEqual(['0.webhookSecret: webhookUrl and webhookSecret go together: set both or neither']);
    expect(issues([{ ...base, webhookSecret: SECRET }])).toEqual(['0.webhookUrl: webhookUrl and webhookSecret go together: set both or neither']);
    expect(issues([{ ...base, webhookUrl: 'ftp://x.example/h', webhookSecret: SECRET }])[0]).toMatch(/webhookUrl must be an http\(s\) URL/);
    expect(issues([{ ...base, webhookUrl: 'https://x.example/h', webhookSecret: 'short' }])[0]).toMatch(/at least 32 characters/);
    expect(issues([base, { ...base, appId: 'b' }])).toEqual(['1.appKeySha256: two apps share this appKey; give each app its own']);
  });

  it('authenticateKey finds the app by its key alone', () => {
    expect(apps.authenticateKey('k1')?.appId).toBe('hooked');
    expect(apps.authenticateKey('k3')).toBeUndefined();
    expect(apps.authenticateKey('')).toBeUndefined();
    expect(apps.authenticateKey(undefined)).toBeUndefined();
  });
});
