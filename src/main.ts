/**
 * Start-up: parse config → load and check models → serve; SIGTERM/SIGINT → stop accepting, drain,
 * release sessions, exit.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createLivenessApi, loadApps } from './app/liveness-api.js';
import { loadModels } from './app/models.js';
import { createSessionsApi } from './app/sessions-api.js';
import { staleBuildWarning } from './build-info.js';
import { parseConfig } from './config.js';
import { createApp } from './http/app.js';
import { InferenceThread } from './inference/inference-thread.js';
import { ortVersion } from './inference/session.js';
import { createCheckLiveness } from './pipeline/check-liveness.js';
import { livenessSetup } from './pipeline/liveness-setup.js';
import { createMatchFace } from './pipeline/match-face.js';
import { createVerifyVideo } from './pipeline/verify-video.js';
import { videoBinaries } from './video/binaries.js';
import { createVideoReader } from './video/read-video.js';

async function main(): Promise<void> {
  const config = parseConfig();
  // Running the compiled build (npm start → dist/main.js) in a checkout whose src/ changed since: say so, do not serve
  // old code silently.
  const buildDir = fileURLToPath(new URL('.', import.meta.url));
  const stale = staleBuildWarning(buildDir, fileURLToPath(new URL('../src/', import.meta.url)));
  if (stale) console.warn(stale);
  // Before the models: a broken APPS_FILE or a wrong SECRETS_KEY stops start-up in milliseconds, not after loading them.
  const apps = loadApps(config);
  const started = Date.now();
  // A dead inference thread leaves nothing able to answer: exit non-zero so the supervisor restarts the process.
  const host =
    config.inferenceThread === 'worker'
      ? await InferenceThread.start((error) => {
          console.error(`${error.message}: exiting`);
          process.exit(1);
        })
      : undefined;
  // Optional packs are those listed in <MODELS_DIR>/packs.json and installed by `npm run models:fetch`.
  const registry = await loadModels(config, host);
  const missing = registry.packs.filter((p) => p.state === 'missing' && !p.default).map((p) => p.id);
  console.log(
    `loaded ${registry.list().length} models on ${registry.executionProvider} (${registry.inferenceThread === 'worker' ? 'inference thread' : 'main thread'}) in ${Date.now() - started} ms` +
      (config.batching.maxBatch > 1 ? `, dynamic batching up to ${config.batching.maxBatch} faces (wait ${config.batching.maxDelayMs} ms)` : '') +
      (missing.length > 0 ? ` (optional packs not installed: ${missing.join(', ')}; see \`npm run models:fetch\`)` : ''),
  );

  if (registry.executionProvider === 'cuda' && config.batching.maxBatch > 1) {
    // Measured on an H200 (docs/gpu.md "GPU run, 2026-11-30"): with batching on, 8 requests in flight ran at 0.3–0.4
    // checkLiveness/s against 15–18 without it. The cause is not found yet; the operator must hear it at start.
    console.warn(
      `BATCH_MAX_SIZE=${config.batching.maxBatch} on CUDA: dynamic batching was measured far slower than no batching on a GPU (docs/gpu.md, "Known problem"); set BATCH_MAX_SIZE=1 unless your own measurement says otherwise`,
    );
  }

  // Said at every start: an install that could not fetch the anti-spoofing pack still serves, but must not pass unnoticed.
  const setup = livenessSetup(registry);
  (setup.antiSpoofingPack === 'installed' ? console.log : console.warn)(setup.summary);

  const warmStart = Date.now();
  const { warmed, skipped } = await registry.warmUp();
  console.log(`warmed up ${warmed.length} models in ${Date.now() - warmStart} ms${skipped.length > 0 ? ` (no fixed input shape: ${skipped.join(', ')})` : ''}`);

  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const liveness = createLivenessApi(config, createCheckLiveness(registry, { maxPixels: config.maxImagePixels }), undefined, apps);
  // matchFace shares the liveness API's apps, rate limits, concurrency slots, body limit and rules file.
  const matchFace = { ...liveness.deps, matchFace: createMatchFace(registry, { maxPixels: config.maxImagePixels }) };
  // An active liveness challenge's 10 fps frames come from the same decode (src/pipeline/verify-video.ts CHALLENGE_SAMPLING).
  const readVideo = createVideoReader({ ...config.video, binaries: videoBinaries() });
  const verifyVideoUseCase = createVerifyVideo(registry, { maxImagePixels: config.maxImagePixels, readVideo });
  // The sessions API (and webhook delivery) share the apps, rate limits, concurrency slots and rules; their
  // state lives in DATA_DIR. Jobs a previous process left unfinished resume at start().
  const sessions = createSessionsApi(config, { ...liveness.deps, verifyVideo: verifyVideoUseCase });
  sessions.start();
  // verifyVideo shares them too (and the crop store for its best frame), with its own body limit; its active liveness
  // challenges (POST /v1/challenges) live in the sessions' store.
  const verifyVideo = {
    ...liveness.deps,
    bodyLimitBytes: config.video.bodyLimitBytes,
    verifyVideo: verifyVideoUseCase,
    challenges: sessions.challenges,
  };
  let stopping = false;
  const app = createApp({
    registry,
    versions: { service: pkg.version, onnxruntime: ortVersion(), node: process.versions.node },
    // The full /health report (versions, models, liveness setup) is for the operator: any configured app's Bearer key.
    healthReportApps: liveness.deps.apps,
    ready: () => !stopping,
    liveness: liveness.deps,
    matchFace,
    verifyVideo,
    sessions: sessions.deps,
    // The capture page uploads through the session's signed links and checks selfies with the liveness API's use case and slots.
    capture: { sessions: sessions.deps, checkLiveness: liveness.deps.checkLiveness, concurrency: liveness.deps.concurrency, rateLimiter: liveness.deps.rateLimiter },
    // The webhook log counts against the same per-app rate limits as every other API.
    webhooks: { ...sessions.webhooksRoute, rateLimiter: liveness.deps.rateLimiter },
    advanceGetVideo: sessions.advanceGetVideo,
    tencentEss: sessions.tencentEss,
    sessionRecording: sessions.sessionRecording,
  });
  // Slow clients (HTTP_HEADERS_TIMEOUT_SECONDS, HTTP_REQUEST_TIMEOUT_SECONDS): Node answers 408 and closes a
  // connection whose headers or whole request are not in by then (Node docs, http.createServer options).
  const { headersTimeoutMs, requestTimeoutMs, connectionsCheckingIntervalMs } = config.http;
  const serverOptions = { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: connectionsCheckingIntervalMs };
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions }, (info) => {
    console.log(`listening on http://${info.address}:${info.port}`);
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining (up to ${config.shutdownGraceMs} ms)`);
    const force = setTimeout(() => {
      console.error('grace period over; exiting with requests still in flight');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    server.close(() => {
      // Running jobs finish first (stop() waits for them); the models are released after.
      void sessions
        .close()
        .catch((error: unknown) => console.error(`sessions store close failed: ${String(error)}`))
        .then(() => Promise.all([registry.dispose(), liveness.close()]))
        .finally(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
