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
