/**
 * Builds the sessions API's durable parts from the config: the metadata store (the SQLite database in DATA_DIR, or
 * PostgreSQL with DATABASE_URL), the media store, the session repository, the active liveness challenges (also
 * verifyVideo's), the persisted job queue running `session.process`, and webhook delivery.
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
import type { Job, JobAttemptOutcome, JobQueue } from '../store/job-queue.js';
import { LocalMediaStore } from '../store/local-media-store.js';
import { PostgresDatabase, postgresUnavailable } from '../store/postgres.js';
import { PostgresJobQueue } from '../store/postgres-job-queue.js';
import { PostgresMediaRows } from '../store/postgres-media-rows.js';
import { PostgresWebhookStore } from '../store/postgres-webhooks.js';
import { createS3Client, S3MediaStore } from '../store/s3-media-store.js';
import { SqliteJobQueue } from '../store/sqlite-job-queue.js';
import { SqliteWebhookStore } from '../store/sqlite-webhooks.js';
import type { WebhookStore } from '../store/webhooks.js';
import type { WebhookDispatcherOptions } from '../webhooks/dispatcher.js';
import { CHALLENGE_MIN_RECORDING_SECONDS } from '../sessions/challenge-draw.js';
import { SqliteChallengeRepository, type ChallengeRepository } from '../sessions/challenge-repository.js';
import { PostgresChallengeRepository } from '../sessions/challenge-repository-postgres.js';
import { SqliteRecordingFingerprintRepository, type RecordingFingerprintRepository } from '../sessions/recording-fingerprints.js';
import { PostgresRecordingFingerprintRepository } from '../sessions/recording-fingerprints-postgres.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../sessions/process-session.js';
import { SqliteRecordingAttempts, type RecordingAttempts } from '../sessions/recording-attempts.js';
import { PostgresRecordingAttempts } from '../sessions/recording-attempts-postgres.js';
import { SqliteSessionRepository, type SessionRepository } from '../sessions/session-repository.js';
import { PostgresSessionRepository } from '../sessions/session-repository-postgres.js';
import { SqliteSessionHeadPoseStore, type SessionHeadPoseStore } from '../sessions/session-head-pose.js';
import { PostgresSessionHeadPoseStore } from '../sessions/session-head-pose-postgres.js';
import type { AdvanceGetVideoDeps } from '../http/routes/advance-get-video.js';
import type { TencentEssDeps } from '../http/routes/tencent-ess.js';
import { TokenBucketLimiter } from '../http/middleware/rate-limit.js';
import { LiveCalls } from '../sessions/live-calls.js';
import { LiveEventHub, type LiveEvents } from '../sessions/live-events.js';
import { PostgresLiveEventHub } from '../sessions/live-events-postgres.js';
import { LiveRepository, sqliteLiveSql } from '../sessions/live-repository.js';
import { openPostgresLiveRepository } from '../sessions/live-repository-postgres.js';
import type { MatchFace } from '../pipeline/match-face.js';
import type { CheckLiveness } from '../pipeline/types.js';
import { createWebhooks } from './create-webhooks.js';
import { createLiveChecker } from './live-checks.js';

/** Verilock's video_url lifetime: "expires after 1 hour" (https://developer.verilock.io/premium-features/video-kyc). */
export const VIDEO_URL_TTL_SECONDS = 3600;

type SessionsConfig = Pick<
  Config,
  'dataDir' | 'media' | 's3' | 'database' | 'jobs' | 'webhooks' | 'signingSecret' | 'publicBaseUrl' | 'bodyLimitBytes' | 'maxImagePixels' | 'video' | 'challengeTtlSeconds' | 'live'
>;

export interface SessionsApiShared {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  concurrency: ConcurrencyLimiter;
  rules: { current(): DecisionRules };
  verifyVideo: VerifyVideo;
  /** Live agent mode's automatic checks for the agent (selfie and snapshots); absent = the agent sees null checks. */
  checkLiveness?: CheckLiveness;
  matchFace?: MatchFace;
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
  onJobAttempt?: (type: string, outcome: JobAttemptOutcome) => void;
  onWebhookAttempt?: WebhookDispatcherOptions['onAttempt'];
  /** A session completed by its processing job, with its result (approved, declined, needs_review). */
  onSessionCompleted?: (result: string) => void;
}

/** What the job queue is built with, whichever store holds it. */
interface JobQueueSettings {
  log: (message: string) => void;
  onAttempt?: (type: string, outcome: JobAttemptOutcome) => void;
  onGiveUp: (job: Job) => Promise<void>;
}

