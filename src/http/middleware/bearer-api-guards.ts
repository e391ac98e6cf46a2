/**
 * The guards of the Bearer-key APIs (Verilock style), cheapest refusal first, as vendor-guards.ts does for the
 * HyperVerge-style ones: `Authorization: Bearer <appKey>` (401; a suspended app 403) → the app's allowedApis
 * (403) → the app's per-minute rate limit (429, shared with all its other calls). Errors are AppErrors; each
 * route's own error handler puts them in its wire format.
 */
import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { AppError } from '../../errors.js';
import { AppRegistry, type ApiName } from '../apps.js';
import type { ApiEnv } from '../context.js';
import { bearerKey } from './bearer-key.js';
import { rateLimit, type RateLimiter } from './rate-limit.js';

/** 403 unless the authenticated app may call `api` (RFC 9110 §15.5.4: known caller, not allowed). */
export function allowedApi(api: ApiName): MiddlewareHandler<ApiEnv> {
  return async function allowedApiMiddleware(c, next) {
    const app = c.get('app');
    // The same words as the sessions API's refusal (routes/sessions.ts), so both answer the same body.
    if (!AppRegistry.allows(app, api)) throw new AppError('FORBIDDEN', `app "${app.appId}" may not call the ${api} API`);
    await next();
  };
}

export function bearerApiGuards(deps: { apps: AppRegistry; rateLimiter: RateLimiter }, api: ApiName): MiddlewareHandler<ApiEnv> {
  // hono/combine `every`: run in order, stop at the first that answers (or throws).
  return every(bearerKey(deps.apps), allowedApi(api), rateLimit(deps.rateLimiter)) as MiddlewareHandler<ApiEnv>;
}
