/**
 * The service app with the sessions API and the capture page over an in-memory store, for contract tests through
 * app.request(): one app `kyc` (key `kyc-key`, allowed `sessions`), a clock the test moves, the selfie check given,
 * sessions drawn with their active liveness challenge.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/http/app.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import type { SessionsDeps } from '../../src/http/routes/sessions.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import type { CheckLiveness } from '../../src/pipeline/types.js';
import { ChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { SessionRepository } from '../../src/sessions/session-repository.js';
import { openDatabase } from '../../src/store/database.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';

export const CAPTURE_APPS = new AppRegistry([{ appId: 'kyc', appKeySha256: sha256Hex('kyc-key'), allowedApis: ['sessions'] }]);

/**
 * Builds the app at time `t0` (ms since the epoch). `close()` closes the database; `advance(ms)` moves the clock.
 */
export function captureApp(checkLiveness: CheckLiveness, t0: number) {
  let now = t0;
  const clock = () => now;
  const db = openDatabase(':memory:');
  const media = new LocalMediaStore({ db, dir: mkdtempSync(path.join(tmpdir(), 'capture-media-')), clock, log: () => {} });
  const sessions: SessionsDeps = {
    apps: CAPTURE_APPS,
    rateLimiter: new RateLimiter(clock),
    sessions: new SessionRepository(db, clock),
    challenges: new ChallengeRepository(db, clock),
    media,
    jobs: { enqueue: () => 'job_1' },
    webhooks: { emit: () => 'whk_1' },
    signer: new UrlSigner('test-signing-secret-of-at-least-32-chars', 3600, () => Math.floor(now / 1000)),
    limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 86_400_000 },
    clientIp: () => '203.0.113.7',
    now: clock,
  };
  const app = createApp({
    registry: {} as ModelRegistry,
    versions: { service: '9.9.9', onnxruntime: 'test', node: process.versions.node },
    sessions,
    capture: { sessions, checkLiveness, concurrency: { run: (work) => work() }, rateLimiter: new RateLimiter(clock) },
  });
  return { app, advance: (ms: number) => (now += ms), close: () => db.close() };
}
