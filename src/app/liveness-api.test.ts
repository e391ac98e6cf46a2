import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, SecretsKey } from '../config.js';
import { AppError } from '../errors.js';
import { encryptAppKey } from '../http/app-key-cipher.js';
import { generateAppKey, sha256Hex } from '../http/apps.js';
import type { CheckLiveness } from '../pipeline/types.js';
import { LocalImageStore } from '../store/local-image-store.js';
import { createLivenessApi, openCroppedImageStore } from './liveness-api.js';

const never: CheckLiveness = () => Promise.reject(new Error('not called'));

describe('createLivenessApi', () => {
  it('without APPS_FILE: prints the embedded app key once and warns that links die on restart', async () => {
    const logs: string[] = [];
    const config = parseConfig({ CROPPED_IMAGE_DIR: mkdtempSync(path.join(tmpdir(), 'crops-')) });
    const { deps, close } = createLivenessApi(config, never, (m) => logs.push(m));
    const key = logs.join('\n').match(/embedded app appId=default appKey=(\S+) \(new on every start\)/)?.[1];
    expect(key).toBeDefined();
    expect(deps.apps.authenticate('default', key)).toBeDefined();
    expect(logs.join('\n')).toMatch(/no SIGNING_SECRET: .*die on restart/);
    expect(deps.rules.current().rules.length).toBeGreaterThan(0);
    expect(deps.bodyLimitBytes).toBe(10_485_760);
    await close();
  });

  it('without APPS_FILE: the embedded key is also the secret signature schemes check against', async () => {
    const config = parseConfig({ CROPPED_IMAGE_DIR: mkdtempSync(path.join(tmpdir(), 'crops-')) });
    const { deps, close, embeddedAppKey } = createLivenessApi(config, never, () => {});
    expect(deps.apps.secretOf('default')).toBe(embeddedAppKey);
    await close();
  });

  describe('APPS_FILE with encrypted keys', () => {
    const MASTER = randomBytes(32).toString('base64');
    const APP_KEY = generateAppKey();
    const dir = mkdtempSync(path.join(tmpdir(), 'apps-secrets-'));
    const appsFile = path.join(dir, 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify([{ appId: 'web', appKeySha256: sha256Hex(APP_KEY), appKeyEncrypted: encryptAppKey(new SecretsKey(Buffer.from(MASTER, 'base64')), 'web', APP_KEY), allowedApis: ['*'] }]),
    );
    const crops = mkdtempSync(path.join(tmpdir(), 'crops-'));
    const start = (env: Record<string, string>) => createLivenessApi(parseConfig({ APPS_FILE: appsFile, CROPPED_IMAGE_DIR: crops, ...env }), never, () => {});
    /** The error start-up stops with. */
    const startUpError = (env: Record<string, string>) => {
      try {
        start(env);
      } catch (error) {
        return error as AppError;
      }
      throw new Error('start-up did not stop');
    };

    it('the right SECRETS_KEY (or SECRETS_KEY_FILE) decrypts them', async () => {
      const api = start({ SECRETS_KEY: MASTER });
      expect(api.deps.apps.secretOf('web')).toBe(APP_KEY);
      expect(api.deps.apps.authenticate('web', APP_KEY)?.appId).toBe('web');
      await api.close();
      const keyFile = path.join(dir, 'master.key');
      writeFileSync(keyFile, `${MASTER}\n`, { mode: 0o600 });
      const fromFile = start({ SECRETS_KEY_FILE: keyFile });
      expect(fromFile.deps.apps.secretOf('web')).toBe(APP_KEY);
      await fromFile.close();
    });

    it('a wrong SECRETS_KEY stops start-up with CONFIG_INVALID saying so, and no key in the message', () => {
      const wrong = randomBytes(32).toString('base64');
      const error = startUpError({ SECRETS_KEY: wrong });
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(/^APPS_FILE .*apps\.json: \[0\]\.appKeyEncrypted of app "web": encrypted under the master key with id [0-9a-f]{16}, but the configured master key has id [0-9a-f]{16}: wrong SECRETS_KEY/);
      for (const secret of [wrong, MASTER, APP_KEY]) expect(error.message).not.toContain(secret);
    });

    it('no SECRETS_KEY at all stops start-up with CONFIG_INVALID naming both variables', () => {
      const error = startUpError({});
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(/1 app\(s\) \("web"\) store the appKey encrypted .*neither SECRETS_KEY nor SECRETS_KEY_FILE is set/);
    });
  });

  it('a broken APPS_FILE stops start-up naming the file', () => {
    expect(() => createLivenessApi(parseConfig({ APPS_FILE: '/nonexistent/apps.json' }), never, () => {})).toThrow(/APPS_FILE \/nonexistent\/apps\.json/);
  });
});

describe('openCroppedImageStore', () => {
  it('without DATABASE_URL: files in CROPPED_IMAGE_DIR, even with S3_BUCKET (one process)', async () => {
    const store = await openCroppedImageStore(parseConfig({ CROPPED_IMAGE_DIR: mkdtempSync(path.join(tmpdir(), 'crops-')), S3_BUCKET: 'kyc-media' }), () => {});
    expect(store).toBeInstanceOf(LocalImageStore);
    await store.close();
  });

  it('with DATABASE_URL and a database out of reach: STORE_UNAVAILABLE naming it without its password', async () => {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    const config = parseConfig({ DATABASE_URL: 'postgres://kyc:hunter2@127.0.0.1:1/kyc', S3_BUCKET: 'kyc-media' });
    const failure = await openCroppedImageStore(config, () => {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('STORE_UNAVAILABLE');
    expect((failure as AppError).message).toMatch(/postgres:\/\/kyc:\[redacted\]@127\.0\.0\.1:1\/kyc/);
    expect((failure as AppError).message).not.toContain('hunter2');
  });
});
