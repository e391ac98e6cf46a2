/**
 * ADVANCE.AI-style access to a session's recorded video (issue #6, contract 7; wire format in
 * contracts/advance-ai.ts):
 *   POST /openapi/auth/ticket/v1/generate-token   {accessKey: appId, signature, timestamp, periodSecond?}
 *                                                 → {token, expiredTime}
 *     signature = hex(SHA-256(accessKey + secretKey + timestamp)), secretKey = the appKey, which the app must hold
 *     encrypted in APPS_FILE (AppRegistry.secretOf); timestamp in epoch ms, within TOKEN_TIMESTAMP_SKEW_MS of now.
 *     Extension for hash-only apps: `secretKey` (the appKey) instead of `signature`.
 *   GET  /liveness/ext/v1/get-video?livenessId=…|signatureId=…   (X-ACCESS-TOKEN) → {videoUrl, videoCreateTime}
 * Mapping onto the sessions store: livenessId = the session id (`ses_…`); signatureId = the session's
 * `external_id` (the app's newest session with it). Only the token's app's sessions are visible (another app's
 * id is "not exist"). videoUrl is the sessions API's signed download link
 * (GET /v1/sessions/{id}/video/download), signed for one day; videoCreateTime is the upload time, epoch ms.
 * Tokens are stateless: `<base64url(appId)>.<expires s>.<HMAC>` signed like the video links (signed-url.ts), so
 * they survive restarts when SIGNING_SECRET is set; the app must still exist and be allowed `sessions`.
 * Every answer is HTTP 200 with the outcome in `code`, as ADVANCE.AI does.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { AppError } from '../../errors.js';
import type { SessionRepository, StoredSession } from '../../sessions/session-repository.js';
import type { MediaStore } from '../../store/media-store.js';
import { AppRegistry } from '../apps.js';
import {
  AdvanceApiError,
  advanceEnvelope,
  advanceTokenSignature,
  generateTokenSchema,
  newTransactionId,
  parseGetVideoQuery,
  TOKEN_TIMESTAMP_SKEW_MS,
  VIDEO_LINK_TTL_SECONDS,
} from '../contracts/advance-ai.js';
import { bodyLimit } from '../middleware/body-limit.js';
import type { UrlSigner } from '../signed-url.js';
import { videoResource } from './sessions.js';
import { noteError } from '../request-errors.js';

export interface AdvanceGetVideoDeps {
  apps: AppRegistry;
  sessions: SessionRepository;
  media: MediaStore;
  /** The sessions API's signer: tokens and video links (its TTL is not used; lifetimes are set here). */
  signer: UrlSigner;
  publicBaseUrl?: string;
  /** Clock, ms since the epoch. */
  now?: () => number;
}

const tokenResource = (appId: string) => `advance-token:${appId}`;
/** Compared against when the app is unknown or holds no key: random per process, so no signature can match it. */
const UNKNOWN_APP_KEY = randomBytes(32).toString('hex');

