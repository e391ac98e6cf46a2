/**
 * OpenAPI 3.1 description of every route the service registers (app.ts), served at GET /openapi.json and shown at
 * GET /docs. Hand-written (not generated) so that it documents intent — units, defaults, which fields are
 * extensions — and is checked against the implementation by the contract tests; a test validates it with an OpenAPI
 * validator and fails on any route Hono registered that it lacks (test/api/openapi-coverage.contract.test.ts).
 * Parts: this file (the HyperVerge-style liveness, match and video APIs), openapi-sessions.ts (sessions, webhooks,
 * session recording), openapi-facades.ts (ADVANCE.AI, Tencent ESS), openapi-service.ts (health, docs, capture page).
 */
import { QUALITY_CHECKS, type QualityCheck } from '../pipeline/types.js';
import { QUALITY_CHECK_RESPONSE_KEYS } from './contracts/hyperverge.js';
import { facadePaths } from './openapi-facades.js';
import { servicePaths } from './openapi-service.js';
import { challengeResultSchema, challengeSchema, sessionsPaths } from './openapi-sessions.js';

const yesNo = (description: string) => ({ type: 'string', enum: ['yes', 'no'], default: 'no', description });

const verdict = {
  type: 'object',
  required: ['value', 'confidence', 'score'],
  properties: {
    value: { type: 'string', enum: ['yes', 'no'] },
    confidence: { type: 'string', enum: ['high', 'low'] },
    score: { type: 'number', minimum: 0, maximum: 1, description: 'Extension: 0–1, higher = more "yes"; always present' },
  },
};

/**
 * What each check's `basis` holds (README "checkLiveness API" has the same table, docs/quality-checks.md the thresholds):
 * its `method` values and measurement keys with their units.
 */
const BASIS_CONTENTS: Record<QualityCheck, string> = {
  blur: 'method laplacianVariance; log10LaplacianVariance (log₁₀ of grey levels², face interior of the aligned crop; blurred below 1.5)',
  eyesClosed: 'method eyeAspectRatio; leftEyeOpenness, rightEyeOpenness (lid gap ÷ eye width; closed when the larger is below 0.13)',
  occlusion:
    'method maskedFaceDetector (masked-face pack): maskedShare (0–1; occluded above 0.5) and lowerFaceChromaDistance; or, without the pack or when it found no face there, lowerFaceColour or faceMeshNoFace: lowerFaceChromaDistance (Cb/Cr levels of the face below the nose from the skin between the eyes; occluded above 18), faceMeshScore (0–1; below 0.5 with the distance above 8 is occluded), skinReferenceIsForehead (0 or 1)',
  multipleFaces:
    "method detectedFaces; otherFaces (count of other faces at least 0.3 × the primary face's side), and when there is another face the strongest one's otherFaceScore (detector, 0–1) and otherFaceRelativeSide (√area ÷ the primary's)",
  headTurned: 'method yaw or pitch (whichever is further past its limit); yawDeg, pitchDeg (signed degrees; turned past |yaw| 32° or |pitch| 30°)',
  hat: 'method bareForehead (no, high confidence) or foreheadNotSkinUnvalidated (no, low confidence: it never answers yes); foreheadSkinDistance (forehead vs nose-bridge colour, YCbCr ÷ skin luma; bare up to bareForeheadUpTo), bandPhotos and bandHats (the labelled dev photos in that band, and the hats among them)',
  eyewear:
    'method frameBars, lensDarkness, lensColour or eyeWhiteHidden (the cue with the higher score); frameBars (bar contrast ÷ skin luma; a frame above 0.12) and the sunglasses measurements',
  readingGlasses: 'method frameBarsClearLenses (yes), noFrame or sunglasses (no); the same measurements as eyewear',
  sunglasses:
    'method lensDarkness or lensColour (the larger of the two, each ÷ its threshold, decides), or eyeWhiteHidden (yes, low confidence: neither eye white visible while the lens area is at least half as dark or coloured as those need); lensDarkShare (0–1; tinted above 0.7), lensColourDistance (CbCr levels; coloured above 25), skinReferenceIsForehead (0 or 1), eyeWhiteContrast (where measured: (eye white − iris) ÷ eye white luma in the iris model\'s eye opening; hidden below 0.1)',
  dull: 'method faceAndSceneLuma; faceMeanLuma, sceneP95Luma (0–255) and their mean darkness (dull below 75)',
  bright: 'method faceLumaAndClipping; faceMeanLuma (0–255), faceClippedShare (0–1) and brightness = faceMeanLuma + 100 × faceClippedShare (bright above 215)',
  nonWhiteBackground: 'method whiteBackgroundShare; whiteFraction (0–1 of the background; non-white below 0.6), backgroundShare (0–1 of the image; low confidence below 0.1)',
  nudity: 'method nsfwjs; pornProbability, hentaiProbability (0–1; nudity when their sum reaches 0.7)',
  lowQuality: "method of the component that decided (eyeDistance, laplacianVariance, faceAndSceneLuma, faceLumaAndClipping); every component's measurements, eyeDistancePx (image pixels; too small below 60) among them",
};

