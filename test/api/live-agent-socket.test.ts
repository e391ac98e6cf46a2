/**
 * Live agent mode's Server-Sent Events over a real socket (@hono/node-server, as the service serves them): events reach
 * a fetch() reader as they are published, and a client that goes away (its connection closed) unsubscribes at once,
 * which starts the drop grace (LIVE_DROP_GRACE_SECONDS) the sweep applies. app.request() cannot show the latter: it has
 * no connection to lose.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { liveLinks } from '../../src/http/routes/sessions.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { personChannel } from '../../src/sessions/live-events.js';
import { formData, TEST_SIGNING_SECRET } from '../helpers/contract.js';
import { liveAgentApp } from '../helpers/live-agent-app.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('live events over a socket', () => {
  it('streams events to fetch() as they happen; a closed connection unsubscribes (the drop clock starts); draining ends every stream', async () => {
    const h = liveAgentApp({
      t0: Date.now(),
      verifyVideo: async () => {
        throw new Error('not processed in this test');
      },
    });
    cleanups.push(h.close);
    const server = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const created = (await (
      await fetch(`${base}/v1/sessions`, {
        method: 'POST',
        headers: { Authorization: 'Bearer kyc-key', 'Content-Type': 'application/json' },
        body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_mode: 'live_agent' } }),
      })
    ).json()) as { id: string; capture: { selfie: { upload_url: string } } };
    expect((await fetch(created.capture.selfie.upload_url, { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
    const links = liveLinks(base, new UrlSigner(TEST_SIGNING_SECRET, 3600), (await h.sessions.get(created.id))!);

    const abort = new AbortController();
    const events = await fetch(links.events_url, { signal: abort.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(events.headers.get('cache-control')).toBe('no-store');
    const reader = events.body!.getReader();
    const joined = await fetch(links.join_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ consent_given_at: new Date().toISOString(), consent_text_version: 'v1' }) });
    expect(joined.status).toBe(200);
    let text = '';
    while (!text.includes('event: queue')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/^retry: 2000\n\n/);
    expect(text).toMatch(/event: queue\ndata: \{"queue_position":1,"wait_expires_at":"[^"]+"\}\n\n/);
    expect(h.live.hub.connected(personChannel(created.id))).toBe(true);

    abort.abort();
    const deadline = Date.now() + 5000;
    while (h.live.hub.connected(personChannel(created.id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.live.hub.connected(personChannel(created.id))).toBe(false);
    expect(h.live.hub.absentSince(personChannel(created.id))).toBe(h.clock.now());

    // The process drains (SIGTERM): every open stream ends, so the server's close need not wait for them.
    const again = (await fetch(links.events_url)).body!.getReader();
    await again.read();
    expect(h.live.hub.connected(personChannel(created.id))).toBe(true);
    h.live.hub.endStreams();
    for (;;) if ((await again.read()).done) break;
    expect(h.live.hub.connected(personChannel(created.id))).toBe(false);
  });
});
