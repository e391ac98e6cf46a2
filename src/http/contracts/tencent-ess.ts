/**
 * Tencent Cloud ESS (电子签) DescribeSignFaceVideo-style wire format (pure). Sources:
 * - the API (https://cloud.tencent.com/document/product/1323/104133, Version 2020-11-11): input Operator (UserInfo,
 *   UserId required), FlowId, SignId, optional Agent; output VideoData (DetectInfoVideoData, `LiveNessVideo`:
 *   base64 of the video), IntentionQuestionResult, IntentionActionResult (`Details: IntentionActionResultDetail[]`,
 *   "may be null"), RequestId; "默认接口请求频率限制：20次/秒" (20 requests/s by default). The ESS page says
 *   videos can be fetched for 24 h after signing, the channel edition's (ChannelDescribeSignFaceVideo,
 *   https://cloud.tencent.com/document/api/1420/104134) for three days; issue #6 asks for three days.
 * - API 3.0 errors: HTTP 200 with `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`; common codes
 *   AuthFailure(.SignatureFailure, .SignatureExpire, .SecretIdNotFound, .InvalidAuthorization: ../tc3-signature.ts),
 *   NoSuchVersion ("The API version does not exist"), MissingParameter, InvalidParameterValue, RequestLimitExceeded,
 *   InvalidAction, InternalError.
 */
import { randomUUID } from 'node:crypto';
import type { Excursion } from '../../pipeline/nod.js';
import type { Tc3FailureCode } from '../tc3-signature.js';

export const DESCRIBE_SIGN_FACE_VIDEO = 'DescribeSignFaceVideo';
/** The ESS API version this facade speaks (the document's "Version 2020-11-11"; the SDK's ess/v20201111). */
export const ESS_API_VERSION = '2020-11-11';
/** Videos are retrievable this long after they were recorded, ms (issue #6; see the module comment). */
export const FACE_VIDEO_RETENTION_MS = 3 * 86_400_000;
/** Tencent's default request rate for this action, per second and app. */
export const DEFAULT_REQUESTS_PER_SECOND = 20;

export type TencentErrorCode =
  | 'AuthFailure'
  | Tc3FailureCode
  | 'NoSuchVersion'
  | 'FailedOperation'
  | 'InvalidParameterValue'
  | 'MissingParameter'
  | 'OperationDenied'
  | 'ResourceNotFound'
  | 'RequestLimitExceeded'
  | 'RequestSizeLimitExceeded'
  | 'InvalidAction'
  | 'InternalError';

export class TencentApiError extends Error {
  constructor(
    readonly code: TencentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TencentApiError';
  }
}

export const newRequestId = () => randomUUID();

export function tencentErrorBody(code: TencentErrorCode, message: string, requestId: string) {
  return { Response: { Error: { Code: code, Message: message }, RequestId: requestId } };
}

export interface DescribeSignFaceVideoRequest {
  userId: string;
  flowId: string;
  signId: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates the request body: MissingParameter when a required field is absent, InvalidParameterValue when malformed. */
export function parseDescribeSignFaceVideo(body: unknown): DescribeSignFaceVideoRequest {
  if (!isRecord(body)) throw new TencentApiError('InvalidParameterValue', 'the request body must be a JSON object');
  if (body.Operator === undefined) throw new TencentApiError('MissingParameter', 'the request is missing required parameter `Operator`');
  if (!isRecord(body.Operator)) throw new TencentApiError('InvalidParameterValue', 'Operator must be an object (UserInfo)');
  const text = (value: unknown, name: string): string => {
    if (value === undefined || value === null || value === '') throw new TencentApiError('MissingParameter', `the request is missing required parameter \`${name}\``);
    if (typeof value !== 'string' || value.length > 255) throw new TencentApiError('InvalidParameterValue', `${name} must be a string of at most 255 characters`);
    return value;
  };
  return { userId: text(body.Operator.UserId, 'Operator.UserId'), flowId: text(body.FlowId, 'FlowId'), signId: text(body.SignId, 'SignId') };
}

/**
 * IntentionActionResult: null until the video was processed (Tencent: "may be null"); else one detail for the
 * "nod to confirm" action. Tencent's IntentionActionResultDetail fields were not available here; ours are named in
 * its style and documented in the README: NodDetected, NodCount, and each nod's times (s) and amplitude (degrees).
 */
export function intentionActionResult(nods: readonly Excursion[] | null) {
  if (nods === null) return null;
  return {
    Details: [
      {
        NodDetected: nods.length > 0,
        NodCount: nods.length,
        Nods: nods.map((n) => ({ StartSeconds: n.startSeconds, PeakSeconds: n.peakSeconds, EndSeconds: n.endSeconds, AmplitudeDeg: Math.round(n.amplitudeDeg * 10) / 10 })),
      },
    ],
  };
}

export function describeSignFaceVideoBody(video: Uint8Array, nods: readonly Excursion[] | null, requestId: string) {
  return {
    Response: {
      VideoData: { LiveNessVideo: Buffer.from(video.buffer, video.byteOffset, video.byteLength).toString('base64') },
      // Question-and-answer intention needs speech recognition, which this service does not embed: always null.
      IntentionQuestionResult: null,
      IntentionActionResult: intentionActionResult(nods),
      RequestId: requestId,
    },
  };
}
