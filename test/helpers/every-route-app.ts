/**
 * The app with every optional API of AppDeps present, so that createApp registers every route it can (the OpenAPI
 * coverage test enumerates them; the docs page test serves it). Real stores over an in-memory database and temp
 * folders, use cases that are never called (they throw if one is), no models. `close()` releases the stores.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { RulesFile } from '../../src/app/rules-file.js';
import type { AppDeps } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter, TokenBucketLimiter } from '../../src/http/middleware/rate-limit.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { ChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { RecordingAttempts } from '../../src/sessions/recording-attempts.js';
import { SessionHeadPoseStore } from '../../src/sessions/session-head-pose.js';
import { SessionRepository } from '../../src/sessions/session-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { LocalImageStore } from '../../src/store/local-image-store.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';

const notCalled = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} is not expected to run in this test`);
};

/** Every optional API present. `registry`: what /health and /health/ready see (default: one stand-in model). */
export function everyRouteDeps(registry: ModelRegistry = { list: () => [{}] } as unknown as ModelRegistry) {
  const apps = new AppRegistry([{ appId: 'acme', appKeySha256: sha256Hex('acme-key'), allowedApis: ['*'] }]);
  const rateLimiter = new RateLimiter();
  const concurrency = new ConcurrencyLimiter(1, 0);
  const rules = new RulesFile(path.resolve('rules/decision-rules.json'));
  const signer = new UrlSigner('test-signing-secret-of-at-least-32-chars', 3600);
  const db = openDatabase(':memory:');
  const media = new LocalMediaStore({ db, dir: mkdtempSync(path.join(tmpdir(), 'every-route-media-')), log: () => {} });
  const croppedImages = new LocalImageStore({ dir: mkdtempSync(path.join(tmpdir(), 'every-route-crops-')), ttlMs: 60_000, sweepIntervalMs: 0 });
  const sessionRepository = new SessionRepository(db);
  const challenges = new ChallengeRepository(db);
  const webhooks = new WebhookDispatcher({ store: new SqliteWebhookStore(db), endpointFor: endpointsFromApps(apps), log: () => {} });
  const liveness = { checkLiveness: notCalled('checkLiveness'), apps, rateLimiter, concurrency, bodyLimitBytes: 4096, rules, croppedImages, signer };
  const sessions = {
    apps,
    rateLimiter,
    sessions: sessionRepository,
    challenges,
    media,
    jobs: { enqueue: () => 'job_1' },
    webhooks,
    signer,
    limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 86_400_000 },
    clientIp: () => '203.0.113.7',
  };
  const deps = {
    registry,
    versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
    healthReportApps: apps,
    liveness,
    matchFace: { apps, rateLimiter, concurrency, bodyLimitBytes: 4096, rules, matchFace: notCalled('matchFace') },
    verifyVideo: {
      apps,
      rateLimiter,
      concurrency,
      rules,
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
    tencentEss: { apps, sessions: sessionRepository, media, headPose: new SessionHeadPoseStore(db), limiter: new TokenBucketLimiter() },
    sessionRecording: { apps, rateLimiter, media, recordings: new RecordingAttempts(db), signer, limits: { videoBytes: 8192, mediaRetentionMs: 86_400_000 } },
    telemetry: {},
    metrics: { render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }), apps },
  } satisfies Required<Omit<AppDeps, 'ready' | 'storeWritable'>>;
  return {
    deps: deps as AppDeps,
    async close() {
      media.close();
      await croppedImages.close();
      db.close();
    },
  };
}
