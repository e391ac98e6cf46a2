/**
 * OpenAPI 3.1 paths of the service's own routes (app.ts: /health and its probes, /metrics, /openapi.json, /docs) and of the
 * hosted capture page (routes/capture.ts, README "Capture page"), merged into the document by openapi.ts. These
 * answer in the service's own ErrorBody (app.ts), except the capture page's selfie check, which answers in the
 * sessions API's Verilock-style body like the uploads it precedes.
 */
import { json, str, verilockError } from './openapi-parts.js';
import { DOCS_ASSET_TYPES } from './routes/docs.js';


/** ErrorBody (app.ts): the service's own routes. */
const serviceError = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { ...str, description: 'Stable code (src/errors.ts)' }, message: str } } },
      },
    },
  },
});

/** `{"status": …}` and nothing else (so it and the full report, which has a status too, are told apart). */
const healthStatus = (status: string) => ({ type: 'object', required: ['status'], properties: { status: { const: status } }, additionalProperties: false });

/** GET /health?details=1 (http/health.ts HealthReport), in outline: the README and health.ts document each field. */
const healthReport = {
  type: 'object',
  required: ['status', 'executionProvider', 'inferenceThread', 'versions', 'models', 'notLoaded', 'packs', 'liveness'],
  properties: {
    status: { enum: ['ok', 'draining'] },
    executionProvider: { enum: ['cpu', 'cuda'], description: 'The provider every session was created with' },
    inferenceThread: { enum: ['worker', 'main'] },
    versions: { type: 'object', required: ['service', 'onnxruntime', 'node'], properties: { service: str, onnxruntime: str, node: str } },
    models: {
      type: 'array',
      description: 'Every loaded model: id, task, origin, file, sha256, bytes, source (name, version, upstream, license), inputs, outputs, executionProvider, placement (where ONNX Runtime ran its nodes), batching',
      items: {
        type: 'object',
        required: ['id', 'task', 'origin', 'sha256', 'executionProvider'],
        properties: {
          id: str,
          task: str,
          origin: { enum: ['embedded', 'pack'] },
          sha256: str,
          executionProvider: str,
          loadedFor: { type: 'array', items: { enum: ['checkLiveness', 'matchFace', 'verifyVideo'] }, description: 'Why it is loaded: the use cases that ask for it (only those models are loaded)' },
        },
      },
    },
    notLoaded: {
      type: 'array',
      description: 'The models of the manifest and the installed packs that are not loaded, each with why',
      items: { type: 'object', required: ['id', 'origin', 'reason'], properties: { id: str, origin: { enum: ['embedded', 'pack'] }, reason: str } },
    },
    packs: { type: 'array', description: 'Every optional pack of models/packs.json and whether it is installed', items: { type: 'object', properties: { id: str, task: str, state: str, default: { type: 'boolean' } } } },
    liveness: { type: 'object', description: 'The liveness setup in use: anti-spoofing pack state, signals, fusion weights (README "Liveness")' },
  },
};

const readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      required: ['modelsLoaded', 'draining'],
      properties: {
        modelsLoaded: { type: 'boolean', description: 'The model set is loaded (and warmed up: the process listens only after that)' },
        storeWritable: { type: 'boolean', description: 'The store (database and media folders, the crop folder) took a test write; absent where no store check is configured. Checked at most once a second' },
        draining: { type: 'boolean', description: 'True after SIGTERM, while in-flight requests finish' },
      },
    },
  },
};

/** The capture page's signed link (routes/sessions.ts capturePageResource), as in capture_url. */
const captureLink = [
  { name: 'id', in: 'path', required: true, schema: { ...str, pattern: '^ses_' }, description: 'The session id' },
  { name: 'expires', in: 'query', required: true, schema: { type: 'integer' }, description: 'Unix seconds (the session expiry)' },
  { name: 'signature', in: 'query', required: true, schema: { ...str, pattern: '^[0-9a-f]{64}$' } },
];

const html = (description: string) => ({ description, content: { 'text/html': { schema: str } } });

