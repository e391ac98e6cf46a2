import { existsSync, mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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

// Put, refusals, ranges, retention and delete: test/store/media-store.contract.test.ts runs them on this store and on
// S3MediaStore alike. What only the file layout can show is here.
describe('LocalMediaStore', () => {
  it('refuses ids that are not its own (no path traversal) and unknown ids', async () => {
    const { store, root } = setup();
    writeFileSync(path.join(root, 'secret'), 'x');
    expect(await store.get('../secret')).toBeUndefined();
    expect(await store.get('med_00000000-0000-4000-8000-000000000000')).toBeUndefined();
    await expect(store.open('../secret')).rejects.toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(await store.delete('../secret')).toBe(false);
    expect(existsSync(path.join(root, 'secret'))).toBe(true);
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
    expect(await second.get(kept.id)).toEqual(kept);
    expect(open().recovered).toEqual({ tempFiles: 0, orphanFiles: 0, orphanRows: 0 });
  });
});
