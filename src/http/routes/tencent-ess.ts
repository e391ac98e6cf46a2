/**
 * Tencent Cloud ESS-style DescribeSignFaceVideo over the sessions store (issue #6, contract 8; wire format in
 * contracts/tencent-ess.ts):
 *   POST /   X-TC-Action: DescribeSignFaceVideo   {Operator: {UserId}, FlowId, SignId}
 *   → {Response: {VideoData: {LiveNessVideo: <base64>}, IntentionActionResult, IntentionQuestionResult: null, RequestId}}
 * Mapping: FlowId = the session's `external_id`, SignId = the session id (`ses_…`); both must name the same session
 * of the caller's app (anything else is ResourceNotFound, so ids of other apps are not revealed). Operator.UserId is
 * required, as Tencent requires it, and not otherwise interpreted (there are no employees here).
 * Auth: Tencent Cloud API 3.0 signature v3 (`TC3-HMAC-SHA256`, ../tc3-signature.ts) with SecretId = appId and
 * SecretKey = appKey, so Tencent's own SDKs work unchanged; it needs the app's key stored encrypted in APPS_FILE
 * (AppRegistry.secretOf; a hash-only app gets AuthFailure.SecretIdNotFound). `X-TC-Version` must be 2020-11-11
 * (NoSuchVersion otherwise; required with TC3, as Tencent requires it). Extension: `Authorization: Bearer <appKey>`
 * for callers without a Tencent client (it works with hash-only apps too). Limit: DEFAULT_REQUESTS_PER_SECOND per app
 * (token bucket) → RequestLimitExceeded.
 * IntentionActionResult: nods (src/pipeline/nod.ts detectNods, on the median3-smoothed pitch series that processing
 * stored, the same input verifyVideo's head-motion signal uses); null until the session was processed.
 * Errors are HTTP 200 with Response.Error, as Tencent Cloud API 3.0 answers.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.js';
import { detectNods } from '../../pipeline/nod.js';
import { smoothAngles } from '../../pipeline/video-signals.js';
import type { SessionHeadPoseStore } from '../../sessions/session-head-pose.js';
import type { SessionRepository } from '../../sessions/session-repository.js';
import type { MediaStore } from '../../store/media-store.js';
import { AppRegistry } from '../apps.js';
import {
  DEFAULT_REQUESTS_PER_SECOND,
  DESCRIBE_SIGN_FACE_VIDEO,
  describeSignFaceVideoBody,
  ESS_API_VERSION,
  FACE_VIDEO_RETENTION_MS,
  newRequestId,
  parseDescribeSignFaceVideo,
  TencentApiError,
  tencentErrorBody,
} from '../contracts/tencent-ess.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { TC3_ALGORITHM, Tc3Failure, verifyTc3 } from '../tc3-signature.js';
import type { TokenBucketLimiter } from '../middleware/rate-limit.js';
import { noteError } from '../request-errors.js';

export interface TencentEssDeps {
  apps: AppRegistry;
  sessions: SessionRepository;
  media: MediaStore;
  headPose: SessionHeadPoseStore;
  limiter: TokenBucketLimiter;
  /** Requests per second per app; default DEFAULT_REQUESTS_PER_SECOND (Tencent's 20). */
  requestsPerSecond?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
}

type EssEnv = { Variables: { requestId: string } };

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

