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
import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import type { Db } from './database.js';
import { MediaMeter, type MeteredContent } from './media-meter.js';
import type { MediaRecord, MediaStore, PutMediaOptions } from './media-store.js';
import { MEDIA_ID_PATTERN, newMediaId, SqliteMediaRows } from './sqlite-media-rows.js';

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
  private readonly rows: SqliteMediaRows;
  private readonly dir: string;
  private readonly tempDir: string;
  private readonly clock: () => number;
  private readonly log: (message: string) => void;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LocalMediaStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.tempDir = path.join(this.dir, 'tmp');
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
    mkdirSync(this.tempDir, { recursive: true, mode: 0o700 });
    this.rows = new SqliteMediaRows(options.db);
    this.recovered = this.recover();
    const interval = options.sweepIntervalMs ?? 0;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.sweep().catch((error: unknown) => this.log(`media sweep failed: ${String(error)}`));
      }, interval);
      this.timer.unref();
    }
  }

  async put(source: Readable | Uint8Array, options: PutMediaOptions): Promise<MediaRecord> {
    const id = newMediaId();
    const temp = path.join(this.tempDir, `${randomUUID()}.part`);
    const final = path.join(this.dir, id);
    const meter = new MediaMeter(options.kind, options.maxBytes);
    let content: MeteredContent;
    let renamed = false;
    // The source is read only once the temp file is open: a client abort before then would emit 'error' with no
    // listener (an uncaught exception). The loop below still throws the stored error (Node keeps it on the stream).
    if (!(source instanceof Uint8Array)) source.on('error', () => {});
    const handle = await open(temp, 'wx', 0o600);
    try {
      try {
        const chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source;
        for await (const chunk of chunks) {
          const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          // Leaving the loop by throwing destroys the source stream (for await calls its return()).
          meter.update(data);
          await handle.write(data);
        }
        content = meter.finish();
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
      return this.rows.record(id, options, content, now);
    } catch (error) {
      await unlink(renamed ? final : temp).catch((e: unknown) => {
        if (!isMissing(e)) this.log(`media put: could not remove ${renamed ? final : temp}: ${String(e)}`);
      });
      throw error;
    }
  }

  /** The record, or undefined when unknown or past its expiry (even before the sweeper ran). */
  get(id: string): Promise<MediaRecord | undefined> {
    return this.rows.live(id, this.clock());
  }

  /**
   * Opens the file descriptor before resolving, so a sweep or delete after this call cannot cut the stream short
   * (POSIX keeps an unlinked file's data while a descriptor is open). Unknown or expired → NOT_FOUND.
   */
  async open(id: string, range?: { start: number; end: number }): Promise<Readable> {
    await this.rows.openable(id, this.clock(), range);
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, id), 'r');
    } catch (error) {
      if (isMissing(error)) throw new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');
      throw error;
    }
    return createReadStream('', { fd, autoClose: true, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async delete(id: string): Promise<boolean> {
    if (!MEDIA_ID_PATTERN.test(id)) return false;
    const deleted = await this.rows.remove(id);
    // Row first, then file: a crash in between leaves a file without a row, which recovery removes.
    return this.removeFile(id) || deleted;
  }

  /** Deletes every item whose expiry has passed (row, then file); returns their ids. */
  async sweep(): Promise<string[]> {
    const ids = await this.rows.takeExpired(this.clock());
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
    const files = new Set(readdirSync(this.dir).filter((name) => MEDIA_ID_PATTERN.test(name)));
    const rows = new Set(this.rows.idsNow());
    for (const name of files) {
      if (rows.has(name)) continue;
      this.removeFile(name);
      recovered.orphanFiles += 1;
    }
    const missing = [...rows].filter((id) => !files.has(id));
    if (missing.length > 0) {
      this.rows.removeManyNow(missing);
      recovered.orphanRows = missing.length;
    }
    if (recovered.tempFiles + recovered.orphanFiles + recovered.orphanRows > 0) {
      this.log(`media store recovery in ${this.dir}: removed ${recovered.tempFiles} temp file(s), ${recovered.orphanFiles} file(s) without a row, ${recovered.orphanRows} row(s) without a file`);
    }
    return recovered;
  }
}
