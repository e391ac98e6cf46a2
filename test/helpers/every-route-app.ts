/**
 * The app with every optional API of AppDeps present, so that createApp registers every route it can (the OpenAPI
 * coverage test enumerates them; the docs page test serves it). Real stores over an in-memory database and temp
 * folders, use cases that are never called (they throw if one is), no models. `close()` releases the stores.
 */
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import type { AppDeps } from '../../src/http/app.js';
import { TokenBucketLimiter } from '../../src/http/middleware/rate-limit.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { SqliteChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { LiveCalls } from '../../src/sessions/live-calls.js';
import { LiveEventHub } from '../../src/sessions/live-events.js';
import { LiveRepository, sqliteLiveSql } from '../../src/sessions/live-repository.js';
import { SqliteRecordingAttempts } from '../../src/sessions/recording-attempts.js';
import { SqliteSessionHeadPoseStore } from '../../src/sessions/session-head-pose.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { apiDeps, memoryStore, sessionsDeps, TEST_VERSIONS, testApps, testCropStore, testSigner } from './contract.js';

const notCalled = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is not expected to run in this test`);
};

/** Every optional API present. `registry`: what /health and /health/ready see (default: one stand-in model). */
export function everyRouteDeps(registry: ModelRegistry = { list: () => [{}] } as unknown as ModelRegistry) {
  const apps = testApps([{ appId: 'acme', appKey: 'acme-key', allowedApis: ['*'] }]);
  // One rate limiter, one set of run slots and the shipped rules for every API.
  const shared = apiDeps({ apps, concurrency: 1, bodyLimitBytes: 4096 });
  const { rateLimiter, concurrency } = shared;
  const signer = testSigner(undefined, 3600);
  const store = memoryStore();
  const { db, media } = store;
  const croppedImages = testCropStore();
  const sessionRepository = new SqliteSessionRepository(db);
  const challenges = new SqliteChallengeRepository(db);
  const webhooks = new WebhookDispatcher({ store: new SqliteWebhookStore(db), endpointFor: endpointsFromApps(apps), log: () => {} });
  const liveness = { ...shared, checkLiveness: notCalled('checkLiveness'), croppedImages, signer };
  // Live agent mode rides on the sessions API (its routes are registered with it).
  const live = new LiveCalls({
    sessions: sessionRepository,
    live: new LiveRepository(sqliteLiveSql(db)),
    media,
    webhooks,
    hub: new LiveEventHub(),
    limits: { queueWaitMs: 600_000, callMaxMs: 1_800_000, maxCallsPerApp: 10, dropGraceMs: 10_000, recordingUploadMs: 1_800_000 },
    iceServers: [],
    now: Date.now,
  });
  const sessions = sessionsDeps({ apps, db, media, rateLimiter, sessions: sessionRepository, challenges, webhooks, signer, live });
  const deps = {
    registry,
    versions: TEST_VERSIONS,
    healthReportApps: apps,
    liveness,
    matchFace: { ...shared, matchFace: notCalled('matchFace') },
    verifyVideo: {
      ...shared,
      croppedImages,
      signer,
      bodyLimitBytes: 8192,
      verifyVideo: notCalled('verifyVideo'),
      challenges: { repository: challenges, ttlSeconds: 600, maxRecordingSeconds: 60 },
    },
    sessions,
    capture: { sessions, checkLiveness: notCalled('checkLiveness'), concurrency, rateLimiter },
    webhooks: { apps, webhooks, rateLimiter },
    advanceGetVideo: { apps, sessions: sessionRepository, media, signer },
    tencentEss: { apps, sessions: sessionRepository, media, headPose: new SqliteSessionHeadPoseStore(db), limiter: new TokenBucketLimiter() },
    sessionRecording: { apps, rateLimiter, media, recordings: new SqliteRecordingAttempts(db), signer, limits: { videoBytes: 8192, mediaRetentionMs: 86_400_000 } },
    telemetry: {},
    metrics: { render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }), apps },
  } satisfies Required<Omit<AppDeps, 'ready' | 'storeWritable'>>;
  return {
    deps: deps as AppDeps,
    async close() {
      media.close();
      await croppedImages.close();
      store.close();
    },
  };
}
