/**
 * POST /v1/challenges (this service's extension to the verifyVideo API, README "Active liveness challenges"): draws an
 * active liveness challenge for the calling app and answers its id, its steps (each with its time window, seconds from
 * the start of the recording), how long to record and when it expires. The recording then goes to POST /v1/verifyVideo
 * with `challengeId`, which uses it up. Same credentials, permission (`verifyVideo`), rate limit and HyperVerge envelope
 * as verifyVideo. Sessions draw their own challenge when they are created (routes/sessions.ts).
 */
import { Hono } from 'hono';
import type { ChallengeRepository } from '../../sessions/challenge-repository.js';
import type { AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { parseTransactionId } from '../contracts/hyperverge-request.js';
import { challengeSuccessBody } from '../contracts/verify-video.js';
import type { RateLimiter } from '../middleware/rate-limit.js';
import { vendorApiGuards } from '../middleware/vendor-guards.js';

/** What verifyVideo's challenges need: the store, their lifetime, and the longest recording verifyVideo accepts. */
export interface VerifyVideoChallenges {
  repository: ChallengeRepository;
  /** Lifetime of a challenge from POST /v1/challenges, seconds (CHALLENGE_TTL_SECONDS). */
  ttlSeconds: number;
  /** Longest recording a challenge may ask for, seconds: VIDEO_MAX_SECONDS, since verifyVideo refuses longer videos. */
  maxRecordingSeconds: number;
  /** Clock, ms since the epoch: the repository's, so expiry is counted on one clock. Default Date.now. */
  now?: () => number;
}

export interface ChallengesDeps {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  challenges: VerifyVideoChallenges;
}

/**
 * The request takes no body; a client library may still send an empty form or `{}`. Past the JSON endpoints' 64 KiB
 * (routes/sessions.ts) it is refused (413) without being read.
 */
const CHALLENGE_BODY_LIMIT_BYTES = 64 * 1024;

export function challengesRoute(deps: ChallengesDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  const now = deps.challenges.now ?? Date.now;
  route.post('/challenges', vendorApiGuards(deps, 'verifyVideo', CHALLENGE_BODY_LIMIT_BYTES), async function issueChallenge(c) {
    const transactionId = parseTransactionId(c.req.header('transactionId'));
    const { repository, ttlSeconds, maxRecordingSeconds } = deps.challenges;
    const challenge = await repository.issue({ appId: c.get('app').appId, sessionId: null, expiresAt: now() + ttlSeconds * 1000, maxRecordingSeconds });
    return c.json(challengeSuccessBody({ requestId: c.get('requestId'), transactionId }, challenge), 201);
  });
  return route;
}
