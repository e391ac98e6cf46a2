/**
 * When to retry a failed webhook delivery: exponential backoff with jitter (the pattern in "Exponential
 * Backoff And Jitter", AWS Architecture Blog, 2015): attempt n (1-based) failed → wait
 * base × 2^(n−1), capped at maxDelay, then scaled by a random factor in [1 − jitter, 1 + jitter] so that
 * many events that failed together (a receiver outage) do not all come back in the same second.
 *
 * Defaults (WEBHOOK_* in src/config.ts): 8 attempts, base 30 s, cap 1 h, jitter ±20 % → waits of
 * 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 32 min between the 8 attempts: the last attempt is made
 * about 63.5 min (±20 %) after the first, so a receiver may be down for about an hour without losing
 * anything (and `POST /v1/webhooks/{id}/redeliver` covers longer outages).
 */
export interface RetryPolicy {
  /** Attempts in total (the first one included) before the event is marked failed. */
  maxAttempts: number;
  /** Wait after the first failed attempt, ms. */
  baseDelayMs: number;
  /** Largest wait between two attempts, ms (before jitter). */
  maxDelayMs: number;
  /** Relative jitter, 0–1: each wait is multiplied by a uniform factor in [1 − jitter, 1 + jitter]. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  jitter: 0.2,
});

/**
 * Milliseconds to wait after attempt `failedAttempt` (1-based) failed, or undefined when it was the last
 * allowed attempt. `random` is uniform in [0, 1) (injectable for tests).
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number | undefined {
  if (failedAttempt >= policy.maxAttempts) return undefined;
  // 2^(n−1) grows past any sane cap by n = 40; clamp the exponent so the arithmetic stays finite.
  const exponential = policy.baseDelayMs * 2 ** Math.min(failedAttempt - 1, 40);
  const capped = Math.min(exponential, policy.maxDelayMs);
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(capped * factor));
}
