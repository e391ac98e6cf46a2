/**
 * HTTP/1.1 over a bare TCP socket: the requests fetch() will not send (a Content-Length that promises more than the
 * body holds, headers that never end, a client that goes quiet), one request per connection for the cases, and two
 * requests on one connection for keep-alive. Reads whatever the server answers until it closes the connection, or
 * until a time limit passes (then the test's side closes it).
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status code of the answer's status line; undefined when no answer came. */
  status: number | undefined;
  /** Response headers, names lowercased. */
  headers: Record<string, string>;
  body: Buffer;
  /** True when the server closed the connection (rather than the test, after waitMs). */
  closedByServer: boolean;
}

export interface RawExchangeOptions {
  /**
   * What the client does after writing: `half-close` ends its side (FIN: "no more bytes are coming"), `stay` keeps
   * the connection open and silent.
   */
  after: 'half-close' | 'stay';
  /** How long to wait for the server, ms, before giving up and closing the socket. */
  waitMs: number;
}

function parseAnswer(bytes: Buffer): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, headers: {}, body: bytes };
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: status === undefined ? undefined : Number(status), headers, body: bytes.subarray(end + 4) };
}

/** Writes `request` (head and whatever body) to 127.0.0.1:`port` and collects the answer. */
export function rawExchange(port: number, request: Buffer | string, options: RawExchangeOptions): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const timer = setTimeout(() => socket.destroy(), options.waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server ending its side (FIN) or resetting the connection both count as "closed by the server".
    socket.on('end', () => (closedByServer = true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') closedByServer = true;
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseAnswer(Buffer.concat(chunks)), closedByServer });
    });
    socket.on('connect', () => {
      socket.write(request);
      if (options.after === 'half-close') socket.end();
    });
  });
}

/** Decodes a chunked message body (RFC 9112 §7.1); stops at the last chunk or where the bytes run out. */
function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export interface ExchangeInit {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Send the body with chunked transfer coding (no Content-Length), in 64 KiB chunks. */
  chunked?: boolean;
  /**
   * Send only the head and this many bytes of the (encoded) body, then wait for the answer without sending the rest:
   * for a request the server must refuse without the rest (a Content-Length over the limit: 0; a chunked body: just
   * past the limit). Default: the whole request.
   */
  stopAfterBodyBytes?: number;
  /** How long to wait for the whole answer, ms. Default 60 s. */
  waitMs?: number;
}

/**
 * One request on a connection of its own (`Connection: close`), its bytes written as fast as the server takes them
 * while the answer is read as it comes, and no more of them once an answer has begun: what a careful client does
 * when a server answers before the body is in (an over-limit upload, a refused credential). A write that fails
 * once the server has answered and closed (EPIPE, ECONNRESET) is not the test's failure; no answer at all is.
 * Every case gets its own connection, so a case can never inherit a connection that an earlier case left in a bad
 * state (the keep-alive cases test that on purpose). Answers a fetch Response whose `url` is the request's.
 */
