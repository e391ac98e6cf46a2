/**
 * The service app with the sessions API in live agent mode, for contract tests through app.request(): an in-memory
 * SQLite store (sessions, live queue and calls, media in a temp directory, webhooks), the real webhook dispatcher
 * delivering to a recording fetch, the real `session.process` handler over a verifyVideo double, the live calls on a
 * clock the test moves (`sweep()` applies it), and a checker double for the agent's automatic checks; the capture page too.
 * Apps: `kyc` (key `kyc-key`, allowed `sessions`, a webhook endpoint), `other` (key `other-key`, its own agents).
 */
import type { TurnSettings } from '../../src/config.js';
import type { VerifyVideo } from '../../src/pipeline/verify-video.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { LiveCalls, type LiveChecker, type LiveLimits } from '../../src/sessions/live-calls.js';
import { LiveEventHub } from '../../src/sessions/live-events.js';
import { LiveRepository, sqliteLiveSql } from '../../src/sessions/live-repository.js';
import { createProcessSession, PROCESS_SESSION_JOB, type ProcessSessionPayload } from '../../src/sessions/process-session.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import type { Job } from '../../src/store/job-queue.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { DEFAULT_RULES, memoryStore, sessionsDeps, testApp, testApps, testClock } from './contract.js';

export const LIVE_WEBHOOK_SECRET = 'kyc-webhook-secret-0123456789abcdef0123';
export const LIVE_APPS = testApps([
  { appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'], webhookUrl: 'https://kyc.example/hooks', webhookSecret: LIVE_WEBHOOK_SECRET },
  { appId: 'other', appKey: 'other-key', allowedApis: ['*'] },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
]);

/** Small limits so a test reaches them: 60 s wait, 120 s call, 2 calls per app, 10 s drop grace, 30 min recording upload. */
export const TEST_LIVE_LIMITS: LiveLimits = { queueWaitMs: 60_000, callMaxMs: 120_000, maxCallsPerApp: 2, dropGraceMs: 10_000, recordingUploadMs: 1_800_000 };

export interface DeliveredWebhook {
  url: string;
  headers: Headers;
  body: string;
}

/**
 * Builds the app at `t0` (ms since the epoch). `verifyVideo`: the recording's processing (a double: the live tests are
 * about the calls); `checker`: the agent's automatic checks (default: fixed scores).
 */
export function liveAgentApp(options: {
  t0: number;
  verifyVideo: VerifyVideo;
  checker?: LiveChecker;
  limits?: Partial<LiveLimits>;
  iceServers?: { urls: string }[];
  turn?: TurnSettings;
  /** Largest photo or snapshot, bytes (default: sessionsDeps' 4 KiB, enough for the tests' stand-in bytes; real photos need more). */
  imageBytes?: number;
}) {
  const clock = testClock(options.t0);
  const { db, media, close } = memoryStore(clock);
  const sessions = new SqliteSessionRepository(db, clock.now);
  const delivered: DeliveredWebhook[] = [];
  const webhooks = new WebhookDispatcher({
    store: new SqliteWebhookStore(db),
    endpointFor: endpointsFromApps(LIVE_APPS),
    now: clock.now,
    random: () => 0.5,
    fetch: (async (url: string | URL, init?: RequestInit) => {
      delivered.push({ url: String(url), headers: new Headers(init?.headers), body: String(init?.body) });
      return new Response('', { status: 200 });
    }) as typeof globalThis.fetch,
    log: () => {},
  });
  const enqueued: { type: string; payload: ProcessSessionPayload; id: string }[] = [];
  const jobs = {
    enqueue<P>(type: string, payload: P) {
      const id = `job_${enqueued.length + 1}`;
      enqueued.push({ type, payload: payload as ProcessSessionPayload, id });
      return id;
    },
  };
  const live = new LiveCalls({
    sessions,
    live: new LiveRepository(sqliteLiveSql(db)),
    media,
    webhooks,
    hub: new LiveEventHub(clock.now),
    checker: options.checker ?? (async ({ references }) => ({ livenessScore: 97.04, faceMatchScore: references.length > 0 ? 88.26 : null })),
    limits: { ...TEST_LIVE_LIMITS, ...options.limits },
    iceServers: options.iceServers ?? [],
    ...(options.turn ? { turn: options.turn } : {}),
    now: clock.now,
    log: () => {},
  });
  const deps = sessionsDeps({ apps: LIVE_APPS, clock, db, media, sessions, jobs, webhooks, live, rateLimiter: new RateLimiter(clock.now) });
  if (options.imageBytes !== undefined) deps.limits = { ...deps.limits, imageBytes: options.imageBytes };
  // With the capture page (its selfie check unused here), for the page a decided call's person reopens.
  const selfieCheckUnused = async (): Promise<never> => {
    throw new Error('the live agent tests take no selfie check');
  };
  const capture = { sessions: deps, checkLiveness: selfieCheckUnused, concurrency: { run: <T>(work: () => Promise<T>) => work() }, rateLimiter: new RateLimiter(clock.now) };
  const app = testApp({ sessions: deps, capture });
  const processSession = createProcessSession({ sessions, media, verifyVideo: options.verifyVideo, rules: { current: () => DEFAULT_RULES }, webhooks, maxAttempts: 3, now: clock.now, log: () => {} });
  /** Runs the `session.process` jobs enqueued so far, in order. */
  const runJobs = async () => {
    for (const job of enqueued.splice(0)) {
      if (job.type !== PROCESS_SESSION_JOB) continue;
      await processSession(job.payload, { id: job.id, type: job.type, payload: job.payload, state: 'running', attempts: 1, runAfter: clock.ms } as Job<ProcessSessionPayload>);
    }
  };
  return { app, clock, live, sessions, media, webhooks, delivered, enqueued, runJobs, close };
}
