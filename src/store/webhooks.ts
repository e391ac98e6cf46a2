/**
 * Outgoing webhooks: events recorded durably first, then delivered (signed) with retries and backoff;
 * every attempt is persisted and listable, so a receiver that is down loses nothing.
 */
export type WebhookEventName = 'video.completed' | 'video.reviewed';

export interface WebhookEventData {
  session_id: string;
  video_mode: string;
  status: string;
  duration_seconds: number | null;
}

export interface WebhookEvents {
  /** Records the event for the app's webhook endpoint (if it has one) and schedules delivery; returns webhook_id or undefined. */
  emit(appId: string, event: WebhookEventName, data: WebhookEventData): string | undefined;
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
  list(appId: string, query: WebhookListQuery): WebhookRecord[];
  get(appId: string, webhookId: string): WebhookRecord | undefined;
  /** The event's attempts in order; undefined when the event is not the app's. */
  attempts(appId: string, webhookId: string): WebhookAttempt[] | undefined;
  /** Schedules a fresh round of attempts now (a full retry schedule); undefined when the event is not the app's. */
  redeliver(appId: string, webhookId: string): WebhookRecord | undefined;
}
