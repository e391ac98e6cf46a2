/**
 * Where an answered error is noted: its stable code goes to the request's access-log line and metrics
 * (middleware/request-telemetry.ts), and a server-side failure (5xx) is logged with its stack, on the request's logger
 * (so the line carries the requestId the caller got). The caller's body stays generic; the details are the log's.
 */
import type { Context } from 'hono';
import { AppError } from '../errors.js';
import type { ApiEnv } from './context.js';

/**
 * `status`: the status the answer gets; `where`: which API answered, for the log line. Any route's context (each
 * vendor facade has its own variables; the request-wide ones of ApiEnv are set on all of them).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function noteError(context: Context<any>, error: unknown, status: number, where: string): void {
  const c = context as Context<ApiEnv>;
  const code = error instanceof AppError ? error.code : typeof (error as { code?: unknown })?.code === 'string' ? String((error as { code: string }).code) : status >= 500 ? 'INTERNAL' : undefined;
  if (code !== undefined) c.set('errorCode', code);
  if (status >= 500) c.get('log')?.error({ err: error, method: c.req.method, route: c.req.routePath }, `${where}: ${code ?? 'error'} on ${c.req.method} ${c.req.path}`);
}
