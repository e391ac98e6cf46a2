/**
 * Webhook events and deliveries on the embedded SQLite store.
 *
 * `emit` writes the event in one synchronous INSERT (durable when it returns: synchronous=FULL, see
 * database.ts), so a caller may emit inside its own better-sqlite3 transaction and the event commits or
 * rolls back with its state change. Delivery happens later, on a dispatcher loop: due `pending` events
 * are POSTed (signed, src/webhooks/sign.ts) with a timeout; a 2xx marks the event `delivered`, anything
 * else schedules the next attempt by the retry policy (src/webhooks/retry-schedule.ts) or, past the last
 * attempt, marks it `failed`. Every attempt is a row in `webhook_attempts`.
 *
 * Delivery is at-least-once: a process that dies after the receiver answered but before the result was
 * written retries on the next start, so receivers de-duplicate on `webhook_id` (also sent as X-Webhook-Id).
 * Events stay `pending` across restarts and receiver outages; `start()` resumes them.
 *
 * The URL and secret are read from the app's current configuration at each attempt (not stored with
 * the event): an operator who fixes a wrong webhookUrl and calls redeliver reaches the new one, and
 * secrets never land in the database. One dispatcher per database file: replicas sharing state need
 * the PostgreSQL implementation (DESIGN.md "Scale-out") with row claiming.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SIGNATURE_HEADER, signatureHeader } from '../webhooks/sign.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from '../webhooks/retry-schedule.js';
import { migrate, type Db } from './database.js';
import type {
  WebhookAttempt,
  WebhookDeliveryState,
  WebhookEventData,
  WebhookEventName,
  WebhookEvents,
  WebhookListQuery,
  WebhookLog,
  WebhookRecord,
} from './webhooks.js';

/** Append-only (database.ts): never edit a released step. */
const MIGRATIONS = [
  `CREATE TABLE webhook_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     webhook_id TEXT NOT NULL UNIQUE,
     app_id TEXT NOT NULL,
     event TEXT NOT NULL,
     session_id TEXT NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
     round INTEGER NOT NULL DEFAULT 0,
     round_attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER,
     last_error TEXT
   );
   CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at);
   CREATE INDEX webhook_events_app_session ON webhook_events (app_id, session_id, seq);
   CREATE INDEX webhook_events_app_state ON webhook_events (app_id, state, seq);
   CREATE TABLE webhook_attempts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     webhook_id TEXT NOT NULL REFERENCES webhook_events (webhook_id) ON DELETE CASCADE,
     attempted_at INTEGER NOT NULL,
     url TEXT NOT NULL,
     status_code INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL
   );
   CREATE INDEX webhook_attempts_event ON webhook_attempts (webhook_id, id);`,
];

/** Where an app's events go; from the app registry (APPS_FILE `webhookUrl` / `webhookSecret`). */
export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export interface SqliteWebhooksOptions {
  db: Db;
  /** The app's endpoint now, or undefined when it has none (emit records nothing then). */
  endpointFor: (appId: string) => WebhookEndpoint | undefined;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt limit for connecting, sending and receiving the response headers, ms. Default 10 000. */
  timeoutMs?: number;
  /** How often the dispatcher looks for due events, ms; emit also wakes it at once. Default 1000. */
  pollIntervalMs?: number;
  /** Deliveries in flight at once. Default 4. */
  concurrency?: number;
  /** Clock, ms since the epoch (injectable for tests). */
  now?: () => number;
  fetch?: typeof fetch;
  /** Uniform in [0, 1), for retry jitter. */
  random?: () => number;
  log?: (message: string) => void;
}

interface EventRow {
  seq: number;
  webhook_id: string;
  app_id: string;
  event: WebhookEventName;
  session_id: string;
  body: string;
  state: WebhookDeliveryState;
  round: number;
  round_attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  delivered_at: number | null;
  last_error: string | null;
  attempts: number;
}

interface AttemptRow {
  attempted_at: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

const SELECT_EVENT = `SELECT e.*, (SELECT COUNT(*) FROM webhook_attempts a WHERE a.webhook_id = e.webhook_id) AS attempts FROM webhook_events e`;

export class SqliteWebhooks implements WebhookEvents, WebhookLog {
  private readonly db: Db;
  private readonly endpointFor: (appId: string) => WebhookEndpoint | undefined;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  private readonly log: (message: string) => void;
  /** webhook_id → its delivery in progress (never two at once for one event in this process). */
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private running = false;

  constructor(options: SqliteWebhooksOptions) {
    this.db = options.db;
    migrate(this.db, 'webhooks', MIGRATIONS);
    this.endpointFor = options.endpointFor;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new RangeError(`webhook maxAttempts must be ≥ 1, got ${this.policy.maxAttempts}`);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? ((m) => console.warn(m));
  }

