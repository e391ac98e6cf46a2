import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { openDatabase } from './database.js';
import { LocalMediaStore } from './local-media-store.js';
import { sniffMedia } from './media-sniff.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body '.repeat(20))]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(200, 7)]);
const DAY = 24 * 3600 * 1000;

function setup() {
  const root = mkdtempSync(path.join(tmpdir(), 'media-'));
  const db = openDatabase(path.join(root, 'store.sqlite'));
  const clock = { ms: 1_700_000_000_000 };
  const logs: string[] = [];
  const open = () => new LocalMediaStore({ db, dir: path.join(root, 'media'), clock: () => clock.ms, log: (m) => logs.push(m) });
  return { root, db, clock, logs, open, store: open(), dir: path.join(root, 'media') };
}

const put = (store: LocalMediaStore, source: Readable | Uint8Array, kind: 'image' | 'video' = 'image', maxBytes = 1 << 20) =>
  store.put(source, { kind, appId: 'app1', maxBytes, retentionMs: 3 * DAY });

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};

describe('sniffMedia', () => {
  it('recognises the accepted signatures and nothing else', () => {
    expect(sniffMedia(JPEG)?.contentType).toBe('image/jpeg');
    expect(sniffMedia(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))?.contentType).toBe('image/png');
    expect(sniffMedia(Buffer.from('RIFF\x10\0\0\0WEBPVP8 ', 'latin1'))?.contentType).toBe('image/webp');
    expect(sniffMedia(MP4)).toEqual({ kind: 'video', contentType: 'video/mp4' });
    expect(sniffMedia(Buffer.from('\0\0\0\x14ftypqt  ', 'latin1'))?.contentType).toBe('video/quicktime');
    const ebml = (docType: string) => Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84]), Buffer.from(docType)]);
    expect(sniffMedia(ebml('webm'))?.contentType).toBe('video/webm');
    expect(sniffMedia(ebml('matroska'))?.contentType).toBe('video/x-matroska');
    expect(sniffMedia(Buffer.from('RIFF\x10\0\0\0WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffMedia(Buffer.from('GIF89a'))).toBeUndefined();
    expect(sniffMedia(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('LocalMediaStore', () => {
  it('streams a put to <dir>/<id> with size, sha256 and sniffed type, and reads it back whole or by range', async () => {
    const { store, dir, clock } = setup();
    const chunks = [JPEG.subarray(0, 2), JPEG.subarray(2, 50), JPEG.subarray(50)];
    const record = await put(store, Readable.from(chunks));
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
    expect(readdirSync(dir).sort()).toEqual([record.id, 'tmp']);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect(store.get(record.id)).toEqual(record);
    expect(await text(store.open(record.id))).toBe(JPEG.toString());
    expect(await text(store.open(record.id, { start: 4, end: 12 }))).toBe(JPEG.subarray(4, 13).toString());
  });

  it('refuses unsupported content, a kind mismatch and oversize uploads, keeping nothing', async () => {
    const { store, dir, db } = setup();
    await expectCode(put(store, Buffer.from('GIF89a'.padEnd(100, 'x'))), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, Buffer.alloc(0)), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, MP4, 'image'), 'UNSUPPORTED_FILE_TYPE');
    await expectCode(put(store, JPEG, 'video'), 'UNSUPPORTED_FILE_TYPE');
    // Over the cap mid-stream: the source is destroyed, the temp file removed.
    const source = Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield i === 0 ? JPEG : Buffer.alloc(100);
    })());
    await expectCode(put(store, source, 'image', 1000), 'MEDIA_TOO_LARGE');
    expect(source.destroyed).toBe(true);
    // The client goes away mid-upload: the stream's error rejects the put and the temp file goes.
    const aborted = new Readable({ read() {} });
    aborted.push(JPEG);
    setTimeout(() => aborted.destroy(new Error('aborted')), 5);
    await expect(put(store, aborted)).rejects.toThrow('aborted');
    // Exactly at the cap is fine.
    expect((await put(store, JPEG, 'image', JPEG.length)).bytes).toBe(JPEG.length);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(db.prepare('SELECT COUNT(*) AS n FROM media').get()).toEqual({ n: 1 });
  });

  it('refuses ids that are not its own (no path traversal) and unknown ids', async () => {
    const { store, root } = setup();
    writeFileSync(path.join(root, 'secret'), 'x');
    expect(store.get('../secret')).toBeUndefined();
    expect(store.get('med_00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(() => store.open('../secret')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(store.delete('../secret')).toBe(false);
    expect(existsSync(path.join(root, 'secret'))).toBe(true);
  });

  it('retention: expired items vanish from get at once and the sweeper deletes file and row (injected clock)', async () => {
    const { store, dir, db, clock } = setup();
    const old = await put(store, JPEG);
    clock.ms += DAY;
    const young = await store.put(MP4, { kind: 'video', appId: 'app2', maxBytes: 1 << 20, retentionMs: 3 * DAY });
    clock.ms += 2 * DAY - 1;
    expect(store.sweep()).toEqual([]);
    expect(store.get(old.id)).toBeDefined();
    clock.ms += 1; // exactly 3 days after `old`
    expect(store.get(old.id)).toBeUndefined();
    expect(() => store.open(old.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', status: 404 }));
    expect(store.sweep()).toEqual([old.id]);
    expect(existsSync(path.join(dir, old.id))).toBe(false);
    expect(db.prepare('SELECT id FROM media').all()).toEqual([{ id: young.id }]);
    clock.ms += DAY;
    expect(store.sweep()).toEqual([young.id]);
    expect(readdirSync(dir)).toEqual(['tmp']);
  });

  it('delete removes file and row; a stream opened before the delete still reads everything', async () => {
    const { store, dir } = setup();
    const record = await put(store, JPEG);
    const stream = store.open(record.id);
    expect(store.delete(record.id)).toBe(true);
    expect(store.delete(record.id)).toBe(false);
    expect(existsSync(path.join(dir, record.id))).toBe(false);
    expect(store.get(record.id)).toBeUndefined();
    expect(await text(stream)).toBe(JPEG.toString());
  });

  it('recovery at open removes temp files, files without rows and rows without files, keeping good items', async () => {
    const { open, dir, db, logs } = setup();
    const first = open();
    const kept = await put(first, JPEG);
    const lostFile = await put(first, JPEG);
    unlinkSync(path.join(dir, lostFile.id));
    writeFileSync(path.join(dir, 'tmp', 'abc.part'), 'half');
    writeFileSync(path.join(dir, 'med_11111111-1111-4111-8111-111111111111'), 'no row');
    writeFileSync(path.join(dir, 'README'), 'not ours'); // not an id: left alone
    const second = open();
    expect(second.recovered).toEqual({ tempFiles: 1, orphanFiles: 1, orphanRows: 1 });
    expect(logs.at(-1)).toMatch(/removed 1 temp file\(s\), 1 file\(s\) without a row, 1 row\(s\) without a file/);
    expect(readdirSync(dir).sort()).toEqual(['README', kept.id, 'tmp'].sort());
    expect(db.prepare('SELECT id FROM media').all()).toEqual([{ id: kept.id }]);
    expect(second.get(kept.id)).toEqual(kept);
    expect(open().recovered).toEqual({ tempFiles: 0, orphanFiles: 0, orphanRows: 0 });
  });
});
