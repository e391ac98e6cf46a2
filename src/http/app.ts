/**
 * The HTTP app factory: routes and error mapping only; no image math here (DESIGN.md).
 * Tests call `createApp(deps).request()` without opening a socket (Hono's testing pattern).
 *
 * Two error formats: vendor-compatible routes under /v1 answer in HyperVerge's envelope
 * (http/contracts/hyperverge.ts), the service's own routes (/health, /openapi.json) in ErrorBody.
 *
 * GET /health answers `{"status":"ok"}` (200) to anyone, `{"status":"draining"}` (503) once the process stops
 * taking work; the full report (models, versions, execution provider, liveness setup: health.ts) only at
 * `/health?details=1` with `Authorization: Bearer <appKey>` of a configured app (issue #13: versions tell an
 * attacker which known bugs to try). GET /health/live and /health/ready are the Kubernetes probes (routes/health.ts).
 * GET /openapi.json documents every route registered here, and GET /docs shows it (routes/docs.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../errors.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { ApiEnv } from './context.js';
import { errorBody, type HvMetadata } from './contracts/hyperverge.js';
import type { AppRegistry } from './apps.js';
import { healthReport, type HealthStatus, type ServiceVersions } from './health.js';
import { bearerKey } from './middleware/bearer-key.js';
import { requestTelemetry, type RequestTelemetry } from './middleware/request-telemetry.js';
import { noteError } from './request-errors.js';
import { metricsRoute, type MetricsRouteDeps } from './routes/metrics.js';
import { openApiDocument } from './openapi.js';
import { captureRoute, type CaptureDeps } from './routes/capture.js';
import { agentConsoleRoute } from './routes/agent-console.js';
import { challengesRoute } from './routes/challenges.js';
import { checkLivenessRoute, type CheckLivenessDeps } from './routes/check-liveness.js';
import { croppedImageRoute } from './routes/cropped-image.js';
import { docsRoute } from './routes/docs.js';
import { healthProbesRoute, type StoreWritableProbe } from './routes/health.js';
import { matchFaceRoute, type MatchFaceDeps } from './routes/match-face.js';
import { sessionRecordingRoute, type SessionRecordingDeps } from './routes/session-recording.js';
import { sessionsRoute, type SessionsDeps } from './routes/sessions.js';
import { agentsRoute } from './routes/agents.js';
import { liveAgentRoute } from './routes/live-agent.js';
import { verifyVideoRoute, type VerifyVideoDeps } from './routes/verify-video.js';
import { webhooksRoute, type WebhooksApiDeps } from './routes/webhooks.js';
import { advanceGetVideoRoute, type AdvanceGetVideoDeps } from './routes/advance-get-video.js';
import { tencentEssRoute, type TencentEssDeps } from './routes/tencent-ess.js';

export interface AppDeps {
  registry: ModelRegistry;
  versions: ServiceVersions;
  /** Apps whose Bearer appKey unlocks the full /health report (`?details=1`); absent = no key does (status only). */
  healthReportApps?: AppRegistry;
  /** False once the process is draining (after SIGTERM): /health answers 503 so load balancers stop sending work. Absent = always ready. */
  ready?: () => boolean;
  /**
   * GET /health/ready's store check: resolves when the store (DATA_DIR's database and media, the crop folder) takes a
   * write now, rejects with the reason otherwise (routes/health.ts `writableDirectoriesProbe`). Absent = the store is
   * not checked and the answer does not list it (an app built without a store, as in the contract tests).
   */
  storeWritable?: StoreWritableProbe;
  /** The access log and the metrics' per-request record (middleware/request-telemetry.ts); absent = neither. */
  telemetry?: RequestTelemetry;
  /**
   * GET /metrics (Prometheus text): the exposition, and the apps whose Bearer appKey may read it (absent = no key
   * needed: the service serves it this way only on METRICS_PORT, its own port). Absent = not served on this app.
   */
  metrics?: MetricsRouteDeps;
  /** The HyperVerge-compatible liveness API (POST /v1/checkLiveness, GET /v1/croppedImage); absent = not served. */
  liveness?: CheckLivenessDeps;
  /** POST /v1/matchFace (selfie vs ID photo or another selfie); absent = not served. */
  matchFace?: MatchFaceDeps;
  /**
   * POST /v1/verifyVideo (video liveness + match against selfie / ID photo), and POST /v1/challenges when it has
   * `challenges` (README "Active liveness challenges"); absent = not served.
   */
  verifyVideo?: VerifyVideoDeps;
  /**
   * The Verilock-style video-KYC sessions API (POST /v1/sessions …; Bearer appKey; README "Sessions API"); absent = not
   * served. With `live`, also live agent mode: the agents (/v1/agents), their calls (/v1/agent/…) and the person's
   * live-call links (/v1/sessions/{id}/live/…; README "Live agent mode").
   */
  sessions?: SessionsDeps;
  /** The hosted capture page at each session's capture_url (GET /capture/{id}; README "Capture page"); absent = not served. */
  capture?: CaptureDeps;
  /** GET /v1/webhooks…, POST /v1/webhooks/{id}/redeliver (Bearer appKey, counted as the `sessions` API; README "Webhooks"); absent = not served. */
  webhooks?: WebhooksApiDeps;
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

