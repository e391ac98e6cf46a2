/**
 * OpenAPI 3.1 paths of the two read-only facades over the sessions store (README "Recorded video"), merged into the
 * document by openapi.ts:
 * - ADVANCE.AI's token endpoint and Get Video API (routes/advance-get-video.ts, contracts/advance-ai.ts). Wire format:
 *   ../shared/seeds/advance-ai-get-video.txt ("Request Header Parameters", "Request Parameters", "Response
 *   Description", "Response Code"); every answer is HTTP 200 with the outcome in `code`.
 * - Tencent Cloud ESS DescribeSignFaceVideo (routes/tencent-ess.ts, contracts/tencent-ess.ts). Wire format:
 *   ../shared/seeds/tencent-ess-describe-sign-face-video.txt (输入参数 / 输出参数 / 错误码: the input and output
 *   parameters, the error codes); Tencent Cloud API 3.0 answers HTTP 200 with `Response.Error` on failure.
 * The codes and messages come from the contracts modules, so the document cannot drift from what is sent.
 */
import { ADVANCE_MESSAGES, type AdvanceCode, TOKEN_PERIOD_SECONDS, TOKEN_TIMESTAMP_SKEW_MS, VIDEO_LINK_TTL_SECONDS } from './contracts/advance-ai.js';
import { DEFAULT_REQUESTS_PER_SECOND, DESCRIBE_SIGN_FACE_VIDEO, ESS_API_VERSION, FACE_VIDEO_RETENTION_MS, type TencentErrorCode } from './contracts/tencent-ess.js';
import { TC3_MAX_SKEW_SECONDS } from './tc3-signature.js';
import { jsonBody, str } from './openapi-parts.js';


/** `code: message` for each code, as the document's "Response Code" table gives them (ADVANCE_MESSAGES). */
const advanceCodes = (codes: readonly AdvanceCode[]) => ({
  type: 'string',
  enum: codes,
  description: `The outcome (callers branch on it): ${codes.map((code) => `${code} "${ADVANCE_MESSAGES[code]}"`).join('; ')}`,
});

/** ADVANCE.AI's response envelope ("Response Description") around `data`, for the codes an endpoint answers. */
const advanceEnvelope = (description: string, codes: readonly AdvanceCode[], data: Record<string, unknown>) => ({
  200: {
    description,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['code', 'message', 'data', 'extra', 'transactionId', 'pricingStrategy'],
          properties: {
            code: advanceCodes(codes),
            message: { ...str, description: "The document's message for the code, word for word" },
            data: { oneOf: [data, { type: 'null' }], description: 'null unless code is SUCCESS' },
            extra: { type: ['string', 'null'], description: 'Extra response info (Exception Message): what was wrong in this request; null on SUCCESS' },
            transactionId: { ...str, maxLength: 64, description: 'The request id (16 hex digits here)' },
            pricingStrategy: { const: 'FREE', description: 'Deprecated, always FREE' },
          },
        },
      },
    },
  },
});

/**
 * Every TencentErrorCode the facade answers with. The `satisfies` and the check below make the compiler list any code
 * added to the contract but not here.
 */
const TENCENT_ERROR_CODES = [
  'AuthFailure',
  'AuthFailure.InvalidAuthorization',
  'AuthFailure.SignatureExpire',
  'AuthFailure.SecretIdNotFound',
  'AuthFailure.SignatureFailure',
  'NoSuchVersion',
  'FailedOperation',
  'InvalidParameterValue',
  'MissingParameter',
  'OperationDenied',
  'ResourceNotFound',
  'RequestLimitExceeded',
  'RequestSizeLimitExceeded',
  'InvalidAction',
  'InternalError',
] as const satisfies readonly TencentErrorCode[];
const everyTencentCodeListed: Exclude<TencentErrorCode, (typeof TENCENT_ERROR_CODES)[number]> extends never ? true : never = true;
void everyTencentCodeListed;

