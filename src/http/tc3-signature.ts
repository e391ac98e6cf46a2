/**
 * Tencent Cloud API 3.0 signature v3 (`TC3-HMAC-SHA256`), verified on the server side (issue #15), so that Tencent's own
 * clients (tencentcloud-sdk-nodejs and its siblings), pointed at this service, authenticate unchanged.
 *
 * The scheme, as Tencent documents it ("Signature v3", e.g. https://tencentcloud.com/document/api/1150/49447) and as the
 * official Node SDK implements it (tencentcloud-sdk-nodejs tencentcloud/common/sign.js `sign3`):
 * 1. CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n
 *    hex(SHA-256(body)); CanonicalHeaders = `name:value\n` for each signed header, names and values lowercased and
 *    trimmed, sorted by name; SignedHeaders = the names joined with `;`. content-type and host must be signed.
 * 2. StringToSign = "TC3-HMAC-SHA256" \n X-TC-Timestamp \n `<date>/<service>/tc3_request` \n hex(SHA-256(CanonicalRequest)),
 *    date = the UTC day (YYYY-MM-DD) of X-TC-Timestamp.
 * 3. SecretDate = HMAC("TC3" + SecretKey, date); SecretService = HMAC(SecretDate, service);
 *    SecretSigning = HMAC(SecretService, "tc3_request"); Signature = hex(HMAC(SecretSigning, StringToSign)).
 * 4. Authorization: `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=<…>, Signature=<hex>`.
 *
 * Server-side choices, each with its reason:
 * - **Timestamp window:** ±TC3_MAX_SKEW_SECONDS, Tencent's "Timestamp and server time cannot differ by more than five
 *   minutes" (common error AuthFailure.SignatureExpire).
 * - **Host:** the official Node SDK signs the host name without the port (`new URL(url).hostname`) while sending
 *   `Host: name:port`; a client following the document literally signs what it sends. Tencent's endpoints never use a
 *   port, so both agree there; here the service usually listens on one, so both forms are accepted (two HMACs).
 * - **Service:** the credential scope's service is whatever the client derived from its endpoint (the SDK takes the
 *   endpoint's first label: `ess` for ess.tencentcloudapi.com, but `10` for 10.0.0.5). It is part of what is signed,
 *   so it is checked as signed; it is not required to be `ess`, because this service serves one product and a
 *   signature for another service name can only come from the same SecretKey.
 * - **Comparison:** constant-time (crypto.timingSafeEqual) on the 32-byte digests.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
/** Largest |X-TC-Timestamp − server time|, seconds (Tencent: five minutes). */
export const TC3_MAX_SKEW_SECONDS = 300;

/** Tencent's common error codes for a refused signature (API 3.0 "Error Codes", common error codes). */
export type Tc3FailureCode = 'AuthFailure.InvalidAuthorization' | 'AuthFailure.SignatureExpire' | 'AuthFailure.SecretIdNotFound' | 'AuthFailure.SignatureFailure';

/** Tencent's own descriptions of those codes (API 3.0 "Error Codes"), used as the Message. */
export const TC3_FAILURE_MESSAGES: Record<Tc3FailureCode, string> = {
  'AuthFailure.InvalidAuthorization': 'Authorization in the request header is invalid.',
  'AuthFailure.SignatureExpire':
    'Signature expired. Timestamp and server time cannot differ by more than five minutes. Please ensure your current local time matches the standard time.',
  'AuthFailure.SecretIdNotFound':
    'Key does not exist. Check if the key has been deleted or disabled in the console, and if not, check if the key is correctly entered. Note that whitespaces should not exist before or after the key.',
  'AuthFailure.SignatureFailure':
    'Invalid signature. Signature calculation error. Please ensure you’ve followed the signature calculation process described in the Signature API documentation.',
};

export class Tc3Failure extends Error {
  constructor(
    readonly code: Tc3FailureCode,
    detail?: string,
  ) {
    super(detail ? `${TC3_FAILURE_MESSAGES[code]} (${detail})` : TC3_FAILURE_MESSAGES[code]);
    this.name = 'Tc3Failure';
  }
}

export interface Tc3Authorization {
  secretId: string;
  /** YYYY-MM-DD, UTC. */
  date: string;
  service: string;
  /** Lowercase header names, in the order given. */
  signedHeaders: string[];
  /** 64 lowercase hex digits. */
  signature: string;
}

const AUTHORIZATION = /^TC3-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9-]+)\/tc3_request *, *SignedHeaders=([a-z0-9;-]+) *, *Signature=([0-9a-f]{64}) *$/;

