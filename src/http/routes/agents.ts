/**
 * An app's agent pool for live agent mode (issue #21, README "Live agent mode"; Verilock's "Dashboard > Video KYC >
 * Agents"), managed with the app's own key, like the sessions API:
 *   POST   /v1/agents        {name} → 201 {id, name, token, created_at}; the token (agt_…) is shown once, stored hashed
 *   GET    /v1/agents        → {data: [{id, name, created_at, active_call_id}]}
 *   DELETE /v1/agents/{id}   → 204 (a call in progress is dropped first: the person may rejoin at the head)
 * The operator CLI does the same on the database (scripts/apps.ts `agents`).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { LiveCalls } from '../../sessions/live-calls.js';
import { AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { createAgentSchema, SessionApiError, validationDetails } from '../contracts/verilock.js';
import { bearerKey } from '../middleware/bearer-key.js';
import { bodyLimit } from '../middleware/body-limit.js';
import { rateLimit, type RateLimiter } from '../middleware/rate-limit.js';
import { readJson, verilockErrorHandler } from '../verilock-route.js';

export interface AgentsRouteDeps {
  apps: AppRegistry;
  rateLimiter: RateLimiter;
  live: LiveCalls;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function agentsRoute(deps: AgentsRouteDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  const authenticate = bearerKey(deps.apps);
  /** The app's key (401), the sessions API allowed (403), the app's rate limit (429): the sessions API's guards. */
  const guards: MiddlewareHandler<ApiEnv> = async function agentsGuards(c, next) {
    await authenticate(c, async () => {
      const app = c.get('app');
      if (!AppRegistry.allows(app, 'sessions')) throw new SessionApiError(403, 'forbidden', `app "${app.appId}" may not call the sessions API`);
      await rateLimit(deps.rateLimiter)(c, next);
    });
  };

  route.use('/agents', async function requestIdHeader(c, next) {
    await next();
    const requestId = c.get('requestId');
    if (requestId) c.header('X-Request-Id', requestId);
  });
  route.use('/agents/*', async function requestIdHeaderItem(c, next) {
    await next();
    const requestId = c.get('requestId');
    if (requestId) c.header('X-Request-Id', requestId);
  });

  // `{"name": …}` with a name of at most 100 characters (4 bytes each in UTF-8) fits in 4 KiB with room to spare.
  route.post('/agents', guards, bodyLimit(4096), async function createAgent(c) {
    const parsed = createAgentSchema.safeParse(await readJson(c.req.raw));
    if (!parsed.success) throw new SessionApiError(422, 'validation_error', 'The given data was invalid.', validationDetails(parsed.error));
    const { agent, token } = await deps.live.createAgent(c.get('app').appId, parsed.data.name);
    return c.json({ id: agent.id, name: agent.name, token, created_at: iso(agent.createdAt) }, 201);
  });

  route.get('/agents', guards, async function listAgents(c) {
    const agents = await deps.live.listAgents(c.get('app').appId);
    return c.json({ data: agents.map((a) => ({ id: a.id, name: a.name, created_at: iso(a.createdAt), active_call_id: a.activeCallId })) }, 200);
  });

  route.delete('/agents/:id', guards, async function deleteAgent(c) {
    const id = c.req.param('id');
    if (!(await deps.live.deleteAgent(c.get('app').appId, id))) throw new SessionApiError(404, 'not_found', `no agent ${id}`);
    return c.body(null, 204);
  });

  route.all('/agents/*', function unknownAgentsEndpoint() {
    throw new SessionApiError(404, 'not_found', 'no such agents endpoint');
  });

  route.onError(verilockErrorHandler('agents API'));

  return route;
}
