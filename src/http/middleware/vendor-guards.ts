/**
 * The guards every vendor API route runs before reading its body, cheapest refusal first (DESIGN.md):
 * credentials (401/403) → per-app rate limit (429) → body size limit (413).
 */
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { ApiName, AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { bodyLimit } from './body-limit.js';
import { credentials } from './credentials.js';
import { rateLimit, type RateLimiter } from './rate-limit.js';

export function vendorApiGuards(
  deps: { apps: AppRegistry; rateLimiter: RateLimiter },
  api: ApiName,
  bodyLimitBytes: number,
): MiddlewareHandler<ApiEnv> {
  // hono/combine `every`: run in order, stop at the first that answers (or throws).
  return every(credentials(deps.apps, api), rateLimit(deps.rateLimiter), bodyLimit(bodyLimitBytes)) as MiddlewareHandler<ApiEnv>;
}
