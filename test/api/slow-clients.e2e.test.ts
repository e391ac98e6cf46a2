/**
 * Slow clients on the real start command (issue #13, item 8): with HTTP_HEADERS_TIMEOUT_SECONDS=1 and
 * HTTP_REQUEST_TIMEOUT_SECONDS=2, a client that stops mid-headers, one that sends complete headers and then no body,
 * and one whose body is shorter than its Content-Length (socket left open) are each answered 408 and disconnected
 * (Node's http server, headersTimeout / requestTimeout). Before the fix they were held for Node's defaults: 60 s
 * for the headers, 300 s for the request, checked every 30 s; each client here gives up after 15 s.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

/** How long a test client waits for the server to answer and close, ms: far past the 1–2 s configured, far under Node's defaults. */
const CLIENT_PATIENCE_MS = 15_000;

interface Exchange {
  /** Everything the server sent. */
  received: string;
  /** True when the server closed the connection; false when the client gave up first. */
  closedByServer: boolean;
}

/** Opens a TCP connection, writes `bytes`, keeps the socket open, and reports what came back until the server closes it. */
function exchange(port: number, bytes: string): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedByServer: false });
    }, CLIENT_PATIENCE_MS);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', (error) => {
      clearTimeout(giveUp);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ received, closedByServer: true });
    });
  });
}

describe('slow clients on a listening server (HTTP_HEADERS_TIMEOUT_SECONDS=1, HTTP_REQUEST_TIMEOUT_SECONDS=2)', () => {
  let service: ServiceProcess | undefined;
  let port = 0;
  let appKey = '';
  beforeAll(async () => {
    service = startService({ MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'e2e-slow-')), HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2' });
    port = Number((await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
    appKey = (await waitForOutput(service, /appId=default appKey=(\S+)/))[1]!;
  });
  afterAll(async () => {
    if (!service) return;
    service.child.kill('SIGTERM');
    expect(await service.exited, service.output()).toBe(0);
    // The abandoned uploads end their handlers quietly: no unhandled error, no 500.
    expect(service.output()).not.toMatch(/unhandled|INTERNAL/);
  });

  const upload = (contentLength: number) =>
    [
      'POST /v1/checkLiveness HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'appId: default',
      `appKey: ${appKey}`,
      'transactionId: slow-1',
      'Content-Type: multipart/form-data; boundary=slowclient',
      `Content-Length: ${contentLength}`,
      '',
      '',
    ].join('\r\n');

  it('still answers an ordinary request', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('headers that never end: 408 and the connection closed (headersTimeout)', async () => {
    const { received, closedByServer } = await exchange(port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
    expect(closedByServer).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('complete headers, then no body at all: 408 and the connection closed (requestTimeout)', async () => {
    const { received, closedByServer } = await exchange(port, upload(1000));
    expect(closedByServer).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('a Content-Length larger than the body sent, socket left open: 408 and the connection closed (requestTimeout)', async () => {
    const { received, closedByServer } = await exchange(port, `${upload(100_000)}--slowclient\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nJPEG`);
    expect(closedByServer).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });
});
