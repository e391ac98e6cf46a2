/**
 * GET /metrics: the Prometheus text exposition (issue #19; src/app/metrics.ts builds it). On the API port it needs
 * `Authorization: Bearer <appKey>` of a configured app, as the full /health report does: the metrics name the apps
 * and show the traffic (Prometheus sends it with `authorization: {credentials: …}` in its scrape config). With
 * METRICS_PORT it is served without a key on that port alone, for a scrape network kept apart (README "Metrics").
 */
import { Hono } from 'hono';
import type { AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { bearerKey } from '../middleware/bearer-key.js';

export interface MetricsRouteDeps {
  render: () => Promise<{ contentType: string; body: string }>;
  /** The apps whose Bearer key may read it; absent = no key (METRICS_PORT only). */
  apps?: AppRegistry;
}

export function metricsRoute(deps: MetricsRouteDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  if (deps.apps) route.use('/metrics', bearerKey(deps.apps));
  route.get('/metrics', async function metrics(c) {
    const { contentType, body } = await deps.render();
    // Never cached: every scrape must see the counters now.
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  });
  return route;
}
