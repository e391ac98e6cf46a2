/**
 * The composition root: the only place that builds the service's objects from `Config` (docs/architecture.md).
 * main.ts serves what this returns; the tests and the in-process benches build the same service here, so nothing
 * is wired twice.
 *
 * Order matters: the caller apps first (a broken APPS_FILE or a wrong SECRETS_KEY stops start-up in milliseconds,
 * not after the models have loaded), then the inference thread, the models the use cases ask for, their warm-up (the
 * photo thread starts meanwhile), the use cases, the liveness and sessions APIs, and the HTTP app.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { Config } from '../config.js';
import { writableDirectoriesProbe } from '../http/routes/health.js';
import { metricsRoute } from '../http/routes/metrics.js';
import { createApp } from '../http/app.js';
import { InferenceThread } from '../inference/inference-thread.js';
import type { ModelRegistry } from '../inference/registry.js';
import { ortVersion } from '../inference/session.js';
import { LivenessPhotoThread } from '../pipeline/liveness-photo-thread.js';
import { livenessSetup } from '../pipeline/liveness-setup.js';
import { videoBinaries } from '../video/binaries.js';
import { createVideoReader } from '../video/read-video.js';
import { createLivenessApi, loadApps, openCroppedImageStore } from './liveness-api.js';
import { createLogger, type Logger } from './logger.js';
import { ServiceMetrics } from './metrics.js';
import { loadModels, planModels } from './models.js';
import { createSessionsApi } from './sessions-api.js';
import { buildUseCases, type UseCases } from './use-cases.js';

export interface ServiceOptions {
  /** Where every line goes; default createLogger(config): JSON on stdout at LOG_LEVEL. */
  logger?: Logger;
  /**
   * A dead inference thread leaves nothing able to answer: main.ts exits non-zero so the supervisor restarts the
   * process. Default: log it.
   */
  onInferenceThreadDeath?: (error: Error) => void;
}

export interface Service {
  app: ReturnType<typeof createApp>;
  /** GET /metrics alone, without credentials, to serve on METRICS_PORT; absent when METRICS_PORT is unset (/metrics is on `app`, with a key). */
  metricsApp?: Hono;
  logger: Logger;
  metrics: ServiceMetrics;
  registry: ModelRegistry;
  useCases: UseCases;
  /** The embedded default app's key when there is no APPS_FILE (also logged once): for in-process callers such as the bench. */
  embeddedAppKey?: string;
  /**
   * Starts the background work: the sessions' job queue (jobs a previous process left unfinished resume) and webhook
   * delivery. Rejects when the store cannot recover its jobs (left unhandled by main.ts, that ends the process).
   */
  start(): Promise<void>;
  /** Stops taking work: /health answers `draining` (503) from now on. */
  drain(): void;
  /** Finishes running jobs, then releases the stores, the models and the inference thread. */
  close(): Promise<void>;
}

