/**
 * MediaStore on the local disk (files under `dir`) with its rows in the embedded SQLite database.
 *
 * A put streams into `<dir>/tmp/<uuid>.part` (counting bytes, hashing, sniffing the first bytes), fsyncs
 * the file, renames it to `<dir>/<id>` (atomic within one file system, POSIX rename(2)), fsyncs the
 * directory so the rename itself is durable, and only then commits the row. So at any instant a
 * crash leaves at most: a `.part` file (never visible under an id), or a renamed file without a row.
 * A delete removes the row first, then the file, leaving at most a file without a row. Recovery at
 * construction removes exactly those leftovers (plus rows whose file vanished, e.g. a restored
 * database over a newer media directory), so a reader never sees a half file or a row without content.
 *
 * One process per data directory: recovery deletes temp files it finds, which would break a concurrent
 * put by another process sharing the directory.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { migrate, type Db } from './database.js';
import { SNIFF_BYTES, sniffMedia } from './media-sniff.js';
import type { MediaKind, MediaRecord, MediaStore, PutMediaOptions } from './media-store.js';

/** Ids are `med_` + UUID v4: unguessable (122 random bits) and safe as file names (no path traversal). */
const ID_PATTERN = /^med_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Append-only (database.ts `migrate`). */
const MIGRATIONS = [
  `CREATE TABLE media (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
     content_type TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     app_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX media_expires_at ON media (expires_at);`,
];

const KIND_NAMES: Record<MediaKind, string> = { image: 'an image (JPEG, PNG or WebP)', video: 'a video (MP4, MOV, WebM or Matroska)' };

export interface LocalMediaStoreOptions {
  db: Db;
  /** Media directory; holds `<id>` files and `tmp/` for uploads in progress. Created if missing. */
  dir: string;
  /** Clock, ms since the epoch. Default Date.now. */
  clock?: () => number;
  /** How often `sweep()` runs on its own, ms; 0 (default) = no timer, the caller sweeps. */
  sweepIntervalMs?: number;
  /** Where recovery and sweep failures are reported. Default console. */
  log?: (message: string) => void;
  /**
   * Test-only pause points inside `put` (the crash-safety test kills the process there). Awaited when
   * given; production code leaves them unset.
   */
  hooks?: {
    /** After the temp file is complete and fsynced, before the rename. */
    beforeRename?: (tempFile: string) => Promise<void> | void;
    /** After the rename and the directory fsync, before the row is committed. */
    afterRename?: (file: string) => Promise<void> | void;
  };
}

/** What recovery removed when the store opened. */
export interface MediaRecovery {
  /** `tmp/*.part` files of uploads interrupted by a crash. */
  tempFiles: number;
  /** Files under an id with no row (crash between rename and commit, or during a delete). */
  orphanFiles: number;
  /** Rows whose file is missing. */
  orphanRows: number;
}

interface MediaRow {
  id: string;
  kind: MediaKind;
  content_type: string;
  bytes: number;
  sha256: string;
  app_id: string;
  created_at: number;
  expires_at: number;
}

