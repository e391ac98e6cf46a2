/**
 * POST /v1/verifyVideo: is the person in the video live, and the person in the selfie (and ID photo)?
 * Same order of work as checkLiveness, cheapest refusal first: credentials → rate limit → body limit
 * (VIDEO_BODY_LIMIT_BYTES, larger than the photo APIs') → multipart parse → contract validation → the
 * active liveness challenge checked (`challengeId`, optional) → concurrency slot → the challenge used up →
 * pipeline (images, then the video probe, then frames) → decision rules (`verifyVideo` section) → best-frame
 * crop storage → body.
 */
import { Hono } from 'hono';
import { decideVideo, videoDecisionInput } from '../../pipeline/decision.js';
import type { VerifyVideo, VerifyVideoInput } from '../../pipeline/verify-video.js';
import { noChallengesIssued } from '../../sessions/challenge-repository.js';
import type { ApiEnv } from '../context.js';
import { parseTransactionId } from '../contracts/hyperverge-request.js';
import { parseVerifyVideoForm, verifyVideoSuccessBody } from '../contracts/verify-video.js';
import { vendorApiGuards } from '../middleware/vendor-guards.js';
import { readForm } from '../multipart.js';
import type { VerifyVideoChallenges } from './challenges.js';
import type { CheckLivenessDeps } from './check-liveness.js';
import { croppedImageUrl } from './cropped-image.js';

/** The checkLiveness API's shared parts (apps, limits, rules, crop store, signer) plus the use case and its own body limit. */
export type VerifyVideoDeps = Pick<CheckLivenessDeps, 'apps' | 'rateLimiter' | 'concurrency' | 'rules' | 'croppedImages' | 'signer' | 'publicBaseUrl'> & {
  verifyVideo: VerifyVideo;
  /** Largest request body (video + images), bytes. */
  bodyLimitBytes: number;
  /**
   * Active liveness challenges: POST /v1/challenges (routes/challenges.ts) and the `challengeId` field. Absent = none
   * are issued: that route is not served and a `challengeId` is refused (400 "Invalid challenge").
   */
  challenges?: VerifyVideoChallenges;
};

export function verifyVideoRoute(deps: VerifyVideoDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  route.post(
    '/verifyVideo',
    vendorApiGuards(deps, 'verifyVideo', deps.bodyLimitBytes),
    async function verifyVideoHandler(c) {
      const transactionId = parseTransactionId(c.req.header('transactionId'));
      const { input, challengeId } = await parseVerifyVideoForm(await readForm(c.req.raw));
      const appId = c.get('app').appId;
      const challenges = deps.challenges?.repository;
      if (challengeId !== undefined && !challenges) throw noChallengesIssued(challengeId);
      // A wrong, used or expired challenge is refused before the request waits for a slot…
      if (challengeId !== undefined) await challenges!.check(challengeId, appId);
      const outcome = await deps.concurrency.run(async () => {
        // …and used up only once it holds one, right before the analysis: a 503 (busy) leaves it for the retry. Of
        // concurrent requests with one id, exactly one gets past this line (ChallengeRepository.consume).
        let withChallenge: VerifyVideoInput = input;
        if (challengeId !== undefined) {
          const { id, steps } = await challenges!.consume(challengeId, appId);
          withChallenge = { ...input, challenge: { id, steps } };
        }
        return deps.verifyVideo(withChallenge);
      });
      const decision = decideVideo(deps.rules.current(), videoDecisionInput(outcome));
      c.set('outcome', { api: 'verifyVideo', action: decision.result });
      const id = await deps.croppedImages.put(outcome.bestFrame.jpeg, 'image/jpeg');
      const bestFrameUrl = croppedImageUrl(deps.publicBaseUrl ?? new URL(c.req.url).origin, id, deps.signer);
      return c.json(verifyVideoSuccessBody({ metadata: { requestId: c.get('requestId'), transactionId }, outcome, decision, bestFrameUrl }), 200);
    },
  );
  return route;
}
