/**
 * The HTTP app factory: routes and error mapping only; no image math here (DESIGN.md).
 * Tests call `createApp(deps).request()` without opening a socket (Hono's testing pattern).
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError } from '../errors.js';
import type { ModelRegistry } from '../inference/registry.js';
import { healthReport, type ServiceVersions } from './health.js';

export interface AppDeps {
  registry: ModelRegistry;
  versions: ServiceVersions;
}

/** Error body for the service's own routes (vendor contracts map errors to their own formats). */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/health', (c) => c.json(healthReport(deps.registry, deps.versions)));

  app.notFound((c) => c.json<ErrorBody>({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  app.onError((error, c) => {
    if (error instanceof AppError) {
      return c.json<ErrorBody>({ error: { code: error.code, message: error.message } }, error.status as ContentfulStatusCode);
    }
    console.error(`unhandled error on ${c.req.method} ${c.req.path}:`, error);
    return c.json<ErrorBody>({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });

  return app;
}