const servicePackage = (): { version: string } => JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function createService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const log = options.logger ?? createLogger(config);
  const info = (m: string) => log.info(m);
  const apps = loadApps(config, info);
  const started = Date.now();
  // The video reader sweeps upload dirs left by stopped processes when it is made: made once, used by both builds.
  const readVideo = createVideoReader({ ...config.video, binaries: videoBinaries(), log: info });
  // Planned before the inference thread starts: nothing to stop if the plan fails.
  const uses = planModels(config, readVideo);
  const onDeath = options.onInferenceThreadDeath ?? ((error: Error) => log.error(error.message));
  const host = config.inferenceThread === 'worker' ? await InferenceThread.start(onDeath) : undefined;
  // Optional packs are those listed in <MODELS_DIR>/packs.json and installed by `npm run models:fetch`.
  const registry = await loadModels(config, uses, host);
  const missing = registry.packs.filter((p) => p.state === 'missing' && !p.default).map((p) => p.id);
  log.info(
    `loaded ${registry.list().length} models on ${registry.executionProvider} (${registry.inferenceThread === 'worker' ? 'inference thread' : 'main thread'}) in ${Date.now() - started} ms` +
      (config.batching.maxBatch > 1 ? `, dynamic batching up to ${config.batching.maxBatch} faces (wait ${config.batching.maxDelayMs} ms)` : '') +
      (missing.length > 0 ? ` (optional packs not installed: ${missing.join(', ')}; see \`npm run models:fetch\`)` : '') +
      (registry.notLoaded.length > 0 ? `; not loaded, no use case asks for them: ${registry.notLoaded.map((m) => m.id).join(', ')}` : ''),
  );
  // checkLiveness's photo thread (pipeline/liveness-photo-thread.ts) starts now, while the models warm up, rather than
  // with the first request. Never rejects: a thread that cannot start leaves its work to the event loop.
  const photoThreadStarted = LivenessPhotoThread.start();
  // Closed on a failed start too: with DATABASE_URL the crop store holds a PostgreSQL pool.
  let livenessApi: ReturnType<typeof createLivenessApi> | undefined;
  // The crop store, until the liveness API owns it (its constructor can still throw: an invalid RULES_FILE).
  let crops: Awaited<ReturnType<typeof openCroppedImageStore>> | undefined;
  try {
    if (registry.executionProvider === 'cuda' && config.batching.maxBatch > 1) {
      // Measured on an H200 (docs/gpu.md "GPU run, 2026-11-30"): with batching on, 8 requests in flight ran at 0.3–0.4
      // checkLiveness/s against 15–18 without it. The cause is not found yet; the operator must hear it at start.
      log.warn(
        `BATCH_MAX_SIZE=${config.batching.maxBatch} on CUDA: dynamic batching was measured far slower than no batching on a GPU (docs/gpu.md, "Known problem"); set BATCH_MAX_SIZE=1 unless your own measurement says otherwise`,
      );
    }
    // Said at every start: an install that could not fetch the anti-spoofing pack still serves, but must not pass unnoticed.
    const setup = livenessSetup(registry);
    if (setup.antiSpoofingPack === 'installed') log.info(setup.summary);
    else log.warn(setup.summary);

    const warmStart = Date.now();
    const { warmed, skipped } = await registry.warmUp();
    log.info(`warmed up ${warmed.length} models in ${Date.now() - warmStart} ms${skipped.length > 0 ? ` (no fixed input shape: ${skipped.join(', ')})` : ''}`);
    // Where ORT ran each model's nodes in the warm-up (its profiler; /health?details=1 has the detail): a CUDA node
    // whose ops fell back to the CPU is said at start, not found later in a latency graph.
    const placement = registry.list().map((m) => ({ id: m.entry.id, nodes: m.session.placement?.nodes ?? {}, otherProviderOps: m.session.placement?.otherProviderOps ?? [] }));
    const elsewhere = placement.filter((p) => p.otherProviderOps.length > 0);
    const placementLine =
      elsewhere.length === 0
        ? `model placement: every node measured ran on the provider asked for (${registry.executionProvider})`
        : `model placement: ops on another provider than ${registry.executionProvider}: ${elsewhere.map((p) => `${p.id} (${p.otherProviderOps.join(', ')})`).join('; ')}`;
    if (elsewhere.length > 0 && registry.executionProvider === 'cuda') log.warn({ placement }, placementLine);
    else log.info({ placement }, placementLine);

    // Runs are counted from here on (the warm-up's are not); the metrics exist once the slots they read do.
    let metrics: ServiceMetrics | undefined;
    registry.observeRuns((model, ms, rows, failed) => metrics?.observeModelRun(model, ms, rows, failed));
    const photoThread = await photoThreadStarted;
    if (photoThread.offThread) log.info('checkLiveness photo thread started');
    else log.warn('checkLiveness photo thread did not start: its pixel work runs on the event loop');
    const useCases = buildUseCases(registry, config, readVideo, { photoThread });
    // With DATABASE_URL the crops go to the shared bucket, indexed in PostgreSQL (any replica serves any crop link).
    crops = await openCroppedImageStore(config, (m) => log.warn(m));
    const liveness = (livenessApi = createLivenessApi(config, useCases.checkLiveness, info, apps, crops));
    metrics = new ServiceMetrics({ models: registry, concurrency: liveness.deps.concurrency });
    const serviceMetrics = metrics;
    // matchFace shares the liveness API's apps, rate limits, concurrency slots, body limit and rules file.
    const matchFace = { ...liveness.deps, matchFace: useCases.matchFace };
    // The sessions API (and webhook delivery) share the apps, rate limits, concurrency slots and rules; their state
    // lives in DATA_DIR.
    // The sessions' stores, job queue and webhook delivery report failures and retries: warnings.
    const sessions = await createSessionsApi(config, { ...liveness.deps, verifyVideo: useCases.verifyVideo, matchFace: useCases.matchFace }, (m) => log.warn(m), {
      onJobAttempt: (type, outcome) => serviceMetrics.observeJobAttempt(type, outcome),
      onWebhookAttempt: (outcome) => serviceMetrics.observeWebhookAttempt(outcome),
      onSessionCompleted: (result) => serviceMetrics.observeDecision('sessions', result),
    });
    serviceMetrics.watchJobs(sessions.jobDepth);
    const render = () => serviceMetrics.render();
    // CROPPED_IMAGE_DIR holds the crops only without DATABASE_URL (with it they are in the bucket, probed with the media).
    const directoriesWritable = writableDirectoriesProbe(config.database ? [config.dataDir] : [config.dataDir, config.croppedImageDir]);
    // verifyVideo shares them too (and the crop store for its best frame), with its own body limit; its active
    // liveness challenges (POST /v1/challenges) live in the sessions' store.
    const verifyVideo = { ...liveness.deps, bodyLimitBytes: config.video.bodyLimitBytes, verifyVideo: useCases.verifyVideo, challenges: sessions.challenges };
    let draining = false;
    const storeWritable = async () => {
      await directoriesWritable();
      await sessions.mediaWritable();
      await sessions.metadataReachable();
    };
    const app = createApp({
      registry,
      versions: { service: servicePackage().version, onnxruntime: ortVersion(), node: process.versions.node },
      // The full /health report (versions, models, liveness setup) is for the operator: any configured app's Bearer key.
      healthReportApps: liveness.deps.apps,
      ready: () => !draining,
      // /health/ready's store check: DATA_DIR (the database) and the crop folder must take a write, and so must the
      // media store (its folder, or its S3 bucket).
      storeWritable,
      telemetry: { log, observe: (record) => serviceMetrics.observeRequest(record) },
      // On the API port with an app's key, or alone on METRICS_PORT (below).
      ...(config.metricsPort === undefined ? { metrics: { render, apps: liveness.deps.apps } } : {}),
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
    const metricsApp = config.metricsPort === undefined ? undefined : new Hono().route('/', metricsRoute({ render }) as unknown as Hono);
    return {
      app,
      ...(metricsApp ? { metricsApp } : {}),
      logger: log,
      metrics: serviceMetrics,
      registry,
      useCases,
      ...(apps.embeddedAppKey !== undefined ? { embeddedAppKey: apps.embeddedAppKey } : {}),
      // The stores are checked before any background work: a bucket or database out of reach fails start-up
      // (STORE_UNAVAILABLE) instead of leaving a replica that answers 503 on /health/ready.
      start: async () => {
        await storeWritable();
        await sessions.start();
      },
      drain: () => {
        draining = true;
        // Open live-call event streams would hold the server's close for the whole grace period; browsers reconnect.
        sessions.endLiveStreams();
      },
      async close() {
        // Running jobs finish first (close() waits for them); the models are released after.
        try {
          await sessions.close();
        } catch (error) {
          log.error(`sessions store close failed: ${String(error)}`);
        }
        await Promise.all([registry.dispose(), liveness.close(), photoThread.close()]);
      },
    };
  } catch (error) {
    await Promise.all([registry.dispose(), photoThreadStarted.then((thread) => thread.close()), livenessApi ? livenessApi.close() : crops?.close()]);
    throw error;
  }
}
