/**
 * HyperVerge wire format for the Selfie Validation API (`POST /v1/checkLiveness`): pure mappings from
 * the pipeline's LivenessOutcome + decision Summary to the success body, and from AppError codes to
 * HyperVerge's error bodies. No HTTP objects here, so the contract is unit-testable.
 *
 * Sources: HyperVerge "Selfie Validation API" (documentation.hyperverge.co/api-reference/global_api/
 * selfie_validation_api: headers appId/appKey/transactionId, multipart form, status/statusCode/metadata/
 * result envelope) and "Additional Checks for Liveness" (…/Selfie Validation/additional_selfie_checks:
 * the qualityChecks.* request fields, yes/no values); a published sample response (docs.tutelar.io
 * selfie-validation, a HyperVerge reseller) shows `faceOccluded` as the response key for the occlusion
 * check. Every error body, its message and its summary (110/111/121) follow the captured Selfie Validation
 * page, ../shared/seeds/hyperverge-check-liveness.txt, "Error Responses" (issue #15): the message lives in
 * `result.error`, and test/api/hyperverge-document.contract.test.ts compares each example there key by key.
 *
 * `score` is this service's documented extension (issue #3): 0–1, higher = more "yes", so callers can set
 * their own thresholds. HyperVerge's own `preferences.returnScore` is described as "0 to 100", and the
 * reseller sample (`hat: no`, score 99) reads as confidence in the stated value, a different meaning; we
 * keep the monotone 0–1 probability and document the difference.
 */
import type { AppError, ErrorCode } from '../../errors.js';
import type { Summary } from '../../pipeline/decision.js';
import {
  QUALITY_CHECKS,
  type AttackType,
  type Confidence,
  type LivenessLimitation,
  type LivenessOptions,
  type LivenessOutcome,
  type LivenessSignalScores,
  type LivenessVerdict,
  type QualityCheck,
  type QualityVerdict,
  type Verdict,
} from '../../pipeline/types.js';

export type YesNo = 'yes' | 'no';

export interface HvMetadata {
  /** Ours, unique per request (UUID v4). */
  requestId: string;
  /** The caller's `transactionId` header, echoed when it was given. */
  transactionId?: string;
}

export interface HvVerdict {
  value: YesNo;
  confidence: Confidence;
  /** Extension: 0–1, higher = more "yes" (four decimals); always present (old clients ignore unknown keys). */
  score: number;
}

/**
 * Extension: how a quality check decided (README "checkLiveness API", docs/quality-checks.md): the cue that decided
 * (`method`, a check-specific name) and the measurements it compared with its thresholds, each in the unit its key
 * names, four significant digits.
 */
export interface HvDecisionBasis {
  method: string;
  measurements: Record<string, number>;
}

/** A quality check's answer: HyperVerge's {value, confidence}, `score`, and `basis` for every check that reports one. */
export interface HvQualityVerdict extends HvVerdict {
  /** Extension, after HyperVerge's keys (old clients ignore unknown keys); absent for a check that reports none (hat). */
  basis?: HvDecisionBasis;
}

/**
 * `liveFace`: HyperVerge's {value, confidence} exactly, plus this service's extensions (clients that do not know
 * them ignore unknown keys): `score`, the evidence behind it (`signals`), the attack type when not live, and the
 * limitations of this answer (README "Liveness").
 */
export interface HvLiveFace extends HvVerdict {
  /** Extension: each signal's score, 0–1, four decimals (model scores = live probability; context signals = attack evidence). */
  signals: LivenessSignalScores;
  /** Extension: what kind of attack the evidence points to; only when `value` is "no". */
  attackType?: AttackType;
  /** Extension: why this answer is weaker than usual, each with a stable code and an explanation; empty when none. */
  limitations: { code: LivenessLimitation; message: string }[];
}

export interface HvAgeRange {
  /** Inclusive bounds, years. */
  low: number;
  high: number;
  /** `"<low>-<high>"`, e.g. "19-25". */
  value: string;
  confidence: Confidence;
  /** Extension: the model's point estimate, years (one decimal). */
  estimate: number;
}

export interface HvGender {
  value: 'Male' | 'Female';
  confidence: Confidence;
  /** Extension: probability of `value`, 0–1 (0.5–1 in practice). */
  score: number;
}