/** A quality check's answer: HyperVerge's verdict plus the `basis` extension (README "checkLiveness API"). */
const qualityVerdict = (check: QualityCheck) => ({
  ...verdict,
  properties: {
    ...verdict.properties,
    basis: {
      type: 'object',
      description: `Extension: how the check decided, the cue (method) and the measurements it compared, each rounded to four significant digits; absent for a check that reports none. ${BASIS_CONTENTS[check]}.`,
      required: ['method', 'measurements'],
      properties: {
        method: { type: 'string' },
        measurements: { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
  },
});

const score01 = (description: string) => ({ type: 'number', minimum: 0, maximum: 1, description });

/** liveFace: HyperVerge's verdict plus the liveness extensions (README "checkLiveness API", "How the answers are made"). */
const liveFace = {
  type: 'object',
  required: ['value', 'confidence', 'score', 'signals', 'limitations'],
  properties: {
    ...verdict.properties,
    score: score01('Extension: the fused live probability, 0–1; value is "yes" at or above the calibrated threshold; confidence "low" in the uncertain band around it'),
    signals: {
      type: 'object',
      description: 'Extension: the scores behind the verdict, for the signals that ran. Models: probability of a LIVE face; context signals: strength of the evidence of an ATTACK (0 = none). /health?details=1 (with an app key) → liveness.fusion says which weigh and how much.',
      required: ['humanLiveness'],
      properties: {
        minifasnet: score01('MiniFASNet V2 + V1SE mean live probability (absent without the anti-spoofing pack)'),
        humanLiveness: score01('Human liveness model, live probability'),
        presentationDevice: score01('a device or print around the face (COCO detector); only when the calibration weighs it'),
        hands: score01('a hand gripping the medium at its edge; only when the calibration weighs it'),
        framingEdges: score01('long straight edges framing the face; absent for a tight face crop'),
        screenRecapture: score01('screen or print re-captured: moiré / pixel grid, skin colour; measured for not-live answers'),
      },
    },
    attackType: { type: 'string', enum: ['screen', 'print', 'cutout', 'mask', 'unknown'], description: 'Extension: what the evidence points to; only when value is "no"' },
    limitations: {
      type: 'array',
      description: 'Extension: why this answer is weaker than usual; empty when none',
      items: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: ['antiSpoofingPackMissing', 'tightFaceCrop'] }, message: { type: 'string' } },
      },
    },
  },
};