/** The largest request body left unread by an early answer that the connection is kept for, bytes (Go net/http: 256 KiB). */
const UNREAD_BODY_KEEP_ALIVE_BYTES = 256 * 1024;

/**
 * How long a connection closed after an early answer keeps reading (and discarding) what the client is still
 * sending, ms. Closing at once makes the client's kernel answer its next segment with a reset, and a client that is
 * still writing (fetch, curl) then loses the answer it was sent and reports a network error instead of the 413
 * (RFC 9112 §9.6: a server "SHOULD NOT fully close the connection" until the client has read the response; the
 * "lingering close" of Apache httpd and nginx, whose `lingering_timeout` is 5 s). 2 s covers a client that stops
 * writing when it reads the answer; one that never stops is cut after it, and each connection costs one timer.
 */
export const LINGERING_CLOSE_MS = 2000;

const lingering = new WeakSet<Socket>();

/**
 * Makes Node's close of this socket after the answer (http.Server calls `destroySoon()` when the response has
 * `Connection: close`) a lingering close: half-close (our FIN after the answer), keep reading and discarding, and
 * destroy when the client closes its side or after LINGERING_CLOSE_MS.
 */
function lingerOnClose(socket: Socket | null | undefined): void {
  if (!socket || lingering.has(socket)) return;
  lingering.add(socket);
  let closing = false;
  (socket as Socket & { destroySoon: () => void }).destroySoon = function lingeringClose(this: Socket) {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => this.destroy(), LINGERING_CLOSE_MS);
    timer.unref();
    this.once('end', () => {
      clearTimeout(timer);
      this.destroy();
    });
    this.once('close', () => clearTimeout(timer));
    this.end();
    this.resume();
  };
}

/** A JSON media type: application/json or a +json structured syntax suffix (RFC 6839 §3.1), e.g. application/problem+json. */
const JSON_MEDIA_TYPE = /^application\/(?:[^\s;/]+\+)?json\s*(?:;|$)/i;

