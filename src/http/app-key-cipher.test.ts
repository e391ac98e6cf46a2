import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretsKey } from '../config.js';
import { AppKeyDecryptionError, decryptAppKey, encryptAppKey, encryptedAppKeySchema, secretsKeyId } from './app-key-cipher.js';

const key = new SecretsKey(randomBytes(32));
const otherKey = new SecretsKey(randomBytes(32));
const APP_KEY = 'k3y-' + randomBytes(24).toString('base64url');

/** The AppKeyDecryptionError `fn` throws (fails the test when it throws nothing or something else). */
function decryptionError(fn: () => unknown): AppKeyDecryptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppKeyDecryptionError);
    return error as AppKeyDecryptionError;
  }
  throw new Error('expected an AppKeyDecryptionError, nothing was thrown');
}

/** `base64` with one bit of its first byte flipped. */
const flipped = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0]! ^= 1;
  return bytes.toString('base64');
};

describe('appKey cipher (AES-256-GCM)', () => {
  it('round-trips, in a blob that validates and holds neither the key nor its bytes', () => {
    const sealed = encryptAppKey(key, 'web', APP_KEY);
    expect(encryptedAppKeySchema.parse(sealed)).toEqual(sealed);
    expect(sealed).toMatchObject({ version: 1, keyId: secretsKeyId(key) });
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(JSON.stringify(sealed)).not.toContain(APP_KEY);
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from(APP_KEY).toString('base64').slice(0, 12));
    expect(decryptAppKey(key, 'web', sealed)).toBe(APP_KEY);
  });

  it('draws a fresh IV for every encryption, so the same key never gives the same blob', () => {
    const blobs = Array.from({ length: 20 }, () => encryptAppKey(key, 'web', APP_KEY));
    expect(new Set(blobs.map((b) => b.iv)).size).toBe(20);
    expect(new Set(blobs.map((b) => b.ciphertext)).size).toBe(20);
  });

  it('key ids tell master keys apart and do not reveal them', () => {
    expect(secretsKeyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(secretsKeyId(key)).toBe(secretsKeyId(new SecretsKey(key.bytes())));
    expect(secretsKeyId(key)).not.toBe(secretsKeyId(otherKey));
    expect(key.bytes().toString('hex')).not.toContain(secretsKeyId(key));
  });

  it('reports another master key as the wrong key, naming both ids', () => {
    const error = decryptionError(() => decryptAppKey(otherKey, 'web', encryptAppKey(key, 'web', APP_KEY)));
    expect(error.reason).toBe('wrong-key');
    expect(error.message).toContain(secretsKeyId(key));
    expect(error.message).toContain(secretsKeyId(otherKey));
    expect(error.message).toMatch(/wrong SECRETS_KEY/);
  });

  it("refuses a blob moved to another app's entry (the appId is authenticated data)", () => {
    const error = decryptionError(() => decryptAppKey(key, 'attacker', encryptAppKey(key, 'web', APP_KEY)));
    expect(error.reason).toBe('not-authentic');
    expect(error.message).toMatch(/altered, or copied from another app's entry/);
  });

  it('refuses any altered field', () => {
    const sealed = encryptAppKey(key, 'web', APP_KEY);
    for (const field of ['iv', 'ciphertext', 'tag'] as const) {
      expect(decryptionError(() => decryptAppKey(key, 'web', { ...sealed, [field]: flipped(sealed[field]) })).reason, field).toBe('not-authentic');
    }
    // A forged key id is caught before decryption: it no longer names this key.
    expect(decryptionError(() => decryptAppKey(key, 'web', { ...sealed, keyId: '0'.repeat(16) })).reason).toBe('wrong-key');
  });

  it('the schema refuses unknown versions, truncated tags and stray fields', () => {
    const sealed = encryptAppKey(key, 'web', APP_KEY);
    expect(encryptedAppKeySchema.safeParse({ ...sealed, version: 2 }).error?.issues[0]?.message).toMatch(/unsupported format version/);
    expect(encryptedAppKeySchema.safeParse({ ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 12).toString('base64') }).success).toBe(false);
    expect(encryptedAppKeySchema.safeParse({ ...sealed, iv: randomBytes(16).toString('base64') }).success).toBe(false);
    expect(encryptedAppKeySchema.safeParse({ ...sealed, plaintext: APP_KEY }).success).toBe(false);
  });
});
