/**
 * MediaStore on S3-compatible object storage (AWS S3, MinIO, …) through the AWS SDK, with its rows in the
 * embedded SQLite database (as LocalMediaStore's) until the metadata moves to PostgreSQL.
 *
 * Only the S3 API is used (PutObject / multipart upload, GetObject with Range, DeleteObjects, ListObjectsV2),
 * so any store that implements it works. Objects live under `<keyPrefix>media/<id>`.
 *
 * Visibility: an item exists for readers only through its row (get/open look the row up first), and the row
 * is committed after the object is complete: a single PutObject, or a multipart upload, is invisible until it
 * completes (S3 User Guide, "Uploading and copying objects using multipart upload": "After you upload all the
 * parts, Amazon S3 assembles them into the object"). So a failed or interrupted put never shows anything; at
 * worst it leaves an object without a row (process killed between completion and commit) or parts of an
 * unfinished multipart upload (process killed mid-upload), neither readable through the service.
 *  - Objects without a row are deleted by `sweepOrphans()` once older than `orphanGraceMs`, which runs on the
 *    sweep timer (at most every ORPHAN_SWEEP_INTERVAL_MS).
 *  - Parts of unfinished multipart uploads are removed by the bucket's own lifecycle rule
 *    (AbortIncompleteMultipartUpload; README "Object storage (S3)"); MinIO drops them by itself after 24 h.
 * A delete (and the retention sweep) removes the row first, then the object in the background, so a failure
 * in between leaves an object without a row, which the orphan sweep removes later.
 *
 * Rows are per DATA_DIR: two stores sharing one bucket must use different key prefixes, or each one's orphan
 * sweep would delete the other's objects (they have no row in its database).
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PassThrough, pipeline as pipelineCallback, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Settings } from '../config.js';
import { AppError } from '../errors.js';
import type { Db } from './database.js';
import { MediaMeter, type MeteredContent } from './media-meter.js';
import type { MediaRecord, MediaStore, PutMediaOptions } from './media-store.js';
import { MEDIA_ID_PATTERN, newMediaId, type MediaRows } from './media-rows.js';
import { SqliteMediaRows } from './sqlite-media-rows.js';
import { deleteKeys, isNotFound, listIds } from './s3-objects.js';
import { storeUnavailable } from './store-unavailable.js';

/**
 * Multipart part size, bytes: 5 MiB, the smallest part S3 accepts for all but the last part (S3 User Guide,
 * "Amazon S3 multipart upload limits"). Small parts keep the memory per upload low; a 64 MiB video (the
 * default MEDIA_MAX_BYTES) takes 13 parts, far under the 10 000-part limit.
 */
export const DEFAULT_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** Parts of one upload sent at once: with 5 MiB parts, about 15 MiB buffered per upload in flight (2 sending + 1 filling). */
const PART_QUEUE_SIZE = 2;
/**
 * How old an object without a row must be before the orphan sweep deletes it, ms: 1 h. A put commits its row
 * milliseconds after its object completes, so the margin is for clock skew between this host and the storage
 * server (LastModified is the server's clock) and for a put paused by a long GC or a slow disk, by a wide margin.
 */
export const DEFAULT_ORPHAN_GRACE_MS = 3600 * 1000;
/** The orphan sweep lists every object under the prefix; it runs at most this often, ms (1 h), not on every retention sweep. */
const ORPHAN_SWEEP_INTERVAL_MS = 3600 * 1000;
/** Connecting to the storage server, ms: 10 s, then the SDK's retry takes over (3 attempts by default). */
const CONNECTION_TIMEOUT_MS = 10_000;
/**
 * Idle socket to the storage server, ms: 60 s. A download streams at its client's pace, so a client that pauses
 * (a paused <video>) stalls the socket; past a minute it is closed and the browser asks again with a Range.
 */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

/** The SDK client for S3_* (README "Object storage (S3)"); no keys given = the SDK's default credential chain. */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials !== undefined ? { credentials: { accessKeyId: settings.credentials.accessKeyId, secretAccessKey: settings.credentials.secretAccessKey() } } : {}),
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
  });
}

export interface S3MediaStoreOptions {
  /** Where the rows are: the embedded database (`db`), or any MediaRows (PostgreSQL's, with DATABASE_URL). One of the two. */
  db?: Db;
  rows?: MediaRows;
  /** The SDK client (createS3Client); the store owns it and destroys it in close(). */
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `replica-a/`; default none. */
  keyPrefix?: string;
  /** Clock, ms since the epoch. Default Date.now. */
  clock?: () => number;
  /** How often `sweep()` runs on its own, ms (and the orphan sweep, at most hourly); 0 (default) = no timer. */
  sweepIntervalMs?: number;
  /** Objects without a row younger than this are left alone by the orphan sweep, ms. Default DEFAULT_ORPHAN_GRACE_MS. */
  orphanGraceMs?: number;
  /** Multipart part size, bytes (at least 5 MiB on AWS S3). Default DEFAULT_PART_SIZE_BYTES. */
  partSizeBytes?: number;
  /** Where background failures are reported. Default console. */
  log?: (message: string) => void;
  /** S3_PUBLIC_URLS=presigned: `directUrl` answers presigned GetObject URLs. Default false: reads go through the service. */
  presignedReads?: boolean;
  /** Test-only pause point inside `put` (the crash test kills the process there); production code leaves it unset. */
  hooks?: {
    /** After the object is complete, before its row is committed. */
    afterUpload?: (key: string) => Promise<void> | void;
  };
}