  emit(appId: string, event: WebhookEventName, data: WebhookEventData): string | undefined {
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
    this.db
      .prepare(
        `INSERT INTO webhook_events (webhook_id, app_id, event, session_id, body, state, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(webhookId, appId, event, data.session_id, body, now, now);
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
    const free = this.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const busy = [...this.inFlight.keys()];
    const due = this.db
      .prepare(
        `SELECT * FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= ?
         ${busy.length > 0 ? `AND webhook_id NOT IN (${busy.map(() => '?').join(',')})` : ''}
         ORDER BY next_attempt_at, seq LIMIT ?`,
      )
      .all(this.now(), ...busy, free) as EventRow[];
    const started = due.map((row) => {
      const attempt = this.attempt(row).finally(() => {
        this.inFlight.delete(row.webhook_id);
        // A backlog (after an outage) drains at the concurrency limit instead of one batch per poll.
        this.wake();
      });
      this.inFlight.set(row.webhook_id, attempt);
      return attempt;
    });
    await Promise.all(started);
    return started.length;
  }

  list(appId: string, query: WebhookListQuery): WebhookRecord[] {
    const where = ['e.app_id = ?'];
    const params: (string | number)[] = [appId];
    if (query.sessionId !== undefined) (where.push('e.session_id = ?'), params.push(query.sessionId));
    if (query.state !== undefined) (where.push('e.state = ?'), params.push(query.state));
    if (query.after !== undefined) {
      where.push('e.seq < (SELECT seq FROM webhook_events WHERE webhook_id = ? AND app_id = ?)');
      params.push(query.after, appId);
    }
    const rows = this.db.prepare(`${SELECT_EVENT} WHERE ${where.join(' AND ')} ORDER BY e.seq DESC LIMIT ?`).all(...params, query.limit) as EventRow[];
    return rows.map(toRecord);
  }

  get(appId: string, webhookId: string): WebhookRecord | undefined {
    const row = this.db.prepare(`${SELECT_EVENT} WHERE e.webhook_id = ? AND e.app_id = ?`).get(webhookId, appId) as EventRow | undefined;
    return row && toRecord(row);
  }

  attempts(appId: string, webhookId: string): WebhookAttempt[] | undefined {
    if (!this.get(appId, webhookId)) return undefined;
    const rows = this.db.prepare('SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id').all(webhookId) as AttemptRow[];
    return rows.map((row, index) => ({
      number: index + 1,
      attemptedAt: row.attempted_at,
      url: row.url,
      ...(row.status_code !== null ? { statusCode: row.status_code } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      durationMs: row.duration_ms,
    }));
  }

  redeliver(appId: string, webhookId: string): WebhookRecord | undefined {
    // A new round: the full retry schedule again, due now. An attempt in flight from the old round still
    // gets its row in webhook_attempts but no longer moves the event (see `round` in attempt()).
    const changed = this.db
      .prepare(
        `UPDATE webhook_events SET state = 'pending', round = round + 1, round_attempts = 0, next_attempt_at = ?, delivered_at = NULL
         WHERE webhook_id = ? AND app_id = ?`,
      )
      .run(this.now(), webhookId, appId).changes;
    if (changed === 0) return undefined;
    this.wake();
    return this.get(appId, webhookId);
  }

  private wake(): void {
    if (!this.running || this.wakeScheduled) return;
    this.wakeScheduled = true;
    // setImmediate: after the caller's synchronous work, so an emit inside a transaction is committed
    // before the dispatcher reads it.
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.running) this.deliverDue().catch((error: unknown) => this.log(`webhook dispatcher: ${describeError(error)}`));
    });
  }

  /** One attempt for `row`: send, then record the attempt and the event's new state in one transaction. */
  private async attempt(row: EventRow): Promise<void> {
    const endpoint = this.endpointFor(row.app_id);
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
            'X-Webhook-Id': row.webhook_id,
            'X-Webhook-Event': row.event,
            [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, row.body, Math.floor(attemptedAt / 1000)),
          },
          body: row.body,
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
    const durationMs = Math.round(performance.now() - started);
    const url = endpoint?.url ?? '';
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO webhook_attempts (webhook_id, attempted_at, url, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.webhook_id, attemptedAt, url, statusCode ?? null, error ?? null, durationMs);
      const current = this.db.prepare('SELECT round, round_attempts FROM webhook_events WHERE webhook_id = ?').get(row.webhook_id) as
        | { round: number; round_attempts: number }
        | undefined;
      if (!current || current.round !== row.round) return; // redelivered meanwhile: the new round decides
      const roundAttempts = current.round_attempts + 1;
      if (error === undefined) {
        this.db
          .prepare(`UPDATE webhook_events SET state = 'delivered', round_attempts = ?, next_attempt_at = NULL, delivered_at = ?, last_error = NULL WHERE webhook_id = ?`)
          .run(roundAttempts, this.now(), row.webhook_id);
        return;
      }
      const delay = retryDelayMs(this.policy, roundAttempts, this.random);
      if (delay === undefined) {
        this.db
          .prepare(`UPDATE webhook_events SET state = 'failed', round_attempts = ?, next_attempt_at = NULL, last_error = ? WHERE webhook_id = ?`)
          .run(roundAttempts, error, row.webhook_id);
        this.log(`webhook ${row.webhook_id} (${row.event}, app ${row.app_id}) failed after ${roundAttempts} attempts: ${error}`);
      } else {
        this.db
          .prepare(`UPDATE webhook_events SET round_attempts = ?, next_attempt_at = ?, last_error = ? WHERE webhook_id = ?`)
          .run(roundAttempts, this.now() + delay, error, row.webhook_id);
      }
    })();
  }
}

function toRecord(row: EventRow): WebhookRecord {
  return {
    webhookId: row.webhook_id,
    appId: row.app_id,
    event: row.event,
    sessionId: row.session_id,
    state: row.state,
    attempts: row.attempts,
    ...(row.next_attempt_at !== null && row.state === 'pending' ? { nextAttemptAt: row.next_attempt_at } : {}),
    createdAt: row.created_at,
    ...(row.delivered_at !== null ? { deliveredAt: row.delivered_at } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    body: row.body,
  };
}

/** fetch's errors hide the reason in `cause` ("fetch failed" ← "connect ECONNREFUSED 127.0.0.1:9"). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `timeout: ${error.message}`;
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message}: ${cause.message}`.slice(0, 500);
  return error.message.slice(0, 500);
}