/** Live call events with their lifecycle: in this process (SQLite), or across replicas (PostgreSQL). */
interface LiveEventsService extends LiveEvents {
  start(): void;
  close(): Promise<void>;
}

/** The metadata stores of one backend, and the media store whose rows live with them. */
interface SessionStores {
  media: LocalMediaStore | S3MediaStore;
  sessions: SessionRepository;
  challenges: ChallengeRepository;
  headPose: SessionHeadPoseStore;
  fingerprints: RecordingFingerprintRepository;
  recordings: RecordingAttempts;
  live: LiveRepository;
  webhooks: WebhookStore;
  jobs(settings: JobQueueSettings): Promise<JobQueue>;
  /** The live calls' event fan-out. */
  liveEvents(): Promise<LiveEventsService>;
  /** Wakes the webhook dispatcher when another replica (or a transaction of this one) commits an event; none embedded. */
  onNewWebhookEvents(wake: () => void): Promise<void>;
  /** /health/ready's check of the metadata database (a round trip to PostgreSQL; the SQLite file is covered by DATA_DIR's write check). */
  reachable(): Promise<void>;
  close(): Promise<void>;
}

/** The embedded stores: one SQLite file in DATA_DIR; media files under DATA_DIR/media, or the S3 bucket (rows in SQLite). */
function embeddedStores(config: SessionsConfig, log: (message: string) => void): SessionStores {
  const db = openDatabase(path.join(config.dataDir, 'store.sqlite'));
  const media = config.s3
    ? new S3MediaStore({ db, client: createS3Client(config.s3), bucket: config.s3.bucket, keyPrefix: config.s3.keyPrefix, presignedReads: config.s3.publicUrls === 'presigned', sweepIntervalMs: config.media.sweepIntervalMs, log })
    : new LocalMediaStore({ db, dir: path.join(config.dataDir, 'media'), sweepIntervalMs: config.media.sweepIntervalMs, log });
  return {
    media,
    sessions: new SqliteSessionRepository(db),
    challenges: new SqliteChallengeRepository(db),
    headPose: new SqliteSessionHeadPoseStore(db),
    fingerprints: new SqliteRecordingFingerprintRepository(db),
    recordings: new SqliteRecordingAttempts(db),
    live: new LiveRepository(sqliteLiveSql(db)),
    webhooks: new SqliteWebhookStore(db),
    jobs: async (settings) => new SqliteJobQueue({ db, ...config.jobs, ...settings }),
    // One process: the in-process hub (its emit already wakes the dispatcher in this process).
    liveEvents: async () => Object.assign(new LiveEventHub(), { start: () => undefined, close: async () => undefined }),
    onNewWebhookEvents: async () => undefined,
    reachable: async () => undefined,
    close: async () => {
      await media.close();
      db.close();
    },
  };
}

/**
 * The shared stores (DATABASE_URL): every module's rows in PostgreSQL (its migrations applied now, under the
 * migration lock), the media bytes in the S3 bucket (config.ts refuses DATABASE_URL without S3_BUCKET).
 */