/** Response key per request field: HyperVerge answers `qualityChecks.occlusion` under `faceOccluded`. */
export const QUALITY_CHECK_RESPONSE_KEYS = {
  blur: 'blur',
  eyesClosed: 'eyesClosed',
  occlusion: 'faceOccluded',
  multipleFaces: 'multipleFaces',
  headTurned: 'headTurned',
  hat: 'hat',
  eyewear: 'eyewear',
  readingGlasses: 'readingGlasses',
  sunglasses: 'sunglasses',
  dull: 'dull',
  bright: 'bright',
  nonWhiteBackground: 'nonWhiteBackground',
  nudity: 'nudity',
  lowQuality: 'lowQuality',
} as const satisfies Record<QualityCheck, string>;
export type QualityCheckResponseKey = (typeof QUALITY_CHECK_RESPONSE_KEYS)[QualityCheck];

export interface HvSuccessBody {
  status: 'success';
  statusCode: 200;
  metadata: Required<HvMetadata>;
  result: {
    details: {
      liveFace: HvLiveFace;
      qualityChecks?: Partial<Record<QualityCheckResponseKey, HvQualityVerdict>>;
      ageRange?: HvAgeRange;
      gender?: HvGender;
    };
    summary: Summary;
    /** Signed, expiring link to the aligned face crop (JPEG), when `returnCroppedImageURL=yes`. */
    croppedImageUrl?: string;
  };
}

/**
 * A HyperVerge error body, keys in the document's order ("Error Responses": statusCode, status, result, metadata).
 * `metadata` is absent where the document shows none (429), and holds only `requestId` where it shows only that
 * (401, 404): see MetadataShown. `metadata.transactionId` is there only when the request's header was valid.
 */
export interface HvErrorBody {
  statusCode: number;
  status: 'failure';
  result: {
    /** HyperVerge's fixed message for the status, word for word (match on this, not on `reason`). */
    error: string;
    /** Only where HyperVerge returns one: unsupported file (111), no face (121), internal error (110). */
    summary?: Summary;
    /** Extension, 4xx only: what exactly was wrong and how to fix it. Never set on 5xx. */
    reason?: string;
  };
  metadata?: HvMetadata;
}

/** A 0–1 score clamped to its range and rounded to four decimals (NaN → 0). */
export function roundScore(score: number): number {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(score) ? score : 0));
  return Math.round(clamped * 10_000) / 10_000;
}

function verdict(v: Verdict): HvVerdict {
  return { value: v.value ? 'yes' : 'no', confidence: v.confidence, score: roundScore(v.score) };
}

/**
 * A measurement rounded to four significant digits (the measurements are image statistics: a fifth digit is noise, and
 * the answer stays short); -0 → 0. Undefined for NaN and ±Infinity, which JSON cannot carry.
 */
export function roundMeasurement(value: number): number | undefined {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) || 0 : undefined;
}

/** The basis as sent: the same method and measurement keys, each value rounded; a non-finite measurement is left out. */
export function basisOnWire(basis: NonNullable<QualityVerdict['basis']>): HvDecisionBasis {
  const measurements: Record<string, number> = {};
  for (const [name, value] of Object.entries(basis.measurements)) {
    const rounded = roundMeasurement(value);
    if (rounded !== undefined) measurements[name] = rounded;
  }
  return { method: basis.method, measurements };
}

/** HyperVerge's keys first, exactly as for any verdict, then the `basis` extension when the check reported one. */
function qualityVerdict(v: QualityVerdict): HvQualityVerdict {
  return v.basis ? { ...verdict(v), basis: basisOnWire(v.basis) } : verdict(v);
}

/** The explanation sent with each liveFace limitation code. */
export const LIVENESS_LIMITATION_MESSAGES: Record<LivenessLimitation, string> = {
  antiSpoofingPackMissing:
    'the MiniFASNet anti-spoofing pack is not installed on this server: liveness ran on the embedded models and the context signals only (install it with `npm run models:fetch`)',
  tightFaceCrop: 'the face fills the picture: there is no context around it for the liveness checks to look at, so this answer has low confidence',
};

function liveFace(v: LivenessVerdict): HvLiveFace {
  const signals = Object.fromEntries(Object.entries(v.signals).map(([name, score]) => [name, roundScore(score)])) as unknown as LivenessSignalScores;
  return {
    ...verdict(v),
    signals,
    ...(!v.value && v.attackType ? { attackType: v.attackType } : {}),
    limitations: v.limitations.map((code) => ({ code, message: LIVENESS_LIMITATION_MESSAGES[code] })),
  };
}

