/**
 * Webhook signatures: pure functions, no I/O.
 *
 * Header (the scheme Stripe documents for its webhooks, https://docs.stripe.com/webhooks#verify-manually):
 *
 *   X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body so a captured request cannot be replayed later than the
 * receiver's tolerance (default 300 s, Stripe's default). `t` is the time of the attempt, so every retry
 * carries a fresh signature over the same body bytes. Several `v1=` entries may appear (a secret being
 * rotated); one match is enough. The comparison is constant-time (crypto.timingSafeEqual) so a receiver
 * does not leak how many leading characters of a forged signature were right.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature (lower-case on the wire per RFC 9110 §5.1: names are case-insensitive). */
export const SIGNATURE_HEADER = 'X-Webhook-Signature';

/** Receivers should refuse signatures older (or newer) than this, seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
export function computeSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The X-Webhook-Signature value for `body` sent at `timestampSeconds` (whole unix seconds). */
export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  if (!Number.isInteger(timestampSeconds) || timestampSeconds < 0) throw new RangeError(`timestampSeconds must be a non-negative integer, got ${timestampSeconds}`);
  return `t=${timestampSeconds},v1=${computeSignature(secret, timestampSeconds, body)}`;
}

export type VerifyResult = { ok: true; timestampSeconds: number } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks a received X-Webhook-Signature against the raw body (the exact bytes received, before any
 * JSON parsing). `nowSeconds` is the receiver's clock; the timestamp must be within `toleranceSeconds`.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): VerifyResult {
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!header) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (key === 't' && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > tolerance) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(computeSignature(secret, timestamp, body), 'hex');
  // Every candidate is compared (no early exit), each in constant time; all are 32 bytes (regex above).
  let match = false;
  for (const signature of signatures) match = timingSafeEqual(expected, Buffer.from(signature, 'hex')) || match;
  return match ? { ok: true, timestampSeconds: timestamp } : { ok: false, reason: 'mismatch' };
}
