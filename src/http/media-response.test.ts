import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../store/database.js';
import { LocalMediaStore } from '../store/local-media-store.js';
import { parseRange, serveMedia } from './media-response.js';
import { UrlSigner } from './signed-url.js';

// 1000-byte "MP4": an ftyp box, then bytes 0..255 repeating, so every range is recognisable.
const VIDEO = Buffer.concat([Buffer.from('\0\0\0\x18ftypisom', 'latin1'), Buffer.from(Array.from({ length: 988 }, (_, i) => i % 256))]);

describe('parseRange (RFC 9110 §14.1.2)', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-', { start: 100, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['BYTES = 5 - 5', { start: 5, end: 5 }],
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=1000-1001', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=5-4', undefined],
    ['bytes=0-1,5-6', undefined],
    ['items=0-1', undefined],
    ['bytes=-', undefined],
    ['bytes=abc', undefined],
    [undefined, undefined],
  ])('%s → %j', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});

describe('serveMedia behind a signed link', () => {
  const setup = async () => {
    const clock = { seconds: 1_700_000_000 };
    const store = new LocalMediaStore({ db: openDatabase(':memory:'), dir: path.join(mkdtempSync(path.join(tmpdir(), 'serve-')), 'media'), clock: () => clock.seconds * 1000 });
    const record = await store.put(VIDEO, { kind: 'video', appId: 'a', maxBytes: 1 << 20, retentionMs: 3 * 86_400_000 });
    const signer = new UrlSigner('k'.repeat(32), 600, () => clock.seconds);
    // How a route uses it: signature first (403), then the store (404), then serveMedia.
    const app = new Hono();
    app.get('/media/:id', async (c) => {
      const id = c.req.param('id');
      if (signer.check(`media/${id}`, c.req.query('expires'), c.req.query('signature')) !== 'valid') return c.text('forbidden', 403);
      const found = await store.get(id);
      if (!found) return c.text('not found', 404);
      return serveMedia(store, found, c.req.raw, { 'Cache-Control': 'private, max-age=600' });
    });
    const { expires, signature } = signer.sign(`media/${record.id}`);
    const url = `/media/${record.id}?expires=${expires}&signature=${signature}`;
    return { app, store, record, url, clock, expires, signature };
  };

  it('200: whole content with Content-Type, Content-Length, Accept-Ranges, ETag', async () => {
    const { app, url, record } = await setup();
    const response = await app.request(url);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'video/mp4',
      'content-length': '1000',
      'accept-ranges': 'bytes',
      etag: `"${record.sha256}"`,
      'cache-control': 'private, max-age=600',
      'x-content-type-options': 'nosniff',
    });
    expect(Buffer.from(await response.arrayBuffer()).equals(VIDEO)).toBe(true);
  });

  it('206: one range with Content-Range; suffix and open-ended ranges', async () => {
    const { app, url } = await setup();
    for (const [header, start, end] of [['bytes=100-199', 100, 199], ['bytes=-10', 990, 999], ['bytes=995-', 995, 999]] as const) {
      const response = await app.request(url, { headers: { Range: header } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(response.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await response.arrayBuffer()).equals(VIDEO.subarray(start, end + 1))).toBe(true);
    }
  });

  it('416 for a range past the end; 200 for multi-range, a stale If-Range, and HEAD has no body', async () => {
    const { app, url, record, store } = await setup();
    const unsatisfiable = await app.request(url, { headers: { Range: 'bytes=1000-' } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers.get('content-range')).toBe('bytes */1000');
    expect((await app.request(url, { headers: { Range: 'bytes=0-1,4-5' } })).status).toBe(200);
    expect((await app.request(url, { headers: { Range: 'bytes=0-1', 'If-Range': '"other"' } })).status).toBe(200);
    expect((await app.request(url, { headers: { Range: 'bytes=0-1', 'If-Range': `"${record.sha256}"` } })).status).toBe(206);
    const open = vi.spyOn(store, 'open');
    const head = await app.request(url, { method: 'HEAD' });
    expect(open).not.toHaveBeenCalled(); // no file descriptor left waiting for a body nobody reads
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(await head.text()).toBe('');
  });

  it('403 for a tampered or expired link; 404 once the item is deleted or swept', async () => {
    const { app, url, store, record, clock, expires, signature } = await setup();
    const flipped = signature.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect((await app.request(`/media/${record.id}?expires=${expires}&signature=${flipped}`)).status).toBe(403);
    expect((await app.request(`/media/${record.id}?expires=${expires + 1}&signature=${signature}`)).status).toBe(403);
    expect((await app.request(`/media/${record.id}`)).status).toBe(403);
    clock.seconds += 601;
    expect((await app.request(url)).status).toBe(403);
    clock.seconds -= 601;
    expect((await app.request(url)).status).toBe(200);
    await store.delete(record.id);
    expect((await app.request(url)).status).toBe(404);
  });
});