/** The HyperVerge error response for `error` (AppError or anything thrown), with this request's ids. */
function vendorError(c: Context<ApiEnv>, error: AppError | undefined): Response {
  const transactionId = c.req.header('transactionId')?.trim();
  const metadata: HvMetadata = {
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

  // First of all: the request id (metadata.requestId on /v1), the request's logger, and once the answer is out one
  // access-log line and the metrics' record (middleware/request-telemetry.ts).
  app.use(requestTelemetry(deps.telemetry ?? {}));

  // These two come first, so they also see the answers of onError, notFound and the routes' own error handlers.
  //
  // An answer given before a large request body has arrived (a refusal on the headers: credentials, rate limit, a
  // Content-Length over the limit, a bad multipart Content-Type) closes the connection (RFC 9112 §9.6):
  // @hono/node-server reads at most 500 ms (64 MiB) of such a leftover body and then closes the socket, and a client
  // that had sent its next request on that connection would get a reset instead of an answer. A small leftover is
  // read and the connection kept, Go net/http's rule (maxPostHandlerReadBytes, 256 KiB). `incoming.complete`: the
  // parser has the whole message (Node docs, http.IncomingMessage). app.request() in tests has no socket.
  app.use(async function closeAfterUnreadBody(c, next) {
    await next();
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    if (!incoming || incoming.complete) return;
    const declaredBytes = Number(incoming.headers['content-length']); // NaN when chunked: length unknown
    if (!(declaredBytes <= UNREAD_BODY_KEEP_ALIVE_BYTES)) {
      c.res.headers.set('Connection', 'close');
      lingerOnClose(incoming.socket);
    }
  });
  // `nosniff` (WHATWG Fetch §3.5, "X-Content-Type-Options") stops a browser from reading a JSON answer that echoes
  // caller input (a field name, a transactionId) as HTML or script.
  app.use(async function noSniffJson(c, next) {
    await next();
    if (JSON_MEDIA_TYPE.test(c.res.headers.get('Content-Type') ?? '')) c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });

  // Hono hands only Error instances to onError and rethrows anything else (a thrown string, a
  // rejected promise with a plain object): wrap those so they get the 500 body instead of escaping.
  app.use(async function normalizeThrownValues(_c, next) {
    try {
      await next();
    } catch (thrown) {
      throw thrown instanceof Error ? thrown : new Error(`non-Error value thrown: ${String(thrown)}`, { cause: thrown });
    }
  });


  const healthReportKey = deps.healthReportApps ? bearerKey(deps.healthReportApps) : undefined;
  const keyForHealthDetails: MiddlewareHandler<ApiEnv> = async function healthDetailsKey(c, next) {
    if (c.req.query('details') === undefined) return next();
    if (healthReportKey) return healthReportKey(c, next);
    c.header('WWW-Authenticate', 'Bearer');
    throw new AppError('UNAUTHENTICATED', 'this process serves no full health report (no apps configured for it)');
  };
  app.get('/health', keyForHealthDetails, function health(c) {
    const status: HealthStatus = deps.ready === undefined || deps.ready() ? 'ok' : 'draining';
    // RFC 9110 §15.6.4: 503 while draining, so a load balancer's probe takes this replica out of rotation.
    const code = status === 'ok' ? 200 : 503;
    const details = c.req.query('details');
    if (details === undefined) return c.json({ status }, code);
    if (details !== '1') throw new AppError('BAD_REQUEST', 'details must be "1" (the full report) or absent (status only)');
    return c.json(healthReport(deps.registry, deps.versions, status), code);
  });
  const probeLog = deps.telemetry?.log;
  app.route(
    '/',
    healthProbesRoute({
      registry: deps.registry,
      ...(deps.ready ? { ready: deps.ready } : {}),
      ...(deps.storeWritable ? { storeWritable: deps.storeWritable } : {}),
      ...(probeLog ? { log: (message: string) => probeLog.error(message) } : {}),
    }),
  );
  if (deps.metrics) app.route('/', metricsRoute(deps.metrics));
  app.get('/openapi.json', (c) => c.json(openApiDocument(deps.versions.service)));
  app.route('/', docsRoute());

  if (deps.liveness) {
    app.route('/v1', checkLivenessRoute(deps.liveness));
    app.route('/v1', croppedImageRoute(deps.liveness));
  }
  if (deps.matchFace) app.route('/v1', matchFaceRoute(deps.matchFace));
  if (deps.verifyVideo) app.route('/v1', verifyVideoRoute(deps.verifyVideo));
  if (deps.verifyVideo?.challenges) app.route('/v1', challengesRoute({ ...deps.verifyVideo, challenges: deps.verifyVideo.challenges }));
  // Live agent mode (README "Live agent mode") rides on the sessions API: its person routes come before the sessions
  // route, whose catch-all answers any other /v1/sessions/* path.
  if (deps.sessions?.live) {
    const live = deps.sessions.live;
    app.route('/v1', liveAgentRoute({ ...deps.sessions, live }));
    app.route('/v1', agentsRoute({ apps: deps.sessions.apps, rateLimiter: deps.sessions.rateLimiter, live }));
  }
  if (deps.sessions) app.route('/v1', sessionsRoute(deps.sessions));
  if (deps.capture) app.route('/', captureRoute(deps.capture));
  // The agent console (GET /agent) is served with the capture page: both are the service's own pages for sessions.
  if (deps.capture) app.route('/', agentConsoleRoute());
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
    noteError(c, error, known ? known.status : 500, 'service');
    if (c.req.path.startsWith(VENDOR_PREFIX)) return vendorError(c, known);
    if (known) return c.json<ErrorBody>({ error: { code: known.code, message: known.message } }, known.status as ContentfulStatusCode);
    return c.json<ErrorBody>({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });

  return app;
}
