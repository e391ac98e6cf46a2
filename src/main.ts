/**
 * Start-up: parse config → build the service (src/app/service.ts: apps, models, use cases, stores, routes) → serve;
 * SIGTERM/SIGINT → stop accepting, drain, release sessions, exit.
 */
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createService } from './app/service.js';
import { staleBuildWarning } from './build-info.js';
import { parseConfig } from './config.js';

async function main(): Promise<void> {
  const config = parseConfig();
  // Running the compiled build (npm start → dist/main.js) in a checkout whose src/ changed since: say so, do not serve
  // old code silently.
  const buildDir = fileURLToPath(new URL('.', import.meta.url));
  const stale = staleBuildWarning(buildDir, fileURLToPath(new URL('../src/', import.meta.url)));
  if (stale) console.warn(stale);
  const service = await createService(config, {
    // A dead inference thread leaves nothing able to answer: exit non-zero so the supervisor restarts the process.
    onInferenceThreadDeath: (error) => {
      console.error(`${error.message}: exiting`);
      process.exit(1);
    },
  });
  // Jobs a previous process left unfinished resume here.
  service.start();
  // Slow clients (HTTP_HEADERS_TIMEOUT_SECONDS, HTTP_REQUEST_TIMEOUT_SECONDS): Node answers 408 and closes a
  // connection whose headers or whole request are not in by then (Node docs, http.createServer options).
  const { headersTimeoutMs, requestTimeoutMs, connectionsCheckingIntervalMs } = config.http;
  const serverOptions = { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: connectionsCheckingIntervalMs };
  const server = serve({ fetch: service.app.fetch, port: config.port, hostname: config.host, serverOptions }, (info) => {
    console.log(`listening on http://${info.address}:${info.port}`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.drain();
    console.log(`${signal}: draining (up to ${config.shutdownGraceMs} ms)`);
    const force = setTimeout(() => {
      console.error('grace period over; exiting with requests still in flight');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    server.close(() => {
      void service.close().finally(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
