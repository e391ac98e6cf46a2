/**
 * The media rows (MediaRecord metadata) in the embedded SQLite database, whatever holds the bytes: local
 * files (local-media-store.ts) or an S3-compatible bucket (s3-media-store.ts). Both stores use this one
 * table, so a store's guarantees about rows are written once.
 */
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from './database.js';
import type { MeteredContent } from './media-meter.js';
import type { MediaKind, MediaRecord, PutMediaOptions } from './media-store.js';
import { AppError } from '../errors.js';

/** Ids are `med_` + UUID v4: unguessable (122 random bits) and safe as file names and object keys (no path traversal). */
export const MEDIA_ID_PATTERN = /^med_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const newMediaId = () => `med_${randomUUID()}`;

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

export class SqliteMediaRows {
  constructor(private readonly db: Db) {
    migrate(db, 'media', MIGRATIONS);
  }

  /** Commits the row: from here on the item is visible. */
  /** Records a stored content as `id` (both stores call it once the content is in place) and answers the record. */
  record(id: string, options: Pick<PutMediaOptions, 'kind' | 'appId' | 'retentionMs'>, content: Pick<MeteredContent, 'contentType' | 'bytes' | 'sha256'>, now: number): MediaRecord {
    const record: MediaRecord = {
      id,
      kind: options.kind,
      contentType: content.contentType,
      bytes: content.bytes,
      sha256: content.sha256,
      appId: options.appId,
      createdAt: now,
      expiresAt: now + options.retentionMs,
    };
    this.insert(record);
    return record;
  }

  insert(record: MediaRecord): void {
    this.db
      .prepare('INSERT INTO media (id, kind, content_type, bytes, sha256, app_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(record.id, record.kind, record.contentType, record.bytes, record.sha256, record.appId, record.createdAt, record.expiresAt);
  }

  /** The row as stored, expired or not; undefined for an unknown id or one that is not a media id. */
  find(id: string): MediaRecord | undefined {
    if (!MEDIA_ID_PATTERN.test(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The record, or undefined when unknown or past its expiry at `now` (ms; even before the sweeper ran). */
  live(id: string, now: number): MediaRecord | undefined {
    const record = this.find(id);
    return record && record.expiresAt > now ? record : undefined;
  }

  /**
   * The record to open, whole or one byte range: NOT_FOUND for an unknown or expired id, RangeError for a range outside
   * the content (both stores check this before they touch the content).
   */
  openable(id: string, now: number, range?: { start: number; end: number }): MediaRecord {
    const record = this.live(id, now);
    if (!record) throw new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');
    if (range && (range.start < 0 || range.end < range.start || range.end >= record.bytes)) {
      throw new RangeError(`range ${range.start}-${range.end} is outside 0-${record.bytes - 1}`);
    }
    return record;
  }

  /** Deletes one row; true when there was one. */
  remove(id: string): boolean {
    if (!MEDIA_ID_PATTERN.test(id)) return false;
    return this.db.prepare('DELETE FROM media WHERE id = ?').run(id).changes > 0;
  }

  /** Deletes the given rows in one transaction. */
  removeMany(ids: readonly string[]): void {
    const remove = this.db.prepare('DELETE FROM media WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => remove.run(id)))();
  }

  /** Deletes every row whose expiry (ms since the epoch) is at or before `now`, in one transaction; returns their ids. */
  takeExpired(now: number): string[] {
    return this.db.transaction(() => {
      const expired = (this.db.prepare('SELECT id FROM media WHERE expires_at <= ?').all(now) as { id: string }[]).map((row) => row.id);
      this.db.prepare('DELETE FROM media WHERE expires_at <= ?').run(now);
      return expired;
    })();
  }

  /** Ids of every row, or of the rows created before `createdBefore` (ms since the epoch) when given. */
  ids(createdBefore?: number): string[] {
    const rows =
      createdBefore === undefined
        ? (this.db.prepare('SELECT id FROM media').all() as { id: string }[])
        : (this.db.prepare('SELECT id FROM media WHERE created_at < ?').all(createdBefore) as { id: string }[]);
    return rows.map((row) => row.id);
  }
}
