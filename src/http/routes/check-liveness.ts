/**
 * POST /v1/checkLiveness (HyperVerge Selfie Validation API). Order of work, cheapest refusal first
 * (DESIGN.md): credentials → rate limit → body limit → multipart parse → contract validation →
 * concurrency slot → pipeline → decision rules → optional crop storage → HyperVerge body.
 */
import { Hono } from 'hono';
import { AppError } from '../../errors.js';
import { decide, type DecisionRules } from '../../pipeline/decision.js';
import type { CheckLiveness } from '../../pipeline/types.js';
import type { ImageStore } from '../../store/image-store.js';
import type { AppRegistry } from '../apps.js';
import type { ConcurrencyLimiter } from '../concurrency.js';
import type { ApiEnv } from '../context.js';
import { requestedOnly, successBody } from '../contracts/hyperverge.js';
import { parseCheckLivenessForm, parseTransactionId, type FormFields } from '../contracts/hyperverge-request.js';
import type { RateLimiter } from '../middleware/rate-limit.js';
import { vendorApiGuards } from '../middleware/vendor-guards.js';
import { readForm } from '../multipart.js';
import type { UrlSigner } from '../signed-url.js';
import { croppedImageUrl } from './cropped-image.js';

export interface CheckLivenessDeps {
  checkLiveness: CheckLiveness;
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  concurrency: ConcurrencyLimiter;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** The decision rules in force (hot-reloaded by RulesFile). */
  rules: { current(): DecisionRules };
  croppedImages: ImageStore;
  signer: UrlSigner;
  /** Origin (and optional path prefix) for absolute links; undefined = taken from the request URL. */
  publicBaseUrl?: string;
}

export function checkLivenessRoute(deps: CheckLivenessDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  route.post(
    '/checkLiveness',
    vendorApiGuards(deps, 'checkLiveness', deps.bodyLimitBytes),
    async function checkLivenessHandler(c) {
      const transactionId = parseTransactionId(c.req.header('transactionId'));
      const { image, options } = await parseCheckLivenessForm(await readForm(c.req.raw));
      const outcome = requestedOnly(await deps.concurrency.run(() => deps.checkLiveness(image, options)), options);
      const summary = decide(deps.rules.current(), outcome);
      c.set('outcome', { api: 'checkLiveness', liveness: { value: outcome.liveFace.value ? 'yes' : 'no', confidence: outcome.liveFace.confidence }, action: summary.action });
      let url: string | undefined;
      if (outcome.croppedFace) {
        const id = await deps.croppedImages.put(outcome.croppedFace, 'image/jpeg');
        url = croppedImageUrl(deps.publicBaseUrl ?? new URL(c.req.url).origin, id, deps.signer);
      }
      return c.json(successBody({ metadata: { requestId: c.get('requestId'), transactionId }, outcome, summary, croppedImageUrl: url }), 200);
    },
  );
  return route;
}