/**
 * The longest a SigV4 presigned URL may live, s: 7 days (AWS S3 API Reference, "Authenticating Requests: Using Query
 * Parameters (AWS Signature Version 4)", X-Amz-Expires).
 */
const PRESIGNED_URL_MAX_SECONDS = 7 * 24 * 3600;

/** What a direct link carries besides the object: its lifetime and the response headers S3 is to send with it. */
export interface DirectUrlOptions {
  /** Lifetime, seconds (1 to 7 days). */
  expiresInSeconds: number;
  /** Sent as Content-Disposition (GetObject `response-content-disposition`). */
  contentDisposition?: string;
  /** Sent as Cache-Control (GetObject `response-cache-control`). */
  cacheControl?: string;
}

/** What one orphan sweep found. */
export interface OrphanSweep {
  /** Objects without a row, older than the grace period, deleted. */
  orphanObjects: number;
  /**
   * Rows whose object is missing (removed outside the service). Reported, not deleted: a misconfigured bucket or
   * prefix would otherwise wipe every row; they go at their expiry, and reading one fails with NOT_FOUND.
   */
  rowsWithoutObject: number;
}

const notFound = () => new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');

export class S3MediaStore implements MediaStore {
  private readonly rows: MediaRows;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly mediaPrefix: string;
  private readonly clock: () => number;
  private readonly log: (message: string) => void;
  private readonly orphanGraceMs: number;
  private readonly partSizeBytes: number;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Per id, GetObject requests still waiting for their response: an object delete waits for them. */
  private readonly pendingReads = new Map<string, Set<Promise<void>>>();
  /** Object deletes running in the background (close() waits for them). */
  private readonly background = new Set<Promise<void>>();
  private orphanSweep: Promise<OrphanSweep> | undefined;
  private lastOrphanSweepAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: S3MediaStoreOptions) {
    if (options.rows) this.rows = options.rows;
    else if (options.db) this.rows = new SqliteMediaRows(options.db);
    else throw new TypeError('S3MediaStore: give the rows (a MediaRows) or the embedded database (db)');
    this.client = options.client;
    this.bucket = options.bucket;
    this.mediaPrefix = `${options.keyPrefix ?? ''}media/`;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
    this.orphanGraceMs = options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
    this.partSizeBytes = options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
    const interval = options.sweepIntervalMs ?? 0;
    if (interval > 0) {
      this.timer = setInterval(() => this.sweepOnTimer(), interval);
      this.timer.unref();
    }
  }

  /**
   * A presigned GetObject URL for `id` (S3_PUBLIC_URLS=presigned): the client downloads from the bucket, Range
   * included, without the bytes passing through the service. Signed locally (@aws-sdk/s3-request-presigner: no request
   * to the bucket), valid `expiresInSeconds`; the Content-Type is the sniffed one. Undefined when this store serves reads
   * itself (the default) or the id is unknown or expired.
   */
  async directUrl(id: string, options: DirectUrlOptions): Promise<string | undefined> {
    if (!this.options.presignedReads) return undefined;
    const record = await this.get(id);
    if (!record) return undefined;
    if (!(options.expiresInSeconds >= 1 && options.expiresInSeconds <= PRESIGNED_URL_MAX_SECONDS)) {
      throw new RangeError(`S3MediaStore.directUrl: expiresInSeconds must be 1 to ${PRESIGNED_URL_MAX_SECONDS}, got ${options.expiresInSeconds}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(id),
      ResponseContentType: record.contentType,
      ...(options.contentDisposition !== undefined ? { ResponseContentDisposition: options.contentDisposition } : {}),
      ...(options.cacheControl !== undefined ? { ResponseCacheControl: options.cacheControl } : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn: Math.floor(options.expiresInSeconds) });
  }

  /** The object key of an id. */
  keyOf(id: string): string {
    return `${this.mediaPrefix}${id}`;
  }

  /**
   * Streams `source` through the meter (size cap, sha256, sniffed type) into the object `<prefix>media/<id>`:
   * one PutObject below the part size, a multipart upload above it. The row is committed once the object is
   * complete; any failure before that deletes what was written and commits nothing.
   */
  async put(source: Readable | Uint8Array, options: PutMediaOptions): Promise<MediaRecord> {
    const id = newMediaId();
    const key = this.keyOf(id);
    const meter = new MediaMeter(options.kind, options.maxBytes);
    let content: MeteredContent | undefined;
    /** The meter's refusal or the source's own error: what failed the put, when anything on the input side did. */
    let inputError: unknown;
    let typeKnown!: () => void;
    const typeDecided = new Promise<void>((resolve) => (typeKnown = resolve));
    const metering = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        try {
          meter.update(chunk);
        } catch (error) {
          inputError ??= error;
          callback(error as Error);
          return;
        }
        if (meter.contentType !== undefined) typeKnown();
        callback(null, chunk);
      },
      flush(callback) {
        try {
          content = meter.finish();
        } catch (error) {
          inputError ??= error;
          callback(error as Error);
          return;
        }
        typeKnown();
        callback();
      },
    });
    // An error anywhere (the meter refusing, the client going away) destroys both streams, the source included.
    const input = source instanceof Uint8Array ? Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]) : source;
    // Registered before the pipeline's own listener, so it runs first: when the source fails on its own the
    // meter is still whole; when lib-storage gave up on the body (a storage failure) it was destroyed first.
    input.once('error', (error) => {
      if (!metering.destroyed) inputError ??= error;
    });
    const metered = pipeline(input, metering);
    let uploaded = false;
    try {
      // The type is known after the first SNIFF_BYTES (64 bytes), long before the stream buffers fill, so the
      // object can carry it; a refusal before that rejects `metered` instead.
      await Promise.race([typeDecided, metered]);
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: metering, ContentType: meter.contentType },
        partSize: this.partSizeBytes,
        queueSize: PART_QUEUE_SIZE,
        // On failure lib-storage aborts the multipart upload, so its parts do not linger.
        leavePartsOnError: false,
      });
      const sent = upload.done().then(
        () => undefined,
        (error: unknown) => {
          // Stop reading the source, else the pipeline waits forever on a full buffer.
          metering.destroy(error as Error);
          throw error;
        },
      );
      const [meteredResult, sentResult] = await Promise.allSettled([metered, sent]);
      // The meter's refusal (MEDIA_TOO_LARGE, UNSUPPORTED_FILE_TYPE) or the source's error explains the failure
      // better than the upload's error, which follows from it; a storage failure is the upload's error (lib-storage
      // stops reading its body first, so the pipeline then only reports an AbortError).
      if (inputError !== undefined) throw inputError;
      if (sentResult.status === 'rejected') throw sentResult.reason;
      if (meteredResult.status === 'rejected') throw meteredResult.reason;
      uploaded = true;
      await this.options.hooks?.afterUpload?.(key);
      const now = this.clock();
      return this.rows.record(id, options, content!, now);
    } catch (error) {
      metering.destroy();
      await metered.catch(() => undefined);
      if (uploaded) {
        await this.deleteObjects([id]).catch((e: unknown) => this.log(`media put: could not delete ${key} after a failure (the orphan sweep will): ${String(e)}`));
      }
      throw error;
    }
  }

  /** The record, or undefined when unknown or past its expiry (even before the sweeper ran). */
  get(id: string): Promise<MediaRecord | undefined> {
    return this.rows.live(id, this.clock());
  }

  /**
   * The content, whole or one byte range (GetObject with `Range: bytes=start-end`, RFC 9110 §14.1.2). Unknown or
   * expired ids and bad ranges reject, as LocalMediaStore's; an object missing from the bucket is only
   * known once the storage answers, so the stream then fails with NOT_FOUND. A delete or sweep after this call
   * resolved waits for the storage's answer before deleting the object, so the stream is not cut short.
   */
  async open(id: string, range?: { start: number; end: number }): Promise<Readable> {
    await this.rows.openable(id, this.clock(), range);
    const abort = new AbortController();
    const out = new PassThrough();
    // A reader that goes away early (client disconnect) cancels the request or the body transfer.
    out.once('close', () => {
      if (!out.readableEnded) abort.abort();
    });
    const request = this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      { abortSignal: abort.signal },
    );
    this.trackRead(
      id,
      request.then(
        () => undefined,
        () => undefined,
      ),
    );
    request.then(
      (response) => {
        if (!(response.Body instanceof Readable)) {
          out.destroy(new Error(`GetObject ${this.keyOf(id)}: no body stream in the response`));
          return;
        }
        // Errors end up on `out` (pipeline destroys every stream with the first error), where the reader sees them.
        pipelineCallback(response.Body, out, () => {});
      },
      (error: unknown) => out.destroy(isNotFound(error) ? notFound() : (error as Error)),
    );
    return out;
  }

  /** Deletes the row, then the object in the background; true when the row existed. */
  async delete(id: string): Promise<boolean> {
    if (!(await this.rows.remove(id))) return false;
    this.deleteObjectsInBackground([id]);
    return true;
  }

  /** Deletes every item whose expiry has passed (rows now, objects in the background); returns their ids. */
  async sweep(): Promise<string[]> {
    const ids = await this.rows.takeExpired(this.clock());
    if (ids.length > 0) this.deleteObjectsInBackground(ids);
    return ids;
  }

  /**
   * Deletes objects under `<prefix>media/` that have no row and were last modified more than orphanGraceMs
   * ago (puts interrupted between completion and commit, deletes whose object removal failed). Keys that are
   * not media ids are left alone. One sweep at a time: a call while one runs returns that one's result.
   */
  sweepOrphans(): Promise<OrphanSweep> {
    this.orphanSweep ??= this.findAndDeleteOrphans().finally(() => {
      this.orphanSweep = undefined;
    });
    return this.orphanSweep;
  }

  /**
   * A readiness check (README "Health probes") and the start-up check: writes and deletes one byte under
   * `<prefix>ready-probe/`, so a missing bucket, lost permissions or an unreachable endpoint reject (STORE_UNAVAILABLE). Outside `media/`, never seen by the orphan sweep.
   */
  async probeWritable(): Promise<void> {
    const Key = `${this.options.keyPrefix ?? ''}ready-probe/${process.pid}-${randomUUID()}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: '.' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      throw storeUnavailable(`the S3 bucket ${this.bucket}`, 'S3_ENDPOINT, S3_BUCKET, S3_REGION and the credentials', error);
    }
  }

  /** Resolves once the background object deletes started so far have finished (tests, close()). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Stops the timer, waits for background work, and destroys the SDK client. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.orphanSweep?.catch(() => undefined);
    await this.settled();
    this.client.destroy();
  }

  private sweepOnTimer(): void {
    this.sweep().catch((error: unknown) => this.log(`media sweep failed: ${String(error)}`));
    if (this.clock() - this.lastOrphanSweepAt < ORPHAN_SWEEP_INTERVAL_MS) return;
    this.lastOrphanSweepAt = this.clock();
    this.sweepOrphans().catch((error: unknown) => this.log(`media orphan sweep of s3://${this.bucket}/${this.mediaPrefix} failed: ${String(error)}`));
  }

  private async findAndDeleteOrphans(): Promise<OrphanSweep> {
    const startedAt = this.clock();
    const objects = await listIds(this.client, this.bucket, this.mediaPrefix, MEDIA_ID_PATTERN, startedAt);
    // Rows are read after the listing: a put that completed its object before the listing and committed its row
    // after this read shows up as an orphan, which the grace period protects.
    const rows = new Set(await this.rows.ids());
    const orphans = [...objects].filter(([id, modifiedAt]) => !rows.has(id) && modifiedAt <= startedAt - this.orphanGraceMs).map(([id]) => id);
    // Rows committed before the listing began have their object complete before it too (row last), and S3
    // listings are strongly consistent with writes (S3 User Guide, "Amazon S3 data consistency model").
    const rowsWithoutObject = (await this.rows.ids(startedAt)).filter((id) => !objects.has(id) && rows.has(id)).length;
    if (orphans.length > 0) await this.deleteObjects(orphans);
    if (orphans.length + rowsWithoutObject > 0) {
      this.log(
        `media orphan sweep of s3://${this.bucket}/${this.mediaPrefix}: deleted ${orphans.length} object(s) without a row; ` +
          `${rowsWithoutObject} row(s) have no object (removed outside the service? left until they expire)`,
      );
    }
    return { orphanObjects: orphans.length, rowsWithoutObject };
  }

  private trackRead(id: string, settled: Promise<void>): void {
    const reads = this.pendingReads.get(id) ?? new Set<Promise<void>>();
    reads.add(settled);
    this.pendingReads.set(id, reads);
    void settled.then(() => {
      reads.delete(settled);
      if (reads.size === 0 && this.pendingReads.get(id) === reads) this.pendingReads.delete(id);
    });
  }

  private deleteObjectsInBackground(ids: readonly string[]): void {
    const work = (async () => {
      // S3 keeps serving a GET whose response has begun after the object is deleted (as POSIX keeps an unlinked
      // file readable), but a GET that arrives after the delete gets 404: let the pending ones get their answer.
      await Promise.all(ids.flatMap((id) => [...(this.pendingReads.get(id) ?? [])]));
      await this.deleteObjects(ids);
    })().catch((error: unknown) => this.log(`media store: could not delete ${ids.length} object(s) (the orphan sweep retries): ${String(error)}`));
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private deleteObjects(ids: readonly string[]): Promise<void> {
    return deleteKeys(this.client, this.bucket, ids.map((id) => this.keyOf(id)));
  }
}
