/**
 * The HTTP app factory: routes and error mapping only; no image math here (DESIGN.md).
 * Tests call `createApp(deps).request()` without opening a socket (Hono's testing pattern).
 *
 * Two error formats: vendor-compatible routes under /v1 answer in HyperVerge's envelope
 * (http/contracts/hyperverge.ts), the service's own routes (/health, /openapi.json) in ErrorBody.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../errors.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { ApiEnv } from './context.js';
import { errorBody, type HvErrorBody } from './contracts/hyperverge.js';
import { healthReport, type ServiceVersions } from './health.js';
import { openApiDocument } from './openapi.js';
import { captureRoute, type CaptureDeps } from './routes/capture.js';
import { checkLivenessRoute, type CheckLivenessDeps } from './routes/check-liveness.js';
import { croppedImageRoute } from './routes/cropped-image.js';
import { matchFaceRoute, type MatchFaceDeps } from './routes/match-face.js';
import { sessionRecordingRoute, type SessionRecordingDeps } from './routes/session-recording.js';
import { sessionsRoute, type SessionsDeps } from './routes/sessions.js';
import { verifyVideoRoute, type VerifyVideoDeps } from './routes/verify-video.js';
import { webhooksRoute, type WebhooksRouteDeps } from './routes/webhooks.js';
import { advanceGetVideoRoute, type AdvanceGetVideoDeps } from './routes/advance-get-video.js';
import { tencentEssRoute, type TencentEssDeps } from './routes/tencent-ess.js';

export interface AppDeps {
  registry: ModelRegistry;
  versions: ServiceVersions;
  /** The HyperVerge-compatible liveness API (POST /v1/checkLiveness, GET /v1/croppedImage); absent = not served. */
  liveness?: CheckLivenessDeps;
  /** POST /v1/matchFace (selfie vs ID photo or another selfie); absent = not served. */
  matchFace?: MatchFaceDeps;
  /** POST /v1/verifyVideo (video liveness + match against selfie / ID photo); absent = not served. */
  verifyVideo?: VerifyVideoDeps;
  /** The Verilock-style video-KYC sessions API (POST /v1/sessions …; Bearer appKey; README "Sessions API"); absent = not served. */
  sessions?: SessionsDeps;
  /** The hosted capture page at each session's capture_url (GET /capture/{id}; README "Capture page"); absent = not served. */
  capture?: CaptureDeps;
  /** GET /v1/webhooks…, POST /v1/webhooks/{id}/redeliver (Bearer appKey; README "Webhooks"); absent = not served. */
  webhooks?: WebhooksRouteDeps;
  /** ADVANCE.AI-style token + GET /liveness/ext/v1/get-video over the sessions store (README "ADVANCE.AI Get Video"); absent = not served. */
  advanceGetVideo?: AdvanceGetVideoDeps;
  /** Tencent ESS-style POST / (X-TC-Action: DescribeSignFaceVideo) over the sessions store (README "Tencent ESS DescribeSignFaceVideo"); absent = not served. */
  tencentEss?: TencentEssDeps;
  /** HyperVerge session-recording module: POST /v1/sessionRecording, GET /v1/sessionRecording/results (README "Session recording"); absent = not served. */
  sessionRecording?: SessionRecordingDeps;
}

/** Error body for the service's own routes (vendor contracts map errors to their own formats). */
export interface ErrorBody {
  error: { code: string; message: string };
}

const VENDOR_PREFIX = '/v1/';

/** The HyperVerge error response for `error` (AppError or anything thrown), with this request's ids. */
function vendorError(c: Context<ApiEnv>, error: AppError | undefined): Response {
  const transactionId = c.req.header('transactionId')?.trim();
  const metadata: HvErrorBody['metadata'] = {
    requestId: c.get('requestId') ?? randomUUID(),
    ...(transactionId && transactionId.length <= 256 && /^[\x20-\x7e]+$/.test(transactionId) ? { transactionId } : {}),
  };
  const { status, body } = errorBody(error, metadata);
  // RFC 9110 §10.2.3: tell a refused caller when to come back (429 sets its own exact value).
  if (status === 503) c.header('Retry-After', '1');
  return c.json(body, status as ContentfulStatusCode);
}

export function createApp(deps: AppDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  // Hono hands only Error instances to onError and rethrows anything else (a thrown string, a
  // rejected promise with a plain object): wrap those so they get the 500 body instead of escaping.
  app.use(async function normalizeThrownValues(_c, next) {
    try {
      await next();
    } catch (thrown) {
      throw thrown instanceof Error ? thrown : new Error(`non-Error value thrown: ${String(thrown)}`, { cause: thrown });
    }
  });

  app.use(`${VENDOR_PREFIX}*`, async function requestIdMiddleware(c, next) {
    c.set('requestId', randomUUID());
    await next();
  });

  app.get('/health', (c) => c.json(healthReport(deps.registry, deps.versions)));
  app.get('/openapi.json', (c) => c.json(openApiDocument(deps.versions.service)));

  if (deps.liveness) {
    app.route('/v1', checkLivenessRoute(deps.liveness));
    app.route('/v1', croppedImageRoute(deps.liveness));
  }
  if (deps.matchFace) app.route('/v1', matchFaceRoute(deps.matchFace));
  if (deps.verifyVideo) app.route('/v1', verifyVideoRoute(deps.verifyVideo));
  if (deps.sessions) app.route('/v1', sessionsRoute(deps.sessions));
  if (deps.capture) app.route('/', captureRoute(deps.capture));
  if (deps.webhooks) app.route('/v1', webhooksRoute(deps.webhooks));
  if (deps.advanceGetVideo) app.route('/', advanceGetVideoRoute(deps.advanceGetVideo));
  if (deps.tencentEss) app.route('/', tencentEssRoute(deps.tencentEss));
  if (deps.sessionRecording) app.route('/v1', sessionRecordingRoute(deps.sessionRecording));

  app.notFound((c) => {
    if (c.req.path.startsWith(VENDOR_PREFIX)) return vendorError(c, new AppError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
    return c.json<ErrorBody>({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
  });

  app.onError((error, c) => {
    const known = error instanceof AppError ? error : undefined;
    // Unknown errors and internal (500) AppErrors: details to the log only, a generic body to the caller.
    if (!known || known.status === 500) console.error(`${known ? known.code : 'unhandled error'} on ${c.req.method} ${c.req.path}:`, error);
    if (c.req.path.startsWith(VENDOR_PREFIX)) return vendorError(c, known);
    if (known) return c.json<ErrorBody>({ error: { code: known.code, message: known.message } }, known.status as ContentfulStatusCode);
    return c.json<ErrorBody>({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });

  return app;
}
