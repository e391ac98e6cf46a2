/**
 * ImageStore for replicas (DATABASE_URL with S3_BUCKET, DESIGN.md "Scale-out"): the face crops behind checkLiveness'
 * and verifyVideo's croppedImageUrl as objects `<keyPrefix>cropped/<id>` in the shared bucket, indexed by a row in
 * PostgreSQL's `cropped_images` table, so that a link signed by one replica is served by any other.
 *
 * The same rules as S3MediaStore (./s3-media-store.ts):
 *  - Nothing is visible before its row: `get` looks the row up first, and the row is committed after PutObject has
 *    completed (a PutObject is atomic: the object does not exist until it is whole, S3 User Guide, "Amazon S3 data
 *    consistency model"). A failed insert deletes the object; a process killed between the two leaves an object
 *    without a row, which `sweepOrphans()` deletes once older than the grace period (on the sweep timer, hourly).
 *  - Expiry: a row lives URL_TTL_SECONDS (as LocalImageStore's files); `get` refuses an expired row at once, and
 *    `sweep()` deletes expired rows (one DELETE … RETURNING, so two replicas sweeping at once split the work) and
 *    then their objects. A failed object delete leaves an orphan, swept later.
 * Crops are small (a 256-px JPEG is tens of KiB), so a put is one PutObject and a get reads the whole object.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ImageStore } from './image-store.js';
import type { PostgresDatabase } from './postgres.js';
import { deleteKeys, isNotFound, listIds } from './s3-objects.js';

/** Ids are UUID v4, as LocalImageStore's: unguessable (122 random bits) and safe in a key. */
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Content types a crop may have (what LocalImageStore writes). */
const CONTENT_TYPES = new Set(['image/jpeg', 'image/png']);
/** Objects without a row younger than this are left alone by the orphan sweep, ms: 1 h (as S3MediaStore's: clock skew, a paused put). */
export const DEFAULT_CROP_ORPHAN_GRACE_MS = 3600 * 1000;
/** The orphan sweep lists every crop object; it runs at most this often, ms (1 h). */
const ORPHAN_SWEEP_INTERVAL_MS = 3600 * 1000;
/** The longest a SigV4 presigned URL may live, s: 7 days (AWS S3 API Reference, "Authenticating Requests: Using Query Parameters"). */
const PRESIGNED_URL_MAX_SECONDS = 7 * 24 * 3600;

/** Append-only (PostgresDatabase `migrate`, module `cropped_images`). */
export const POSTGRES_CROPPED_IMAGE_MIGRATIONS = [
  `CREATE TABLE cropped_images (
     id TEXT PRIMARY KEY,
     content_type TEXT NOT NULL,
     bytes BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX cropped_images_expires_at ON cropped_images (expires_at);`,
];

export interface S3ImageStoreOptions {
  /** The index; migrated by `open`. Closed by `close()` only when `ownsDatabase`. */
  db: PostgresDatabase;
  ownsDatabase?: boolean;
  /** The SDK client (createS3Client); the store owns it and destroys it in close(). */
  client: S3Client;
  bucket: string;
  /** Prepended to every key (S3_KEY_PREFIX); default none. */
  keyPrefix?: string;
  /** How long a crop is kept, ms (URL_TTL_SECONDS). */
  ttlMs: number;
  /** How often expired crops are swept, ms (and orphans, at most hourly); 0 = no timer (call sweep()). Default 60 s. */
  sweepIntervalMs?: number;
  /** Objects without a row younger than this are kept by the orphan sweep, ms. Default DEFAULT_CROP_ORPHAN_GRACE_MS. */
  orphanGraceMs?: number;
  /** S3_PUBLIC_URLS=presigned: `directUrl` answers presigned GetObject URLs. Default false: the service serves crops. */
  presignedReads?: boolean;
  now?: () => number;
  /** Where background failures are reported. Default console.warn. */
  log?: (message: string) => void;
  /** Test-only pause point after the object is written, before its row is committed; production code leaves it unset. */
  hooks?: { afterUpload?: (key: string) => Promise<void> | void };
}

export class S3ImageStore implements ImageStore {
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly prefix: string;
  private readonly timer: NodeJS.Timeout | undefined;
  private lastOrphanSweepAt = Number.NEGATIVE_INFINITY;
  private readonly background = new Set<Promise<unknown>>();

