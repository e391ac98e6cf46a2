/**
 * Prometheus metrics (prom-client; issue #19), one registry per service. Names and units follow Prometheus' own
 * conventions (https://prometheus.io/docs/practices/naming/): base units (seconds, bytes), `_total` on counters, one
 * metric per quantity with labels for its dimensions. Labels stay bounded: routes are patterns, apps are the configured
 * ones, models the manifest's ids.
 *
 * What feeds it: the HTTP records (middleware/request-telemetry.ts), every model run (ModelRegistry.observeRuns), each
 * job and webhook attempt (the sessions' observers); gauges are read when scraped (slots, queue, jobs, batching).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConcurrencyLimiter } from '../http/concurrency.js';
import type { RequestRecord } from '../http/middleware/request-telemetry.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { JobAttemptOutcome } from '../store/job-queue.js';
import type { WebhookAttemptOutcome } from '../webhooks/dispatcher.js';

/** Every metric's name starts with this (the service's name, so the metrics of several services do not mix). */
export const METRIC_PREFIX = 'face_liveness_';

/**
 * Request duration buckets, seconds: a checkLiveness takes 30–150 ms on 2 CPU cores and a verifyVideo 1–3 s
 * (bench/RESULTS.md), so the buckets are dense there, up to the 60 s of a slow video upload.
 */
const REQUEST_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60];
/** Model run buckets, seconds: single runs take 1–40 ms on CPU (bench speed), batches and queueing more. */
const MODEL_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28];

