/**
 * `appId` / `appKey` headers → the caller app; missing or wrong → 401 (UNAUTHENTICATED), valid but
 * not allowed this API → 403 (FORBIDDEN). RFC 9110 §15.5.2/§15.5.4: 401 = "who are you?",
 * 403 = "I know who you are, and no".
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.js';
import { AppRegistry, type ApiName } from '../apps.js';
import type { ApiEnv } from '../context.js';

export function credentials(apps: AppRegistry, api: ApiName): MiddlewareHandler<ApiEnv> {
  return async function credentialsMiddleware(c, next) {
    const app = apps.authenticate(c.req.header('appId'), c.req.header('appKey'));
    if (!app) throw new AppError('UNAUTHENTICATED', 'send the appId and appKey headers of a configured app');
    if (!AppRegistry.allows(app, api)) throw new AppError('FORBIDDEN', `app "${app.appId}" may not call ${api}`);
    c.set('app', app);
    await next();
  };
}