  private constructor(private readonly options: S3ImageStoreOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
    this.prefix = `${options.keyPrefix ?? ''}cropped/`;
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweepOnTimer(), interval);
      this.timer.unref();
    }
  }

  /** Applies the index's migrations (under the migration lock), then returns the store. */
  static async open(options: S3ImageStoreOptions): Promise<S3ImageStore> {
    await options.db.migrate('cropped_images', POSTGRES_CROPPED_IMAGE_MIGRATIONS);
    return new S3ImageStore(options);
  }

  keyOf(id: string): string {
    return `${this.prefix}${id}`;
  }

  async put(bytes: Uint8Array, contentType: string): Promise<string> {
    if (!CONTENT_TYPES.has(contentType)) throw new Error(`S3ImageStore: unsupported content type ${contentType}`);
    const id = randomUUID();
    const key = this.keyOf(id);
    await this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: bytes, ContentType: contentType }));
    try {
      await this.options.hooks?.afterUpload?.(key);
      const createdAt = this.now();
      await this.options.db.query(undefined, 'INSERT INTO cropped_images (id, content_type, bytes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        id,
        contentType,
        bytes.byteLength,
        createdAt,
        createdAt + this.options.ttlMs,
      ]);
    } catch (error) {
      await this.deleteObjects([id]).catch((e: unknown) => this.log(`crop put: could not delete ${key} after a failure (the orphan sweep will): ${String(e)}`));
      throw error;
    }
    return id;
  }

  async get(id: string): Promise<{ bytes: Uint8Array; contentType: string } | undefined> {
    const row = await this.liveRow(id);
    if (!row) return undefined;
    try {
      const response = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(id) }));
      if (!response.Body) return undefined;
      return { bytes: await response.Body.transformToByteArray(), contentType: row.content_type };
    } catch (error) {
      // A row whose object was removed outside the service: answered as unknown (404), the row goes at its expiry.
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * A presigned GetObject URL for a live crop (S3_PUBLIC_URLS=presigned), valid `expiresInSeconds` (what is left of the
   * service's link), signed locally without a request to the bucket; undefined when this store serves crops itself (the
   * default) or the id is unknown or expired.
   */
  async directUrl(id: string, expiresInSeconds: number): Promise<string | undefined> {
    if (!this.options.presignedReads) return undefined;
    const row = await this.liveRow(id);
    if (!row) return undefined;
    const seconds = Math.min(PRESIGNED_URL_MAX_SECONDS, Math.max(1, Math.floor(expiresInSeconds)));
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(id), ResponseContentType: row.content_type, ResponseCacheControl: 'private, no-store' });
    return getSignedUrl(this.options.client, command, { expiresIn: seconds });
  }

  /** Deletes expired rows, then their objects; returns how many crops were removed. */
  async sweep(): Promise<number> {
    const { rows } = await this.options.db.query<{ id: string }>(undefined, 'DELETE FROM cropped_images WHERE expires_at <= $1 RETURNING id', [this.now()]);
    const ids = rows.map((row) => row.id);
    if (ids.length > 0) await this.deleteObjects(ids);
    return ids.length;
  }

  /** Deletes crop objects that have no row and are older than the grace period; returns how many. */
  async sweepOrphans(): Promise<number> {
    const startedAt = this.now();
    const objects = await listIds(this.options.client, this.options.bucket, this.prefix, ID_PATTERN, startedAt);
    // Rows are read after the listing: a put whose row commits after this read shows as an orphan, which the grace protects.
    const { rows } = await this.options.db.query<{ id: string }>(undefined, 'SELECT id FROM cropped_images');
    const known = new Set(rows.map((row) => row.id));
    const grace = this.options.orphanGraceMs ?? DEFAULT_CROP_ORPHAN_GRACE_MS;
    const orphans = [...objects].filter(([id, modifiedAt]) => !known.has(id) && modifiedAt <= startedAt - grace).map(([id]) => id);
    if (orphans.length > 0) {
      await this.deleteObjects(orphans);
      this.log(`crop orphan sweep of s3://${this.options.bucket}/${this.prefix}: deleted ${orphans.length} object(s) without a row`);
    }
    return orphans.length;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    this.options.client.destroy();
    if (this.options.ownsDatabase) await this.options.db.close();
  }

  private async liveRow(id: string): Promise<{ content_type: string } | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const { rows } = await this.options.db.query<{ content_type: string }>(undefined, 'SELECT content_type FROM cropped_images WHERE id = $1 AND expires_at > $2', [id, this.now()]);
    return rows[0];
  }

  private sweepOnTimer(): void {
    this.track(this.sweep().catch((error: unknown) => this.log(`crop sweep failed: ${String(error)}`)));
    if (this.now() - this.lastOrphanSweepAt < ORPHAN_SWEEP_INTERVAL_MS) return;
    this.lastOrphanSweepAt = this.now();
    this.track(this.sweepOrphans().catch((error: unknown) => this.log(`crop orphan sweep of s3://${this.options.bucket}/${this.prefix} failed: ${String(error)}`)));
  }

  private track(work: Promise<unknown>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private deleteObjects(ids: readonly string[]): Promise<void> {
    return deleteKeys(this.options.client, this.options.bucket, ids.map((id) => this.keyOf(id)));
  }
}
