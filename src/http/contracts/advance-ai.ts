/**
 * ADVANCE.AI-style wire format (pure, no HTTP objects) for the token endpoint and the liveness Get Video API.
 *
 * Sources: Get Video API (https://doc-center-acmp.advance.ai/docs/ld-get-video-api): `GET
 * /liveness/ext/v1/get-video?livenessId=…|signatureId=…` with `X-ACCESS-TOKEN`; data `{videoUrl, videoCreateTime}`,
 * the link "will be expired in 1 day"; `pricingStrategy` "Deprecated, Always return FREE"; codes SUCCESS "OK",
 * PARAMETER_ERROR "Parameter error, please check you input." (sic), ERROR "Server error". Token Authentication
 * (POST /openapi/auth/ticket/v1/generate-token, as transcribed in api-evangelist/advanceai
 * openapi/advanceai-authentication-api-openapi.yml): `{accessKey, signature, timestamp, periodSecond}`, periodSecond
 * default 3600, min 60, max 86400; errors PARAMETER_ERROR "Parameter should not be empty" / "Timestamp error" /
 * "Signature error", ACCOUNT_DISABLED "Account Disabled"; data `{token, expiredTime}` (epoch ms). Every response is
 * HTTP 200 and `code` carries the outcome (the same transcription's overlay: "Every response is HTTP 200, including
 * authentication failure"). The messages of LIVENESS_ID_NOT_EXIST, SIGNATURE_ID_NOT_EXIST, VIDEO_NOT_FOUND and
 * IAM_FAILED were not in the documentation excerpts available here; ours say what happened (ADVANCE.AI itself
 * advises branching on `code`, never on `message`).
 */
import { randomBytes } from 'node:crypto';
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
  LIVENESS_ID_NOT_EXIST: 'The livenessId does not exist',
  SIGNATURE_ID_NOT_EXIST: 'The signatureId does not exist',
  VIDEO_NOT_FOUND: 'Video not found: it was never recorded, was deleted, or has expired',
  IAM_FAILED: 'IAM failed: the X-ACCESS-TOKEN is missing, invalid or expired',
  ACCOUNT_DISABLED: 'Account Disabled',
  ERROR: 'Server error',
};

/** A non-SUCCESS outcome of an ADVANCE.AI-style endpoint. */
export class AdvanceApiError extends Error {
  constructor(
    readonly code: Exclude<AdvanceCode, 'SUCCESS'>,
    message: string = ADVANCE_MESSAGES[code],
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

export function advanceEnvelope<T>(code: AdvanceCode, data: T | null, transactionId: string, message: string = ADVANCE_MESSAGES[code]): AdvanceEnvelope<T> {
  return { code, message, data, extra: null, transactionId, pricingStrategy: 'FREE' };
}

/** ADVANCE.AI's token lifetime bounds, seconds (periodSecond: default 3600, 60–86400). */
export const TOKEN_PERIOD_SECONDS = { min: 60, max: 86_400, default: 3600 } as const;
/** ADVANCE.AI: the timestamp should be "within 300 seconds of now". */
export const TOKEN_TIMESTAMP_SKEW_MS = 300_000;
/** The Get Video link lifetime: "will be expired in 1 day". */
export const VIDEO_LINK_TTL_SECONDS = 86_400;

/**
 * Token request. ADVANCE.AI's `signature` is sha256(accessKey + secretKey + timestamp), which a server can only check
 * knowing the secret; this service keeps only the SHA-256 of each appKey (http/apps.ts), so the caller sends
 * `secretKey` (its appKey, over TLS) instead of `signature`. accessKey = the app's appId.
 */
export const generateTokenSchema = z.object({
  accessKey: z.string().min(1),
  secretKey: z.string().min(1),
  timestamp: z.number().int().positive(),
  periodSecond: z.number().int().min(TOKEN_PERIOD_SECONDS.min).max(TOKEN_PERIOD_SECONDS.max).default(TOKEN_PERIOD_SECONDS.default),
});

/** Which Get Video lookup the query asks for: exactly one of livenessId / signatureId, non-empty, ≤ 255 characters. */
export function parseGetVideoQuery(query: { livenessId?: string | undefined; signatureId?: string | undefined }): { livenessId: string } | { signatureId: string } {
  const ok = (v: string | undefined): v is string => v !== undefined && v.trim() !== '' && v.length <= 255;
  const [liveness, signature] = [ok(query.livenessId), ok(query.signatureId)];
  if (liveness === signature) throw new AdvanceApiError('PARAMETER_ERROR', `${ADVANCE_MESSAGES.PARAMETER_ERROR} Send exactly one of livenessId and signatureId.`);
  return liveness ? { livenessId: query.livenessId! } : { signatureId: query.signatureId! };
}
