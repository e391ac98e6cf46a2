import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretsKey } from '../config.js';
import { AppError } from '../errors.js';
import { encryptAppKey, secretsKeyId } from './app-key-cipher.js';
import { AppRegistry, generateAppKey, sha256Hex } from './apps.js';

const file = (content: unknown) => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'apps-')), 'apps.json');
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};

describe('AppRegistry', () => {
  it('authenticates by appId + appKey against the sha256 on file', () => {
    const apps = AppRegistry.fromFile(file([{ appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['checkLiveness'], rateLimitPerMinute: 10 }]));
    expect(apps.authenticate('a', 'k')?.appId).toBe('a');
    expect(apps.authenticate('a', 'K')).toBeUndefined();
    expect(apps.authenticate('b', 'k')).toBeUndefined();
    expect(apps.authenticate(undefined, 'k')).toBeUndefined();
    expect(apps.authenticate('a', '')).toBeUndefined();
  });

  it('rejects a bad file naming the field', () => {
    expect(() => AppRegistry.fromFile(file([{ appId: 'a', appKeySha256: 'abc', allowedApis: [] }]))).toThrow(/APPS_FILE .*apps\.json: .*\[0\]\.appKeySha256/s);
    expect(() => AppRegistry.fromFile(file([{ appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['getVideo'] }]))).toThrow(/\[0\]\.allowedApis\[0\]/);
    const dup = { appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['*'] };
    expect(() => AppRegistry.fromFile(file([dup, dup]))).toThrow(/duplicate appId "a"/);
    expect(() => AppRegistry.fromFile(file('{'))).toThrow(/APPS_FILE/);
  });

  it('the embedded default app has a fresh random key and every API', () => {
    const one = AppRegistry.withDefaultApp();
    const two = AppRegistry.withDefaultApp();
    expect(one.appKey).not.toBe(two.appKey);
    expect(one.appKey.length).toBeGreaterThanOrEqual(32);
    const app = one.registry.authenticate('default', one.appKey)!;
    expect(AppRegistry.allows(app, 'checkLiveness')).toBe(true);
    expect(app.rateLimitPerMinute).toBeUndefined();
    expect(one.registry.authenticate('default', two.appKey)).toBeUndefined();
  });
});

