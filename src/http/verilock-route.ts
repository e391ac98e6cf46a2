/**
 * What the Verilock-style routes share (the sessions API, live agent mode, the agent pool and the webhooks API:
 * routes/sessions.ts, routes/live-agent.ts, routes/agents.ts, routes/webhooks.ts): reading a JSON body, and the error
 * handler that answers every refusal in Verilock's `{error, message, details}` body (contracts/verilock.ts), so these
 * APIs answer errors alike
 * (issue #21: "every endpoint has the same auth, rate limits and error format as the Sessions API").
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../errors.js';
import { SessionApiError, verilockError } from './contracts/verilock.js';
import { noteError } from './request-errors.js';

/** The request's JSON body: 400 invalid_request when it is not `application/json`, or not well-formed JSON. */
export async function readJson(req: Request): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers.get('content-type') ?? '')) throw new SessionApiError(400, 'invalid_request', 'send the body as application/json');
  try {
    return await req.json();
  } catch (error) {
    throw new SessionApiError(400, 'invalid_request', `malformed JSON body (${(error as Error).message})`);
  }
}

/**
 * A route's `onError`: the error in Verilock's body, noted for the access log and metrics (request-errors.ts) as
 * answered by `where`. A 503 (a store or the inference slots unavailable) gets `Retry-After: 1`; a rate-limited request
 * keeps the middleware's Retry-After and repeats it, seconds, in `details.retry_after`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function verilockErrorHandler(where: string): (error: Error, c: Context<any>) => Response {
  return function answerVerilockError(error, c) {
    const { status, body } = verilockError(error);
    noteError(c, error, status, where);
    if (status === 503) c.header('Retry-After', '1');
    if (error instanceof AppError && error.code === 'RATE_LIMITED') {
      const retryAfter = Number(c.res.headers.get('Retry-After') ?? 0);
      if (retryAfter > 0) body.details = { retry_after: retryAfter };
    }
    return c.json(body, status as ContentfulStatusCode);
  };
}
