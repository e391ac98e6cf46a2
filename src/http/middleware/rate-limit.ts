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

/**
 * Per-key token bucket for per-second limits (vendor contracts with a documented requests-per-second quota, e.g.
 * Tencent Cloud's "默认接口请求频率限制：20次/秒"): each key holds up to `perSecond` tokens, refilled continuously at
 * `perSecond` per second; a request takes one. Unlike RateLimiter's fixed windows, a bucket never admits more than
 * `perSecond` in any one-second span after an idle period plus the refill. Keys are configured app ids (bounded).
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds (≥ 1, rounded up) until a token is back. */
  take(key: string, perSecond: number): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: perSecond, at: now };
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    bucket.tokens -= 1;
    return 0;
  }
}
