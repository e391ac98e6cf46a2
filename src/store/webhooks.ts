/**
 * Outgoing webhooks: events recorded durably first, then delivered (signed) with retries and backoff;
 * every attempt is persisted and listable, so a receiver that is down loses nothing. This file holds the
 * types and the persistence contract (WebhookStore); the delivery loop is src/webhooks/dispatcher.ts.
 */
import type { StoreTransaction } from './transaction.js';

export type WebhookEventName = 'video.completed' | 'video.reviewed';

export interface WebhookEventData {
  session_id: string;
  video_mode: string;
  status: string;
  duration_seconds: number | null;
}

export interface WebhookEvents {
  /**
   * Records the event for the app's webhook endpoint (if it has one) and schedules delivery; answers webhook_id or
   * undefined. Inside `tx` the event commits or rolls back with the caller's state change. (A test double may answer at
   * once; the dispatcher answers with a promise.)
   */
  emit(appId: string, event: WebhookEventName, data: WebhookEventData, tx?: StoreTransaction): string | undefined | Promise<string | undefined>;
}

/** Delivery state of one event: `pending` (attempts left, next one scheduled), `delivered` (a 2xx came back), `failed` (gave up). */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** One recorded event as listed to its app. Times are ms since the epoch. */
export interface WebhookRecord {
  /** `whk_<uuid>`, also in the payload and the X-Webhook-Id header (receivers de-duplicate on it). */
  webhookId: string;
  appId: string;
  event: WebhookEventName;
  sessionId: string;
  state: WebhookDeliveryState;
  /** Attempts made in all (redeliveries included). */
  attempts: number;
  /** When the next attempt is due; set only while pending. */
  nextAttemptAt?: number;
  createdAt: number;
  deliveredAt?: number;
  /** Error of the latest failed attempt (e.g. "HTTP 503", "connect ECONNREFUSED 127.0.0.1:9"). */
  lastError?: string;
  /** The exact JSON body sent on every attempt. */
  body: string;
}

/** One delivery attempt. */
export interface WebhookAttempt {
  /** 1-based, in order, over the event's whole life. */
  number: number;
  /** When the request was sent, ms since the epoch. */
  attemptedAt: number;
  url: string;
  /** HTTP status received; absent when no response came (connection refused, timeout, DNS …). */
  statusCode?: number;
  /** Why the attempt counts as failed; absent on success (2xx). */
  error?: string;
  /** From sending the request to the end of the response headers (or the failure), ms. */
  durationMs: number;
}

export interface WebhookListQuery {
  sessionId?: string;
  state?: WebhookDeliveryState;
  /** At most this many, newest first. */
  limit: number;
  /** Continue after this webhook_id (the last one of the previous page). */
  after?: string;
}

/** Reading and re-driving an app's deliveries (GET /v1/webhooks …); every call is scoped to `appId`. */
export interface WebhookLog {
  list(appId: string, query: WebhookListQuery): Promise<WebhookRecord[]>;
  get(appId: string, webhookId: string): Promise<WebhookRecord | undefined>;
  /** The event's attempts in order; undefined when the event is not the app's. */
  attempts(appId: string, webhookId: string): Promise<WebhookAttempt[] | undefined>;
  /** Schedules a fresh round of attempts now (a full retry schedule); undefined when the event is not the app's. */
  redeliver(appId: string, webhookId: string): Promise<WebhookRecord | undefined>;
}

/** A new event, as the dispatcher records it (its body is final: every attempt sends these bytes). */
export interface NewWebhookEvent {
  webhookId: string;
  appId: string;
  event: WebhookEventName;
  sessionId: string;
  body: string;
  /** When it happened, and when its first attempt is due, ms since the epoch. */
  createdAt: number;
}

/** A pending event whose next attempt is due. `round` counts redeliveries (0 = the first schedule). */
export interface DueWebhookEvent {
  webhookId: string;
  appId: string;
  event: WebhookEventName;
  body: string;
  round: number;
}

/** What one attempt did (WebhookAttempt without its number). */
export type WebhookAttemptResult = Omit<WebhookAttempt, 'number'>;

/** The event's state after an attempt, as the retry policy decides it. */
export type WebhookOutcome = { state: 'delivered'; at: number } | { state: 'pending'; nextAttemptAt: number; error: string } | { state: 'failed'; error: string };

/**
 * Persistence of webhook events and attempts (src/store/sqlite-webhooks.ts on the embedded database,
 * src/store/postgres-webhooks.ts on PostgreSQL). Nothing here sends or schedules: the dispatcher decides, the store
 * records atomically.
 */
export interface WebhookStore extends Omit<WebhookLog, 'redeliver'> {
  /** Records a pending event, due at once; inside `tx` it commits or rolls back with the caller's transaction. */
  insert(event: NewWebhookEvent, tx?: StoreTransaction): Promise<void>;
  /**
   * Claims up to `limit` pending events due at `now`, oldest due first, leaving out `exclude` (attempts in flight
   * here). A store shared by several dispatchers (PostgreSQL) also moves each claimed event's next attempt to
   * `leaseUntil`, in the claiming statement, so no other replica takes it while this one sends; recordAttempt then
   * sets the real next attempt, and an attempt whose replica died is taken again once the lease has passed.
   */
  due(now: number, limit: number, exclude: readonly string[], leaseUntil: number): Promise<DueWebhookEvent[]>;
  /**
   * Records an attempt of round `round` and, in the same transaction, applies `decide(roundAttempts)` (attempts in this
   * round, this one included) when the event is still in that round. Returns what was applied, or undefined when a
   * redelivery started a new round meanwhile (the attempt is recorded; the new round decides).
   */
  recordAttempt(
    webhookId: string,
    round: number,
    attempt: WebhookAttemptResult,
    decide: (roundAttempts: number) => WebhookOutcome,
  ): Promise<{ roundAttempts: number; outcome: WebhookOutcome } | undefined>;
  /** Starts a new round due at `at` (pending, no attempts yet in it); false when the event is not the app's. */
  reschedule(appId: string, webhookId: string, at: number): Promise<boolean>;
}
