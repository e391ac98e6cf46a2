/**
 * The HyperVerge session-recording module (issue #6), HyperVerge headers and error envelope:
 *   POST /v1/sessionRecording                  multipart `video` (+ optional `moduleId`); appId/appKey/
 *                                              transactionId headers. Each upload for a transactionId is
 *                                              a new attempt; the latest is the current one.
 *   GET  /v1/sessionRecording/results?transactionId=…   the module result with `previousAttempts`
 *   GET  /v1/sessionRecording/video/{mediaId}?expires=…&signature=…   a stored recording (the signed
 *                                              link is the credential; HTTP Range)
 * Guards run cheapest first: credentials → rate limit → body limit → form parsing → storage.
 */
import { Hono, type Context } from 'hono';
import { every } from 'hono/combine';
import { AppError } from '../../errors.js';
import type { RecordingAttempt, RecordingAttempts } from '../../sessions/recording-attempts.js';
import type { MediaStore } from '../../store/media-store.js';
import { evidenceRetentionMs, type AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { parseTransactionId } from '../contracts/hyperverge-request.js';
import { DEFAULT_RECORDING_MODULE_ID, moduleResult, recordingResult } from '../contracts/hyperverge-recording.js';
import { serveMedia } from '../media-response.js';
import { credentials } from '../middleware/credentials.js';
import { rateLimit, type RateLimiter } from '../middleware/rate-limit.js';
import { vendorApiGuards } from '../middleware/vendor-guards.js';
import { readForm } from '../multipart.js';
import type { UrlSigner } from '../signed-url.js';

export interface SessionRecordingDeps {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  media: MediaStore;
  recordings: RecordingAttempts;
  /** Signs the uploadUrls (its ttlSeconds is their lifetime). */
  signer: UrlSigner;
  limits: {
    /** Largest recording, bytes (VIDEO_BODY_LIMIT_BYTES, capped by MEDIA_MAX_BYTES). */
    videoBytes: number;
    /** Retention for apps without their own evidenceRetentionDays (EVIDENCE_RETENTION_DAYS), ms. */
    mediaRetentionMs: number;
  };
  /** Base for absolute links; undefined = the request's origin. */
  publicBaseUrl?: string;
}

/** Room for the multipart framing and the small fields around the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const MODULE_ID = /^[A-Za-z0-9_.-]{1,100}$/;
const videoResource = (mediaId: string) => `hv-recording:${mediaId}`;

export function sessionRecordingRoute(deps: SessionRecordingDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  const base = (c: Context) => (deps.publicBaseUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
  /** The attempts' video links (signed), looked up first: a recording past its retention has none. */
  const videoUrls = async (c: Context, attempts: readonly RecordingAttempt[]) => {
    const stored = new Set<string>();
    for (const attempt of attempts) if (await deps.media.get(attempt.mediaId)) stored.add(attempt.mediaId);
    return (attempt: RecordingAttempt) => {
      if (!stored.has(attempt.mediaId)) return undefined;
      const { expires, signature } = deps.signer.sign(videoResource(attempt.mediaId));
      return `${base(c)}/v1/sessionRecording/video/${encodeURIComponent(attempt.mediaId)}?expires=${expires}&signature=${signature}`;
    };
  };

  route.post('/sessionRecording', vendorApiGuards(deps, 'sessionRecording', deps.limits.videoBytes + FORM_OVERHEAD_BYTES), async function uploadRecording(c) {
    const transactionId = parseTransactionId(c.req.header('transactionId'));
    const form = await readForm(c.req.raw);
    const video = form.video;
    if (!(video instanceof File)) throw new AppError('BAD_REQUEST', Array.isArray(video) ? 'send the "video" file once' : 'the "video" file field is mandatory');
    if (video.size === 0) throw new AppError('BAD_REQUEST', 'the "video" file is empty');
    const moduleField = form.moduleId;
    if (moduleField !== undefined && (typeof moduleField !== 'string' || !MODULE_ID.test(moduleField))) {
      throw new AppError('BAD_REQUEST', 'moduleId must be 1–100 characters of letters, digits, "_", "." or "-"');
    }
    const app = c.get('app');
    const record = await deps.media
      .put(new Uint8Array(await video.arrayBuffer()), {
        kind: 'video',
        appId: app.appId,
        maxBytes: deps.limits.videoBytes,
        retentionMs: evidenceRetentionMs(app, deps.limits.mediaRetentionMs),
      })
      .catch((error: unknown) => {
        // HyperVerge's "Unsupported file type" (111) names image types: say "Invalid video" instead.
        if (error instanceof AppError && error.code === 'UNSUPPORTED_FILE_TYPE') throw new AppError('VIDEO_INVALID', error.message, { cause: error });
        throw error;
      });
    let attempt: RecordingAttempt;
    try {
      attempt = await deps.recordings.add({
        appId: app.appId,
        transactionId,
        moduleId: moduleField ?? DEFAULT_RECORDING_MODULE_ID,
        mediaId: record.id,
        requestId: c.get('requestId'),
      });
    } catch (error) {
      await deps.media.delete(record.id);
      throw error;
    }
    return c.json(moduleResult(attempt, (await videoUrls(c, [attempt]))(attempt)).apiResponse, 200);
  });

  route.get('/sessionRecording/results', every(credentials(deps.apps, 'sessionRecording'), rateLimit(deps.rateLimiter)), async function recordingResults(c) {
    // The transactionId of the journey: as a query parameter, or the usual header.
    const transactionId = parseTransactionId(c.req.query('transactionId') ?? c.req.header('transactionId'));
    const attempts = await deps.recordings.list(c.get('app').appId, transactionId);
    if (attempts.length === 0) throw new AppError('NOT_FOUND', `no session recording for transactionId "${transactionId}"`);
    return c.json(recordingResult(attempts, await videoUrls(c, attempts)), 200);
  });

  route.get('/sessionRecording/video/:mediaId', async function downloadRecording(c) {
    const mediaId = c.req.param('mediaId');
    const check = deps.signer.check(videoResource(mediaId), c.req.query('expires'), c.req.query('signature'));
    if (check === 'invalid') throw new AppError('FORBIDDEN', 'the link signature is not valid');
    if (check === 'expired') throw new AppError('FORBIDDEN', 'the link has expired; get a new one from GET /v1/sessionRecording/results');
    const record = await deps.media.get(mediaId);
    if (!record) throw new AppError('NOT_FOUND', 'no recording under this id (recordings past their retention are deleted)');
    // The link is a bearer credential: keep the video out of shared caches (RFC 9111 §5.2.2.7).
    return serveMedia(deps.media, record, c.req.raw, { 'Cache-Control': 'private, no-store', 'Content-Disposition': `attachment; filename="${mediaId}"` });
  });

  return route;
}
