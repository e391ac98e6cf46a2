import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseTc3Authorization, tc3Date, type Tc3Request, tc3Signature, verifyTc3 } from './tc3-signature.js';

// The official SDK's signer, unmodified, as the oracle: what it signs must verify here.
const require = createRequire(import.meta.url);
const Sign = require('tencentcloud-sdk-nodejs/tencentcloud/common/sign.js').default as {
  sign3(args: { method: string; url: string; payload: unknown; timestamp: number; service: string; secretId: string; secretKey: string; headers: Record<string, string> }): string;
};

const SECRET_ID = 'app-one';
const SECRET_KEY = 'k3y-0f-app-one-with-192-bits-xxxxxxxx';
const NOW_S = 1_764_547_200; // 2025-12-01T00:00:00Z
const secrets = (id: string) => (id === SECRET_ID ? SECRET_KEY : undefined);

/** A request as tencentcloud-sdk-nodejs sends it (http_connection.js doRequestWithSign3), signed by its Sign.sign3. */
function sdkRequest(overrides: { secretKey?: string; timestamp?: number; body?: unknown; port?: number } = {}) {
  const port = overrides.port ?? 8080;
  const url = `http://ess.example.test:${port}/`;
  const payload = overrides.body ?? { Operator: { UserId: 'u1' }, FlowId: 'f1', SignId: 'ses_1' };
  const timestamp = overrides.timestamp ?? NOW_S;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Host: `ess.example.test:${port}`, 'X-TC-Action': 'DescribeSignFaceVideo', 'X-TC-Timestamp': String(timestamp), 'X-TC-Version': '2020-11-11' };
  headers.Authorization = Sign.sign3({ method: 'POST', url, payload, timestamp, service: 'ess', secretId: SECRET_ID, secretKey: overrides.secretKey ?? SECRET_KEY, headers });
  return toRequest(headers, JSON.stringify(payload));
}

function toRequest(headers: Record<string, string>, body: string): Tc3Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', path: '/', query: '', header: (name) => lower[name.toLowerCase()], body: new TextEncoder().encode(body) };
}

const failure = (request: Tc3Request, nowMs = NOW_S * 1000) => {
  try {
    verifyTc3(request, secrets, nowMs);
    return 'verified';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

describe('TC3-HMAC-SHA256 verification against the official SDK signer', () => {
  it('verifies what tencentcloud-sdk-nodejs signs, and names the SecretId', () => {
    expect(verifyTc3(sdkRequest(), secrets, NOW_S * 1000)).toBe(SECRET_ID);
    // Four minutes either way is inside Tencent's five.
    expect(verifyTc3(sdkRequest(), secrets, (NOW_S + 240) * 1000)).toBe(SECRET_ID);
    expect(verifyTc3(sdkRequest(), secrets, (NOW_S - 240) * 1000)).toBe(SECRET_ID);
  });

  it('refuses a wrong key, a changed body, a changed signed header: AuthFailure.SignatureFailure', () => {
    expect(failure(sdkRequest({ secretKey: `${SECRET_KEY}x` }))).toBe('AuthFailure.SignatureFailure');
    const good = sdkRequest();
    expect(failure({ ...good, body: new TextEncoder().encode('{"Operator":{"UserId":"u2"},"FlowId":"f1","SignId":"ses_1"}') })).toBe('AuthFailure.SignatureFailure');
    expect(failure({ ...good, header: (n) => (n.toLowerCase() === 'content-type' ? 'text/plain' : good.header(n)) })).toBe('AuthFailure.SignatureFailure');
    expect(failure({ ...good, header: (n) => (n.toLowerCase() === 'host' ? 'other.example.test:8080' : good.header(n)) })).toBe('AuthFailure.SignatureFailure');
    expect(failure({ ...good, method: 'PUT' })).toBe('AuthFailure.SignatureFailure');
  });

  it('refuses a timestamp more than five minutes off: AuthFailure.SignatureExpire', () => {
    expect(failure(sdkRequest(), (NOW_S + 301) * 1000)).toBe('AuthFailure.SignatureExpire');
    expect(failure(sdkRequest(), (NOW_S - 301) * 1000)).toBe('AuthFailure.SignatureExpire');
  });

  it('refuses an unknown SecretId, and one that stores no secret: AuthFailure.SecretIdNotFound', () => {
    expect(() => verifyTc3(sdkRequest(), () => undefined, NOW_S * 1000)).toThrow(expect.objectContaining({ code: 'AuthFailure.SecretIdNotFound' }));
  });

  it('refuses a malformed Authorization or X-TC-Timestamp: AuthFailure.InvalidAuthorization', () => {
    const good = sdkRequest();
    const withHeader = (name: string, value: string | undefined): Tc3Request => ({ ...good, header: (n) => (n.toLowerCase() === name ? value : good.header(n)) });
    for (const value of [undefined, '', 'Bearer abc', 'TC3-HMAC-SHA256 Credential=app-one/2025-12-01/ess/tc3_request, SignedHeaders=content-type;host, Signature=zz']) {
      expect(failure(withHeader('authorization', value)), String(value)).toBe('AuthFailure.InvalidAuthorization');
    }
    // content-type and host must be signed (Tencent: "at least host and content-type").
    expect(failure(withHeader('authorization', good.header('authorization')!.replace('SignedHeaders=content-type;host', 'SignedHeaders=host')))).toBe('AuthFailure.InvalidAuthorization');
    expect(failure(withHeader('x-tc-timestamp', 'yesterday'))).toBe('AuthFailure.InvalidAuthorization');
    expect(failure(withHeader('x-tc-timestamp', undefined))).toBe('AuthFailure.InvalidAuthorization');
  });

  it('refuses a credential date that is not the timestamp\'s UTC day', () => {
    const good = sdkRequest();
    const auth = good.header('authorization')!.replace(`/${tc3Date(NOW_S)}/`, '/2025-11-30/');
    expect(failure({ ...good, header: (n) => (n.toLowerCase() === 'authorization' ? auth : good.header(n)) })).toBe('AuthFailure.SignatureFailure');
  });

  it('accepts a client that signs the Host header as sent, port included (the document, read literally)', () => {
    // tc3Signature is the function the SDK-signed requests above verify with; here it signs "host:name:port".
    const body = new TextEncoder().encode('{"a":1}');
    const values = { 'content-type': 'application/json', host: 'ess.example.test:8080' };
    const signature = tc3Signature({ method: 'POST', path: '/', query: '', body }, { names: ['content-type', 'host'], values }, { timestamp: String(NOW_S), date: tc3Date(NOW_S), service: 'ess' }, SECRET_KEY);
    const headers = {
      'Content-Type': 'application/json',
      Host: 'ess.example.test:8080',
      'X-TC-Timestamp': String(NOW_S),
      Authorization: `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${tc3Date(NOW_S)}/ess/tc3_request, SignedHeaders=content-type;host, Signature=${signature.toString('hex')}`,
    };
    expect(verifyTc3(toRequest(headers, '{"a":1}'), secrets, NOW_S * 1000)).toBe(SECRET_ID);
  });

  it('parses the header into its parts', () => {
    expect(parseTc3Authorization(`TC3-HMAC-SHA256 Credential=AKIDz8/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=${'ab'.repeat(32)}`)).toEqual({
      secretId: 'AKIDz8',
      date: '2019-02-25',
      service: 'cvm',
      signedHeaders: ['content-type', 'host'],
      signature: 'ab'.repeat(32),
    });
  });
});
