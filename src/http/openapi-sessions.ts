/**
 * OpenAPI 3.1 paths of the sessions API (Verilock style, README "Sessions API"), the webhook log (README
 * "Webhooks") and the HyperVerge session-recording module, merged into the document by openapi.ts. Concise
 * by design: the field lists and status codes the routes answer, with units; the README has the prose.
 */

import { json, jsonBody, str, verilockError } from './openapi-parts.js';

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const dateTime = { type: ['string', 'null'], format: 'date-time' };

const bearer = [{ bearerAppKey: [] }];
const sessionId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^ses_' } };
const signedLink = [
  { name: 'expires', in: 'query', required: true, schema: { type: 'integer' }, description: 'Unix seconds' },
  { name: 'signature', in: 'query', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
];

/** An active liveness challenge as POST /v1/challenges and a session's body show it (http/contracts/challenge.ts); openapi.ts uses it too. */
export const challengeSchema = {
  type: 'object',
  required: ['id', 'steps', 'recording_seconds', 'expires_at'],
  properties: {
    id: { type: 'string', pattern: '^chl_[0-9a-f-]{36}$', description: 'Send it back with the recording' },
    steps: {
      type: 'array',
      minItems: 3,
      maxItems: 4,
      description: 'In order; no action twice in a row. Directions are the person\'s own; blink = blink twice',
      items: {
        type: 'object',
        required: ['action', 'window_s'],
        properties: {
          action: { enum: ['turnLeft', 'turnRight', 'lookUp', 'lookDown', 'blink', 'openMouth'] },
          window_s: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, description: '[start, end], seconds from the start of the recording: 2 s lead-in, then 3 s per step' },
        },
      },
    },
    recording_seconds: { type: 'number', description: 'How long to record, seconds: the last window\'s end + 1 s (12 or 15)' },
    expires_at: { type: 'string', format: 'date-time', description: 'Past it the challenge is refused (410)' },
  },
};

/** What the verifier found for a challenge (pipeline/challenge.ts ChallengeResult): verifyVideo's `result.challenge` and a session video's `challenge`. */
export const challengeResultSchema = {
  type: 'object',
  required: ['id', 'passed', 'steps'],
  properties: {
    id: { type: 'string' },
    passed: { type: 'boolean' },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['action', 'window_s', 'detected_at_s', 'amplitude', 'amplitude_unit', 'min_amplitude', 'passed'],
        properties: {
          action: { type: 'string', enum: ['turnLeft', 'turnRight', 'lookUp', 'lookDown', 'blink', 'openMouth'] },
          window_s: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
          detected_at_s: { type: ['number', 'null'], description: 'seconds from the start of the recording; null when not seen' },
          amplitude: { type: ['number', 'null'], description: 'in amplitude_unit; null when the window held no face' },
          amplitude_unit: { type: 'string', enum: ['degrees', 'eyeClosure', 'faceHeight'] },
          min_amplitude: { type: 'number' },
          same_person: { type: 'boolean', description: "the recording's person is seen in the window (its closest face frame within the same-person distance of the recording's identity); a step by someone else is not passed" },
          passed: { type: 'boolean' },
        },
      },
    },
  },
};

