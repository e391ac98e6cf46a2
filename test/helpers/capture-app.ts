/**
 * The service app with the sessions API and the capture page over an in-memory store, for contract tests through
 * app.request(): one app `kyc` (key `kyc-key`, allowed `sessions`), a clock the test moves, the selfie check given,
 * sessions drawn with their active liveness challenge.
 */
import type { CheckLiveness } from '../../src/pipeline/types.js';
import { SqliteChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { memoryStore, sessionsDeps, testApp, testApps, testClock } from './contract.js';

export const CAPTURE_APPS = testApps([{ appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'] }]);

/**
 * Builds the app at time `t0` (ms since the epoch). `close()` closes the database; `advance(ms)` moves the clock.
 */
export function captureApp(checkLiveness: CheckLiveness, t0: number) {
  const clock = testClock(t0);
  const { db, media, close } = memoryStore(clock);
  const sessions = sessionsDeps({ apps: CAPTURE_APPS, clock, db, media, challenges: new SqliteChallengeRepository(db, clock.now) });
  const app = testApp({
    sessions,
    capture: { sessions, checkLiveness, concurrency: { run: (work) => work() }, rateLimiter: new RateLimiter(clock.now) },
  });
  return { app, advance: clock.advance, close };
}
