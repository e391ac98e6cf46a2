/**
 * Outgoing webhooks: `emit` records the event (WebhookStore, src/store/webhooks.ts) and the dispatcher loop delivers
 * it. Due `pending` events are POSTed (signed, ./sign.ts) with a timeout; a 2xx marks the event `delivered`, anything
 * else schedules the next attempt by the retry policy (./retry-schedule.ts) or, past the last attempt, marks it
 * `failed`. Every attempt is recorded by the store, with the event's new state, in one transaction.
 *
 * Delivery is at-least-once: a process that dies after the receiver answered but before the result was written
 * retries on the next start (on a shared PostgreSQL store: any replica, once the claim's lease has passed), so receivers de-duplicate on `webhook_id` (also sent as X-Webhook-Id). Events stay
 * `pending` across restarts and receiver outages; `start()` resumes them.
 *
 * The URL and secret are read from the app's configuration (the registry loaded at start-up) at each attempt, not
 * stored with the event: after a restart with a corrected webhookUrl, a redeliver reaches the new one, and secrets
 * never land in the database.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { detachFromTransaction } from '../store/sqlite-gate.js';
import type { StoreTransaction } from '../store/transaction.js';
import type { WebhookAttempt, WebhookEventData, WebhookEventName, WebhookEvents, WebhookListQuery, WebhookLog, WebhookRecord, WebhookStore, DueWebhookEvent } from '../store/webhooks.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry-schedule.js';
import { SIGNATURE_HEADER, signatureHeader } from './sign.js';

/** Where an app's events go; from the app registry (APPS_FILE `webhookUrl` / `webhookSecret`). */
export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export interface WebhookDispatcherOptions {
  store: WebhookStore;
  /** The app's endpoint now, or undefined when it has none (emit records nothing then). */
  endpointFor: (appId: string) => WebhookEndpoint | undefined;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt limit for connecting, sending and receiving the response headers, ms. Default 10 000. */
  timeoutMs?: number;
  /** How often the dispatcher looks for due events, ms; emit also wakes it at once. Default 1000. */
  pollIntervalMs?: number;
  /** Deliveries in flight at once. Default 4. */
  concurrency?: number;
  /**
   * How long a claimed event is kept from other replicas while this one sends it, ms: longer than an attempt can take
   * (timeoutMs) plus recording it. Default timeoutMs + 30 000.
   */
  claimLeaseMs?: number;
  /** Clock, ms since the epoch (injectable for tests). */
  now?: () => number;
  fetch?: typeof fetch;
  /** Uniform in [0, 1), for retry jitter. */
  random?: () => number;
  log?: (message: string) => void;
  /** Called after each delivery attempt is recorded, with how it ended (for /metrics). */
  onAttempt?: (outcome: WebhookAttemptOutcome) => void;
}

/** One delivery attempt: accepted (2xx), failed and scheduled again, or failed for good (retries used up). */
export type WebhookAttemptOutcome = 'delivered' | 'retried' | 'failed';

export class WebhookDispatcher implements WebhookEvents, WebhookLog {
  private readonly store: WebhookStore;
  private readonly endpointFor: (appId: string) => WebhookEndpoint | undefined;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly claimLeaseMs: number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  private readonly log: (message: string) => void;
  private readonly onAttempt: ((outcome: WebhookAttemptOutcome) => void) | undefined;
  /** webhook_id → its delivery in progress (never two at once for one event in this process). */
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private claiming: Promise<unknown> = Promise.resolve();
  private running = false;

  constructor(options: WebhookDispatcherOptions) {
    this.store = options.store;
    this.endpointFor = options.endpointFor;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new RangeError(`webhook maxAttempts must be ≥ 1, got ${this.policy.maxAttempts}`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
    this.claimLeaseMs = options.claimLeaseMs ?? this.timeoutMs + 30_000;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? ((m) => console.warn(m));
    this.onAttempt = options.onAttempt;
  }

  async emit(appId: string, event: WebhookEventName, data: WebhookEventData, tx?: StoreTransaction): Promise<string | undefined> {
    if (!this.endpointFor(appId)) return undefined;
    const webhookId = `whk_${randomUUID()}`;
    const now = this.now();
    // The payload of issue #6; `timestamp` is when the event happened (ISO 8601, UTC), fixed for every attempt.
    const body = JSON.stringify({
      event,
      data: { session_id: data.session_id, video_mode: data.video_mode, status: data.status, duration_seconds: data.duration_seconds },
      timestamp: new Date(now).toISOString(),
      webhook_id: webhookId,
    });
    await this.store.insert({ webhookId, appId, event, sessionId: data.session_id, body, createdAt: now }, tx);
    this.wake();
    return webhookId;
  }

  /** Starts the dispatcher: resumes every pending event (those of a previous process included). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops the dispatcher and waits for the attempts in flight (their results are recorded). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight.values());
  }

  /**
   * Sends every event due now (up to the concurrency limit) and resolves when those attempts are
   * recorded; returns how many were started. The loop calls it; tests call it directly with a fake clock.
   */
  async deliverDue(): Promise<number> {
    const started = await this.oneClaimAtATime(async () => {
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) return [];
      const now = this.now();
      const due = await this.store.due(now, free, [...this.inFlight.keys()], now + this.claimLeaseMs);
      return due.map((event) => {
        const attempt = this.attempt(event).finally(() => {
          this.inFlight.delete(event.webhookId);
          // A backlog (after an outage) drains at the concurrency limit instead of one batch per poll.
          this.wake();
        });
        this.inFlight.set(event.webhookId, attempt);
        return attempt;
      });
    });
    await Promise.all(started);
    return started.length;
  }

