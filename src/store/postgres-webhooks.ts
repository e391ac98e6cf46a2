/**
 * Webhook events and delivery attempts on PostgreSQL (DATABASE_URL), shared by every replica's dispatcher: the
 * WebhookStore contract of ./webhooks.ts on the same tables as sqlite-webhooks.ts.
 *
 * One delivery per event across replicas: `due` claims events in one UPDATE over a SELECT … FOR UPDATE SKIP LOCKED
 * that also moves each claimed event's next attempt to the claim's lease (`leaseUntil`), so another replica's claim
 * neither waits for nor sees it as due. The attempt's outcome (recordAttempt) then sets the real next attempt by the
 * retry schedule, in the transaction that records the attempt. A replica that dies between claim and record leaves
 * the event due again when the lease passes; the next attempt goes out from whichever replica claims it (at least
 * once: receivers de-duplicate on webhook_id). Every attempt that got an answer (or none) is recorded.
 *
 * Wake-up after commit: `insert` sends NOTIFY webhook_events in the caller's transaction, delivered by PostgreSQL at
 * the commit to every replica; `onNewEvents` wakes a dispatcher with it, so an event recorded inside a transaction
 * goes out right after the commit, not at the dispatcher's next poll (WEBHOOK_POLL_INTERVAL_MS).
 */
import type { PostgresDatabase } from './postgres.js';
import type { StoreTransaction } from './transaction.js';
import { ATTEMPT_COLUMNS, attemptValues, outcomeColumns, SELECT_EVENT, toAttempts, toDue, toRecord, type AttemptRow, type DueRow, type EventRow } from './webhook-rows.js';
import type { DueWebhookEvent, NewWebhookEvent, WebhookAttempt, WebhookAttemptResult, WebhookListQuery, WebhookOutcome, WebhookRecord, WebhookStore } from './webhooks.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_WEBHOOK_MIGRATIONS = [
  `CREATE TABLE webhook_events (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     webhook_id TEXT NOT NULL UNIQUE,
     app_id TEXT NOT NULL,
     event TEXT NOT NULL,
     session_id TEXT NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
     round INTEGER NOT NULL DEFAULT 0,
     round_attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at BIGINT,
     created_at BIGINT NOT NULL,
     delivered_at BIGINT,
     last_error TEXT
   );
   CREATE INDEX webhook_events_due ON webhook_events (state, next_attempt_at);
   CREATE INDEX webhook_events_app_session ON webhook_events (app_id, session_id, seq);
   CREATE INDEX webhook_events_app_state ON webhook_events (app_id, state, seq);
   CREATE TABLE webhook_attempts (
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     webhook_id TEXT NOT NULL REFERENCES webhook_events (webhook_id) ON DELETE CASCADE,
     attempted_at BIGINT NOT NULL,
     url TEXT NOT NULL,
     status_code INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL
   );
   CREATE INDEX webhook_attempts_event ON webhook_attempts (webhook_id, id);`,
];

/** The NOTIFY channel of newly recorded events (empty payload: the dispatcher claims whatever is due). */
export const WEBHOOK_EVENTS_CHANNEL = 'webhook_events';

export class PostgresWebhookStore implements WebhookStore {
  private constructor(private readonly db: PostgresDatabase) {}

  static async open(db: PostgresDatabase): Promise<PostgresWebhookStore> {
    await db.migrate('webhooks', POSTGRES_WEBHOOK_MIGRATIONS);
    return new PostgresWebhookStore(db);
  }

  async insert(event: NewWebhookEvent, tx?: StoreTransaction): Promise<void> {
    await this.db.query(
      tx,
      `INSERT INTO webhook_events (webhook_id, app_id, event, session_id, body, state, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)`,
      [event.webhookId, event.appId, event.event, event.sessionId, event.body, event.createdAt],
    );
    await this.db.notify(tx, WEBHOOK_EVENTS_CHANNEL);
  }

  /**
   * Calls `wake` whenever an event is recorded on any replica (once its transaction commits), and after the listening
   * connection was reopened (an event recorded meanwhile would otherwise wait for the poll). Answers the stop function.
   */
  onNewEvents(wake: () => void): Promise<() => void> {
    return this.db.listen(WEBHOOK_EVENTS_CHANNEL, wake, wake);
  }

