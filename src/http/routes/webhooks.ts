/**
 * The app's webhook deliveries (README "Webhooks"), Verilock-style API (Bearer appKey, `{error, message,
 * details}` errors, snake_case):
 *
 *   GET  /v1/webhooks?session_id=&status=pending|delivered|failed&limit=&after=   newest first
 *   GET  /v1/webhooks/{webhook_id}                                                 one event
 *   GET  /v1/webhooks/{webhook_id}/attempts                                        every attempt, in order
 *   POST /v1/webhooks/{webhook_id}/redeliver                                       a new round of attempts, now (202)
 *
 * Everything is scoped to the calling app: another app's webhook_id is a 404, not a 403 (its existence
 * is not disclosed).
 *
 * Guards (issue #13): the webhook log counts as the `sessions` API. Its events are the sessions' events
 * (video.completed, video.reviewed) and its bodies carry session ids and statuses, so an app that may not see
 * sessions may not see them here either; an app allowed `sessions` keeps its access without a new allowedApis
 * entry. Each call also counts against the app's rateLimitPerMinute like any other call.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { WebhookAttempt, WebhookLog, WebhookRecord } from '../../store/webhooks.js';
import type { ApiName, AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { SessionApiError, validationDetails } from '../contracts/verilock.js';
import { bearerApiGuards } from '../middleware/bearer-api-guards.js';
import type { RateLimiter } from '../middleware/rate-limit.js';
import { verilockErrorHandler } from '../verilock-route.js';

/** The webhook log and the apps that own its events (built by src/sessions/sessions-api.ts). */
export interface WebhooksRouteDeps {
  apps: AppRegistry;
  webhooks: WebhookLog;
}

/** What the routes need: the log, plus the per-app rate limiter every API shares. */
export interface WebhooksApiDeps extends WebhooksRouteDeps {
  rateLimiter: RateLimiter;
}

/** The allowedApis name the webhook routes count as (see the file comment). */
export const WEBHOOKS_API = 'sessions' satisfies ApiName;

const listQuerySchema = z
  .object({
    session_id: z.string().min(1).max(255).optional(),
    /** Delivery status (not the session's status in the payload). */
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number<string>().int().min(1).max(100).default(20),
    /** webhook_id of the last item of the previous page. */
    after: z.string().min(1).max(100).optional(),
  })
  .strict();

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function webhookBody(record: WebhookRecord) {
  return {
    webhook_id: record.webhookId,
    event: record.event,
    session_id: record.sessionId,
    status: record.state,
    attempts: record.attempts,
    next_attempt_at: iso(record.nextAttemptAt),
    created_at: iso(record.createdAt),
    delivered_at: iso(record.deliveredAt),
    last_error: record.lastError ?? null,
    /** Exactly what the receiver gets as the request body. */
    payload: JSON.parse(record.body) as unknown,
  };
}

export function attemptBody(attempt: WebhookAttempt) {
  return {
    attempt: attempt.number,
    attempted_at: iso(attempt.attemptedAt),
    url: attempt.url,
    status_code: attempt.statusCode ?? null,
    error: attempt.error ?? null,
    duration_ms: attempt.durationMs,
  };
}

const notFound = (id: string) => new SessionApiError(404, 'not_found', `no webhook ${id} for this app`);

export function webhooksRoute(deps: WebhooksApiDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  route.onError(verilockErrorHandler('webhooks API'));
  // Once per request: Hono's `/webhooks/*` also matches `/webhooks` itself, and a second run would count the call twice.
  route.use('/webhooks/*', bearerApiGuards(deps, WEBHOOKS_API));

  route.get('/webhooks', async function listWebhooks(c) {
    const parsed = listQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'invalid query parameters', validationDetails(parsed.error));
    const { session_id, status, limit, after } = parsed.data;
    // One extra row tells whether another page exists.
    const rows = await deps.webhooks.list(c.get('app').appId, {
      limit: limit + 1,
      ...(session_id !== undefined ? { sessionId: session_id } : {}),
      ...(status !== undefined ? { state: status } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    const page = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    return c.json({ data: page.map(webhookBody), has_more: hasMore, next_after: hasMore ? page[page.length - 1]!.webhookId : null });
  });

  route.get('/webhooks/:webhookId', async function getWebhook(c) {
    const id = c.req.param('webhookId');
    const record = await deps.webhooks.get(c.get('app').appId, id);
    if (!record) throw notFound(id);
    return c.json(webhookBody(record));
  });

  route.get('/webhooks/:webhookId/attempts', async function listAttempts(c) {
    const id = c.req.param('webhookId');
    const attempts = await deps.webhooks.attempts(c.get('app').appId, id);
    if (!attempts) throw notFound(id);
    return c.json({ webhook_id: id, data: attempts.map(attemptBody) });
  });

  route.post('/webhooks/:webhookId/redeliver', async function redeliver(c) {
    const id = c.req.param('webhookId');
    const record = await deps.webhooks.redeliver(c.get('app').appId, id);
    if (!record) throw notFound(id);
    // 202 (RFC 9110 §15.3.3): accepted, delivered by the dispatcher shortly.
    return c.json(webhookBody(record), 202);
  });

  return route;
}