const toRecord = (row: MediaRow): MediaRecord => ({
  id: row.id,
  kind: row.kind,
  contentType: row.content_type,
  bytes: row.bytes,
  sha256: row.sha256,
  appId: row.app_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** fsync a directory so a rename or unlink in it survives power loss (rename(2) alone is atomic, not durable). */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class LocalMediaStore implements MediaStore {
  readonly recovered: MediaRecovery;
  private readonly db: Db;
  private readonly dir: string;
  private readonly tempDir: string;
  private readonly clock: () => number;
  private readonly log: (message: string) => void;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalMediaStoreOptions) {
    this.db = options.db;
    this.dir = path.resolve(options.dir);
    this.tempDir = path.join(this.dir, 'tmp');
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
    mkdirSync(this.tempDir, { recursive: true, mode: 0o700 });
    migrate(this.db, 'media', MIGRATIONS);
    this.recovered = this.recover();
    const interval = options.sweepIntervalMs ?? 0;
    if (interval > 0) {
      this.timer = setInterval(() => {
        try {
          this.sweep();
        } catch (error) {
          this.log(`media sweep failed: ${String(error)}`);
        }
      }, interval);
      this.timer.unref();
    }
  }

  async put(source: Readable | Uint8Array, options: PutMediaOptions): Promise<MediaRecord> {
    const id = `med_${randomUUID()}`;
    const temp = path.join(this.tempDir, `${randomUUID()}.part`);
    const final = path.join(this.dir, id);
    const hash = createHash('sha256');
    let bytes = 0;
    let head = Buffer.alloc(0);
    let sniffed: ReturnType<typeof sniffMedia>;
    const decide = () => {
      sniffed = sniffMedia(head);
      if (!sniffed) throw new AppError('UNSUPPORTED_FILE_TYPE', `not a supported media type: expected ${KIND_NAMES[options.kind]}`);
      if (sniffed.kind !== options.kind) throw new AppError('UNSUPPORTED_FILE_TYPE', `expected ${KIND_NAMES[options.kind]}, got ${sniffed.contentType}`);
    };
    let renamed = false;
    const handle = await open(temp, 'wx', 0o600);
    try {
      try {
        const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source;
        for await (const chunk of chunks) {
          const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          bytes += data.byteLength;
          // Leaving the loop by throwing destroys the source stream (for await calls its return()).
          if (bytes > options.maxBytes) throw new AppError('MEDIA_TOO_LARGE', `the file is over the limit of ${options.maxBytes} bytes`);
          if (!sniffed && head.length < SNIFF_BYTES) {
            head = Buffer.concat([head, data.subarray(0, SNIFF_BYTES - head.length)]);
            if (head.length >= SNIFF_BYTES) decide();
          }
          hash.update(data);
          await handle.write(data);
        }
        if (!sniffed) decide();
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.options.hooks?.beforeRename?.(temp);
      await rename(temp, final);
      renamed = true;
      syncDirectory(this.dir);
      await this.options.hooks?.afterRename?.(final);
      const now = this.clock();
      const record: MediaRecord = {
        id,
        kind: options.kind,
        contentType: sniffed!.contentType,
        bytes,
        sha256: hash.digest('hex'),
        appId: options.appId,
        createdAt: now,
        expiresAt: now + options.retentionMs,
      };
      this.db
        .prepare('INSERT INTO media (id, kind, content_type, bytes, sha256, app_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.kind, record.contentType, record.bytes, record.sha256, record.appId, record.createdAt, record.expiresAt);
      return record;
    } catch (error) {
      await unlink(renamed ? final : temp).catch((e: unknown) => {
        if (!isMissing(e)) this.log(`media put: could not remove ${renamed ? final : temp}: ${String(e)}`);
      });
      throw error;
    }
  }

  /** The record, or undefined when unknown or past its expiry (even before the sweeper ran). */
  get(id: string): MediaRecord | undefined {
    if (!ID_PATTERN.test(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRow | undefined;
    if (!row || row.expires_at <= this.clock()) return undefined;
    return toRecord(row);
  }

  /**
   * Opens the file synchronously, so a sweep or delete after this call cannot cut the stream short
   * (POSIX keeps an unlinked file's data while a descriptor is open). Unknown or expired → NOT_FOUND.
   */
  open(id: string, range?: { start: number; end: number }): Readable {
    const record = this.get(id);
    if (!record) throw new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');
    if (range && (range.start < 0 || range.end < range.start || range.end >= record.bytes)) {
      throw new RangeError(`range ${range.start}-${range.end} is outside 0-${record.bytes - 1}`);
    }
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, id), 'r');
    } catch (error) {
      if (isMissing(error)) throw new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');
      throw error;
    }
    return createReadStream('', { fd, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  delete(id: string): boolean {
    if (!ID_PATTERN.test(id)) return false;
    const deleted = this.db.prepare('DELETE FROM media WHERE id = ?').run(id).changes > 0;
    // Row first, then file: a crash in between leaves a file without a row, which recovery removes.
    return this.removeFile(id) || deleted;
  }

  /** Deletes every item whose expiry has passed (row, then file); returns their ids. */
  sweep(): string[] {
    const now = this.clock();
    const ids = this.db.transaction(() => {
      const expired = (this.db.prepare('SELECT id FROM media WHERE expires_at <= ?').all(now) as { id: string }[]).map((row) => row.id);
      this.db.prepare('DELETE FROM media WHERE expires_at <= ?').run(now);
      return expired;
    })();
    for (const id of ids) this.removeFile(id);
    return ids;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private removeFile(id: string): boolean {
    try {
      unlinkSync(path.join(this.dir, id));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  private recover(): MediaRecovery {
    const recovered: MediaRecovery = { tempFiles: 0, orphanFiles: 0, orphanRows: 0 };
    for (const name of readdirSync(this.tempDir)) {
      rmSync(path.join(this.tempDir, name), { force: true, recursive: true });
      recovered.tempFiles += 1;
    }
    const files = new Set(readdirSync(this.dir).filter((name) => ID_PATTERN.test(name)));
    const rows = new Set((this.db.prepare('SELECT id FROM media').all() as { id: string }[]).map((row) => row.id));
    for (const name of files) {
      if (rows.has(name)) continue;
      this.removeFile(name);
      recovered.orphanFiles += 1;
    }
    const missing = [...rows].filter((id) => !files.has(id));
    if (missing.length > 0) {
      const remove = this.db.prepare('DELETE FROM media WHERE id = ?');
      this.db.transaction(() => missing.forEach((id) => remove.run(id)))();
      recovered.orphanRows = missing.length;
    }
    if (recovered.tempFiles + recovered.orphanFiles + recovered.orphanRows > 0) {
      this.log(`media store recovery in ${this.dir}: removed ${recovered.tempFiles} temp file(s), ${recovered.orphanFiles} file(s) without a row, ${recovered.orphanRows} row(s) without a file`);
    }
    return recovered;
  }
}
