/**
 * `Authorization: Bearer <appKey>` → the caller app (APIs in the Verilock style: sessions, webhooks).
 * Missing or unknown key → 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3); a suspended app (empty
 * allowedApis) → 403. The scheme name is case-insensitive (RFC 9110 §11.1).
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.js';
import type { AppRegistry } from '../apps.js';
import type { ApiEnv } from '../context.js';

export function bearerKey(apps: AppRegistry): MiddlewareHandler<ApiEnv> {
  return async function bearerKeyMiddleware(c, next) {
    const match = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '');
    const app = apps.authenticateKey(match?.[1]);
    if (!app) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new AppError('UNAUTHENTICATED', 'send "Authorization: Bearer <appKey>" with the key of a configured app');
    }
    if (app.allowedApis.length === 0) throw new AppError('FORBIDDEN', `app "${app.appId}" is suspended (no allowedApis)`);
    c.set('app', app);
    await next();
  };
}
