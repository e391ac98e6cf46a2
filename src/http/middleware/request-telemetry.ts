/**
 * The first middleware of every request: gives it its request id and a logger that carries it, and when the answer is
 * out writes one access-log line and hands the same record to the metrics (issue #19).
 *
 * The record's `route` is the pattern that answered (`/v1/sessions/:id`), never the path with its ids and never a
 * query string: a signed link's `signature` stays out of the log, and the metrics' label set stays bounded. A request
 * no route answered is `unmatched`.
 */
import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { ApiEnv, RequestOutcome } from '../context.js';

/** One request as the access log and the metrics see it. */
export interface RequestRecord {
  requestId: string;
  /** The caller's transactionId header (HyperVerge), when it sent a printable one of at most 256 characters. */
  transactionId?: string;
  /** The authenticated caller app. */
  appId?: string;
  method: string;
  /** The route pattern that answered, or `unmatched`. */
  route: string;
  status: number;
  /** From the request's arrival to the answer handed to Node (app.request()) or fully sent (a real socket), ms. */
  latencyMs: number;
  /** The request's Content-Length, bytes, when it declared one. */
  bytesIn?: number;
  /**
   * The answer, bytes: on a socket what was sent (status line and headers included); through app.request() its
   * Content-Length, when it has one.
   */
  bytesOut?: number;
  /** The stable error code of a failed request (src/errors.ts), when an error was thrown. */
  errorCode?: string;
  /** What the use case decided (liveness verdict, summary action), when it answered. */
  outcome?: RequestOutcome;
}

export interface RequestTelemetry {
  /** Access log and per-request logger; absent = nothing is logged (tests that do not look). */
  log?: Logger;
  /** Called once per request with its record (metrics). */
  observe?: (record: RequestRecord) => void;
}

/** pino's no-op logger shape, for apps built without a log. */
const SILENT: Logger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => SILENT } as unknown as Logger;

/** The pattern of the route that answered: the last matched one that is not middleware (`use`/`all`). */
function answeringRoute(c: Context): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return routes.at(-1)?.path ?? 'unmatched';
}

const bytes = (value: string | number | string[] | null | undefined): number | undefined => {
  const n = Number(Array.isArray(value) ? value[0] : value ?? Number.NaN);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

export function requestTelemetry(telemetry: RequestTelemetry): MiddlewareHandler<ApiEnv> {
  const base = telemetry.log;
  return async function requestTelemetryMiddleware(c, next) {
    const started = performance.now();
    // Counted before anything of this answer is written (a keep-alive socket carried earlier answers).
    const sentBefore = (c.env as Partial<HttpBindings> | undefined)?.outgoing?.socket?.bytesWritten ?? 0;
    const requestId = randomUUID();
    c.set('requestId', requestId);
    c.set('log', base ? base.child({ requestId }) : SILENT);
    await next();
    const transactionId = c.req.header('transactionId')?.trim();
    const record = (bytesOut: number | undefined): RequestRecord => {
      const app = c.get('app');
      const errorCode = c.get('errorCode');
      const outcome = c.get('outcome');
      return {
        requestId,
        ...(transactionId && transactionId.length <= 256 && /^[\x20-\x7e]+$/.test(transactionId) ? { transactionId } : {}),
        ...(app ? { appId: app.appId } : {}),
        method: c.req.method,
        route: answeringRoute(c),
        status: c.res.status,
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(bytes(c.req.header('content-length')) !== undefined ? { bytesIn: bytes(c.req.header('content-length')) } : {}),
        ...(bytesOut !== undefined ? { bytesOut } : {}),
        ...(errorCode ? { errorCode } : {}),
        ...(outcome ? { outcome } : {}),
      };
    };
    const emit = (r: RequestRecord) => {
      telemetry.observe?.(r);
      if (base) {
        const { requestId: _id, ...fields } = r;
        (r.status >= 500 ? base.error : base.info).call(base, { requestId, ...fields }, 'request');
      }
    };
    // On a real socket the line is written once the answer is sent (its latency includes the transfer, and Node has
    // set the Content-Length it sent); app.request() has no socket, so it is written now.
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (!outgoing) {
      emit(record(bytes(c.res.headers.get('content-length'))));
      return;
    }
    // What the socket sent for this answer (status line and headers included): counted from the socket, because Node
    // does not keep the headers @hono/node-server hands to writeHead() where getHeader() would see them.
    const socket = outgoing.socket;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      emit(record(socket ? socket.bytesWritten - sentBefore : undefined));
    };
    outgoing.once('finish', finish);
    outgoing.once('close', finish);
  };
}