const tencentSuccess = {
  type: 'object',
  required: ['Response'],
  properties: {
    Response: {
      type: 'object',
      required: ['VideoData', 'IntentionQuestionResult', 'IntentionActionResult', 'RequestId'],
      properties: {
        VideoData: {
          type: 'object',
          required: ['LiveNessVideo'],
          description: 'DetectInfoVideoData: the face video',
          properties: { LiveNessVideo: { ...str, contentEncoding: 'base64', description: 'The stored recording (the session video), base64' } },
        },
        IntentionQuestionResult: { type: 'null', description: 'Always null: the question-and-answer mode needs speech recognition, which is not embedded' },
        IntentionActionResult: {
          description: 'The "nod to confirm" result (src/pipeline/nod.ts on the head pitch measured at processing); null until the session was processed. The Detail fields are ours, in Tencent\'s naming style',
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['Details'],
              properties: {
                Details: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['NodDetected', 'NodCount', 'Nods'],
                    properties: {
                      NodDetected: { type: 'boolean' },
                      NodCount: { type: 'integer', minimum: 0 },
                      Nods: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['StartSeconds', 'PeakSeconds', 'EndSeconds', 'AmplitudeDeg'],
                          properties: {
                            StartSeconds: { type: 'number', description: 'seconds from the start of the video' },
                            PeakSeconds: { type: 'number', description: 'seconds from the start of the video' },
                            EndSeconds: { type: 'number', description: 'seconds from the start of the video' },
                            AmplitudeDeg: { type: 'number', description: 'head pitch amplitude, degrees, one decimal' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
        RequestId: { ...str, description: 'Unique per request (a UUID here)' },
      },
    },
  },
};

const tencentError = {
  type: 'object',
  required: ['Response'],
  properties: {
    Response: {
      type: 'object',
      required: ['Error', 'RequestId'],
      properties: {
        Error: {
          type: 'object',
          required: ['Code', 'Message'],
          properties: { Code: { type: 'string', enum: TENCENT_ERROR_CODES }, Message: str },
        },
        RequestId: str,
      },
    },
  },
};

export function facadePaths(): Record<string, unknown> {
  return {
    '/openapi/auth/ticket/v1/generate-token': {
      post: {
        operationId: 'advanceGenerateToken',
        tags: ['ADVANCE.AI Get Video'],
        summary: "ADVANCE.AI Token Authentication: an X-ACCESS-TOKEN for Get Video, for an app whose key is held encrypted (APPS_FILE)",
        description:
          'accessKey = the appId; signature = hex(SHA-256(accessKey + secretKey + timestamp)) with secretKey = the appKey. Extension for apps stored as a key hash only: `secretKey` (the appKey itself, over TLS) instead of `signature`; exactly one of the two. Every answer is HTTP 200; the outcome is in `code`.',
        requestBody: jsonBody({
          type: 'object',
          required: ['accessKey', 'timestamp'],
          properties: {
            accessKey: { ...str, minLength: 1, description: 'The appId' },
            signature: { ...str, pattern: '^[0-9a-fA-F]{64}$', description: 'hex SHA-256 of accessKey + secretKey + timestamp (as the timestamp was written)' },
            secretKey: { ...str, minLength: 1, description: 'Extension: the appKey itself, instead of signature' },
            timestamp: {
              oneOf: [{ type: 'integer', minimum: 0 }, { ...str, pattern: '^\\d{1,16}$' }],
              description: `Epoch milliseconds, within ${TOKEN_TIMESTAMP_SKEW_MS / 1000} s of the server clock`,
            },
            periodSecond: {
              oneOf: [
                { type: 'integer', minimum: TOKEN_PERIOD_SECONDS.min, maximum: TOKEN_PERIOD_SECONDS.max },
                { ...str, pattern: '^\\d{1,16}$' },
              ],
              default: TOKEN_PERIOD_SECONDS.default,
              description: `Token lifetime, seconds (${TOKEN_PERIOD_SECONDS.min}–${TOKEN_PERIOD_SECONDS.max})`,
            },
          },
        }),
        responses: advanceEnvelope(
          'Always 200. PARAMETER_ERROR: empty or malformed body ("Parameter should not be empty"), timestamp off ("Timestamp error"), a signature that does not match or an unknown app ("Signature error"); ACCOUNT_DISABLED: a suspended app',
          ['SUCCESS', 'PARAMETER_ERROR', 'ACCOUNT_DISABLED', 'ERROR'],
          {
            type: 'object',
            required: ['token', 'expiredTime'],
            properties: { token: { ...str, description: 'Send it as X-ACCESS-TOKEN' }, expiredTime: { type: 'integer', description: 'When the token expires, epoch milliseconds' } },
          },
        ),
      },
    },
    '/liveness/ext/v1/get-video': {
      get: {
        operationId: 'advanceGetVideo',
        tags: ['ADVANCE.AI Get Video'],
        summary: "ADVANCE.AI Get Video: a link to a session's recorded video",
        description:
          "livenessId = the session id (`ses_…`); signatureId = the session's external_id (the app's newest session with it). Exactly one of the two. Only the token's app's sessions are visible. Every answer is HTTP 200; the outcome is in `code`.",
        security: [{ advanceAccessToken: [] }],
        parameters: [
          { name: 'livenessId', in: 'query', required: false, schema: { ...str, maxLength: 255 }, description: 'The session id' },
          { name: 'signatureId', in: 'query', required: false, schema: { ...str, maxLength: 255 }, description: "The session's external_id" },
        ],
        responses: advanceEnvelope(
          'Always 200. PARAMETER_ERROR: neither or both ids; IAM_FAILED: X-ACCESS-TOKEN missing, forged or expired, or the app may not call sessions; VIDEO_NOT_FOUND: not recorded, deleted or past retention',
          ['SUCCESS', 'PARAMETER_ERROR', 'LIVENESS_ID_NOT_EXIST', 'SIGNATURE_ID_NOT_EXIST', 'VIDEO_NOT_FOUND', 'IAM_FAILED', 'ERROR'],
          {
            type: 'object',
            required: ['videoUrl', 'videoCreateTime'],
            properties: {
              videoUrl: { ...str, format: 'uri', description: `The sessions API's signed download link (GET /v1/sessions/{id}/video/download, HTTP Range), valid ${VIDEO_LINK_TTL_SECONDS / 3600} hours` },
              videoCreateTime: { type: 'integer', description: 'When the video was uploaded, epoch milliseconds' },
            },
          },
        ),
      },
    },
    '/': {
      post: {
        operationId: 'describeSignFaceVideo',
        tags: ['Tencent ESS DescribeSignFaceVideo'],
        summary: `Tencent Cloud ESS ${DESCRIBE_SIGN_FACE_VIDEO} (version ${ESS_API_VERSION}): a session's recorded face video, base64, and the nod check`,
        description: `FlowId = the session's external_id, SignId = the session id; both must name the same session of the caller's app (anything else is ResourceNotFound). Signed with Tencent Cloud API 3.0 signature v3 (TC3-HMAC-SHA256) with SecretId = the appId and SecretKey = the appKey (held encrypted in APPS_FILE), so Tencent's SDKs work unchanged; extension: \`Authorization: Bearer <appKey>\`. At most ${DEFAULT_REQUESTS_PER_SECOND} requests per second per app; videos are kept ${FACE_VIDEO_RETENTION_MS / 86_400_000} days. Every answer is HTTP 200; a failure is Response.Error.`,
        security: [{ tc3Signature: [] }, { bearerAppKey: [] }],
        parameters: [
          { name: 'X-TC-Action', in: 'header', required: true, schema: { enum: [DESCRIBE_SIGN_FACE_VIDEO] }, description: 'Any other action: InvalidAction' },
          { name: 'X-TC-Version', in: 'header', required: false, schema: { enum: [ESS_API_VERSION] }, description: 'Required with a TC3 signature; another version: NoSuchVersion' },
          { name: 'X-TC-Timestamp', in: 'header', required: false, schema: { ...str, pattern: '^\\d{1,12}$' }, description: `The signing time, Unix seconds; required with a TC3 signature, within ${TC3_MAX_SKEW_SECONDS} s of the server clock` },
          { name: 'X-TC-Region', in: 'header', required: false, schema: str, description: 'Accepted and not used' },
        ],
        requestBody: jsonBody({
          type: 'object',
          required: ['Operator', 'FlowId', 'SignId'],
          properties: {
            Operator: {
              type: 'object',
              required: ['UserId'],
              description: 'UserInfo: required, as Tencent requires it; not otherwise used',
              properties: { UserId: { ...str, minLength: 1, maxLength: 255 } },
            },
            FlowId: { ...str, minLength: 1, maxLength: 255, description: "The session's external_id" },
            SignId: { ...str, minLength: 1, maxLength: 255, description: 'The session id (ses_…)' },
            Agent: { type: 'object', description: 'Accepted and not used' },
          },
        }),
        responses: {
          200: {
            description: 'The video, or Response.Error (MissingParameter, InvalidParameterValue, AuthFailure.*, OperationDenied, ResourceNotFound, FailedOperation: no video yet, RequestLimitExceeded, RequestSizeLimitExceeded: a body over 64 KiB, …)',
            content: { 'application/json': { schema: { oneOf: [tencentSuccess, tencentError] } } },
          },
        },
      },
    },
  };
}
