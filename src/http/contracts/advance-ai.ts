/**
 * ADVANCE.AI-style wire format (pure, no HTTP objects) for the token endpoint and the liveness Get Video API.
 *
 * Sources: Get Video API (https://doc-center-acmp.advance.ai/docs/ld-get-video-api): `GET
 * /liveness/ext/v1/get-video?livenessId=…|signatureId=…` with `X-ACCESS-TOKEN`; data `{videoUrl, videoCreateTime}`,
 * the link "will be expired in 1 day"; `pricingStrategy` "Deprecated, Always return FREE"; codes SUCCESS "OK",
 * PARAMETER_ERROR "Parameter error, please check you input." (sic), ERROR "Server error"; the other codes' messages as
 * the document's "Response Code" table and examples give them (../shared/seeds/advance-ai-get-video.txt: the table's
 * PARAMETER_ERROR message is used, the example body's longer variant is not). Token Authentication
 * (POST /openapi/auth/ticket/v1/generate-token, as transcribed in api-evangelist/advanceai
 * openapi/advanceai-authentication-api-openapi.yml): `{accessKey, signature, timestamp, periodSecond}`, periodSecond
 * default 3600, min 60, max 86400; errors PARAMETER_ERROR "Parameter should not be empty" / "Timestamp error" /
 * "Signature error", ACCOUNT_DISABLED "Account Disabled"; data `{token, expiredTime}` (epoch ms). Every response is
 * HTTP 200 and `code` carries the outcome (the same transcription's overlay: "Every response is HTTP 200, including
 * authentication failure").
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

export type AdvanceCode =
  | 'SUCCESS'
  | 'PARAMETER_ERROR'
  | 'LIVENESS_ID_NOT_EXIST'
  | 'SIGNATURE_ID_NOT_EXIST'
  | 'VIDEO_NOT_FOUND'
  | 'IAM_FAILED'
  | 'ACCOUNT_DISABLED'
  | 'ERROR';

/** Default message per code (documented ones verbatim, see the module comment). */
export const ADVANCE_MESSAGES: Record<AdvanceCode, string> = {
  SUCCESS: 'OK',
  PARAMETER_ERROR: 'Parameter error, please check you input.',
  LIVENESS_ID_NOT_EXIST: 'Liveness Id not exist',
  SIGNATURE_ID_NOT_EXIST: 'SignatureId is not exist',
  VIDEO_NOT_FOUND: 'The requested resource was not found or has been deleted',
  IAM_FAILED: 'Access denied due to identity or access management certification failed',
  ACCOUNT_DISABLED: 'Account Disabled',
  ERROR: 'Server error',
};

/**
 * A non-SUCCESS outcome of an ADVANCE.AI-style endpoint: `message` is the document's for the code (callers branch on
 * `code`); what went wrong in this request goes to `extra`, the document's "Extra response info (Exception Message)".
 */
export class AdvanceApiError extends Error {
  constructor(
    readonly code: Exclude<AdvanceCode, 'SUCCESS'>,
    message: string = ADVANCE_MESSAGES[code],
    readonly extra: string | null = null,
  ) {
    super(message);
    this.name = 'AdvanceApiError';
  }
}

export interface AdvanceEnvelope<T> {
  code: AdvanceCode;
  message: string;
  data: T | null;
  extra: string | null;
  /** The request id, ≤ 64 characters (16 hex here, like ADVANCE.AI's examples). */
  transactionId: string;
  pricingStrategy: 'FREE';
}

export const newTransactionId = () => randomBytes(8).toString('hex');

export function advanceEnvelope<T>(code: AdvanceCode, data: T | null, transactionId: string, message: string = ADVANCE_MESSAGES[code], extra: string | null = null): AdvanceEnvelope<T> {
  return { code, message, data, extra, transactionId, pricingStrategy: 'FREE' };
}

/** ADVANCE.AI's token lifetime bounds, seconds (periodSecond: default 3600, 60–86400). */
export const TOKEN_PERIOD_SECONDS = { min: 60, max: 86_400, default: 3600 } as const;
/** ADVANCE.AI: the timestamp should be "within 300 seconds of now". */
export const TOKEN_TIMESTAMP_SKEW_MS = 300_000;
/** The Get Video link lifetime: "will be expired in 1 day". */
export const VIDEO_LINK_TTL_SECONDS = 86_400;

/** A whole number of milliseconds (or seconds for periodSecond), as a JSON number or a string of digits: ADVANCE.AI's
 * examples send both. The text is kept: the signature covers the timestamp as the client wrote it. */
const digits = (name: string) =>
  z.union([z.number().int().nonnegative().transform(String), z.string().regex(/^\d{1,16}$/, `${name} must be a whole number`)]);

/**
 * Token request: `{accessKey, signature, timestamp, periodSecond}` with signature = hex(SHA-256(accessKey + secretKey +
 * timestamp)) (ADVANCE.AI Token Authentication), accessKey = the app's appId, secretKey = its appKey; verifying it needs
 * the app's key held encrypted in APPS_FILE (http/apps.ts). Extension, documented in the README: `secretKey` (the
 * appKey itself, over TLS) instead of `signature`, for apps stored as a key hash only. Exactly one of the two.
 */
export const generateTokenSchema = z
  .object({
    accessKey: z.string().min(1),
    signature: z.string().regex(/^[0-9a-fA-F]{64}$/, 'signature must be 64 hex digits (SHA-256)').optional(),
    secretKey: z.string().min(1).optional(),
    timestamp: digits('timestamp'),
    periodSecond: digits('periodSecond')
      .transform(Number)
      .pipe(z.number().min(TOKEN_PERIOD_SECONDS.min).max(TOKEN_PERIOD_SECONDS.max))
      .default(TOKEN_PERIOD_SECONDS.default),
  })
  .refine((r) => (r.signature === undefined) !== (r.secretKey === undefined), { message: 'send signature (or, as an extension, secretKey), not both' });

/** ADVANCE.AI's token signature: lowercase hex SHA-256 of accessKey + secretKey + timestamp (UTF-8). */
export function advanceTokenSignature(accessKey: string, secretKey: string, timestamp: string): string {
  return createHash('sha256').update(accessKey + secretKey + timestamp, 'utf8').digest('hex');
}

/** Which Get Video lookup the query asks for: exactly one of livenessId / signatureId, non-empty, ≤ 255 characters. */
export function parseGetVideoQuery(query: { livenessId?: string | undefined; signatureId?: string | undefined }): { livenessId: string } | { signatureId: string } {
  const ok = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && v.length <= 255;
  const [liveness, signature] = [ok(query.livenessId), ok(query.signatureId)];
  if (liveness === signature) throw new AdvanceApiError('PARAMETER_ERROR', undefined, 'send exactly one of livenessId and signatureId');
  return liveness ? { livenessId: query.livenessId! } : { signatureId: query.signatureId! };
}