const summary = {
  type: 'object',
  required: ['action', 'details'],
  properties: {
    action: { type: 'string', enum: ['pass', 'fail', 'manualReview'] },
    details: {
      type: 'array',
      items: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const metadata = {
  type: 'object',
  required: ['requestId'],
  properties: {
    requestId: { type: 'string', format: 'uuid', description: 'Ours, unique per request' },
    transactionId: { type: 'string', description: 'The transactionId header, echoed (absent only when it was missing or invalid)' },
  },
};

/**
 * HyperVerge's error envelope (Selfie Validation API, "Error Responses"): the message in `result.error`, a summary
 * where the vendor gives one, `metadata` as the vendor shows it per status (http/contracts/hyperverge.ts).
 */
const errorResponse = (description: string, error: string, withSummary = false) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['statusCode', 'status', 'result'],
        properties: {
          statusCode: { type: 'integer' },
          status: { const: 'failure' },
          result: {
            type: 'object',
            required: withSummary ? ['error', 'summary'] : ['error'],
            properties: {
              error: { const: error },
              ...(withSummary ? { summary } : {}),
              reason: { type: 'string', description: 'Extension (4xx only): what was wrong and how to fix it' },
            },
          },
          metadata: { ...metadata, description: "Absent on 429 and only requestId on 401 and 404, as HyperVerge's document shows them" },
        },
      },
    },
  },
});

/** A multipart/form-data request body with these (required) fields. */
const multipartBody = (required: string[], properties: Record<string, unknown>) => ({
  required: true,
  content: { 'multipart/form-data': { schema: { type: 'object', required, properties } } },
});

/** The HyperVerge success envelope (status, statusCode 200, metadata) around an operation's `result` schema. */
const successResponse = (description: string, result: Record<string, unknown>) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['status', 'statusCode', 'metadata', 'result'],
        properties: { status: { const: 'success' }, statusCode: { const: 200 }, metadata, result },
      },
    },
  },
});

/** The mandatory `transactionId` header every vendor operation takes (HyperVerge contract). */
const transactionIdHeader = {
  name: 'transactionId',
  in: 'header',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 256 },
  description: 'Your id for the user journey; echoed in metadata.transactionId',
};

/** The document's tags, in the order the docs page shows them. */
const TAGS = [
  { name: 'Liveness and face match', description: 'HyperVerge-compatible checkLiveness and matchFace, verifyVideo and its active liveness challenges (appId / appKey headers)' },
  { name: 'Sessions', description: 'Verilock-style self-record video-KYC sessions (Bearer appKey or the signed capture links)' },
  { name: 'Webhooks', description: "The app's webhook events and their delivery attempts (Bearer appKey)" },
  { name: 'Session recording', description: 'HyperVerge session-recording module (appId / appKey headers)' },
  { name: 'Capture page', description: "The hosted page behind a session's capture_url (the signed link is the credential)" },
  { name: 'Live agent mode', description: "Live video calls with an app's agents: the agents (Bearer appKey), their console and calls (Bearer agent token), the person's signed live links (README \"Live agent mode\")" },
  { name: 'ADVANCE.AI Get Video', description: "A session's recorded video in ADVANCE.AI's shape: token, then Get Video; every answer is HTTP 200 with the outcome in code" },
  { name: 'Tencent ESS DescribeSignFaceVideo', description: "A session's recorded video in Tencent Cloud ESS's shape (TC3-HMAC-SHA256); every answer is HTTP 200" },
  { name: 'Service', description: 'Health, Kubernetes probes, this document and its page (no key, except the full health report)' },
] as const;

/** The tag of an operation that does not name its own, by path (the HyperVerge-style and sessions parts). */
function tagOf(path: string): (typeof TAGS)[number]['name'] {
  if (path.startsWith('/v1/sessionRecording')) return 'Session recording';
  if (path.startsWith('/v1/sessions')) return 'Sessions';
  if (path.startsWith('/v1/webhooks')) return 'Webhooks';
  return 'Liveness and face match';
}

/** Gives every operation of `paths` that names no tag of its own the tag of its path. */
function tagged(paths: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(Object.entries(item as Record<string, Record<string, unknown>>).map(([method, operation]) => [method, { tags: [tagOf(path)], ...operation }])),
    ]),
  );
}

