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
        video_mode: { enum: ['self_record', 'live_agent'] },
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
    live: {
      type: 'object',
      description: 'live_agent sessions only (README "Live agent mode"): where the person is',
      required: ['state', 'queue_position', 'agent_id', 'call_id', 'wait_expires_at'],
      properties: {
        state: { enum: ['not_joined', 'waiting', 'in_call', 'ended'], description: 'not_joined also after a dropped call (the person may rejoin at the head); ended = decided or expired' },
        queue_position: nullable('integer', { minimum: 1, description: '1 = next; while waiting' }),
        agent_id: nullable('string', { description: 'The agent of the call in progress, or of the decision' }),
        call_id: nullable('string'),
        wait_expires_at: { ...dateTime, description: 'While waiting: past it with no agent, the session expires (LIVE_QUEUE_WAIT_SECONDS)' },
        last_call_end: { enum: ['decided', 'dropped', 'expired', 'timeout', null], description: 'Extension: how the last call or wait ended' },
      },
    },
  },
};

const video = {
  type: 'object',
  required: ['session_id', 'video_mode', 'status', 'result', 'video_url', 'duration_seconds', 'face_match_score', 'liveness_score', 'transcript', 'recorded_at', 'reviewed_at'],
  properties: {
    session_id: str,
    video_mode: { enum: ['self_record', 'live_agent'] },
    status: str,
    result: nullable('string'),
    video_url: nullable('string', { description: 'Signed, expires after 1 hour' }),
    duration_seconds: nullable('integer', { description: 'whole seconds' }),
    face_match_score: nullable('number', { minimum: 0, maximum: 100, description: '0–100, 50 at the same-person threshold; the weaker of video-vs-selfie and video-vs-document' }),
    liveness_score: nullable('number', { minimum: 0, maximum: 100 }),
    transcript: { type: 'null', description: 'Always null: no speech recognition is embedded' },
    recorded_at: dateTime,
    reviewed_at: dateTime,
    agent_id: { ...str, description: "Once reviewed: the reviewer's id, or the live call's agent (live_agent)" },
    agent_notes: nullable('string', { description: "Once reviewed: the reviewer's or the live call's agent's notes" }),
    challenge: {
      oneOf: [{ type: 'null' }, challengeResultSchema],
      description:
        "Extension: what the verifier found for the session's active liveness challenge (the same object as verifyVideo's result.challenge); null when the session had none or the video is not processed yet. Not passed = liveness_score 0 and the rules file's verifyVideo.challengeFailed decides",
    },
    snapshots: {
      type: 'array',
      description: "Extension, live_agent sessions only: the agent's snapshots of the call, oldest first",
      items: { type: 'object', required: ['id', 'taken_at', 'url'], properties: { id: str, taken_at: dateTime, url: { ...str, description: 'Signed, expires after 1 hour' } } },
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
        summary: 'Create a video-KYC session (self_record or live_agent); returns signed capture links',
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
                video_mode: {
                  enum: ['self_record', 'live_agent'],
                  default: 'self_record',
                  description: 'live_agent: after the photos the person joins a live call with an agent of the app (README "Live agent mode"); no challenge is drawn',
                },
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
        summary:
          "Upload the document photo (`front`, optional `type`), the selfie (`image`) or the video (`video` + consent fields); Bearer key, the signed capture link, or (the video of a live_agent session) the recording link of the agent's decision (`ended.recording_upload_url`: valid LIVE_RECORDING_UPLOAD_SECONDS from the decision, even past the session's expiry; one video)",
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
          409: verilockError("conflict: video before the photos, a second video (details.reason already_uploaded), or a live_agent session's video before the agent's decision (live_not_decided); challenge_used: the challenge was already used"),
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
        responses: { 200: { description: 'The video' }, 206: { description: 'One byte range' }, 302: { description: 'With S3_PUBLIC_URLS=presigned (GET only): Location is a presigned GetObject URL of the bucket, valid as long as this link; Range works there' }, 403: verilockError('forbidden or link_expired'), 404: verilockError('not recorded, or past retention'), 416: { description: 'Range not satisfiable' } },
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
    ...livePaths(),
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

// ── Live agent mode (README "Live agent mode"; routes/live-agent.ts, routes/agents.ts) ─────────────────────────────

const LIVE_TAG = ['Live agent mode'];
const agentBearer = [{ bearerAgentToken: [] }];
const callId = { name: 'callId', in: 'path', required: true, schema: { type: 'string', pattern: '^call_' } };
const liveLink = [sessionId, ...signedLink];
const checks = {
  type: 'object',
  required: ['face_match_score', 'liveness_score'],
  properties: {
    face_match_score: nullable('number', { minimum: 0, maximum: 100, description: 'The face (selfie, or a snapshot) against the other photos, 0–100, 50 at the threshold; null when not computed' }),
    liveness_score: nullable('number', { minimum: 0, maximum: 100, description: 'Passive liveness of the face image, 0–100; null when not computed' }),
  },
};
/** A snapshot's `so_far` (README "Live agent mode", snapshot scores): over the call's snapshots up to this one. */
const soFar = {
  type: 'object',
  required: ['snapshots', 'liveness_score', 'face_match_score'],
  description: "The call's snapshots so far; kept apart from the selfie's checks and from the decision (they change neither)",
  properties: {
    snapshots: { type: 'integer', minimum: 1, description: 'How many snapshots the call has' },
    liveness_score: nullable('number', { minimum: 0, maximum: 100, description: 'Mean liveness of the snapshots that have one, 0–100; null when none has' }),
    face_match_score: nullable('number', { minimum: 0, maximum: 100, description: 'Lowest face match of the snapshots that have one, 0–100; null when none has' }),
  },
};
/** ICE servers handed to one side of a call: ICE_SERVERS, then (TURN_URLS + TURN_SHARED_SECRET) that side's own TURN credentials. */
const callIceServers = {
  type: 'array',
  description:
    "RTCIceServer entries: those of ICE_SERVERS, then, with TURN_URLS and TURN_SHARED_SECRET, one {urls: TURN_URLS, username, credential} with this side's own time-limited credentials for this call (coturn REST API scheme: username `<expiry unix s>:<call id>-<person|agent>`, credential base64(HMAC-SHA1(TURN_SHARED_SECRET, username)), valid TURN_CREDENTIAL_TTL_SECONDS)",
  items: { type: 'object', required: ['urls'], properties: { urls: { oneOf: [str, { type: 'array', items: str }] }, username: str, credential: str } },
};
const signal = (types: string[]) =>
  jsonBody({
    type: 'object',
    required: ['type'],
    properties: {
      type: { enum: types },
      sdp: { ...str, maxLength: 65536, description: 'With an offer or answer (RFC 8829)' },
      candidate: { type: ['object', 'string', 'null'], description: 'With a candidate: RTCIceCandidateInit, or null for the end of candidates' },
    },
  });
const agentErrors = {
  401: verilockError('authentication_error: missing or unknown agent token (an app key is refused here)'),
  403: verilockError("forbidden: the agent's app is suspended or may not call the sessions API"),
  429: verilockError("rate_limit_exceeded: the agent's app is over its rateLimitPerMinute"),
};
const callErrors = {
  ...agentErrors,
  403: verilockError("not_your_call: another agent's call; forbidden: the app is suspended"),
  404: verilockError("not_found: no such call (or another app's)"),
  409: verilockError('call_ended'),
};
const linkErrors = {
  403: verilockError('forbidden (bad link), link_expired, session_expired'),
  404: verilockError('not_found'),
  429: verilockError('rate_limit_exceeded: over the per-session limit of the live links'),
};
const eventStream = (description: string) => ({ description, content: { 'text/event-stream': { schema: { ...str, description: 'Server-Sent Events: `event:` name, JSON `data:`; `: ping` every 15 s' } } } });
const noContent = (description: string) => ({ description });

function livePaths(): Record<string, unknown> {
  return {
    '/v1/sessions/{id}/live/join': {
      post: {
        tags: LIVE_TAG,
        operationId: 'joinLiveQueue',
        summary: "The person joins the agents' queue with their consent to the call (after a dropped call: at the head); the signed live link is the credential",
        parameters: liveLink,
        requestBody: jsonBody({ type: 'object', required: ['consent_given_at', 'consent_text_version'], properties: { consent_given_at: { type: 'string', format: 'date-time' }, consent_text_version: str } }),
        responses: {
          200: json('Waiting', { type: 'object', properties: { state: { const: 'waiting' }, queue_position: { type: 'integer', minimum: 1 }, wait_expires_at: dateTime } }),
          400: verilockError('invalid_request: not JSON'),
          ...linkErrors,
          409: verilockError('conflict: the photos are missing (details.reason missing_previous_steps), the session is decided (completed), not a live_agent session (live_only), or already in a call'),
          422: verilockError('validation_error: consent fields'),
        },
      },
    },
    '/v1/sessions/{id}/live/events': {
      get: {
        tags: LIVE_TAG,
        operationId: 'liveSessionEvents',
        summary:
          "The person's event stream: queue {queue_position, wait_expires_at}, call {call_id, agent_id, ice_servers} (ICE_SERVERS and, with TURN_URLS, the person's own TURN credentials for the call), signal (answer/candidate), prompt {text}, ended {reason: decided|dropped|expired|timeout, result?, recording_upload_url?, recording_upload_expires_at?}. After a decision, while no recording is stored, `ended` carries the signed link the page uploads the call's recording to (POST /v1/sessions/{id}/video, one video), valid LIVE_RECORDING_UPLOAD_SECONDS from the decision whatever the session's expiry",
        parameters: liveLink,
        responses: { 200: eventStream('The stream; the current state first (EventSource-compatible)'), ...linkErrors },
      },
    },
    '/v1/sessions/{id}/live/signal': {
      post: {
        tags: LIVE_TAG,
        operationId: 'livePersonSignal',
        summary: "An SDP offer or ICE candidate from the person, relayed as is to the agent's stream",
        parameters: liveLink,
        requestBody: signal(['offer', 'candidate']),
        responses: { 204: noContent('Relayed'), 400: verilockError('invalid_request'), ...linkErrors, 409: verilockError('not_in_call'), 422: verilockError('validation_error') },
      },
    },
    '/v1/sessions/{id}/live/leave': {
      post: {
        tags: LIVE_TAG,
        operationId: 'leaveLiveCall',
        summary: 'The person leaves the queue (losing the place) or hangs up the call (a drop: they may rejoin at the head)',
        parameters: liveLink,
        responses: { 204: noContent('Left'), ...linkErrors },
      },
    },
    '/v1/sessions/{id}/snapshots/{snapshotId}': {
      get: {
        tags: LIVE_TAG,
        operationId: 'downloadLiveSnapshot',
        summary: "An agent's snapshot of a live call, behind the signed link in the video result's `snapshots` (HTTP Range)",
        parameters: [sessionId, { name: 'snapshotId', in: 'path', required: true, schema: { type: 'string', pattern: '^snp_' } }, ...signedLink],
        responses: { 200: { description: 'The image' }, 206: { description: 'One byte range' }, 403: verilockError('forbidden or link_expired'), 404: verilockError('unknown, or past retention'), 416: { description: 'Range not satisfiable' } },
      },
    },
    '/v1/agents': {
      post: {
        tags: LIVE_TAG,
        operationId: 'createAgent',
        summary: "A new agent of the app; its token (agt_…) is shown once and stored hashed",
        security: bearer,
        requestBody: jsonBody({ type: 'object', required: ['name'], properties: { name: { ...str, minLength: 1, maxLength: 100 } } }),
        responses: {
          201: json('The agent', { type: 'object', required: ['id', 'name', 'token', 'created_at'], properties: { id: str, name: str, token: { ...str, pattern: '^agt_' }, created_at: dateTime } }),
          400: verilockError('invalid_request: not JSON'),
          422: verilockError('validation_error'),
          ...bearerErrors,
        },
      },
      get: {
        tags: LIVE_TAG,
        operationId: 'listAgents',
        summary: "The app's agents, oldest first, each with its call in progress",
        security: bearer,
        responses: {
          200: json('The agents', { type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: { id: str, name: str, created_at: dateTime, active_call_id: nullable('string') } } } } }),
          ...bearerErrors,
        },
      },
    },
    '/v1/agents/{id}': {
      delete: {
        tags: LIVE_TAG,
        operationId: 'deleteAgent',
        summary: 'Deletes an agent (its call in progress is dropped first); its token stops working',
        security: bearer,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^agent_' } }],
        responses: { 204: noContent('Deleted'), ...bearerErrors },
      },
    },
    '/v1/agent/me': {
      get: {
        tags: LIVE_TAG,
        operationId: 'agentMe',
        summary: 'The signed-in agent (the console checks its token with it)',
        security: agentBearer,
        responses: { 200: json('The agent', { type: 'object', required: ['id', 'name', 'app_id'], properties: { id: str, name: str, app_id: str } }), ...agentErrors },
      },
    },
    '/v1/agent/queue': {
      get: {
        tags: LIVE_TAG,
        operationId: 'agentQueue',
        summary: "The app's queue, head first, and the agent's call in progress",
        security: agentBearer,
        responses: {
          200: json('The queue', {
            type: 'object',
            properties: {
              waiting: { type: 'array', items: { type: 'object', properties: { session_id: str, queue_position: { type: 'integer', minimum: 1 }, waiting_since: dateTime } } },
              active_call: { type: ['object', 'null'], properties: { call_id: str, session_id: str } },
            },
          }),
          ...agentErrors,
        },
      },
    },
    '/v1/agent/calls': {
      post: {
        tags: LIVE_TAG,
        operationId: 'takeNextCall',
        summary: 'Take the person at the head of the queue: their page is told to call; the answer has their photos (signed links) and the automatic checks',
        security: agentBearer,
        responses: {
          201: json('The call', {
            type: 'object',
            required: ['call_id', 'session_id', 'ice_servers', 'selfie_url', 'document_url', 'checks', 'expires_at'],
            properties: {
              call_id: str,
              session_id: str,
              ice_servers: callIceServers,
              selfie_url: nullable('string', { description: 'Signed; served while the call is in progress' }),
              document_url: nullable('string', { description: 'Signed; served while the call is in progress' }),
              checks,
              expires_at: { type: 'string', format: 'date-time', description: 'The call times out then (LIVE_CALL_MAX_SECONDS)' },
            },
          }),
          ...agentErrors,
          404: verilockError('queue_empty'),
          409: verilockError('agent_busy: the agent has a call in progress (one per agent); app_call_limit: LIVE_MAX_CALLS_PER_APP calls in progress'),
        },
      },
    },
    '/v1/agent/calls/{callId}/media/{step}': {
      get: {
        tags: LIVE_TAG,
        operationId: 'livePhoto',
        summary: "The session's selfie or document photo for the agent's console (the signed link from the take is the credential)",
        parameters: [callId, { name: 'step', in: 'path', required: true, schema: { enum: ['selfie', 'document'] } }, ...signedLink],
        responses: { 200: { description: 'The image' }, 403: verilockError('forbidden or link_expired'), 404: verilockError('the call has ended, or the photo is past retention') },
      },
    },
    '/v1/agent/calls/{callId}/events': {
      get: {
        tags: LIVE_TAG,
        operationId: 'agentCallEvents',
        summary:
          "The agent's event stream of the call: signal (offer/candidate), checks {face_match_score, liveness_score} (the selfie's, as in the take), snapshot_checks {snapshot_id, face_match_score, liveness_score, so_far: {snapshots, liveness_score, face_match_score}} (one per snapshot: its own scores and the call's snapshots so far, mean liveness and lowest match), ended {reason}; read with fetch (Bearer header)",
        security: agentBearer,
        parameters: [callId],
        responses: { 200: eventStream('The stream; on every (re)connect checks and one snapshot_checks per snapshot so far (or ended) first'), ...callErrors },
      },
    },
    '/v1/agent/calls/{callId}/signal': {
      post: {
        tags: LIVE_TAG,
        operationId: 'agentSignal',
        summary: "An SDP answer or ICE candidate from the agent, relayed as is to the person's stream",
        security: agentBearer,
        parameters: [callId],
        requestBody: signal(['answer', 'candidate']),
        responses: { 204: noContent('Relayed'), 400: verilockError('invalid_request'), 422: verilockError('validation_error'), ...callErrors },
      },
    },
    '/v1/agent/calls/{callId}/prompts': {
      post: {
        tags: LIVE_TAG,
        operationId: 'agentPrompt',
        summary: 'Ask the person for an action ("show the front of your document"); their page shows it',
        security: agentBearer,
        parameters: [callId],
        requestBody: jsonBody({ type: 'object', required: ['text'], properties: { text: { ...str, minLength: 1, maxLength: 200 } } }),
        responses: { 204: noContent('Sent'), 400: verilockError('invalid_request'), 422: verilockError('validation_error'), ...callErrors },
      },
    },
    '/v1/agent/calls/{callId}/snapshots': {
      post: {
        tags: LIVE_TAG,
        operationId: 'agentSnapshot',
        summary:
          "Store a snapshot of the call as the session's evidence (the app's retention); answers its own checks and the call's snapshots so far (also sent as a snapshot_checks event). The selfie's checks and the session's result and scores are not changed",
        security: agentBearer,
        parameters: [callId],
        requestBody: { required: true, content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } }, 'image/png': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          201: json('Stored', { type: 'object', required: ['id', 'checks', 'so_far'], properties: { id: { ...str, pattern: '^snp_' }, checks, so_far: soFar } }),
          413: verilockError('payload_too_large'),
          422: verilockError('unsupported_file_type or validation_error'),
          ...callErrors,
        },
      },
    },
    '/v1/agent/calls/{callId}/decision': {
      post: {
        tags: LIVE_TAG,
        operationId: 'agentDecision',
        summary: 'Approve or decline: ends the call, completes the session (result, agent_id, agent_notes), records video.completed and video.reviewed',
        security: agentBearer,
        parameters: [callId],
        requestBody: jsonBody({ type: 'object', required: ['result', 'notes'], properties: { result: { enum: ['approved', 'declined'] }, notes: { ...str, maxLength: 10000 } } }),
        responses: { 200: json("The session's video result", video), 400: verilockError('invalid_request'), 422: verilockError('validation_error'), ...callErrors },
      },
    },
    '/v1/agent/calls/{callId}/hangup': {
      post: {
        tags: LIVE_TAG,
        operationId: 'agentHangup',
        summary: 'End the call without a decision (a drop: the person may rejoin at the head of the queue)',
        security: agentBearer,
        parameters: [callId],
        responses: { 204: noContent('Ended'), ...callErrors },
      },
    },
    '/agent': {
      get: {
        tags: LIVE_TAG,
        operationId: 'agentConsole',
        summary: 'The agent console page: sign in with an agent token, see the queue, take the next person, the live video, photos, checks, prompts, snapshots and the decision',
        responses: { 200: { description: 'The page', content: { 'text/html': { schema: str } } } },
      },
    },
    '/agent/': {
      get: { tags: LIVE_TAG, operationId: 'agentConsoleSlash', summary: 'Redirects to /agent', responses: { 301: { description: 'To /agent' } } },
    },
    '/agent/assets/{file}': {
      get: {
        tags: LIVE_TAG,
        operationId: 'agentConsoleAsset',
        summary: "The console's script and style",
        parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: ['console.js', 'console.css'] } }],
        responses: { 200: { description: 'The asset' }, 304: { description: 'Not modified' } },
      },
    },
  };
}