  /**
   * Claims run one after another: the store answers asynchronously, and two claims in flight at once would both leave
   * out only the attempts started before them, so one event could be sent twice by this process.
   */
  private oneClaimAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.claiming.then(work, work);
    this.claiming = run.catch(() => undefined);
    return run;
  }

  list(appId: string, query: WebhookListQuery): Promise<WebhookRecord[]> {
    return this.store.list(appId, query);
  }

  get(appId: string, webhookId: string): Promise<WebhookRecord | undefined> {
    return this.store.get(appId, webhookId);
  }

  attempts(appId: string, webhookId: string): Promise<WebhookAttempt[] | undefined> {
    return this.store.attempts(appId, webhookId);
  }

  async redeliver(appId: string, webhookId: string): Promise<WebhookRecord | undefined> {
    // A new round: the full retry schedule again, due now.
    if (!(await this.store.reschedule(appId, webhookId, this.now()))) return undefined;
    this.wake();
    return this.store.get(appId, webhookId);
  }

  /**
   * Looks for due events soon (when started): emit and redeliver call it; a shared store's commit notifications
   * (PostgreSQL NOTIFY, src/store/postgres-webhooks.ts) call it for events recorded in a transaction or on another replica.
   */
  wake(): void {
    if (!this.running || this.wakeScheduled) return;
    this.wakeScheduled = true;
    // Detached from the caller's transaction (sqlite-gate.ts): the claim waits for it to commit, then reads the event.
    detachFromTransaction(() => setImmediate(() => {
      this.wakeScheduled = false;
      if (this.running) this.deliverDue().catch((error: unknown) => this.log(`webhook dispatcher: ${describeError(error)}`));
    }));
  }

  /** One attempt for `event`: send, then record the attempt and the event's new state (one store transaction). */
  private async attempt(event: DueWebhookEvent): Promise<void> {
    const endpoint = this.endpointFor(event.appId);
    const attemptedAt = this.now();
    const started = performance.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    if (!endpoint) {
      error = 'the app has no webhookUrl configured';
    } else {
      try {
        const response = await this.fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'face-liveness-service-webhooks',
            'X-Webhook-Id': event.webhookId,
            'X-Webhook-Event': event.event,
            [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, event.body, Math.floor(attemptedAt / 1000)),
          },
          body: event.body,
          // A redirect is a failed attempt, not followed: the signed request goes only to the configured URL.
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        statusCode = response.status;
        // The body is not needed; cancelling frees the connection without waiting for it.
        await response.body?.cancel().catch(() => undefined);
        if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
      } catch (thrown) {
        error = describeError(thrown);
      }
    }
    const result = {
      attemptedAt,
      url: endpoint?.url ?? '',
      ...(statusCode !== undefined ? { statusCode } : {}),
      ...(error !== undefined ? { error } : {}),
      durationMs: Math.round(performance.now() - started),
    };
    const applied = await this.store.recordAttempt(event.webhookId, event.round, result, (roundAttempts) => {
      if (error === undefined) return { state: 'delivered', at: this.now() };
      const delay = retryDelayMs(this.policy, roundAttempts, this.random);
      return delay === undefined ? { state: 'failed', error } : { state: 'pending', nextAttemptAt: this.now() + delay, error };
    });
    if (applied) this.onAttempt?.(applied.outcome.state === 'delivered' ? 'delivered' : applied.outcome.state === 'failed' ? 'failed' : 'retried');
    if (applied?.outcome.state === 'failed') {
      this.log(`webhook ${event.webhookId} (${event.event}, app ${event.appId}) failed after ${applied.roundAttempts} attempts: ${applied.outcome.error}`);
    }
  }
}

/** fetch's errors hide the reason in `cause` ("fetch failed" ← "connect ECONNREFUSED 127.0.0.1:9"). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `timeout: ${error.message}`;
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message}: ${cause.message}`.slice(0, 500);
  return error.message.slice(0, 500);
}