const session = {
  type: 'object',
  required: ['id', 'status', 'result', 'profile', 'prompts', 'uploaded', 'consent', 'created_at', 'expires_at'],
  properties: {
    id: str,
    status: { enum: ['pending', 'in_progress', 'completed', 'expired'] },
    result: { enum: ['approved', 'declined', 'needs_review', null] },
    external_id: nullable('string'),
    redirect_url: nullable('string'),
    capture_url: { type: 'string', format: 'uri', description: 'The hosted capture page (signed, valid until the session expires): send the person there (README "Capture page")' },
    challenge: {
      oneOf: [challengeSchema, { type: 'null' }],
      description: 'Extension: the active liveness challenge drawn for this session (expires with it), used up by its video upload; null when video_max_duration is under 12 s or the session predates challenges',
    },
    profile: {
      type: 'object',
      properties: {
        steps: { type: 'array', items: { enum: ['document', 'selfie', 'video'] } },
        video_mode: { const: 'self_record' },
        video_max_duration: { type: 'integer', description: 'seconds' },
        video_language: { enum: ['en', 'es', 'fr', 'de', 'pt'] },
      },
    },
    prompts: { type: 'array', items: { type: 'object', properties: { id: str, text: str } } },
    capture: { type: 'object', additionalProperties: { type: 'object', properties: { upload_url: { ...str, description: 'Signed; valid until expires_at' } } } },
    uploaded: { type: 'object', additionalProperties: { type: 'boolean' } },
    consent: { type: ['object', 'null'], properties: { given_at: str, text_version: str, ip: str, user_agent: str } },
    result_reason: nullable('string'),
    created_at: dateTime,
    expires_at: dateTime,
    completed_at: dateTime,
  },
};

const video = {
  type: 'object',
  required: ['session_id', 'video_mode', 'status', 'result', 'video_url', 'duration_seconds', 'face_match_score', 'liveness_score', 'transcript', 'recorded_at', 'reviewed_at'],
  properties: {
    session_id: str,
    video_mode: { const: 'self_record' },
    status: str,
    result: nullable('string'),
    video_url: nullable('string', { description: 'Signed, expires after 1 hour' }),
    duration_seconds: nullable('integer', { description: 'whole seconds' }),
    face_match_score: nullable('number', { minimum: 0, maximum: 100, description: '0–100, 50 at the same-person threshold; the weaker of video-vs-selfie and video-vs-document' }),
    liveness_score: nullable('number', { minimum: 0, maximum: 100 }),
    transcript: { type: 'null', description: 'Always null: no speech recognition is embedded' },
    recorded_at: dateTime,
    reviewed_at: dateTime,
    agent_id: { ...str, description: 'Once reviewed' },
    agent_notes: nullable('string', { description: 'Once reviewed' }),
    challenge: {
      oneOf: [{ type: 'null' }, challengeResultSchema],
      description:
        "Extension: what the verifier found for the session's active liveness challenge (the same object as verifyVideo's result.challenge); null when the session had none or the video is not processed yet. Not passed = liveness_score 0 and the rules file's verifyVideo.challengeFailed decides",
    },
    replayed_recording: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['session_id', 'similarity'],
          properties: { session_id: str, similarity: { type: 'number', minimum: 0, maximum: 1, description: 'Share of the compared frames that match, at the best alignment' } },
        },
      ],
      description:
        "Extension: the earlier session of the same app whose recording this video is (the same footage, re-encoded, rescaled or trimmed: a perceptual fingerprint), or null. Never approved: the rules file's verifyVideo.replayedRecording declines (default) or sends it to review",
    },
  },
};

