import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UrlSigner } from './signed-url.js';

describe('UrlSigner', () => {
  let now = 1_000;
  const signer = new UrlSigner('s'.repeat(32), 60, () => now);

  it('signs hex HMAC-SHA256 over "<resource>:<expires>"', () => {
    const { expires, signature } = signer.sign('croppedImage/abc');
    expect(expires).toBe(1060);
    expect(signature).toBe(createHmac('sha256', 's'.repeat(32)).update('croppedImage/abc:1060').digest('hex'));
  });

  it('checks signature, then expiry', () => {
    const { expires, signature } = signer.sign('r');
    expect(signer.check('r', String(expires), signature)).toBe('valid');
    expect(signer.check('other', String(expires), signature)).toBe('invalid');
    expect(signer.check('r', String(expires + 1), signature)).toBe('invalid');
    expect(signer.check('r', `0${expires}`, signature)).toBe('invalid');
    expect(signer.check('r', String(expires), signature.toUpperCase())).toBe('invalid');
    expect(signer.check('r', String(expires), signature.slice(2))).toBe('invalid');
    expect(signer.check('r', undefined, signature)).toBe('invalid');
    expect(signer.check('r', '-5', signature)).toBe('invalid');
    now = expires;
    expect(signer.check('r', String(expires), signature)).toBe('valid');
    now = expires + 1;
    expect(signer.check('r', String(expires), signature)).toBe('expired');
  });

  it('links from another secret are invalid', () => {
    now = 0;
    const { expires, signature } = new UrlSigner('t'.repeat(32), 60, () => 0).sign('r');
    expect(signer.check('r', String(expires), signature)).toBe('invalid');
  });
});
