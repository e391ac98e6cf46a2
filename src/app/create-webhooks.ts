/**
 * Wiring: webhook delivery (src/webhooks/dispatcher.ts) over a WebhookStore (the embedded src/store/sqlite-webhooks.ts
 * or PostgreSQL's src/store/postgres-webhooks.ts) from the parsed config (WEBHOOK_*) and the app registry (each app's webhookUrl / webhookSecret from
 * APPS_FILE). The one place that builds them: the sessions API and the tests call it.
 */
import type { Config } from '../config.js';
import type { AppRegistry } from '../http/apps.js';
import type { WebhookStore } from '../store/webhooks.js';
import { WebhookDispatcher, type WebhookDispatcherOptions, type WebhookEndpoint } from '../webhooks/dispatcher.js';

/** The app's endpoint as configured now; undefined for an unknown app or one without webhookUrl. */
export function endpointsFromApps(apps: AppRegistry): (appId: string) => WebhookEndpoint | undefined {
  return (appId) => {
    const app = apps.get(appId);
    // The APPS_FILE schema requires both fields together; checking both keeps the types honest.
    return app?.webhookUrl !== undefined && app.webhookSecret !== undefined ? { url: app.webhookUrl, secret: app.webhookSecret } : undefined;
  };
}

/** Not started: call start() once the server is up and stop() on shutdown. */
export function createWebhooks(
  config: Config['webhooks'],
  store: WebhookStore,
  apps: AppRegistry,
  extra: Pick<WebhookDispatcherOptions, 'log' | 'fetch' | 'now' | 'onAttempt'> = {},
): WebhookDispatcher {
  return new WebhookDispatcher({
    store,
    endpointFor: endpointsFromApps(apps),
    retry: { maxAttempts: config.maxAttempts, baseDelayMs: config.retryBaseMs, maxDelayMs: config.retryMaxDelayMs },
    timeoutMs: config.timeoutMs,
    pollIntervalMs: config.pollIntervalMs,
    concurrency: config.concurrency,
    ...extra,
  });
}