export function openApiDocument(version: string): Record<string, unknown> {
  const checkProperties = Object.fromEntries(
    QUALITY_CHECKS.map((check) => [`qualityChecks.${check}`, yesNo(`Run the ${check} check; answered under result.details.qualityChecks.${QUALITY_CHECK_RESPONSE_KEYS[check]}`)]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'face-liveness-service',
      version,
      description:
        'Self-hosted face liveness and face match: HyperVerge-compatible checkLiveness and matchFace (Selfie Validation API), verifyVideo with active liveness challenges, Verilock-style video-KYC sessions with a hosted capture page and signed webhooks, HyperVerge session recording, and the recorded videos in ADVANCE.AI Get Video and Tencent ESS DescribeSignFaceVideo shapes. Nothing leaves the machine.',
    },
    tags: TAGS,
    components: {
      securitySchemes: {
        appId: { type: 'apiKey', in: 'header', name: 'appId' },
        appKey: { type: 'apiKey', in: 'header', name: 'appKey' },
        // Sessions API and webhook log (README "Sessions API"): `Authorization: Bearer <appKey>`.
        bearerAppKey: { type: 'http', scheme: 'bearer' },
        // Live agent mode (README "Live agent mode"): `Authorization: Bearer agt_…`, a token from POST /v1/agents.
        bearerAgentToken: { type: 'http', scheme: 'bearer', description: 'An agent token (agt_…) from POST /v1/agents; app keys are refused' },
        // ADVANCE.AI Get Video (README "ADVANCE.AI Get Video"): the token from POST /openapi/auth/ticket/v1/generate-token.
        advanceAccessToken: { type: 'apiKey', in: 'header', name: 'X-ACCESS-TOKEN', description: 'The token from POST /openapi/auth/ticket/v1/generate-token' },
        // Tencent Cloud API 3.0 signature v3 (README "Tencent ESS DescribeSignFaceVideo"), as Tencent's SDKs send it.
        tc3Signature: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'TC3-HMAC-SHA256 Credential=<appId>/<UTC date>/ess/tc3_request, SignedHeaders=content-type;host, Signature=<hex>: Tencent Cloud API 3.0 signature v3 with SecretId = appId and SecretKey = appKey',
        },
      },
    },
    paths: tagged({
      '/v1/checkLiveness': {
        post: {
          operationId: 'checkLiveness',
          summary: 'Is the selfie of a live person? Optional quality checks, age range, gender and face crop.',
          security: [{ appId: [], appKey: [] }],
          parameters: [transactionIdHeader],
          requestBody: multipartBody(['image'], {
            image: { type: 'string', contentMediaType: 'application/octet-stream', description: 'JPG/JPEG or PNG (HyperVerge\'s formats; WebP is refused), type sniffed from the bytes; at most BODY_LIMIT_BYTES and MAX_IMAGE_PIXELS (width × height, from the header, else 413)' },
            returnCroppedImageURL: yesNo('Return result.croppedImageUrl: a signed link to the aligned face crop (JPEG), valid URL_TTL_SECONDS'),
            ageRange: yesNo('Estimate an age range (result.details.ageRange)'),
            checkGender: yesNo('Estimate gender (result.details.gender)'),
            'preferences.returnScore': yesNo('Accepted for compatibility; scores are always returned'),
            ...checkProperties,
          }),
          responses: {
            200: successResponse('Checked; result.summary.action says what to do (rules: RULES_FILE)', {
              type: 'object',
              required: ['details', 'summary'],
              properties: {
                details: {
                  type: 'object',
                  required: ['liveFace'],
                  properties: {
                    liveFace,
                    qualityChecks: {
                      type: 'object',
                      description: 'Only the checks that were requested',
                      properties: Object.fromEntries(QUALITY_CHECKS.map((check) => [QUALITY_CHECK_RESPONSE_KEYS[check], qualityVerdict(check)])),
                    },
                    ageRange: {
                      type: 'object',
                      required: ['low', 'high', 'value', 'confidence'],
                      properties: {
                        low: { type: 'integer', description: 'years, inclusive' },
                        high: { type: 'integer', description: 'years, inclusive' },
                        value: { type: 'string', examples: ['19-25'] },
                        confidence: { type: 'string', enum: ['high', 'low'] },
                        estimate: { type: 'number', description: 'Extension: point estimate, years' },
                      },
                    },
                    gender: {
                      type: 'object',
                      required: ['value', 'confidence'],
                      properties: {
                        value: { type: 'string', enum: ['Male', 'Female'] },
                        confidence: { type: 'string', enum: ['high', 'low'] },
                        score: { type: 'number', minimum: 0, maximum: 1, description: 'Extension: probability of value, 0–1' },
                      },
                    },
                  },
                },
                summary,
                croppedImageUrl: { type: 'string', format: 'uri' },
              },
            }),
            400: errorResponse('"Error while parsing request body" (bad form, missing transactionId, value not yes/no), or "Unsupported file type" with summary fail/111', 'Error while parsing request body'),
            401: errorResponse('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
            403: errorResponse('The app may not call this API', 'Unauthorized Access to API'),
            413: errorResponse('Body over BODY_LIMIT_BYTES, or an image whose header declares more than MAX_IMAGE_PIXELS (any format, SVG included)', 'Content Too Large'),
            422: errorResponse('No face in the image; summary fail/121 "Face Not detected in selfie image"', 'No face detected', true),
            429: errorResponse("Over the app's rateLimitPerMinute; see Retry-After", 'Rate limit error'),
            500: errorResponse('Unexpected failure; summary manualReview/110', 'Internal Server Error', true),
            503: errorResponse('All workers busy and the queue full; retry (Retry-After)', 'SERVER BUSY - retry after sometime'),
          },
        },
      },
      '/v1/matchFace': {
        post: {
          operationId: 'matchFace',
          summary: 'Is the selfie the same person as the reference (ID-card photo or another selfie)?',
          security: [{ appId: [], appKey: [] }],
          parameters: [transactionIdHeader],
          requestBody: multipartBody(['selfie', 'id'], {
            selfie: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The selfie: JPG/JPEG, PNG or WebP, type sniffed from the bytes; at most MAX_IMAGE_PIXELS (width × height, from the header, else 413)' },
            id: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The reference: an ID-card photo (the largest face on the card is used) or another selfie; JPG/JPEG, PNG or WebP; at most MAX_IMAGE_PIXELS' },
          }),
          responses: {
            200: successResponse('Compared; result.summary.action says what to do (rules: RULES_FILE, section matchFace)', {
              type: 'object',
              required: ['details', 'summary'],
              properties: {
                details: {
                  type: 'object',
                  required: ['match'],
                  properties: {
                    match: {
                      type: 'object',
                      required: ['value', 'confidence', 'score'],
                      properties: {
                        value: { type: 'string', enum: ['yes', 'no'], description: '"yes" = same person' },
                        confidence: { type: 'string', enum: ['high', 'low'], description: '"low" near the threshold' },
                        score: { type: 'number', minimum: 0, maximum: 100, description: 'Extension: 0–100, higher = more alike; 50 at the threshold (README "matchFace API")' },
                      },
                    },
                  },
                },
                summary,
              },
            }),
            400: errorResponse('"Error while parsing request body" (missing selfie/id, text instead of a file, missing transactionId), or "Unsupported file type" with summary fail/111; reason names the field', 'Error while parsing request body'),
            401: errorResponse('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
            403: errorResponse('The app may not call this API', 'Unauthorized Access to API'),
            413: errorResponse('Body over BODY_LIMIT_BYTES, or an image whose header declares more than MAX_IMAGE_PIXELS (any format, SVG included); reason names the field', 'Content Too Large'),
            422: errorResponse('No face in one image; reason and summary fail/121 name it ("Face Not detected in id image")', 'No face detected', true),
            429: errorResponse("Over the app's rateLimitPerMinute; see Retry-After", 'Rate limit error'),
            500: errorResponse('Unexpected failure; summary manualReview/110', 'Internal Server Error', true),
            503: errorResponse('All workers busy and the queue full; retry (Retry-After)', 'SERVER BUSY - retry after sometime'),
          },
        },
      },
      '/v1/verifyVideo': {
        post: {
          operationId: 'verifyVideo',
          summary: 'Is the person in the video live, and the person in the selfie (and ID photo)? Scores 0–100, temporal signals, best frame, result.',
          security: [{ appId: [], appKey: [] }],
          parameters: [transactionIdHeader],
          requestBody: multipartBody(['video', 'selfie'], {
            video: { type: 'string', contentMediaType: 'application/octet-stream', description: 'MP4/MOV (H.264, HEVC) or WebM (VP8/VP9); at most VIDEO_MAX_SECONDS long and VIDEO_MAX_PIXELS per frame; whole body at most VIDEO_BODY_LIMIT_BYTES' },
            selfie: { type: 'string', contentMediaType: 'application/octet-stream', description: 'JPG/JPEG, PNG or WebP of the person; at most MAX_IMAGE_PIXELS (width × height, from the header, else 413)' },
            id: { type: 'string', contentMediaType: 'application/octet-stream', description: 'Optional JPG/JPEG, PNG or WebP ID-card photo; adds result.id_match_score' },
            challengeId: { type: 'string', pattern: '^chl_[0-9a-f-]{36}$', description: 'Extension, optional: the id from POST /v1/challenges whose steps the recording performs; used up by this request (single use), refused when unknown, another app\'s or a session\'s (400), already used (409) or expired (410)' },
          }),
          responses: {
            200: successResponse('Verified; result.result says what to do (thresholds: RULES_FILE, verifyVideo section)', {
              type: 'object',
              required: ['result', 'details', 'face_match_score', 'liveness_score', 'duration_seconds', 'frames_analysed', 'frames_with_face', 'best_frame', 'signals'],
              properties: {
                result: { type: 'string', enum: ['approved', 'declined', 'needs_review'] },
                details: summary.properties.details,
                face_match_score: { type: 'number', minimum: 0, maximum: 100, description: 'Video vs selfie; 50 = same-person threshold (median over frontal face frames)' },
                id_match_score: { type: 'number', minimum: 0, maximum: 100, description: 'Video vs ID photo, when id was sent' },
                liveness_score: { type: 'number', minimum: 0, maximum: 100, description: '100 × passive × (blink or head motion ? 1 : 0.5) × (one identity ? 1 : 0); 50 = calibrated threshold' },
                duration_seconds: { type: 'number' },
                frames_analysed: { type: 'integer', description: 'Frames sampled (≤ VIDEO_SAMPLE_FPS per second, ≤ VIDEO_MAX_FRAMES)' },
                frames_with_face: { type: 'integer' },
                best_frame: {
                  type: 'object',
                  required: ['time_seconds', 'url'],
                  properties: { time_seconds: { type: 'number' }, url: { type: 'string', format: 'uri', description: 'Signed link to the aligned face crop of the sharpest frontal frame (GET /v1/croppedImage/{id})' } },
                },
                signals: {
                  type: 'object',
                  properties: {
                    passive: { type: 'object', description: 'score 0–100 (mean per-frame log-odds over the calibrated threshold), frames_scored, live_frame_share 0–1' },
                    blinks: { type: 'object', description: 'count (closed → open transitions), min_eye_openness, max_eye_openness (lid gap ÷ eye width)' },
                    head_motion: { type: 'object', description: 'yaw_range_deg, pitch_range_deg, nods, turns, moved' },
                    identity_consistency: { type: 'object', description: 'consistent, same_person_share 0–1, max_distance (face-api euclidean)' },
                    face_presence: { type: 'number', minimum: 0, maximum: 1 },
                  },
                },
                challenge: {
                  ...challengeResultSchema,
                  description:
                    'Extension, present when challengeId was sent: the active liveness challenge found (or not) in the recording, read at 10 fps. passed = every step inside its window, in order; a challenge not passed makes liveness_score 0 and the rules file\'s verifyVideo.challengeFailed decides (declined by default).',
                },
              },
            }),
            400: errorResponse('"Error while parsing request body" (bad form, missing transactionId, malformed challengeId), "Invalid video" (container/codec, corrupt or truncated, audio only, zero length, too long, too many pixels, decode timeout; `reason` says which), "Invalid challenge" (challengeId unknown to this app, or a session\'s) or "Unsupported file type" for an image', 'Invalid video'),
            401: errorResponse('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
            403: errorResponse('The app may not call this API', 'Unauthorized Access to API'),
            409: errorResponse('challengeId was already used by an earlier request (each challenge is single-use)', 'Challenge already used'),
            410: errorResponse('challengeId expired (CHALLENGE_TTL_SECONDS after it was drawn)', 'Challenge expired'),
            413: errorResponse('Body over VIDEO_BODY_LIMIT_BYTES, or an image whose header declares more than MAX_IMAGE_PIXELS (any format, SVG included)', 'Content Too Large'),
            422: errorResponse('No face in the selfie / ID image or in any sampled video frame', 'No face detected', true),
            429: errorResponse("Over the app's rateLimitPerMinute; see Retry-After", 'Rate limit error'),
            500: errorResponse('Unexpected failure', 'Internal Server Error', true),
            503: errorResponse('All workers busy and the queue full; retry (Retry-After)', 'SERVER BUSY - retry after sometime'),
          },
        },
      },
      '/v1/challenges': {
        post: {
          operationId: 'createChallenge',
          summary: 'Extension: draw an active liveness challenge (3–4 steps with time windows) for a POST /v1/verifyVideo recording; no request body',
          security: [{ appId: [], appKey: [] }],
          parameters: [transactionIdHeader],
          responses: {
            201: {
              description: 'The challenge: single-use, bound to this app, valid CHALLENGE_TTL_SECONDS; the app needs verifyVideo in allowedApis',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['status', 'statusCode', 'metadata', 'result'],
                    properties: { status: { const: 'success' }, statusCode: { const: 201 }, metadata, result: challengeSchema },
                  },
                },
              },
            },
            400: errorResponse('Missing transactionId', 'Error while parsing request body'),
            401: errorResponse('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
            403: errorResponse('The app may not call verifyVideo', 'Unauthorized Access to API'),
            413: errorResponse('A body over 64 KiB (none is needed)', 'Content Too Large'),
            429: errorResponse("Over the app's rateLimitPerMinute; see Retry-After", 'Rate limit error'),
          },
        },
      },
      ...sessionsPaths(errorResponse, transactionIdHeader),
      '/v1/croppedImage/{id}': {
        get: {
          operationId: 'getCroppedImage',
          summary: 'The face crop behind a croppedImageUrl (the signed link is the credential)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'expires', in: 'query', required: true, schema: { type: 'integer' }, description: 'Unix seconds' },
            { name: 'signature', in: 'query', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' }, description: 'hex HMAC-SHA256 over "croppedImage/<id>:<expires>"' },
          ],
          responses: {
            200: { description: 'The crop', content: { 'image/jpeg': {} } },
            302: {
              description:
                'With S3_PUBLIC_URLS=presigned (GET only; HEAD is answered here): Location is a presigned GetObject URL of the bucket, valid no longer than this link (src/http/routes/cropped-image.ts)',
            },
            403: errorResponse('Signature wrong or link expired', 'Unauthorized Access to API'),
            404: errorResponse('No image under this id (never stored, or already deleted)', 'Not Found'),
          },
        },
      },
      ...facadePaths(),
      ...servicePaths(),
    }),
  };
}
