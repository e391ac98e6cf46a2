import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppRegistry, sha256Hex } from './apps.js';

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