export function servicePaths(): Record<string, unknown> {
  return {
    '/health': {
      get: {
        operationId: 'getHealth',
        tags: ['Service'],
        summary: 'Status for anyone; the full report (models, versions, provider, liveness setup) with ?details=1 and an app key',
        security: [{}, { bearerAppKey: [] }],
        parameters: [{ name: 'details', in: 'query', required: false, schema: { const: '1' }, description: '"1": the full report; needs `Authorization: Bearer <appKey>` of a configured app' }],
        responses: {
          200: json('Taking work: {"status":"ok"}, or the full report with status "ok"', { oneOf: [healthStatus('ok'), healthReport] }),
          400: serviceError('details is neither "1" nor absent'),
          401: serviceError('?details=1 without a valid key (WWW-Authenticate: Bearer)'),
          403: serviceError('?details=1 with a suspended app\'s key'),
          503: json('Draining after SIGTERM: {"status":"draining"}, or the full report with status "draining"', { oneOf: [healthStatus('draining'), healthReport] }),
        },
      },
    },
    '/health/live': {
      get: {
        operationId: 'getLiveness',
        tags: ['Service'],
        summary: 'Kubernetes liveness probe: the process answers (also while draining; a restart would only cut what is finishing)',
        security: [{}],
        responses: { 200: json('Up', healthStatus('ok')) },
      },
    },
    '/health/ready': {
      get: {
        operationId: 'getReadiness',
        tags: ['Service'],
        summary: 'Kubernetes readiness probe: models loaded, store writable, not draining',
        security: [{}],
        responses: {
          200: json('Ready to take work', readiness),
          503: json('Not ready: the checks say which failed (the reason goes to the log)', readiness),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        tags: ['Service'],
        summary: 'Prometheus metrics (text exposition format): requests, model runs, queues, verdicts, jobs, webhooks, process',
        description:
          'On the API port: `Authorization: Bearer <appKey>` of a configured app (the metrics name the apps and show the traffic). With METRICS_PORT: served on that port alone, with no key (README "Metrics").',
        security: [{ bearerAppKey: [] }, {}],
        responses: {
          200: { description: 'The current values (Cache-Control: no-store)', content: { 'text/plain': { schema: str } } },
          401: serviceError('No valid key (WWW-Authenticate: Bearer)'),
          403: serviceError("A suspended app's key"),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        tags: ['Service'],
        summary: 'This document',
        security: [{}],
        responses: { 200: json('OpenAPI 3.1', { type: 'object', required: ['openapi', 'info', 'paths'] }) },
      },
    },
    '/docs': {
      get: {
        operationId: 'getApiReference',
        tags: ['Service'],
        summary: 'This document in Swagger UI, served whole by the service (no CDN; strict Content-Security-Policy)',
        security: [{}],
        responses: { 200: html('The page') },
      },
    },
    '/docs/assets/swagger-ui-dist/{file}': {
      get: {
        operationId: 'getApiReferenceAsset',
        tags: ['Service'],
        summary: "Swagger UI's script and stylesheet (swagger-ui-dist), cached 5 minutes with an ETag",
        security: [{}],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: Object.keys(DOCS_ASSET_TYPES) } }],
        responses: {
          200: { description: 'The file', content: Object.fromEntries(Object.values(DOCS_ASSET_TYPES).map((type) => [type.split(';')[0]!, { schema: str }])) },
          304: { description: 'Not modified (If-None-Match)' },
        },
      },
    },
    '/capture/{id}': {
      get: {
        operationId: 'getCapturePage',
        tags: ['Capture page'],
        summary: "The hosted capture page behind a session's capture_url (the signed link is the credential)",
        security: [{}],
        parameters: captureLink,
        responses: {
          200: html(
            "The page, ready to capture or saying the session is done (Cache-Control: no-store, a strict Content-Security-Policy). A live_agent session decided by its agent whose recording has not arrived: the page with pendingRecording {upload_url, expires_at} embedded, even past the link's expiry while the recording link is valid (LIVE_RECORDING_UPLOAD_SECONDS), which sends the recording it kept in IndexedDB",
          ),
          403: html('The page, saying the link was tampered with'),
          404: html('The page, saying there is no such session'),
          410: html('The page, saying the session or link expired'),
        },
      },
    },
    '/capture/{id}/selfie-check': {
      post: {
        operationId: 'checkCaptureSelfie',
        tags: ['Capture page'],
        summary: 'Quick feedback on a selfie before it is uploaded: the quality checks dull, eyesClosed, multipleFaces, headTurned (and noFace)',
        security: [{}],
        parameters: captureLink,
        requestBody: {
          required: true,
          content: { 'image/jpeg': { schema: { ...str, format: 'binary' } }, 'image/png': { schema: { ...str, format: 'binary' } } },
          description: 'The photo as the raw body (type sniffed from the bytes), at most the sessions API\'s image limit',
        },
        responses: {
          200: json('Checked: ok, or the issues a person can fix, with the advice the page shows', {
            type: 'object',
            required: ['ok', 'issues'],
            properties: {
              ok: { type: 'boolean' },
              issues: {
                type: 'array',
                items: { type: 'object', required: ['check', 'message'], properties: { check: { enum: ['noFace', 'dull', 'eyesClosed', 'multipleFaces', 'headTurned'] }, message: str } },
              },
            },
          }),
          400: verilockError('Not an image the service reads', ['unsupported_file_type', 'invalid_request']),
          403: verilockError('The link was tampered with', ['invalid_link']),
          404: verilockError('No such session', ['not_found']),
          409: verilockError('The session or link expired, or the session is done', ['expired', 'completed']),
          413: verilockError('Over the image byte or pixel limit', ['payload_too_large']),
          422: verilockError('Empty body', ['validation_error']),
          429: verilockError('More than 20 checks for this session in a minute; see Retry-After', ['rate_limit_exceeded']),
          503: verilockError('All workers busy and the queue full; retry (Retry-After)', ['server_error']),
        },
      },
    },
    '/capture/assets/{file}': {
      get: {
        operationId: 'getCaptureAsset',
        tags: ['Capture page'],
        summary: "The capture page's script and stylesheet, cached 5 minutes with an ETag",
        security: [{}],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: ['capture.js', 'capture.css'] } }],
        responses: {
          200: { description: 'The file', content: { 'text/javascript': { schema: str }, 'text/css': { schema: str } } },
          304: { description: 'Not modified (If-None-Match)' },
        },
      },
    },
  };
}