/**
 * The outcome restricted to what the caller asked for ("only requested checks appear"), so the
 * decision rules and the body see the same thing even if a pipeline computes more.
 */
export function requestedOnly(outcome: LivenessOutcome, options: LivenessOptions): LivenessOutcome {
  const qualityChecks: LivenessOutcome['qualityChecks'] = {};
  for (const check of options.qualityChecks) {
    const v = outcome.qualityChecks[check];
    if (v !== undefined) qualityChecks[check] = v;
  }
  return {
    liveFace: outcome.liveFace,
    qualityChecks,
    ...(options.ageRange && outcome.ageRange ? { ageRange: outcome.ageRange } : {}),
    ...(options.gender && outcome.gender ? { gender: outcome.gender } : {}),
    ...(options.croppedImage && outcome.croppedFace ? { croppedFace: outcome.croppedFace } : {}),
  };
}

/** Success body; `outcome` must already be restricted with requestedOnly(). */
export function successBody(args: {
  metadata: Required<HvMetadata>;
  outcome: LivenessOutcome;
  summary: Summary;
  croppedImageUrl?: string;
}): HvSuccessBody {
  const { outcome } = args;
  const details: HvSuccessBody['result']['details'] = { liveFace: liveFace(outcome.liveFace) };
  const checks = QUALITY_CHECKS.filter((c) => outcome.qualityChecks[c] !== undefined);
  if (checks.length > 0) {
    details.qualityChecks = Object.fromEntries(checks.map((c) => [QUALITY_CHECK_RESPONSE_KEYS[c], qualityVerdict(outcome.qualityChecks[c]!)]));
  }
  if (outcome.ageRange) {
    const a = outcome.ageRange;
    details.ageRange = { low: a.low, high: a.high, value: `${a.low}-${a.high}`, confidence: a.confidence, estimate: Math.round(a.estimate * 10) / 10 };
  }
  if (outcome.gender) {
    details.gender = { value: outcome.gender.value, confidence: outcome.gender.confidence, score: roundScore(outcome.gender.score) };
  }
  return {
    status: 'success',
    statusCode: 200,
    metadata: args.metadata,
    result: { details, summary: args.summary, ...(args.croppedImageUrl !== undefined ? { croppedImageUrl: args.croppedImageUrl } : {}) },
  };
}

/**
 * Which metadata an error body carries, as the document prints it per status ("Error Responses"): both ids on
 * 400, 403, 422, 500 and 503; only `requestId` on 401 and 404; no `metadata` at all on 429.
 */
type MetadataShown = 'requestAndTransaction' | 'requestOnly' | 'none';

interface ErrorShape {
  status: number;
  error: string;
  summary?: Summary;
  metadata: MetadataShown;
}

/** "Error Responses", 500 - Internal Server Error: `error` and summary manualReview/110, both messages word for word. */
const INTERNAL: ErrorShape = {
  status: 500,
  error: 'Internal Server Error',
  summary: { action: 'manualReview', details: [{ code: '110', message: 'Server Error. Please contact support' }] },
  metadata: 'requestAndTransaction',
};

/** "Error Responses", 400 - Parse Error. */
const BAD_REQUEST: ErrorShape = { status: 400, error: 'Error while parsing request body', metadata: 'requestAndTransaction' };

/**
 * "Error Responses", 400 - Unsupported File Type: summary fail/111 "Bad Request. Please refer the documentation",
 * the same on every endpoint in this envelope (matchFace and verifyVideo take WebP too: the accepted types are said in
 * `reason`, never in HyperVerge's fixed message).
 */
const UNSUPPORTED_FILE_TYPE: ErrorShape = {
  status: 400,
  error: 'Unsupported file type',
  summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] },
  metadata: 'requestAndTransaction',
};

/**
 * IMAGE_TOO_LARGE (pixel limit or BODY_LIMIT_BYTES) has no HyperVerge equivalent: it answers 413 in the same
 * envelope, `result.error: "Content Too Large"` (RFC 9110 §15.5.14's name for 413), `result.reason` saying which
 * limit; no summary, as HyperVerge gives none for request errors other than 111/121; both ids, as on its 400s.
 */
const CONTENT_TOO_LARGE: ErrorShape = { status: 413, error: 'Content Too Large', metadata: 'requestAndTransaction' };

