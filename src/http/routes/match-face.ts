/**
 * POST /v1/matchFace: is the selfie the same person as the reference (`id`: an ID-card photo or another
 * selfie)? Same order of work as checkLiveness, cheapest refusal first: credentials → rate limit → body
 * limit → multipart parse → contract validation → concurrency slot → pipeline → decision rules
 * (`matchFace` section) → HyperVerge-style body.
 */
import { Hono } from 'hono';
import { decideMatch } from '../../pipeline/decision.js';
import type { MatchFace } from '../../pipeline/match-face.js';
import type { ApiEnv } from '../context.js';
import { matchSuccessBody, parseMatchFaceForm } from '../contracts/hyperverge-match.js';
import { parseTransactionId } from '../contracts/hyperverge-request.js';
import { vendorApiGuards } from '../middleware/vendor-guards.js';
import { readForm } from '../multipart.js';
import type { CheckLivenessDeps } from './check-liveness.js';

/** The checkLiveness API's shared parts (apps, rate limiter, concurrency slots, body limit, rules) plus the use case. */
export type MatchFaceDeps = Pick<CheckLivenessDeps, 'apps' | 'rateLimiter' | 'concurrency' | 'bodyLimitBytes' | 'rules'> & {
  matchFace: MatchFace;
};

export function matchFaceRoute(deps: MatchFaceDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  route.post(
    '/matchFace',
    vendorApiGuards(deps, 'matchFace', deps.bodyLimitBytes),
    async function matchFaceHandler(c) {
      const transactionId = parseTransactionId(c.req.header('transactionId'));
      const images = await parseMatchFaceForm(await readForm(c.req.raw));
      const outcome = await deps.concurrency.run(() => deps.matchFace(images));
      const summary = decideMatch(deps.rules.current(), outcome.match);
      c.set('outcome', { api: 'matchFace', action: summary.action });
      return c.json(matchSuccessBody({ metadata: { requestId: c.get('requestId'), transactionId }, outcome, summary }), 200);
    },
  );
  return route;
}