/** Parses the Authorization header; AuthFailure.InvalidAuthorization when it is not a well-formed TC3 header. */
export function parseTc3Authorization(header: string | undefined): Tc3Authorization {
  const match = AUTHORIZATION.exec(header ?? '');
  if (!match) throw new Tc3Failure('AuthFailure.InvalidAuthorization', `expected "${TC3_ALGORITHM} Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=…, Signature=<64 hex>"`);
  const signedHeaders = match[4]!.split(';');
  if (!signedHeaders.includes('content-type') || !signedHeaders.includes('host') || signedHeaders.some((h) => h === '')) {
    throw new Tc3Failure('AuthFailure.InvalidAuthorization', 'SignedHeaders must include content-type and host');
  }
  return { secretId: match[1]!, date: match[2]!, service: match[3]!, signedHeaders, signature: match[5]! };
}

/** The request as the signature sees it. */
export interface Tc3Request {
  method: string;
  /** URL path, e.g. "/". */
  path: string;
  /** Query string without the "?", as sent ("" when none). */
  query: string;
  /** A request header's value, by case-insensitive name. */
  header(name: string): string | undefined;
  body: Uint8Array;
}

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The UTC day of a Unix timestamp (seconds), YYYY-MM-DD. */
export function tc3Date(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * The signature (raw 32 bytes) of `request` under `secretKey`, with the header values `headerValues` (lowercase names →
 * values as they are to be signed).
 */
export function tc3Signature(
  request: Pick<Tc3Request, 'method' | 'path' | 'query' | 'body'>,
  signed: { names: readonly string[]; values: Readonly<Record<string, string>> },
  scope: { timestamp: string; date: string; service: string },
  secretKey: string,
): Buffer {
  const sorted = [...signed.names].sort();
  const canonicalHeaders = sorted.map((name) => `${name}:${(signed.values[name] ?? '').trim().toLowerCase()}\n`).join('');
  const canonicalRequest = [request.method.toUpperCase(), request.path, request.query, canonicalHeaders, sorted.join(';'), sha256Hex(request.body)].join('\n');
  const stringToSign = [TC3_ALGORITHM, scope.timestamp, `${scope.date}/${scope.service}/tc3_request`, sha256Hex(canonicalRequest)].join('\n');
  const secretDate = hmac(`TC3${secretKey}`, scope.date);
  const secretService = hmac(secretDate, scope.service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return hmac(secretSigning, stringToSign);
}

/**
 * Verifies a TC3-signed request; returns the SecretId (this service's appId) it was signed for. Throws Tc3Failure with
 * Tencent's code: InvalidAuthorization (malformed header or X-TC-Timestamp), SignatureExpire (outside the window, or
 * a credential date that is not the timestamp's day), SecretIdNotFound (no app with that id holds a secret),
 * SignatureFailure (the signature does not match).
 * `secretOf`: the app's secret key, undefined when the app is unknown or stores only a key hash.
 */
export function verifyTc3(request: Tc3Request, secretOf: (secretId: string) => string | undefined, nowMs: number): string {
  const authorization = parseTc3Authorization(request.header('authorization'));
  const timestampText = request.header('x-tc-timestamp')?.trim() ?? '';
  if (!/^\d{1,12}$/.test(timestampText)) throw new Tc3Failure('AuthFailure.InvalidAuthorization', 'X-TC-Timestamp must be the signing time in Unix seconds');
  const timestamp = Number(timestampText);
  if (Math.abs(nowMs / 1000 - timestamp) > TC3_MAX_SKEW_SECONDS) throw new Tc3Failure('AuthFailure.SignatureExpire');
  if (authorization.date !== tc3Date(timestamp)) throw new Tc3Failure('AuthFailure.SignatureFailure', 'the credential date is not the UTC day of X-TC-Timestamp');
  const secretKey = secretOf(authorization.secretId);
  if (secretKey === undefined) throw new Tc3Failure('AuthFailure.SecretIdNotFound');
  const values: Record<string, string> = {};
  for (const name of authorization.signedHeaders) values[name] = request.header(name) ?? '';
  const given = Buffer.from(authorization.signature, 'hex');
  const scope = { timestamp: timestampText, date: authorization.date, service: authorization.service };
  const names = authorization.signedHeaders;
  // The Host as sent, then without its port (see the module comment).
  const hosts = [values.host ?? ''];
  const withoutPort = hosts[0]!.replace(/:\d+$/, '');
  if (withoutPort !== hosts[0]) hosts.push(withoutPort);
  let matched = false;
  for (const host of hosts) {
    const expected = tc3Signature(request, { names, values: { ...values, host } }, scope, secretKey);
    // Both are SHA-256 digests (32 bytes): timingSafeEqual needs equal lengths, which the header regex guarantees.
    if (timingSafeEqual(expected, given)) matched = true;
  }
  if (!matched) throw new Tc3Failure('AuthFailure.SignatureFailure');
  return authorization.secretId;
}