/** AppError code → HyperVerge error shape; the messages of documented statuses are the document's, word for word. */
export const ERROR_SHAPES: Record<ErrorCode, ErrorShape> = {
  BAD_REQUEST,
  INVALID_OPTION: BAD_REQUEST,
  UNSUPPORTED_FILE_TYPE,
  IMAGE_TOO_LARGE: CONTENT_TOO_LARGE,
  // Stored uploads (sessions API) over MEDIA_MAX_BYTES; same envelope as IMAGE_TOO_LARGE.
  MEDIA_TOO_LARGE: CONTENT_TOO_LARGE,
  // verifyVideo: no HyperVerge equivalent; `result.reason` names the problem (too long, audio only, corrupt, …).
  VIDEO_INVALID: { status: 400, error: 'Invalid video', metadata: 'requestAndTransaction' },
  // verifyVideo's challengeId (active liveness, README "Active liveness challenges"): no HyperVerge equivalent either;
  // one `error` per code so a client can branch on it, `result.reason` saying which challenge and what to do.
  CHALLENGE_INVALID: { status: 400, error: 'Invalid challenge', metadata: 'requestAndTransaction' },
  CHALLENGE_USED: { status: 409, error: 'Challenge already used', metadata: 'requestAndTransaction' },
  CHALLENGE_EXPIRED: { status: 410, error: 'Challenge expired', metadata: 'requestAndTransaction' },
  // "Error Responses", 422 - No Face Detected.
  NO_FACE_DETECTED: {
    status: 422,
    error: 'No face detected',
    summary: { action: 'fail', details: [{ code: '121', message: 'Face Not detected in selfie image' }] },
    metadata: 'requestAndTransaction',
  },
  // "Error Responses", 401 - Unauthorized (metadata: requestId only).
  UNAUTHENTICATED: { status: 401, error: 'Missing/Invalid credentials', metadata: 'requestOnly' },
  // "Error Responses", 403 - Forbidden.
  FORBIDDEN: { status: 403, error: 'Unauthorized Access to API', metadata: 'requestAndTransaction' },
  // "Error Responses", 404 - Not Found (metadata: requestId only).
  NOT_FOUND: { status: 404, error: 'Not Found', metadata: 'requestOnly' },
  // "Error Responses", 429 - Rate Limit (no metadata).
  RATE_LIMITED: { status: 429, error: 'Rate limit error', metadata: 'none' },
  // "Error Responses", 503 - Service Unavailable.
  BUSY: { status: 503, error: 'SERVER BUSY - retry after sometime', metadata: 'requestAndTransaction' },
  INTERNAL,
  CONFIG_INVALID: INTERNAL,
  MODEL_INVALID: INTERNAL,
  EXECUTION_PROVIDER_UNAVAILABLE: INTERNAL,
  MODEL_INPUT_INVALID: INTERNAL,
  INFERENCE_FAILED: INTERNAL,
  STORE_UNAVAILABLE: INTERNAL,
};

/**
 * Error body for an AppError, or for anything else (an unexpected throw) the generic 500 body: the
 * details of unknown errors belong in the log, never in the response.
 */
export function errorBody(error: AppError | undefined, metadata: HvMetadata): { status: number; body: HvErrorBody } {
  const shape = error ? ERROR_SHAPES[error.code] : INTERNAL;
  const result: HvErrorBody['result'] = { error: shape.error };
  if (shape.summary) result.summary = structuredClone(shape.summary);
  // Requests with several images (matchFace: `selfie`, `id`) say which one had no face. The document's message names
  // the selfie, the only image checkLiveness takes; for the other image it is silent, so the same words name that one.
  if (error?.code === 'NO_FACE_DETECTED' && error.subject !== undefined && result.summary) {
    result.summary.details = [{ code: '121', message: `Face Not detected in ${error.subject} image` }];
  }
  // 4xx: the caller's mistake, so the AppError's message (what to fix) is shown; 5xx: never.
  if (shape.status < 500 && error && error.message !== shape.error) result.reason = error.message;
  const body: HvErrorBody = { statusCode: shape.status, status: 'failure', result };
  if (shape.metadata === 'requestAndTransaction') body.metadata = metadata;
  else if (shape.metadata === 'requestOnly') body.metadata = { requestId: metadata.requestId };
  return { status: shape.status, body };
}
