/**
 * Rows of the webhook tables as both databases hold them (sqlite-webhooks.ts, postgres-webhooks.ts keep the same
 * columns; only the DDL types and the placeholders differ), and their mapping to and from the WebhookStore's records:
 * one copy of it, so an event listed from either database reads the same.
 */
import type { DueWebhookEvent, WebhookAttempt, WebhookDeliveryState, WebhookEventName, WebhookOutcome, WebhookRecord } from './webhooks.js';

export interface EventRow {
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
  /** Attempts in all (SELECT_EVENT counts them). */
  attempts: number;
}

export interface AttemptRow {
  attempted_at: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** An event with its attempt count; callers add WHERE / ORDER BY on alias `e`. Plain SQL both databases run. */
export const SELECT_EVENT = `SELECT e.*, (SELECT COUNT(*) FROM webhook_attempts a WHERE a.webhook_id = e.webhook_id) AS attempts FROM webhook_events e`;

/** The columns `due` reads (the dispatcher's view of a claimed event). */
export type DueRow = Pick<EventRow, 'webhook_id' | 'app_id' | 'event' | 'body' | 'round'>;

export function toRecord(row: EventRow): WebhookRecord {
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

export const toDue = (row: DueRow): DueWebhookEvent => ({ webhookId: row.webhook_id, appId: row.app_id, event: row.event, body: row.body, round: row.round });

/** An event's attempts, in order (rows sorted by id), numbered from 1. */
export const toAttempts = (rows: readonly AttemptRow[]): WebhookAttempt[] =>
  rows.map((row, index) => ({
    number: index + 1,
    attemptedAt: row.attempted_at,
    url: row.url,
    ...(row.status_code !== null ? { statusCode: row.status_code } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    durationMs: row.duration_ms,
  }));

/** A new attempt's column values, in the order of ATTEMPT_COLUMNS. */
export const ATTEMPT_COLUMNS = ['webhook_id', 'attempted_at', 'url', 'status_code', 'error', 'duration_ms'] as const;
export const attemptValues = (webhookId: string, attempt: Omit<WebhookAttempt, 'number'>): unknown[] => [
  webhookId,
  attempt.attemptedAt,
  attempt.url,
  attempt.statusCode ?? null,
  attempt.error ?? null,
  attempt.durationMs,
];

/**
 * What an attempt's outcome writes on its event, every column named so that one UPDATE serves all three outcomes.
 * Within a round `delivered_at` is NULL until delivery (insert and reschedule leave it so), so writing NULL for the
 * other outcomes changes nothing.
 */
export interface OutcomeColumns {
  state: WebhookDeliveryState;
  round_attempts: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
  last_error: string | null;
}

export function outcomeColumns(outcome: WebhookOutcome, roundAttempts: number): OutcomeColumns {
  switch (outcome.state) {
    case 'delivered':
      return { state: 'delivered', round_attempts: roundAttempts, next_attempt_at: null, delivered_at: outcome.at, last_error: null };
    case 'failed':
      return { state: 'failed', round_attempts: roundAttempts, next_attempt_at: null, delivered_at: null, last_error: outcome.error };
    case 'pending':
      return { state: 'pending', round_attempts: roundAttempts, next_attempt_at: outcome.nextAttemptAt, delivered_at: null, last_error: outcome.error };
  }
}
