/**
 * Answers given before a large request body has arrived close the connection (RFC 9112 §9.6), on a real socket
 * (@hono/node-server, as src/main.ts serves the app): a refused multipart header (issue #13, item 10), missing
 * credentials, a Content-Length over the limit. Without it the connection stayed open while @hono/node-server
 * dropped the rest of the body, and a client's next request on it got a reset ("other side closed") instead of
 * its answer. A refusal with a small body (≤ 256 KiB, Go net/http's rule) keeps its connection.
 */
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import { formData, matchFaceDeps, testApp, testApps } from '../helpers/contract.js';

const apps = testApps([{ appId: 'acme', appKey: 'acme-key', allowedApis: ['*'] }]);
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** How long a test client waits for the server to answer and close, ms (the server answers these at once). */
const CLIENT_PATIENCE_MS = 10_000;

let server: ServerType;
let port = 0;
beforeAll(async () => {
  const matchFace = vi.fn<MatchFace>(async () => ({ match: { value: true, score: 90, confidence: 'high' }, distance: 0.4 }));
  const app = testApp({ matchFace: matchFaceDeps({ apps, concurrency: 1, bodyLimitBytes: BODY_LIMIT_BYTES, matchFace }) });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `head` and the first `sent` bytes of a body that its Content-Length says is longer, then waits, socket open. */
function partialUpload(head: string, sent: number): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ response, closedByServer: false });
    }, CLIENT_PATIENCE_MS);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(head), Buffer.alloc(sent, 0x41)])));
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('error', (error) => (clearTimeout(giveUp), reject(error)));
    socket.on('close', () => (clearTimeout(giveUp), resolve({ response, closedByServer: true })));
  });
}

const head = (headers: string[], contentLength: number) =>
  ['POST /v1/matchFace HTTP/1.1', `Host: 127.0.0.1:${port}`, ...headers, `Content-Length: ${contentLength}`, '', ''].join('\r\n');
const credentials = ['appId: acme', 'appKey: acme-key', 'transactionId: t-1'];

describe('an answer before the body has arrived closes the connection', () => {
  it.each([
    ['a duplicated boundary → 400', [...credentials, 'Content-Type: multipart/form-data; boundary=a; boundary=b'], 2 * 1024 * 1024, 400],
    ['a 200-character boundary → 400', [...credentials, `Content-Type: multipart/form-data; boundary=${'b'.repeat(200)}`], 2 * 1024 * 1024, 400],
    ['no credentials → 401', ['transactionId: t-1', 'Content-Type: multipart/form-data; boundary=a'], 2 * 1024 * 1024, 401],
    ['a Content-Length over the body limit → 413', [...credentials, 'Content-Type: multipart/form-data; boundary=a'], BODY_LIMIT_BYTES + 1, 413],
  ] as const)('%s, with Connection: close, and the server closes it', async (_name, headers, contentLength, status) => {
    const { response, closedByServer } = await partialUpload(head([...headers], contentLength), 64 * 1024);
    expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    expect(response).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
    expect(closedByServer).toBe(true);
  });

  it('a refused request with a small body keeps the connection (the server reads the rest)', async () => {
    const form = formData({ selfie: new Blob([new Uint8Array([0xff, 0xd8, 0xff, 1])]) });
    const res = await fetch(`http://127.0.0.1:${port}/v1/matchFace`, { method: 'POST', body: form, headers: { transactionId: 't-1' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('connection')).toBe('keep-alive');
  });

  it('a client that sends its next requests on the same connection gets their answers', async () => {
    // The sequence that used to end in "other side closed": big refused uploads, then a small one.
    const big = `--a\r\nContent-Disposition: form-data; name="selfie"; filename="s.jpg"\r\n\r\n${'x'.repeat(3_000_000)}\r\n--a--\r\n`;
    for (const [contentType, body] of [
      ['multipart/form-data', big],
      ['multipart/form-data; boundary=a; boundary=a', big],
      ['multipart/form-data', big.slice(0, 100_000)],
      ['multipart/form-data; boundary=a', '--a--\r\n'],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/matchFace`, { method: 'POST', body, headers: { appId: 'acme', appKey: 'acme-key', transactionId: 't-1', 'content-type': contentType } });
      expect(res.status, contentType).toBe(400);
      expect(((await res.json()) as { result: { error: string } }).result.error).toBe('Error while parsing request body');
    }
  });
});