export function tencentEssRoute(deps: TencentEssDeps): Hono {
  const route = new Hono<EssEnv>();
  const now = deps.now ?? Date.now;
  const perSecond = deps.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;

  route.post(
    '/',
    async function essRequestId(c, next) {
      c.set('requestId', newRequestId());
      await next();
    },
    async function essAction(c, next) {
      const action = c.req.header('X-TC-Action');
      if (!action) throw new TencentApiError('MissingParameter', 'the request is missing required header `X-TC-Action`');
      if (action !== DESCRIBE_SIGN_FACE_VIDEO) throw new TencentApiError('InvalidAction', `action ${action} is not served here; only ${DESCRIBE_SIGN_FACE_VIDEO}`);
      await next();
    },
    bodyLimit(64 * 1024),
    async function describeSignFaceVideo(c: Context<EssEnv>) {
      // The signature covers the exact body bytes: read them once, verify, then parse.
      const body = new Uint8Array(await c.req.arrayBuffer());
      const authorization = c.req.header('Authorization') ?? '';
      const signed = authorization.startsWith(`${TC3_ALGORITHM} `);
      const version = c.req.header('X-TC-Version');
      if (version === undefined && signed) throw new TencentApiError('MissingParameter', 'the request is missing required header `X-TC-Version`');
      if (version !== undefined && version !== ESS_API_VERSION) throw new TencentApiError('NoSuchVersion', `The API version does not exist: ${version} (this service speaks ${ESS_API_VERSION})`);
      let app;
      if (signed) {
        const url = new URL(c.req.url);
        let appId: string;
        try {
          // The Host header, or the request URL's host where the runtime keeps none apart (an in-process request).
          const header = (name: string) => c.req.header(name) ?? (name.toLowerCase() === 'host' ? url.host : undefined);
          appId = verifyTc3({ method: c.req.method, path: url.pathname, query: url.search.slice(1), header, body }, (id) => deps.apps.secretOf(id), now());
        } catch (error) {
          if (error instanceof Tc3Failure) throw new TencentApiError(error.code, error.message);
          throw error;
        }
        app = deps.apps.get(appId);
        if (!app) throw new TencentApiError('AuthFailure.SecretIdNotFound', 'Key does not exist.');
      } else {
        const match = /^Bearer +(\S+) *$/i.exec(authorization);
        if (!match) throw new TencentApiError('AuthFailure.InvalidAuthorization', `Authorization in the request header is invalid. (expected ${TC3_ALGORITHM} signature v3, or the extension "Bearer <appKey>")`);
        app = deps.apps.authenticateKey(match[1]);
        if (!app) throw new TencentApiError('AuthFailure', 'send "Authorization: Bearer <appKey>" with the key of a configured app');
      }
      if (!AppRegistry.allows(app, 'sessions')) throw new TencentApiError('OperationDenied', `app "${app.appId}" may not read session videos`);
      const retryAfter = deps.limiter.take(`tencent-ess:${app.appId}`, perSecond);
      if (retryAfter > 0) throw new TencentApiError('RequestLimitExceeded', `app "${app.appId}" is over ${perSecond} requests per second`);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch (error) {
        throw new TencentApiError('InvalidParameterValue', `the body must be JSON (${(error as Error).message})`);
      }
      const request = parseDescribeSignFaceVideo(json);
      const session = await deps.sessions.get(request.signId);
      if (!session || session.appId !== app.appId || session.externalId !== request.flowId) {
        throw new TencentApiError('ResourceNotFound', `no signer ${request.signId} in flow ${request.flowId}`);
      }
      if (!session.media.video) throw new TencentApiError('FailedOperation', `signer ${request.signId} has not recorded a face video yet`);
      const record = await deps.media.get(session.media.video);
      if (!record || now() - record.createdAt > FACE_VIDEO_RETENTION_MS) {
        throw new TencentApiError('ResourceNotFound', `the face video of signer ${request.signId} is no longer available (videos are kept 3 days)`);
      }
      const video = await readAll(await deps.media.open(record.id));
      const pitch = await deps.headPose.pitch(session.id);
      const nods = pitch ? detectNods(smoothAngles(pitch)) : null;
      return c.json(describeSignFaceVideoBody(video, nods, c.get('requestId')), 200);
    },
  );

  route.onError((error, c) => {
    const requestId = c.get('requestId') ?? newRequestId();
    if (error instanceof TencentApiError) return c.json(tencentErrorBody(error.code, error.message, requestId), 200);
    if (error instanceof AppError && error.code === 'IMAGE_TOO_LARGE') return c.json(tencentErrorBody('RequestSizeLimitExceeded', error.message, requestId), 200);
    noteError(c, error, 500, 'Tencent ESS API');
    return c.json(tencentErrorBody('InternalError', 'internal error', requestId), 200);
  });

  return route as unknown as Hono;
}
