/**
 * Builds the sessions API's durable parts from the config: the SQLite database in DATA_DIR, the media
 * store, the session repository, the active liveness challenges (also verifyVideo's), the persisted job queue
 * running `session.process`, and webhook delivery.
 * Kept out of main.ts so the wiring is testable; `start()` begins background work (jobs re-queued after a
 * crash resume here), `close()` drains it and closes the database.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { AppRegistry } from '../http/apps.js';
import type { ConcurrencyLimiter } from '../http/concurrency.js';
import type { RateLimiter } from '../http/middleware/rate-limit.js';
import type { VerifyVideoChallenges } from '../http/routes/challenges.js';
import type { SessionRecordingDeps } from '../http/routes/session-recording.js';
import type { SessionsDeps } from '../http/routes/sessions.js';
import type { WebhooksRouteDeps } from '../http/routes/webhooks.js';
import { writableDirectoriesProbe } from '../http/routes/health.js';
import { UrlSigner } from '../http/signed-url.js';
import type { DecisionRules } from '../pipeline/decision.js';
import type { VerifyVideo } from '../pipeline/verify-video.js';
import { openDatabase } from '../store/database.js';
import { LocalMediaStore } from '../store/local-media-store.js';
import { createS3Client, S3MediaStore } from '../store/s3-media-store.js';
import { SqliteJobQueue, type SqliteJobQueueOptions } from '../store/sqlite-job-queue.js';
import type { WebhookDispatcherOptions } from '../webhooks/dispatcher.js';
import { CHALLENGE_MIN_RECORDING_SECONDS } from '../sessions/challenge-draw.js';
import { ChallengeRepository } from '../sessions/challenge-repository.js';
import { RecordingFingerprintRepository } from '../sessions/recording-fingerprints.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../sessions/process-session.js';
import { RecordingAttempts } from '../sessions/recording-attempts.js';
import { SessionRepository } from '../sessions/session-repository.js';
import { SessionHeadPoseStore } from '../sessions/session-head-pose.js';
import type { AdvanceGetVideoDeps } from '../http/routes/advance-get-video.js';
import type { TencentEssDeps } from '../http/routes/tencent-ess.js';
import { TokenBucketLimiter } from '../http/middleware/rate-limit.js';
import { createWebhooks } from './create-webhooks.js';

/** Verilock's video_url lifetime: "expires after 1 hour" (https://developer.verilock.io/premium-features/video-kyc). */
export const VIDEO_URL_TTL_SECONDS = 3600;

type SessionsConfig = Pick<Config, 'dataDir' | 'media' | 's3' | 'jobs' | 'webhooks' | 'signingSecret' | 'publicBaseUrl' | 'bodyLimitBytes' | 'maxImagePixels' | 'video' | 'challengeTtlSeconds'>;

export interface SessionsApiShared {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  concurrency: ConcurrencyLimiter;
  rules: { current(): DecisionRules };
  verifyVideo: VerifyVideo;
}

/** The socket peer's address (@hono/node-server); "unknown" where there is no socket (app.request() in tests). */
function socketAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What the sessions' background work reports as it goes (for /metrics; src/app/metrics.ts). */
export interface SessionsObservers {
  onJobAttempt?: SqliteJobQueueOptions['onAttempt'];
  onWebhookAttempt?: WebhookDispatcherOptions['onAttempt'];
  /** A session completed by its processing job, with its result (approved, declined, needs_review). */
  onSessionCompleted?: (result: string) => void;
}

