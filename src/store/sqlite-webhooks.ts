/**
 * Webhook events and delivery attempts on the embedded SQLite store: persistence only (WebhookStore,
 * src/store/webhooks.ts). The delivery loop that sends, signs and schedules is src/webhooks/dispatcher.ts.
 *
 * `insert` writes the event in one INSERT (durable once committed: synchronous=FULL, see database.ts); given the
 * caller's `tx` (sqlite-gate.ts) the event commits or rolls back with its state change. `recordAttempt` writes the attempt row and the event's new state in one
 * transaction. Events stay `pending` across restarts and receiver outages. One dispatcher per database file:
 * replicas sharing state need the PostgreSQL implementation (DESIGN.md "Scale-out") with row claiming.
 */
import { migrate, type Db } from './database.js';
import { sqliteGate, type SqliteGate } from './sqlite-gate.js';
import type { StoreTransaction } from './transaction.js';
import { ATTEMPT_COLUMNS, attemptValues, outcomeColumns, SELECT_EVENT, toAttempts, toDue, toRecord, type AttemptRow, type DueRow, type EventRow } from './webhook-rows.js';
import type { DueWebhookEvent, NewWebhookEvent, WebhookAttempt, WebhookAttemptResult, WebhookListQuery, WebhookOutcome, WebhookRecord, WebhookStore } from './webhooks.js';

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

export class SqliteWebhookStore implements WebhookStore {
  private readonly gate: SqliteGate;

  constructor(private readonly db: Db) {
    migrate(this.db, 'webhooks', MIGRATIONS);
    this.gate = sqliteGate(db);
  }

  insert(event: NewWebhookEvent, tx?: StoreTransaction): Promise<void> {
    return this.gate.run(tx, () => void this.db
      .prepare(
        `INSERT INTO webhook_events (webhook_id, app_id, event, session_id, body, state, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(event.webhookId, event.appId, event.event, event.sessionId, event.body, event.createdAt, event.createdAt));
  }

  /** One dispatcher per database file: leaving out `exclude` is the whole claim, so `leaseUntil` is not needed. */
  due(now: number, limit: number, exclude: readonly string[], _leaseUntil: number): Promise<DueWebhookEvent[]> {
    return this.gate.run(undefined, () => this.dueNow(now, limit, exclude));
  }

  private dueNow(now: number, limit: number, exclude: readonly string[]): DueWebhookEvent[] {
    const rows = this.db
      .prepare(
        `SELECT webhook_id, app_id, event, body, round FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= ?
         ${exclude.length > 0 ? `AND webhook_id NOT IN (${exclude.map(() => '?').join(',')})` : ''}
         ORDER BY next_attempt_at, seq LIMIT ?`,
      )
      .all(now, ...exclude, limit) as DueRow[];
    return rows.map(toDue);
  }

  recordAttempt(
    webhookId: string,
    round: number,
    attempt: WebhookAttemptResult,
    decide: (roundAttempts: number) => WebhookOutcome,
  ): Promise<{ roundAttempts: number; outcome: WebhookOutcome } | undefined> {
    return this.gate.run(undefined, this.db.transaction(() => {
      this.db.prepare(`INSERT INTO webhook_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`).run(...attemptValues(webhookId, attempt));
      const current = this.db.prepare('SELECT round, round_attempts FROM webhook_events WHERE webhook_id = ?').get(webhookId) as
        | { round: number; round_attempts: number }
        | undefined;
      if (!current || current.round !== round) return undefined; // redelivered meanwhile: the new round decides
      const roundAttempts = current.round_attempts + 1;
      const outcome = decide(roundAttempts);
      const set = outcomeColumns(outcome, roundAttempts);
      this.db
        .prepare('UPDATE webhook_events SET state = ?, round_attempts = ?, next_attempt_at = ?, delivered_at = ?, last_error = ? WHERE webhook_id = ?')
        .run(set.state, set.round_attempts, set.next_attempt_at, set.delivered_at, set.last_error, webhookId);
      return { roundAttempts, outcome };
    }));
  }

  reschedule(appId: string, webhookId: string, at: number): Promise<boolean> {
    // A new round: the full retry schedule again. An attempt in flight from the old round still gets its row in
    // webhook_attempts but no longer moves the event (recordAttempt compares the round).
    return this.gate.run(undefined, () =>
      this.db
        .prepare(
          `UPDATE webhook_events SET state = 'pending', round = round + 1, round_attempts = 0, next_attempt_at = ?, delivered_at = NULL
           WHERE webhook_id = ? AND app_id = ?`,
        )
        .run(at, webhookId, appId).changes > 0,
    );
  }

  list(appId: string, query: WebhookListQuery): Promise<WebhookRecord[]> {
    return this.gate.run(undefined, () => this.listNow(appId, query));
  }

  private listNow(appId: string, query: WebhookListQuery): WebhookRecord[] {
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

  get(appId: string, webhookId: string): Promise<WebhookRecord | undefined> {
    return this.gate.run(undefined, () => this.getNow(appId, webhookId));
  }

  private getNow(appId: string, webhookId: string): WebhookRecord | undefined {
    const row = this.db.prepare(`${SELECT_EVENT} WHERE e.webhook_id = ? AND e.app_id = ?`).get(webhookId, appId) as EventRow | undefined;
    return row && toRecord(row);
  }

  attempts(appId: string, webhookId: string): Promise<WebhookAttempt[] | undefined> {
    return this.gate.run(undefined, () => this.attemptsNow(appId, webhookId));
  }

  private attemptsNow(appId: string, webhookId: string): WebhookAttempt[] | undefined {
    if (!this.getNow(appId, webhookId)) return undefined;
    const rows = this.db.prepare('SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id').all(webhookId) as AttemptRow[];
    return toAttempts(rows);
  }
}