describe('AppRegistry: keys encrypted at rest (appKeyEncrypted, SECRETS_KEY)', () => {
  const master = new SecretsKey(randomBytes(32));
  const WEB_KEY = generateAppKey();
  const BATCH_KEY = generateAppKey();
  const HASHED_KEY = generateAppKey();
  const entries = () => [
    { appId: 'web', appKeySha256: sha256Hex(WEB_KEY), appKeyEncrypted: encryptAppKey(master, 'web', WEB_KEY), allowedApis: ['checkLiveness'], rateLimitPerMinute: 5 },
    { appId: 'batch', appKeySha256: sha256Hex(BATCH_KEY), appKeyEncrypted: encryptAppKey(master, 'batch', BATCH_KEY), allowedApis: ['*'] },
    { appId: 'hashed', appKeySha256: sha256Hex(HASHED_KEY), allowedApis: ['sessions'] },
  ];

  /** The CONFIG_INVALID error `fn` throws. */
  function configError(fn: () => unknown): AppError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('CONFIG_INVALID');
      return error as AppError;
    }
    throw new Error('expected CONFIG_INVALID, nothing was thrown');
  }

  it('secretOf gives the decrypted key of encrypted apps, and nothing for hash-only apps and unknown ids', () => {
    const apps = AppRegistry.fromFile(file(entries()), master);
    expect(apps.secretOf('web')).toBe(WEB_KEY);
    expect(apps.secretOf('batch')).toBe(BATCH_KEY);
    expect(apps.secretOf('hashed')).toBeUndefined();
    expect(apps.secretOf('nobody')).toBeUndefined();
    expect(apps.secretOf('__proto__')).toBeUndefined();
  });

  it('every other method works the same for encrypted and hash-only apps', () => {
    const apps = AppRegistry.fromFile(file(entries()), master);
    expect(apps.authenticate('web', WEB_KEY)?.appId).toBe('web');
    expect(apps.authenticate('web', BATCH_KEY)).toBeUndefined();
    expect(apps.authenticate('hashed', HASHED_KEY)?.appId).toBe('hashed');
    expect(apps.authenticateKey(BATCH_KEY)?.appId).toBe('batch');
    expect(apps.authenticateKey(HASHED_KEY)?.appId).toBe('hashed');
    expect(apps.authenticateKey('nope')).toBeUndefined();
    expect(apps.get('web')?.rateLimitPerMinute).toBe(5);
    expect(AppRegistry.allows(apps.get('web')!, 'checkLiveness')).toBe(true);
    expect(AppRegistry.allows(apps.get('web')!, 'matchFace')).toBe(false);
    expect(AppRegistry.allows(apps.get('hashed')!, 'sessions')).toBe(true);
  });

  it('keeps keys out of the app objects, of inspect and of JSON: only secretOf reaches them', () => {
    const apps = AppRegistry.fromFile(file(entries()), master);
    const exposed = [
      JSON.stringify(apps.get('web')),
      inspect(apps.get('web'), { depth: 10, showHidden: true }),
      inspect(apps, { depth: 10, showHidden: true }),
      JSON.stringify(apps),
      JSON.stringify(apps.authenticate('web', WEB_KEY)),
    ].join('\n');
    expect(exposed).toContain('web');
    expect(exposed).not.toContain(WEB_KEY);
    expect(exposed).not.toContain(BATCH_KEY);
    expect(apps.get('web')).not.toHaveProperty('appKeyEncrypted');
    expect(inspect(master)).toBe('[SecretsKey]');
    expect(JSON.stringify({ master })).toBe('{"master":"[SecretsKey]"}');
  });

  it('a wrong SECRETS_KEY stops loading, saying so with both key ids and no key material', () => {
    const wrong = new SecretsKey(randomBytes(32));
    const error = configError(() => AppRegistry.fromFile(file(entries()), wrong));
    expect(error.message).toMatch(/APPS_FILE .*apps\.json: \[0\]\.appKeyEncrypted of app "web": encrypted under the master key with id [0-9a-f]{16}, .* wrong SECRETS_KEY/);
    expect(error.message).toContain(secretsKeyId(master));
    expect(error.message).toContain(secretsKeyId(wrong));
    for (const secret of [WEB_KEY, BATCH_KEY, master.bytes().toString('base64'), wrong.bytes().toString('base64')]) expect(error.message).not.toContain(secret);
  });

  it('encrypted entries without any SECRETS_KEY stop loading, naming the apps and the variables', () => {
    const error = configError(() => AppRegistry.fromFile(file(entries())));
    expect(error.message).toMatch(/2 app\(s\) \("web", "batch"\) store the appKey encrypted .*neither SECRETS_KEY nor SECRETS_KEY_FILE is set/);
    // Hash-only files need no key.
    expect(AppRegistry.fromFile(file(entries().slice(2))).authenticate('hashed', HASHED_KEY)?.appId).toBe('hashed');
  });

  it("refuses an encrypted key moved into another app's entry", () => {
    const [web, batch] = entries();
    const swapped = [{ ...web!, appKeyEncrypted: batch!.appKeyEncrypted }, batch!];
    expect(configError(() => AppRegistry.fromFile(file(swapped), master)).message).toMatch(/\[0\]\.appKeyEncrypted of app "web": does not authenticate .*copied from another app's entry/);
  });

  it('refuses an encrypted key that is not the one appKeySha256 hashes', () => {
    const other = generateAppKey();
    const mismatched = [{ appId: 'web', appKeySha256: sha256Hex(WEB_KEY), appKeyEncrypted: encryptAppKey(master, 'web', other), allowedApis: ['*'] }];
    const error = configError(() => AppRegistry.fromFile(file(mismatched), master));
    expect(error.message).toMatch(/\[0\]\.appKeyEncrypted of app "web" is not the key whose hash is \[0\]\.appKeySha256/);
    expect(error.message).not.toContain(other);
  });

  it('the embedded default app holds its generated key for secretOf, and only for itself', () => {
    const { registry, appKey } = AppRegistry.withDefaultApp();
    expect(registry.secretOf('default')).toBe(appKey);
    expect(registry.authenticate('default', appKey)?.appId).toBe('default');
    expect(inspect(registry, { depth: 10, showHidden: true })).not.toContain(appKey);
  });

  it('the constructor refuses a secret that does not belong to its app', () => {
    const apps = [{ appId: 'a', appKeySha256: sha256Hex('k'), allowedApis: ['*' as const] }];
    expect(new AppRegistry(apps, new Map([['a', 'k']])).secretOf('a')).toBe('k');
    expect(() => new AppRegistry(apps, new Map([['a', 'not-k']]))).toThrow(/secret given for app "a" is not the key/);
    expect(() => new AppRegistry(apps, new Map([['b', 'k']]))).toThrow(/app "b"/);
  });
});