export function advanceGetVideoRoute(deps: AdvanceGetVideoDeps): Hono {
  const route = new Hono();
  const now = deps.now ?? Date.now;

  function issueToken(appId: string, periodSeconds: number): { token: string; expiredTime: number } {
    const expires = Math.floor(now() / 1000) + periodSeconds;
    const token = `${Buffer.from(appId, 'utf8').toString('base64url')}.${expires}.${deps.signer.signature(tokenResource(appId), expires)}`;
    return { token, expiredTime: expires * 1000 };
  }

  /** The app of a valid, unexpired token that may still read session videos; IAM_FAILED otherwise. */
  function appOfToken(token: string | undefined): string {
    const [encodedAppId, expires, signature, extra] = (token ?? '').trim().split('.');
    if (!encodedAppId || extra !== undefined) throw new AdvanceApiError('IAM_FAILED');
    const appId = Buffer.from(encodedAppId, 'base64url').toString('utf8');
    const check = deps.signer.check(tokenResource(appId), expires, signature);
    if (check !== 'valid' || Number(expires) * 1000 <= now()) throw new AdvanceApiError('IAM_FAILED', undefined, check === 'invalid' ? 'the X-ACCESS-TOKEN is not valid' : 'the X-ACCESS-TOKEN has expired; generate a new one');
    const app = deps.apps.get(appId);
    if (!app || !AppRegistry.allows(app, 'sessions')) throw new AdvanceApiError('IAM_FAILED', undefined, `app "${appId}" may not read session videos`);
    return appId;
  }

  /**
   * The app whose key signed this token request, or undefined. Unknown apps and hash-only apps (no key to check with)
   * are compared against a random key, so the answer takes the same work and says nothing about which apps exist.
   */
  function appOfSignature(accessKey: string, signature: string, timestamp: string) {
    const secret = deps.apps.secretOf(accessKey);
    const expected = Buffer.from(advanceTokenSignature(accessKey, secret ?? UNKNOWN_APP_KEY, timestamp), 'hex');
    const equal = timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'hex'));
    return secret !== undefined && equal ? deps.apps.get(accessKey) : undefined;
  }

  route.post('/openapi/auth/ticket/v1/generate-token', bodyLimit(16 * 1024), async function generateToken(c) {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      throw new AdvanceApiError('PARAMETER_ERROR', 'Parameter should not be empty');
    }
    const parsed = generateTokenSchema.safeParse(json);
    if (!parsed.success) throw new AdvanceApiError('PARAMETER_ERROR', undefined, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const request = parsed.data;
    if (Math.abs(now() - Number(request.timestamp)) > TOKEN_TIMESTAMP_SKEW_MS) throw new AdvanceApiError('PARAMETER_ERROR', 'Timestamp error');
    const app = request.signature !== undefined ? appOfSignature(request.accessKey, request.signature, request.timestamp) : deps.apps.authenticate(request.accessKey, request.secretKey);
    if (!app) throw new AdvanceApiError('PARAMETER_ERROR', 'Signature error');
    if (app.allowedApis.length === 0) throw new AdvanceApiError('ACCOUNT_DISABLED');
    return c.json(advanceEnvelope('SUCCESS', issueToken(app.appId, request.periodSecond), newTransactionId()), 200);
  });

  route.get('/liveness/ext/v1/get-video', async function getVideo(c) {
    const appId = appOfToken(c.req.header('X-ACCESS-TOKEN'));
    const lookup = parseGetVideoQuery({ livenessId: c.req.query('livenessId'), signatureId: c.req.query('signatureId') });
    let session: StoredSession | undefined;
    if ('livenessId' in lookup) {
      session = await deps.sessions.get(lookup.livenessId);
      if (!session || session.appId !== appId) throw new AdvanceApiError('LIVENESS_ID_NOT_EXIST');
    } else {
      session = await deps.sessions.latestByExternalId(appId, lookup.signatureId);
      if (!session) throw new AdvanceApiError('SIGNATURE_ID_NOT_EXIST');
    }
    const record = session.media.video ? await deps.media.get(session.media.video) : undefined;
    if (!record) throw new AdvanceApiError('VIDEO_NOT_FOUND', undefined, `session ${session.id} has no video: never recorded, deleted, or expired`);
    const expires = Math.floor(now() / 1000) + VIDEO_LINK_TTL_SECONDS;
    const base = deps.publicBaseUrl ?? new URL(c.req.url).origin;
    const videoUrl = `${base}/v1/sessions/${session.id}/video/download?expires=${expires}&signature=${deps.signer.signature(videoResource(session.id), expires)}`;
    return c.json(advanceEnvelope('SUCCESS', { videoUrl, videoCreateTime: record.createdAt }, newTransactionId()), 200);
  });

  route.onError((error, c) => {
    if (error instanceof AdvanceApiError) return c.json(advanceEnvelope(error.code, null, newTransactionId(), error.message, error.extra), 200);
    if (error instanceof AppError && error.code === 'IMAGE_TOO_LARGE') return c.json(advanceEnvelope('PARAMETER_ERROR', null, newTransactionId(), undefined, error.message), 200);
    noteError(c, error, 500, 'ADVANCE.AI API');
    return c.json(advanceEnvelope('ERROR', null, newTransactionId()), 200);
  });

  return route;
}