async function postgresStores(config: SessionsConfig, database: NonNullable<SessionsConfig['database']>, s3: NonNullable<SessionsConfig['s3']>, log: (message: string) => void): Promise<SessionStores> {
  const db = new PostgresDatabase(database.url.connectionString(), { maxConnections: database.maxConnections, log });
  try {
    const webhookStore = await PostgresWebhookStore.open(db);
    const media = new S3MediaStore({
      rows: await PostgresMediaRows.open(db),
      client: createS3Client(s3),
      bucket: s3.bucket,
      keyPrefix: s3.keyPrefix,
      presignedReads: s3.publicUrls === 'presigned',
      sweepIntervalMs: config.media.sweepIntervalMs,
      log,
    });
    return {
      media,
      sessions: await PostgresSessionRepository.open(db),
      challenges: await PostgresChallengeRepository.open(db),
      headPose: await PostgresSessionHeadPoseStore.open(db),
      fingerprints: await PostgresRecordingFingerprintRepository.open(db),
      recordings: await PostgresRecordingAttempts.open(db),
      live: await openPostgresLiveRepository(db),
      webhooks: webhookStore,
      jobs: (settings) => PostgresJobQueue.open({ db, ...config.jobs, leaseMs: database.jobLeaseMs, ...settings }),
      liveEvents: () => PostgresLiveEventHub.open(db, { log }),
      onNewWebhookEvents: async (wake) => {
        await webhookStore.onNewEvents(wake);
      },
      reachable: () => db.ping(),
      close: async () => {
        await media.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    // Start-up fails with STORE_UNAVAILABLE, naming the database (without its password) and what to check.
    throw postgresUnavailable(database.url.toString(), error);
  }
}

export async function createSessionsApi(
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
  // DATABASE_URL set: PostgreSQL (+ S3) for replicas; else the embedded SQLite file, media on disk or in S3.
  const stores = config.database && config.s3 ? await postgresStores(config, config.database, config.s3, log) : embeddedStores(config, log);
  // The steps below still open things in the store (LISTEN connections, migrations): one that fails closes what the
  // stores hold (the pool and the listening connection) and answers as postgresStores does.
  const opening = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      await stores.close().catch(() => undefined);
      throw config.database ? postgresUnavailable(config.database.url.toString(), error) : error;
    }
  };
  const { media, sessions } = stores;
  const challengeRepository = stores.challenges;
  const challenges: VerifyVideoChallenges = {
    repository: challengeRepository,
    ttlSeconds: config.challengeTtlSeconds,
    maxRecordingSeconds: config.video.maxDurationSeconds,
  };
  const { headPose, fingerprints } = stores;
  const webhooks = createWebhooks(config.webhooks, stores.webhooks, shared.apps, { log, ...(observers.onWebhookAttempt ? { onAttempt: observers.onWebhookAttempt } : {}) });
  // PostgreSQL: an event committed by any replica wakes this dispatcher at once (NOTIFY at commit), not at its next poll.
  await opening(() => stores.onNewWebhookEvents(() => webhooks.wake()));
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
  const jobs = await opening(() => stores.jobs({
    log,
    ...(observers.onJobAttempt ? { onAttempt: observers.onJobAttempt } : {}),
    // A session.process job out of attempts (also one a crash interrupted on its last attempt, whose handler
    // never ran to give up) completes its session as needs_review, so no session hangs in_progress.
    onGiveUp: async (job) => {
      if (job.type === PROCESS_SESSION_JOB) await processSession.giveUp(job.payload as ProcessSessionPayload, job);
    },
  }));
  jobs.handle<ProcessSessionPayload>(PROCESS_SESSION_JOB, processSession);
  if (!config.signingSecret) {
    log(
      config.database
        ? 'no SIGNING_SECRET with DATABASE_URL: each replica signs capture and video links with its own random secret, so a link made by one fails on the others (set the same SIGNING_SECRET on every replica)'
        : 'no SIGNING_SECRET: session capture and video links are signed with a random per-process secret and die on restart',
    );
  }
  // Live agent mode: the queue and calls in the sessions' database; the signaling fan-out in this process (SQLite) or
  // across replicas through PostgreSQL (README "Live agent mode").
  const hub = await opening(() => stores.liveEvents());
  const live = new LiveCalls({
    sessions,
    live: stores.live,
    media,
    webhooks,
    hub,
    ...(shared.checkLiveness && shared.matchFace
      ? { checker: createLiveChecker({ checkLiveness: shared.checkLiveness, matchFace: shared.matchFace, concurrency: shared.concurrency, log }) }
      : {}),
    limits: { queueWaitMs: config.live.queueWaitMs, callMaxMs: config.live.callMaxMs, maxCallsPerApp: config.live.maxCallsPerApp, dropGraceMs: config.live.dropGraceMs, recordingUploadMs: config.live.recordingUploadMs },
    iceServers: config.live.iceServers,
    ...(config.live.turn ? { turn: config.live.turn } : {}),
    now: Date.now,
    log,
    // An agent's decision completes a session as processing does: counted with the sessions' decisions.
    ...(observers.onSessionCompleted ? { onDecided: observers.onSessionCompleted } : {}),
  });
  const deps: SessionsDeps = {
    apps: shared.apps,
    live,
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
    recordings: stores.recordings,
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
    /** /health/ready's check of the metadata store: PostgreSQL answers (with DATABASE_URL; the SQLite file is DATA_DIR's). */
    metadataReachable: () => stores.reachable(),
    async start(): Promise<void> {
      await jobs.start();
      webhooks.start();
      hub.start();
      live.start();
    },
    /** Ends the live calls' event streams (the process is draining): the server's connections can then close. */
    endLiveStreams: () => live.hub.endStreams(),
    async close(): Promise<void> {
      await live.stop();
      await hub.close();
      await jobs.stop();
      await webhooks.stop();
      await stores.close();
    },
  };
}
