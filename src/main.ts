/**
 * Start-up: parse config → build the service (src/app/service.ts: apps, models, use cases, stores, routes) → start it
 * (stores checked, unfinished jobs resumed; a store out of reach ends start-up with exit code 1) → serve;
 * SIGTERM/SIGINT → stop accepting, drain, release sessions, exit. Every line is JSON on stdout (src/app/logger.ts).
 */
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createLogger } from './app/logger.js';
import { createService } from './app/service.js';
import { staleBuildWarning } from './build-info.js';
import { parseConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig();
  } catch (error) {
    // No LOG_LEVEL to honour yet: the default logger says why the configuration was refused.
    createLogger({ logLevel: 'info' }).fatal(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const log = createLogger(config);
  // Running the compiled build (npm start → dist/main.js) in a checkout whose src/ changed since: say so, do not serve
  // old code silently.
  const buildDir = fileURLToPath(new URL('.', import.meta.url));
  const stale = staleBuildWarning(buildDir, fileURLToPath(new URL('../src/', import.meta.url)));
  if (stale) log.warn(stale);
  let service;
  try {
    service = await createService(config, {
      logger: log,
      // A dead inference thread leaves nothing able to answer: exit non-zero so the supervisor restarts the process.
      onInferenceThreadDeath: (error) => {
        log.fatal(`${error.message}: exiting`);
        process.exit(1);
      },
    });
  } catch (error) {
    log.fatal(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // The stores are checked (a database or bucket out of reach: STORE_UNAVAILABLE), then jobs a previous process left
  // unfinished resume. Nothing listens before this has succeeded.
  try {
    await service.start();
  } catch (error) {
    log.fatal(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    await service.close().catch((closeError: unknown) => log.error(`closing after the failed start-up: ${String(closeError)}`));
    process.exit(1);
  }
  // Slow clients (HTTP_HEADERS_TIMEOUT_SECONDS, HTTP_REQUEST_TIMEOUT_SECONDS): Node answers 408 and closes a
  // connection whose headers or whole request are not in by then (Node docs, http.createServer options).
  const { headersTimeoutMs, requestTimeoutMs, connectionsCheckingIntervalMs } = config.http;
  const serverOptions = { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: connectionsCheckingIntervalMs };
  const server = serve({ fetch: service.app.fetch, port: config.port, hostname: config.host, serverOptions }, (info) => {
    log.info(`listening on http://${info.address}:${info.port}`);
  });
  // METRICS_PORT: /metrics alone, without a key, on its own port (README "Metrics").
  const metricsServer = service.metricsApp
    ? serve({ fetch: service.metricsApp.fetch, port: config.metricsPort!, hostname: config.host }, (info) => {
        log.info(`metrics on http://${info.address}:${info.port}/metrics`);
      })
    : undefined;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.drain();
    log.info(`${signal}: draining (up to ${config.shutdownGraceMs} ms)`);
    const force = setTimeout(() => {
      log.error('grace period over; exiting with requests still in flight');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    metricsServer?.close();
    server.close(() => {
      void service.close().finally(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
