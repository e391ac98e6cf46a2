/**
 * The sessions API's wiring of active liveness challenges: verifyVideo's challenges share the sessions' store, with
 * CHALLENGE_TTL_SECONDS and VIDEO_MAX_SECONDS; a VIDEO_MAX_SECONDS too short for any challenge stops start-up.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { AppRegistry, sha256Hex } from '../http/apps.js';
import { ConcurrencyLimiter } from '../http/concurrency.js';
import { RateLimiter } from '../http/middleware/rate-limit.js';
import type { DecisionRules } from '../pipeline/decision.js';
import { createSessionsApi, type SessionsApiShared } from './sessions-api.js';

const shared: SessionsApiShared = {
  apps: new AppRegistry([{ appId: 'kyc', appKeySha256: sha256Hex('k'), allowedApis: ['*'] }]),
  rateLimiter: new RateLimiter(),
  concurrency: new ConcurrencyLimiter(1, 0),
  rules: { current: () => ({}) as DecisionRules },
  verifyVideo: async () => {
    throw new Error('unused');
  },
};
const quiet = () => {};
const dataDir = () => mkdtempSync(path.join(tmpdir(), 'sessions-api-'));

describe('createSessionsApi: active liveness challenges', () => {
  it("gives verifyVideo the sessions' challenge store, with CHALLENGE_TTL_SECONDS and VIDEO_MAX_SECONDS", async () => {
    const api = await createSessionsApi(parseConfig({ DATA_DIR: dataDir(), CHALLENGE_TTL_SECONDS: '300', VIDEO_MAX_SECONDS: '30' }), shared, quiet);
    try {
      expect(api.challenges).toMatchObject({ ttlSeconds: 300, maxRecordingSeconds: 30 });
      expect(api.deps.challenges).toBe(api.challenges.repository);
      const challenge = await api.challenges.repository.issue({ appId: 'kyc', sessionId: null, expiresAt: Date.now() + 1000, maxRecordingSeconds: 30 });
      expect(await api.deps.challenges!.get(challenge.id)).toEqual(challenge);
    } finally {
      await api.close();
    }
  });

  it('refuses to start when VIDEO_MAX_SECONDS is shorter than the shortest challenge recording (12 s)', async () => {
    await expect(createSessionsApi(parseConfig({ DATA_DIR: dataDir(), VIDEO_MAX_SECONDS: '11' }), shared, quiet)).rejects.toThrow(/VIDEO_MAX_SECONDS \(11\) is shorter than .* \(12 s\)/);
  });
});
