/**
 * Signed, expiring links: signature = hex HMAC-SHA256(secret, "<resource>:<expires>") with `expires`
 * in Unix seconds. The ":" separator keeps (id, expires) pairs unambiguous. Verification recomputes the
 * MAC and compares in constant time (crypto.timingSafeEqual), then enforces expiry on the server clock
 * (DESIGN.md "Signed URLs").
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'invalid' | 'expired';

export class UrlSigner {
  constructor(
    private readonly secret: string | Uint8Array,
    /** Link lifetime, seconds. */
    readonly ttlSeconds: number,
    /** Clock, Unix seconds. */
    readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  signature(resource: string, expires: number | string): string {
    return createHmac('sha256', this.secret).update(`${resource}:${expires}`).digest('hex');
  }

  /** Query parameters for a link to `resource` that dies ttlSeconds from now. */
  sign(resource: string): { expires: number; signature: string } {
    const expires = this.nowSeconds() + this.ttlSeconds;
    return { expires, signature: this.signature(resource, expires) };
  }

  check(resource: string, expires: string | undefined, signature: string | undefined): LinkCheck {
    if (expires === undefined || signature === undefined || !/^\d{1,15}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return 'invalid';
    // The MAC covers the exact text received, so no two spellings of one expiry share a signature.
    const expected = Buffer.from(this.signature(resource, expires), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'invalid';
    return Number(expires) < this.nowSeconds() ? 'expired' : 'valid';
  }
}