  async due(now: number, limit: number, exclude: readonly string[], leaseUntil: number): Promise<DueWebhookEvent[]> {
    const { rows } = await this.db.query<DueRow & Pick<EventRow, 'seq'> & { was_due: number }>(
      undefined,
      `WITH claimed AS (
         SELECT webhook_id, next_attempt_at FROM webhook_events
         WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT (webhook_id = ANY($2))
         ORDER BY next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE webhook_events e SET next_attempt_at = $4 FROM claimed WHERE e.webhook_id = claimed.webhook_id
       RETURNING e.webhook_id, e.app_id, e.event, e.body, e.round, e.seq, claimed.next_attempt_at AS was_due`,
      [now, exclude, limit, leaseUntil],
    );
    // RETURNING keeps no order: oldest due first, as the SQLite store answers.
    rows.sort((a, b) => a.was_due - b.was_due || a.seq - b.seq);
    return rows.map(toDue);
  }

  async recordAttempt(
    webhookId: string,
    round: number,
    attempt: WebhookAttemptResult,
    decide: (roundAttempts: number) => WebhookOutcome,
  ): Promise<{ roundAttempts: number; outcome: WebhookOutcome } | undefined> {
    return this.db.transaction(async (tx) => {
      const placeholders = ATTEMPT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
      await this.db.query(tx, `INSERT INTO webhook_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders})`, attemptValues(webhookId, attempt));
      // FOR UPDATE: a redelivery (reschedule) waits for this transaction, or this one sees its new round.
      const current = (await this.db.query<{ round: number; round_attempts: number }>(tx, 'SELECT round, round_attempts FROM webhook_events WHERE webhook_id = $1 FOR UPDATE', [webhookId])).rows[0];
      if (!current || current.round !== round) return undefined; // redelivered meanwhile: the new round decides
      const roundAttempts = current.round_attempts + 1;
      const outcome = decide(roundAttempts);
      const set = outcomeColumns(outcome, roundAttempts);
      await this.db.query(tx, 'UPDATE webhook_events SET state = $1, round_attempts = $2, next_attempt_at = $3, delivered_at = $4, last_error = $5 WHERE webhook_id = $6', [
        set.state,
        set.round_attempts,
        set.next_attempt_at,
        set.delivered_at,
        set.last_error,
        webhookId,
      ]);
      return { roundAttempts, outcome };
    });
  }

  async reschedule(appId: string, webhookId: string, at: number): Promise<boolean> {
    const result = await this.db.query(
      undefined,
      `UPDATE webhook_events SET state = 'pending', round = round + 1, round_attempts = 0, next_attempt_at = $1, delivered_at = NULL WHERE webhook_id = $2 AND app_id = $3`,
      [at, webhookId, appId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async list(appId: string, query: WebhookListQuery): Promise<WebhookRecord[]> {
    const where = ['e.app_id = $1'];
    const params: (string | number)[] = [appId];
    const param = (value: string | number) => (params.push(value), `$${params.length}`);
    if (query.sessionId !== undefined) where.push(`e.session_id = ${param(query.sessionId)}`);
    if (query.state !== undefined) where.push(`e.state = ${param(query.state)}`);
    if (query.after !== undefined) where.push(`e.seq < (SELECT seq FROM webhook_events WHERE webhook_id = ${param(query.after)} AND app_id = $1)`);
    const { rows } = await this.db.query<EventRow>(undefined, `${SELECT_EVENT} WHERE ${where.join(' AND ')} ORDER BY e.seq DESC LIMIT ${param(query.limit)}`, params);
    return rows.map(toRecord);
  }

  async get(appId: string, webhookId: string): Promise<WebhookRecord | undefined> {
    const { rows } = await this.db.query<EventRow>(undefined, `${SELECT_EVENT} WHERE e.webhook_id = $1 AND e.app_id = $2`, [webhookId, appId]);
    return rows[0] && toRecord(rows[0]);
  }

  async attempts(appId: string, webhookId: string): Promise<WebhookAttempt[] | undefined> {
    if (!(await this.get(appId, webhookId))) return undefined;
    const { rows } = await this.db.query<AttemptRow>(undefined, 'SELECT * FROM webhook_attempts WHERE webhook_id = $1 ORDER BY id', [webhookId]);
    return toAttempts(rows);
  }
}
