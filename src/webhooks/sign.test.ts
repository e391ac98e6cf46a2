import { describe, expect, it } from 'vitest';
import { computeSignature, signatureHeader, verifySignature } from './sign.js';

// Fixed vector computed independently:
//   printf '%s' '1700000000.{"event":"video.completed"}' | openssl dgst -sha256 -hmac 'test-secret-0123456789abcdef0123456789'
const SECRET = 'test-secret-0123456789abcdef0123456789';
const BODY = '{"event":"video.completed"}';
const T = 1_700_000_000;
const EXPECTED = '7209c58d4844fe705be633062555077c2e3bd513a0a9da423d9412a458b779b0';

describe('webhook signatures', () => {
  it('matches the fixed HMAC-SHA256 vector (openssl)', () => {
    expect(computeSignature(SECRET, T, BODY)).toBe(EXPECTED);
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${EXPECTED}`);
  });

  it('verifies a good signature within the tolerance, also among several v1 entries', () => {
    expect(verifySignature(SECRET, BODY, `t=${T},v1=${EXPECTED}`, { nowSeconds: T + 299 })).toEqual({ ok: true, timestampSeconds: T });
    expect(verifySignature(SECRET, BODY, `t=${T}, v1=${'0'.repeat(64)}, v1=${EXPECTED}`, { nowSeconds: T })).toMatchObject({ ok: true });
  });

  it('refuses a changed body, a wrong secret, a changed timestamp, an old signature and malformed headers', () => {
    const header = signatureHeader(SECRET, BODY, T);
    expect(verifySignature(SECRET, BODY + ' ', header, { nowSeconds: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET + 'x', BODY, header, { nowSeconds: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, BODY, header.replace(`t=${T}`, `t=${T + 1}`), { nowSeconds: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, BODY, header, { nowSeconds: T + 301 })).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(SECRET, BODY, header, { nowSeconds: T + 10, toleranceSeconds: 5 })).toEqual({ ok: false, reason: 'expired' });
    for (const bad of [undefined, '', `v1=${EXPECTED}`, `t=${T}`, `t=abc,v1=${EXPECTED}`, `t=${T},v1=${EXPECTED.slice(1)}`, `t=${T},v1=${EXPECTED.toUpperCase()}`]) {
      expect(verifySignature(SECRET, BODY, bad, { nowSeconds: T })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects a non-integer timestamp when signing', () => {
    expect(() => signatureHeader(SECRET, BODY, 1.5)).toThrow(RangeError);
  });
});
