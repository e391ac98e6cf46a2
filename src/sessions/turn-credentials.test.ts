/**
 * Per-call TURN credentials in coturn's REST API scheme (draft-uberti-behave-turn-rest-00 §2.2), checked against HMAC
 * computations that do not go through turn-credentials.ts: a vector made with Python's hmac module, and WebCrypto's
 * HMAC-SHA-1 for random secrets and user ids.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TurnSettings } from '../config.js';
import { turnIceServer } from './turn-credentials.js';

const SECRET = 'coturn-static-auth-secret-0123456789abcdef';

/** base64(HMAC-SHA1(secret, username)) with WebCrypto (W3C Web Cryptography API, HMAC), not node:crypto's createHmac. */
async function webCryptoCredential(secret: string, username: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  return Buffer.from(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(username))).toString('base64');
}

describe('turnIceServer', () => {
  it('makes `<expiry>:<user id>` and base64(HMAC-SHA1(secret, username)), as coturn checks them', () => {
    const turn = new TurnSettings(['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], SECRET, 2100);
    // 2026-12-01T11:25:00Z + 2100 s = 1796126400 (the 400 ms are dropped: whole seconds).
    const server = turnIceServer(turn, 'call_0f8c-person', Date.parse('2026-12-01T11:25:00.400Z'));
    expect(server).toEqual({
      urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'],
      username: '1796126400:call_0f8c-person',
      // python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b'coturn-static-auth-secret-0123456789abcdef', b'1796126400:call_0f8c-person', hashlib.sha1).digest()).decode())"
      credential: 'orD/m1vZ0lp9Dsur4QZfauRcBac=',
    });
  });

  it('agrees with WebCrypto for random secrets and ids; the expiry is now + the lifetime, in Unix seconds', async () => {
    for (let i = 0; i < 20; i++) {
      const secret = randomBytes(24).toString('base64url');
      const ttl = 60 + i * 97;
      const now = 1_796_000_000_000 + i * 12_345;
      const id = `call_${randomBytes(8).toString('hex')}-${i % 2 === 0 ? 'person' : 'agent'}`;
      const server = turnIceServer(new TurnSettings(['turn:t.example.com'], secret, ttl), id, now);
      expect(server.username).toBe(`${Math.floor(now / 1000) + ttl}:${id}`);
      expect(server.credential).toBe(await webCryptoCredential(secret, server.username));
    }
  });

  it('gives each side of each call its own credentials, and a different secret different ones', () => {
    const turn = new TurnSettings(['turn:t.example.com'], SECRET, 2100);
    const now = Date.parse('2026-12-01T10:25:00Z');
    const credentials = ['call_1-person', 'call_1-agent', 'call_2-person'].map((id) => turnIceServer(turn, id, now).credential);
    expect(new Set(credentials).size).toBe(3);
    expect(turnIceServer(new TurnSettings(['turn:t.example.com'], `${SECRET}x`, 2100), 'call_1-person', now).credential).not.toBe(credentials[0]);
  });

  it('refuses a user id with coturn’s separator in it (the username would be read with another expiry)', () => {
    expect(() => turnIceServer(new TurnSettings(['turn:t.example.com'], SECRET, 2100), 'call:1', 0)).toThrow(RangeError);
  });
});