export function createSessionsApi(
  config: SessionsConfig,
  shared: SessionsApiShared,
  log: (message: string) => void = (m) => console.log(m),
  observers: SessionsObservers = {},
) {
  // verifyVideo refuses videos over VIDEO_MAX_SECONDS: below the shortest challenge no challenge could be performed.
  if (config.video.maxDurationSeconds < CHALLENGE_MIN_RECORDING_SECONDS) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration: VIDEO_MAX_SECONDS (${config.video.maxDurationSeconds}) is shorter than the shortest active liveness challenge recording (${CHALLENGE_MIN_RECORDING_SECONDS} s)`,
    );
  }
  const db = openDatabase(path.join(config.dataDir, 'store.sqlite'));
  // S3_BUCKET set: media bytes in the bucket (rows stay in SQLite); else files under DATA_DIR/media, as always.
  const media = config.s3
    ? new S3MediaStore({ db, client: createS3Client(config.s3), bucket: config.s3.bucket, keyPrefix: config.s3.keyPrefix, sweepIntervalMs: config.media.sweepIntervalMs, log })
    : new LocalMediaStore({ db, dir: path.join(config.dataDir, 'media'), sweepIntervalMs: config.media.sweepIntervalMs, log });
  const sessions = new SessionRepository(db);
  const challengeRepository = new ChallengeRepository(db);
  const challenges: VerifyVideoChallenges = {
    repository: challengeRepository,
    ttlSeconds: config.challengeTtlSeconds,
    maxRecordingSeconds: config.video.maxDurationSeconds,
  };
  const headPose = new SessionHeadPoseStore(db);
  const fingerprints = new RecordingFingerprintRepository(db);
  const webhooks = createWebhooks(config.webhooks, db, shared.apps, { log, ...(observers.onWebhookAttempt ? { onAttempt: observers.onWebhookAttempt } : {}) });
  const processSession = createProcessSession({
    sessions,
    media,
    verifyVideo: shared.verifyVideo,
    rules: shared.rules,
    webhooks,
    headPose,
    challenges: challengeRepository,
    fingerprints,
    runLimited: (work) => shared.concurrency.run(work),
    maxAttempts: config.jobs.maxAttempts,
    log,
    ...(observers.onSessionCompleted ? { onCompleted: observers.onSessionCompleted } : {}),
  });
  const jobs = new SqliteJobQueue({
    db,
    ...config.jobs,
    log,
    ...(observers.onJobAttempt ? { onAttempt: observers.onJobAttempt } : {}),
    // A session.process job out of attempts (also one a crash interrupted on its last attempt, whose handler
    // never ran to give up) completes its session as needs_review, so no session hangs in_progress.
    onGiveUp: (job) => {
      if (job.type === PROCESS_SESSION_JOB) processSession.giveUp(job.payload as ProcessSessionPayload, job);
    },
  });
  jobs.handle<ProcessSessionPayload>(PROCESS_SESSION_JOB, processSession);
  if (!config.signingSecret) log('no SIGNING_SECRET: session capture and video links are signed with a random per-process secret and die on restart');
  const deps: SessionsDeps = {
    apps: shared.apps,
    rateLimiter: shared.rateLimiter,
    sessions,
    challenges: challengeRepository,
    fingerprints,
    media,
    jobs,
    webhooks,
    signer: new UrlSigner(config.signingSecret ?? randomBytes(32), VIDEO_URL_TTL_SECONDS),
    limits: {
      imageBytes: Math.min(config.bodyLimitBytes, config.media.maxBytes),
      // The photo APIs' pixel limit, so a pixel bomb is refused at upload, not stored to decline the session later.
      imagePixels: config.maxImagePixels,
      videoBytes: Math.min(config.video.bodyLimitBytes, config.media.maxBytes),
      maxVideoSeconds: config.video.maxDurationSeconds,
      mediaRetentionMs: config.media.evidenceRetentionMs,
    },
    clientIp: socketAddress,
    ...(config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {}),
  };
  const webhooksRoute: WebhooksRouteDeps = { apps: shared.apps, webhooks };
  // The HyperVerge session-recording module stores its videos in the same media store, signed the same way.
  const sessionRecording: SessionRecordingDeps = {
    apps: shared.apps,
    rateLimiter: shared.rateLimiter,
    media,
    recordings: new RecordingAttempts(db),
    signer: deps.signer,
    limits: { videoBytes: deps.limits.videoBytes, mediaRetentionMs: deps.limits.mediaRetentionMs },
    ...(config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {}),
  };
  // ADVANCE.AI Get Video and Tencent ESS DescribeSignFaceVideo read the same sessions and media; links share the signer.
  const advanceGetVideo: AdvanceGetVideoDeps = {
    apps: shared.apps,
    sessions,
    media,
    signer: deps.signer,
    ...(config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {}),
  };
  const tencentEss: TencentEssDeps = { apps: shared.apps, sessions, media, headPose, limiter: new TokenBucketLimiter() };
  return {
    deps,
    /** POST /v1/challenges and verifyVideo's `challengeId`: the same store as the sessions' challenges. */
    challenges,
    webhooksRoute,
    advanceGetVideo,
    tencentEss,
    sessionRecording,
    /** Jobs waiting and running now (for /metrics). */
    jobDepth: () => jobs.depth(),
    /**
     * /health/ready's check of where media bytes go: a one-byte put and delete in the bucket (S3), or a test write in
     * DATA_DIR/media/tmp, where uploads land first (the local store empties it at start, so a file a crash left is swept).
     */
    mediaWritable: media instanceof S3MediaStore ? () => media.probeWritable() : writableDirectoriesProbe([path.join(config.dataDir, 'media', 'tmp')]),
    start(): void {
      jobs.start();
      webhooks.start();
    },
    async close(): Promise<void> {
      await jobs.stop();
      await webhooks.stop();
      await media.close();
      db.close();
    },
  };
}
