/**
 * An app's appKey encrypted at rest in APPS_FILE (`appKeyEncrypted`), for the signature schemes that need the key
 * itself rather than its hash: Tencent Cloud's TC3-HMAC-SHA256 and ADVANCE.AI's sha256(accessKey + secretKey + timestamp).
 *
 * AES-256-GCM (NIST SP 800-38D), all of it node:crypto:
 * - The AES key is derived from the master key (SECRETS_KEY) with HKDF-SHA256 (RFC 5869) and the key id with
 *   HMAC-SHA256 under a different label, so the master key never keys two algorithms and the id reveals nothing of it.
 * - A fresh random 96-bit IV per encryption (SP 800-38D §8.2.2). With random IVs one key is good for 2^32
 *   encryptions (§8.3); an apps file holds a few thousand at most, re-encrypted on every add, rotate and rekey.
 * - The additional authenticated data binds the ciphertext to its format version, key id and appId: a blob copied
 *   into another app's entry, or with its header edited, fails authentication instead of decrypting.
 * - The full 128-bit tag is required (`authTagLength`): Node would otherwise accept a truncated one.
 * The key id is recorded in every blob so that a wrong SECRETS_KEY is reported as the wrong key, not as a corrupt file.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SecretsKey } from '../config.js';

/** The blob format this code writes and reads. A later format gets a new number and its own branch in decryptAppKey. */
export const APP_KEY_CIPHER_VERSION = 1;

/** GCM's recommended IV length, bytes (SP 800-38D §5.2.1.1: 96 bits, used as is without GHASH). */
const IV_BYTES = 12;
/** GCM tag length, bytes: the full 128 bits (SP 800-38D §5.2.1.2). */
const TAG_BYTES = 16;

const HKDF_INFO = 'face-liveness-service apps-file appKey aes-256-gcm v1';
const KEY_ID_LABEL = 'face-liveness-service apps-file key id v1';

/** Standard base64 (RFC 4648 §4) with padding. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `appKeyEncrypted` in an APPS_FILE entry. Base64 fields are standard base64 (RFC 4648 §4). */
export const encryptedAppKeySchema = z
  .object({
    /** Format version: 1. */
    version: z.literal(APP_KEY_CIPHER_VERSION, { error: `unsupported format version: this service reads version ${APP_KEY_CIPHER_VERSION}` }),
    /** Which master key encrypted it: 16 hex characters (secretsKeyId). */
    keyId: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex characters (the master key id)'),
    /** The 96-bit GCM IV, base64 (16 characters). */
    iv: z.string().regex(/^[A-Za-z0-9+/]{16}$/, `expected ${IV_BYTES} bytes in base64 (16 characters)`),
    /** The encrypted appKey (UTF-8), base64. */
    ciphertext: z.string().min(4, 'expected the encrypted appKey in base64').regex(BASE64, 'expected base64'),
    /** The 128-bit GCM tag, base64 (24 characters). */
    tag: z.string().regex(/^[A-Za-z0-9+/]{22}==$/, `expected ${TAG_BYTES} bytes in base64 (24 characters)`),
  })
  .strict();

export type EncryptedAppKey = z.infer<typeof encryptedAppKeySchema>;

/** The master key's public id: the first 64 bits of HMAC-SHA256(key, label), hex. Tells keys apart, reveals nothing of them. */
export function secretsKeyId(key: SecretsKey): string {
  return createHmac('sha256', key.bytes()).update(KEY_ID_LABEL, 'utf8').digest('hex').slice(0, 16);
}

function aesKey(key: SecretsKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.bytes(), Buffer.alloc(0), HKDF_INFO, 32));
}

/** GCM additional data: an unambiguous encoding (a JSON array) of what the ciphertext belongs to. */
function associatedData(keyId: string, appId: string): Buffer {
  return Buffer.from(JSON.stringify(['appKey', APP_KEY_CIPHER_VERSION, keyId, appId]), 'utf8');
}

/** `appKey` of app `appId`, encrypted under `key` with a fresh random IV. */
export function encryptAppKey(key: SecretsKey, appId: string, appKey: string): EncryptedAppKey {
  const keyId = secretsKeyId(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', aesKey(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(keyId, appId));
  const ciphertext = Buffer.concat([cipher.update(appKey, 'utf8'), cipher.final()]);
  return { version: APP_KEY_CIPHER_VERSION, keyId, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Why an appKeyEncrypted did not decrypt. The message names key ids only, never key material. */
export class AppKeyDecryptionError extends Error {
  constructor(
    readonly reason: 'wrong-key' | 'not-authentic',
    message: string,
  ) {
    super(message);
    this.name = 'AppKeyDecryptionError';
  }
}

/**
 * The appKey of app `appId` sealed in `sealed`. Throws AppKeyDecryptionError: `wrong-key` when another master key
 * encrypted it (its key id differs from `key`'s), `not-authentic` when the tag does not verify (the blob was altered,
 * or it belongs to another app).
 */
export function decryptAppKey(key: SecretsKey, appId: string, sealed: EncryptedAppKey): string {
  const keyId = secretsKeyId(key);
  if (sealed.keyId !== keyId) {
    throw new AppKeyDecryptionError(
      'wrong-key',
      `encrypted under the master key with id ${sealed.keyId}, but the configured master key has id ${keyId}: wrong SECRETS_KEY, or the file was re-encrypted under another key`,
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', aesKey(key), Buffer.from(sealed.iv, 'base64'), { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(sealed.keyId, appId));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new AppKeyDecryptionError('not-authentic', `does not authenticate under the master key ${keyId}: the entry was altered, or copied from another app's entry`);
  }
}