export function exchange(url: string, init: ExchangeInit): Promise<Response> {
  const target = new URL(url);
  const headers: Record<string, string> = { Host: target.host, ...init.headers, Connection: 'close' };
  const body = init.body ?? Buffer.alloc(0);
  if (init.chunked) headers['Transfer-Encoding'] = 'chunked';
  else if (init.body !== undefined || !['GET', 'HEAD'].includes(init.method)) headers['Content-Length'] = String(body.length);
  const head = Buffer.from(`${init.method} ${target.pathname}${target.search} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
  const pieces: Buffer[] = [head];
  if (init.chunked) {
    for (let at = 0; at < body.length; at += 64 * 1024) {
      const chunk = body.subarray(at, at + 64 * 1024);
      pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    }
    pieces.push(Buffer.from('0\r\n\r\n'));
  } else pieces.push(body);
  const whole = Buffer.concat(pieces);
  const request = init.stopAfterBodyBytes === undefined ? whole : whole.subarray(0, head.length + init.stopAfterBodyBytes);

  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    const chunks: Buffer[] = [];
    const errors: string[] = [];
    const timer = setTimeout(() => {
      errors.push(`no complete answer within ${init.waitMs ?? 60_000} ms`);
      socket.destroy();
    }, init.waitMs ?? 60_000);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      answered = true;
      chunks.push(chunk);
    });
    socket.on('error', (error) => errors.push(error.message));
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = parseAnswer(Buffer.concat(chunks));
      if (answer.status === undefined) return reject(new Error(`no answer to ${init.method} ${target.pathname} (${errors.join('; ') || 'connection closed'})`));
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) responseHeaders.set(name, value);
      const responseBody = /chunked/i.test(answer.headers['transfer-encoding'] ?? '') ? dechunk(answer.body) : answer.body;
      const nullBody = answer.status === 204 || answer.status === 304 || init.method === 'HEAD';
      const response = new Response(nullBody ? null : new Uint8Array(responseBody), { status: answer.status, headers: responseHeaders });
      Object.defineProperty(response, 'url', { value: url });
      resolve(response);
    });
    socket.on('connect', () => {
      // Written in 64 KiB pieces, each after the event loop has had a turn to read: once the server has answered, the
      // rest is not sent. Node destroys a socket whose write fails (EPIPE after the server closed) before reading what
      // the server had sent, so a client that kept writing could lose an answer that did arrive.
      let at = 0;
      const pump = () => {
        if (at >= request.length || socket.destroyed || answered) return;
        const piece = request.subarray(at, at + 64 * 1024);
        at += piece.length;
        if (socket.write(piece)) setImmediate(pump);
        else socket.once('drain', () => setImmediate(pump));
      };
      pump();
    });
  });
}

/** How long the keep-alive client waits after the head for an early answer before it sends the body, ms. */
const EARLY_ANSWER_WAIT_MS = 300;

export interface KeepAliveAnswer {
  /** The first answer's status and `Connection` header. */
  first: { status: number | undefined; connection: string | undefined };
  /** The answer to the second request sent on the same connection; undefined when none came. */
  second: number | undefined;
}

/**
 * Sends `first` (a complete request, body included), reads its answer, then sends `second` on the same connection
 * when the first answer did not say `Connection: close` (RFC 9112 §9.3: the connection persists unless it does).
 * The head goes first and the body only after a short wait for an early answer (RFC 9110 §10.1.1 lets a client wait
 * for one before sending content); the body is not sent once the first answer says `close` (see `exchange` on why a
 * write into a closed connection must be avoided).
 */
export function rawKeepAlive(port: number, first: Buffer, second: string, waitMs: number): Promise<KeepAliveAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered: Buffer = Buffer.alloc(0);
    let firstAnswer: KeepAliveAnswer['first'] | undefined;
    let secondStatus: number | undefined;
    let written = 0;
    const closing = () => /\bclose\b/i.test(firstAnswer?.connection ?? '');
    const timer = setTimeout(() => socket.destroy(), waitMs);
    const sendSecond = () => {
      if (firstAnswer && !closing() && written >= first.length && !socket.destroyed) socket.write(second);
    };
    const pump = () => {
      if (socket.destroyed || closing()) return;
      if (written >= first.length) return sendSecond();
      const piece = first.subarray(written, written + 64 * 1024);
      written += piece.length;
      const more = socket.write(piece);
      if (written >= first.length) return sendSecond();
      if (more) setImmediate(pump);
      else socket.once('drain', () => setImmediate(pump));
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const answer = parseAnswer(buffered);
      if (answer.status === undefined) return;
      const length = Number(answer.headers['content-length'] ?? 0);
      if (answer.body.length < length) return;
      if (!firstAnswer) {
        firstAnswer = { status: answer.status, connection: answer.headers.connection };
        buffered = answer.body.subarray(length);
        sendSecond();
      } else {
        secondStatus = answer.status;
        socket.destroy();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ first: firstAnswer ?? { status: parseAnswer(buffered).status, connection: undefined }, second: secondStatus });
    });
    socket.on('connect', () => {
      const headEnd = first.indexOf('\r\n\r\n') + 4;
      written = headEnd;
      socket.write(first.subarray(0, headEnd));
      setTimeout(pump, EARLY_ANSWER_WAIT_MS);
    });
  });
}