const webhook = {
  type: 'object',
  properties: {
    webhook_id: str,
    event: { enum: ['video.completed', 'video.reviewed'] },
    session_id: str,
    status: { enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    next_attempt_at: dateTime,
    created_at: dateTime,
    delivered_at: dateTime,
    last_error: nullable('string'),
    payload: { type: 'object', description: 'Exactly the body the receiver gets' },
  },
};

const bearerErrors = {
  401: verilockError('authentication_error: missing or wrong Bearer key'),
  403: verilockError('forbidden: the app may not call the sessions API'),
  404: verilockError('not_found (also another app\'s resource)'),
  429: verilockError('rate_limit_exceeded; see Retry-After'),
};

/** HyperVerge envelope of the session-recording upload (and of each attempt's apiResponse). */
const recordingApiResponse = {
  type: 'object',
  required: ['status', 'statusCode', 'metadata', 'result'],
  properties: {
    status: { const: 'success' },
    statusCode: { const: 200 },
    metadata: { type: 'object', required: ['requestId', 'transactionId'], properties: { requestId: str, transactionId: str } },
    result: {
      type: 'object',
      properties: {
        details: {
          type: 'object',
          required: ['uploadUrls', 'urls', 'length'],
          properties: {
            uploadUrls: { type: 'array', items: str, description: 'Signed 1-hour links to the stored recording of this attempt; empty once past retention' },
            urls: { type: 'array', maxItems: 0, description: 'Always empty (no derived files)' },
            length: { type: 'integer', description: 'Number of uploadUrls' },
          },
        },
      },
    },
  },
};
const recordingModule = {
  type: 'object',
  required: ['moduleId', 'videoImageUrl', 'apiResponse'],
  properties: {
    moduleId: str,
    videoImageUrl: { type: 'null', description: 'Always null: no poster frame is extracted' },
    apiResponse: recordingApiResponse,
  },
};

/** `errorResponse` of openapi.ts (HyperVerge envelope), passed in to keep one definition. */
type HvErrorResponse = (description: string, error: string) => unknown;

export function sessionsPaths(hvError: HvErrorResponse, transactionIdHeader: unknown): Record<string, unknown> {
  return {
    '/v1/sessions': {
      post: {
        operationId: 'createSession',
        summary: 'Create a self-record video-KYC session; returns signed capture links',
        security: bearer,
        requestBody: jsonBody({
          type: 'object',
          required: ['profile'],
          properties: {
            profile: {
              type: 'object',
              required: ['steps'],
              properties: {
                steps: { type: 'array', items: { enum: ['document', 'selfie', 'video'] }, description: 'Must include video and selfie and/or document' },
                video_mode: { enum: ['self_record', 'live_agent'], default: 'self_record', description: 'live_agent answers 422 not_supported' },
                video_max_duration: { type: 'integer', minimum: 1, default: 60, description: 'seconds, ≤ VIDEO_MAX_SECONDS' },
                video_language: { enum: ['en', 'es', 'fr', 'de', 'pt'], default: 'en' },
              },
            },
            external_id: str,
            redirect_url: { type: 'string', format: 'uri' },
            expires_in: { type: 'integer', minimum: 300, maximum: 86400, default: 3600, description: 'seconds' },
          },
        }),
        responses: { 201: json('The session', session), 400: verilockError('invalid_request: not JSON'), 422: verilockError('validation_error or not_supported'), ...bearerErrors },
      },
    },
    '/v1/sessions/{id}': {
      get: { operationId: 'getSession', summary: 'The session, its consent and capture progress', security: bearer, parameters: [sessionId], responses: { 200: json('The session', session), ...bearerErrors } },
    },
    '/v1/sessions/{id}/{step}': {
      post: {
        operationId: 'uploadSessionStep',
        summary: 'Upload the document photo (`front`, optional `type`), the selfie (`image`) or the video (`video` + consent fields); Bearer key or the signed capture link',
        security: [...bearer, {}],
        parameters: [
          sessionId,
          { name: 'step', in: 'path', required: true, schema: { enum: ['document', 'selfie', 'video'] } },
          { ...signedLink[0], required: false },
          { ...signedLink[1], required: false },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: {
                  front: { type: 'string', format: 'binary', description: 'Document photo: JPEG, PNG or WebP (sniffed), ≤ BODY_LIMIT_BYTES and MAX_IMAGE_PIXELS (width × height, from the header)' },
                  type: { enum: ['passport', 'id_card', 'driving_license', 'residence_permit'] },
                  image: { type: 'string', format: 'binary', description: 'Selfie: JPEG, PNG or WebP (sniffed), ≤ BODY_LIMIT_BYTES and MAX_IMAGE_PIXELS (width × height, from the header)' },
                  video: { type: 'string', format: 'binary' },
                  consent_given_at: { type: 'string', format: 'date-time', description: 'Required with the video' },
                  consent_text_version: { ...str, description: 'Required with the video' },
                  challenge_id: { ...str, pattern: '^chl_[0-9a-f-]{36}$', description: "Extension, optional with the video: the session's challenge id (its body's challenge.id); absent = the session's own challenge is used" },
                },
              },
            },
            // A Media Type Object has no description (OpenAPI 3.1 §4.8.14): the schema carries it.
            'application/octet-stream': {
              schema: { type: 'string', format: 'binary', description: 'Raw file; video consent in X-Consent-Given-At / X-Consent-Text-Version, the challenge id (optional) in X-Challenge-Id' },
            },
          },
        },
        responses: {
          201: json('Stored', {
            type: 'object',
            properties: {
              id: str,
              session_id: str,
              step: str,
              status: { const: 'uploaded' },
              content_type: str,
              bytes: { type: 'integer' },
              sha256: str,
              session_status: str,
              job_id: nullable('string'),
              challenge_id: nullable('string', { description: 'Extension, video only: the challenge this upload used up; null when the session has none' }),
            },
          }),
          400: verilockError('unsupported_file_type or invalid_request'),
          ...bearerErrors,
          403: verilockError('forbidden (bad link), link_expired, session_expired'),
          409: verilockError('conflict: video before the photos, or a second video; challenge_used: the challenge was already used'),
          410: verilockError('challenge_expired: the named challenge expired (details.reason "expired")'),
          413: verilockError('payload_too_large: over the byte limit, or a photo whose header declares more than MAX_IMAGE_PIXELS (any format, SVG included)'),
          422: verilockError('validation_error (e.g. missing consent, malformed challenge_id); challenge_invalid: challenge_id unknown to this app, another session\'s or a verifyVideo one (details.reason: unknown, another_session)'),
        },
      },
    },
    '/v1/sessions/{id}/video': {
      get: { operationId: 'getSessionVideo', summary: "Verilock's video result with a signed 1-hour video_url", security: bearer, parameters: [sessionId], responses: { 200: json('The video result', video), ...bearerErrors } },
    },
    '/v1/sessions/{id}/video/download': {
      get: {
        operationId: 'downloadSessionVideo',
        summary: 'The recorded video behind video_url (the signed link is the credential; HTTP Range)',
        parameters: [sessionId, ...signedLink],
        responses: { 200: { description: 'The video' }, 206: { description: 'One byte range' }, 403: verilockError('forbidden or link_expired'), 404: verilockError('not recorded, or past retention'), 416: { description: 'Range not satisfiable' } },
      },
    },
    '/v1/sessions/{id}/review': {
      post: {
        operationId: 'reviewSession',
        summary: "A reviewer's decision on a completed session, once; records video.reviewed",
        security: bearer,
        parameters: [sessionId],
        requestBody: jsonBody({ type: 'object', required: ['decision', 'reviewer_id'], properties: { decision: { enum: ['approved', 'declined'] }, reviewer_id: str, notes: str } }),
        responses: { 200: json('The video result with agent_id / agent_notes', video), 409: verilockError('conflict: not completed, or already reviewed'), 422: verilockError('validation_error'), ...bearerErrors },
      },
    },
    '/v1/webhooks': {
      get: {
        operationId: 'listWebhooks',
        summary: "The app's webhook events, newest first",
        security: bearer,
        parameters: [
          { name: 'session_id', in: 'query', schema: str },
          { name: 'status', in: 'query', schema: { enum: ['pending', 'delivered', 'failed'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'after', in: 'query', schema: str, description: 'next_after of the previous page' },
        ],
        responses: { 200: json('A page', { type: 'object', properties: { data: { type: 'array', items: webhook }, has_more: { type: 'boolean' }, next_after: nullable('string') } }), 422: verilockError('validation_error'), ...bearerErrors },
      },
    },
    '/v1/webhooks/{webhookId}': {
      get: { operationId: 'getWebhook', summary: 'One webhook event', security: bearer, parameters: [{ name: 'webhookId', in: 'path', required: true, schema: str }], responses: { 200: json('The event', webhook), ...bearerErrors } },
    },
    '/v1/webhooks/{webhookId}/attempts': {
      get: {
        operationId: 'listWebhookAttempts',
        summary: 'Every delivery attempt, in order',
        security: bearer,
        parameters: [{ name: 'webhookId', in: 'path', required: true, schema: str }],
        responses: {
          200: json('The attempts', { type: 'object', properties: { webhook_id: str, data: { type: 'array', items: { type: 'object', properties: { attempt: { type: 'integer' }, attempted_at: dateTime, url: str, status_code: nullable('integer'), error: nullable('string'), duration_ms: { type: 'integer' } } } } } }),
          ...bearerErrors,
        },
      },
    },
    '/v1/webhooks/{webhookId}/redeliver': {
      post: { operationId: 'redeliverWebhook', summary: 'A new round of delivery attempts, now', security: bearer, parameters: [{ name: 'webhookId', in: 'path', required: true, schema: str }], responses: { 202: json('Accepted', webhook), ...bearerErrors } },
    },
    '/v1/sessionRecording': {
      post: {
        operationId: 'uploadSessionRecording',
        summary: 'HyperVerge session-recording module: store a recording; each upload for a transactionId is a new attempt (the latest is current)',
        security: [{ appId: [], appKey: [] }],
        parameters: [transactionIdHeader],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['video'],
                properties: {
                  video: { type: 'string', format: 'binary', description: 'MP4, MOV or WebM (sniffed), ≤ VIDEO_BODY_LIMIT_BYTES' },
                  moduleId: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,100}$', default: 'sessionRecording' },
                },
              },
            },
          },
        },
        responses: {
          200: json('Stored', recordingApiResponse),
          400: hvError('Bad form, missing transactionId or video ("Error while parsing request body"), or not a video ("Invalid video")', 'Invalid video'),
          401: hvError('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
          403: hvError('The app may not call sessionRecording', 'Unauthorized Access to API'),
          413: hvError('Over the video size limit', 'Content Too Large'),
          429: hvError("Over the app's rateLimitPerMinute", 'Rate limit error'),
        },
      },
    },
    '/v1/sessionRecording/results': {
      get: {
        operationId: 'getSessionRecordingResults',
        summary: 'The session-recording module result of a transaction, earlier attempts in previousAttempts (oldest first)',
        security: [{ appId: [], appKey: [] }],
        parameters: [{ name: 'transactionId', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } }],
        responses: {
          200: json('The module result', {
            ...recordingModule,
            required: [...recordingModule.required, 'attempts', 'previousAttempts'],
            properties: { ...recordingModule.properties, attempts: { type: 'integer', minimum: 1 }, previousAttempts: { type: 'array', items: recordingModule } },
          }),
          400: hvError('Missing transactionId', 'Error while parsing request body'),
          401: hvError('Missing or wrong appId/appKey', 'Missing/Invalid credentials'),
          403: hvError('The app may not call sessionRecording', 'Unauthorized Access to API'),
          404: hvError('No recording for this transactionId (of this app)', 'Not Found'),
          429: hvError("Over the app's rateLimitPerMinute", 'Rate limit error'),
        },
      },
    },
    '/v1/sessionRecording/video/{mediaId}': {
      get: {
        operationId: 'downloadSessionRecording',
        summary: 'A stored recording behind an uploadUrl (the signed link is the credential; HTTP Range)',
        parameters: [{ name: 'mediaId', in: 'path', required: true, schema: str }, ...signedLink],
        responses: {
          200: { description: 'The video' },
          206: { description: 'One byte range' },
          403: hvError('Signature wrong or link expired', 'Unauthorized Access to API'),
          404: hvError('Past retention', 'Not Found'),
          416: { description: 'Range not satisfiable' },
        },
      },
    },
  };
}
