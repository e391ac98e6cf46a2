/**
 * Per-app request limit in fixed one-minute windows (the app's `rateLimitPerMinute`); over it → 429
 * with `Retry-After` (RFC 6585 §4) = seconds until the window ends. Fixed windows allow a burst of up
 * to twice the limit across a window edge; that is accepted for its O(1) memory per app (apps are
 * configured, so the map cannot grow from unauthenticated traffic: this runs after credentials).
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.js';
import type { ApiEnv } from '../context.js';

const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one request; returns 0 when allowed, else the seconds until the app's window resets. */
  take(appId: string, limitPerMinute: number): number {
    const now = this.now();
    const start = now - (now % WINDOW_MS);
    let window = this.windows.get(appId);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(appId, window);
    }
    if (window.count >= limitPerMinute) return Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000));
    window.count += 1;
    return 0;
  }
}

export function rateLimit(limiter: RateLimiter): MiddlewareHandler<ApiEnv> {
  return async function rateLimitMiddleware(c, next) {
    const app = c.get('app');
    if (app.rateLimitPerMinute !== undefined) {
      const retryAfter = limiter.take(app.appId, app.rateLimitPerMinute);
      if (retryAfter > 0) {
        c.header('Retry-After', String(retryAfter));
        throw new AppError('RATE_LIMITED', `app "${app.appId}" is over its limit of ${app.rateLimitPerMinute} requests per minute; retry in ${retryAfter} s`);
      }
    }
    await next();
  };
}