export interface MetricSources {
  models: ModelRegistry;
  concurrency: ConcurrencyLimiter;
  /** Jobs waiting and running now; absent before the sessions store exists. */
  jobDepth?: () => { queued: number; running: number };
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status' | 'app'>;
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status' | 'app'>;
  private readonly refused: Counter<'reason'>;
  private readonly modelRuns: Counter<'model' | 'outcome'>;
  private readonly modelSeconds: Histogram<'model'>;
  private readonly modelRows: Counter<'model'>;
  private readonly verdicts: Counter<'api' | 'value' | 'confidence'>;
  private readonly actions: Counter<'api' | 'action'>;
  private readonly jobAttempts: Counter<'type' | 'outcome'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  private jobDepth: (() => { queued: number; running: number }) | undefined;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    const name = (n: string) => `${METRIC_PREFIX}${n}`;
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.requests = new Counter({ name: name('http_requests_total'), help: 'HTTP requests answered, by route pattern, status and caller app', labelNames: ['method', 'route', 'status', 'app'], registers });
    this.requestSeconds = new Histogram({
      name: name('http_request_duration_seconds'),
      help: 'Time from a request arriving to its answer sent, seconds',
      labelNames: ['method', 'route', 'status', 'app'],
      buckets: REQUEST_SECONDS,
      registers,
    });
    this.refused = new Counter({ name: name('http_requests_refused_total'), help: 'Requests refused for load: rate_limited (429), busy (503: every pipeline slot and queue place taken), other_503', labelNames: ['reason'], registers });
    this.modelRuns = new Counter({ name: name('model_runs_total'), help: 'Model runs asked for by the use cases, by model and outcome (ok, error)', labelNames: ['model', 'outcome'], registers });
    this.modelSeconds = new Histogram({ name: name('model_run_duration_seconds'), help: 'One model run as its caller waits for it (with batching on, queueing included), seconds', labelNames: ['model'], buckets: MODEL_SECONDS, registers });
    this.modelRows = new Counter({ name: name('model_run_rows_total'), help: 'Rows (faces, frames) the model runs were asked for', labelNames: ['model'], registers });
    const batchCounter = (metric: string, help: string, read: (s: { batches: number; rows: number; queuedMs: number }) => number) =>
      new Counter({
        name: name(metric),
        help,
        labelNames: ['model'],
        registers,
        collect() {
          this.reset();
          for (const model of sources.models.list()) {
            const b = sources.models.batchingOf(model);
            if (b.state === 'on') this.inc({ model: model.entry.id }, read(b));
          }
        },
      });
    batchCounter('model_batches_total', 'Session runs made by dynamic batching (BATCH_MAX_SIZE > 1), per model', (b) => b.batches);
    batchCounter('model_batch_rows_total', 'Rows run in those batches; ÷ batches = mean batch size', (b) => b.rows);
    batchCounter('model_batch_queue_seconds_total', 'Time items waited for their batch to start, seconds', (b) => b.queuedMs / 1000);
    new Gauge({
      name: name('pipeline_slots'),
      help: 'Pipeline concurrency (CONCURRENCY, QUEUE_SIZE): slots in use (running), requests waiting for one (waiting), and the limits',
      labelNames: ['state'],
      registers,
      collect() {
        const { running, waiting } = sources.concurrency.load;
        this.set({ state: 'running' }, running);
        this.set({ state: 'waiting' }, waiting);
        this.set({ state: 'capacity' }, sources.concurrency.concurrency);
        this.set({ state: 'queue_capacity' }, sources.concurrency.queueSize);
      },
    });
    this.verdicts = new Counter({ name: name('liveness_verdicts_total'), help: 'Liveness verdicts answered, by API, value (yes, no) and confidence', labelNames: ['api', 'value', 'confidence'], registers });
    this.actions = new Counter({ name: name('decisions_total'), help: 'Summary actions answered, by API (pass, fail, manualReview; verifyVideo and sessions: approved, declined, needs_review)', labelNames: ['api', 'action'], registers });
    this.jobDepth = sources.jobDepth;
    const depth = () => this.jobDepth;
    new Gauge({
      name: name('jobs'),
      help: 'Background jobs (session processing) now, by state: queued (due or backing off), running',
      labelNames: ['state'],
      registers,
      collect() {
        const read = depth();
        if (!read) return;
        const { queued, running } = read();
        this.set({ state: 'queued' }, queued);
        this.set({ state: 'running' }, running);
      },
    });
    this.jobAttempts = new Counter({ name: name('job_attempts_total'), help: 'Job attempts, by type and outcome (succeeded, retried, failed: out of attempts)', labelNames: ['type', 'outcome'], registers });
    this.webhookAttempts = new Counter({ name: name('webhook_deliveries_total'), help: 'Webhook delivery attempts, by outcome (delivered, retried, failed: retries used up)', labelNames: ['outcome'], registers });
  }

  /** The job queue, once the sessions store exists (it is built after the metrics). */
  watchJobs(depth: () => { queued: number; running: number }): void {
    this.jobDepth = depth;
  }

  observeRequest(r: RequestRecord): void {
    const labels = { method: r.method, route: r.route, status: String(r.status), app: r.appId ?? '' };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, r.latencyMs / 1000);
    if (r.status === 429) this.refused.inc({ reason: 'rate_limited' });
    else if (r.status === 503) this.refused.inc({ reason: r.errorCode === 'BUSY' ? 'busy' : 'other_503' });
    if (r.outcome?.liveness) this.verdicts.inc({ api: r.outcome.api, value: r.outcome.liveness.value, confidence: r.outcome.liveness.confidence });
    if (r.outcome?.action) this.actions.inc({ api: r.outcome.api, action: r.outcome.action });
  }

  observeModelRun(model: string, ms: number, rows: number, failed: boolean): void {
    this.modelRuns.inc({ model, outcome: failed ? 'error' : 'ok' });
    this.modelSeconds.observe({ model }, ms / 1000);
    this.modelRows.inc({ model }, rows);
  }

  observeJobAttempt(type: string, outcome: JobAttemptOutcome): void {
    this.jobAttempts.inc({ type, outcome });
  }

  observeWebhookAttempt(outcome: WebhookAttemptOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }

  /** A decision made outside an HTTP request (a session processed by its job). */
  observeDecision(api: string, action: string, liveness?: { value: 'yes' | 'no'; confidence: string }): void {
    this.actions.inc({ api, action });
    if (liveness) this.verdicts.inc({ api, ...liveness });
  }

  /** The exposition: Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
