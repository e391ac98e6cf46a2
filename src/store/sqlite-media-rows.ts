/**
 * The media rows (MediaRecord metadata) in the embedded SQLite database, whatever holds the bytes: local
 * files (local-media-store.ts) or an S3-compatible bucket (s3-media-store.ts). Both stores use this one
 * table, so a store's guarantees about rows are written once. The contract is MediaRows (./media-rows.ts);
 * PostgreSQL's is postgres-media-rows.ts.
 */
import { migrate, type Db } from './database.js';
import { type MediaRows, MEDIA_ID_PATTERN, mediaRecord, openableRecord } from './media-rows.js';
import type { MeteredContent } from './media-meter.js';
import type { MediaKind, MediaRecord, PutMediaOptions } from './media-store.js';
import { sqliteGate, type SqliteGate } from './sqlite-gate.js';

export { MEDIA_ID_PATTERN, newMediaId } from './media-rows.js';

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

export interface MediaRow {
  id: string;
  kind: MediaKind;
  content_type: string;
  bytes: number;
  sha256: string;
  app_id: string;
  created_at: number;
  expires_at: number;
}

export const mediaFromRow = (row: MediaRow): MediaRecord => ({
  id: row.id,
  kind: row.kind,
  contentType: row.content_type,
  bytes: row.bytes,
  sha256: row.sha256,
  appId: row.app_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

export class SqliteMediaRows implements MediaRows {
  private readonly gate: SqliteGate;

  constructor(private readonly db: Db) {
    migrate(db, 'media', MIGRATIONS);
    this.gate = sqliteGate(db);
  }

  /** Records a stored content as `id` (both stores call it once the content is in place) and answers the record: from here on the item is visible. */
  record(id: string, options: Pick<PutMediaOptions, 'kind' | 'appId' | 'retentionMs'>, content: Pick<MeteredContent, 'contentType' | 'bytes' | 'sha256'>, now: number): Promise<MediaRecord> {
    const record = mediaRecord(id, options, content, now);
    return this.insert(record).then(() => record);
  }

  insert(record: MediaRecord): Promise<void> {
    return this.gate.run(undefined, () => {
      this.db
        .prepare('INSERT INTO media (id, kind, content_type, bytes, sha256, app_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(record.id, record.kind, record.contentType, record.bytes, record.sha256, record.appId, record.createdAt, record.expiresAt);
    });
  }

  find(id: string): Promise<MediaRecord | undefined> {
    return this.gate.run(undefined, () => this.findNow(id));
  }

  async live(id: string, now: number): Promise<MediaRecord | undefined> {
    const record = await this.find(id);
    return record && record.expiresAt > now ? record : undefined;
  }

  async openable(id: string, now: number, range?: { start: number; end: number }): Promise<MediaRecord> {
    return openableRecord(await this.live(id, now), range);
  }

  remove(id: string): Promise<boolean> {
    if (!MEDIA_ID_PATTERN.test(id)) return Promise.resolve(false);
    return this.gate.run(undefined, () => this.db.prepare('DELETE FROM media WHERE id = ?').run(id).changes > 0);
  }

  removeMany(ids: readonly string[]): Promise<void> {
    return this.gate.run(undefined, () => this.removeManyNow(ids));
  }

  takeExpired(now: number): Promise<string[]> {
    return this.gate.run(undefined, () =>
      this.db.transaction(() => {
        const expired = (this.db.prepare('SELECT id FROM media WHERE expires_at <= ?').all(now) as { id: string }[]).map((row) => row.id);
        this.db.prepare('DELETE FROM media WHERE expires_at <= ?').run(now);
        return expired;
      })(),
    );
  }

  ids(createdBefore?: number): Promise<string[]> {
    return this.gate.run(undefined, () => this.idsNow(createdBefore));
  }

  /**
   * Synchronous forms, for LocalMediaStore's recovery in its constructor (files and rows of one node, before it serves
   * anything, so no transaction can be open).
   */
  idsNow(createdBefore?: number): string[] {
    const rows =
      createdBefore === undefined
        ? (this.db.prepare('SELECT id FROM media').all() as { id: string }[])
        : (this.db.prepare('SELECT id FROM media WHERE created_at < ?').all(createdBefore) as { id: string }[]);
    return rows.map((row) => row.id);
  }

  removeManyNow(ids: readonly string[]): void {
    const remove = this.db.prepare('DELETE FROM media WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => remove.run(id)))();
  }

  private findNow(id: string): MediaRecord | undefined {
    if (!MEDIA_ID_PATTERN.test(id)) return undefined;
    const row = this.db.prepare('SELECT * FROM media WHERE id = ?').get(id) as MediaRow | undefined;
    return row ? mediaFromRow(row) : undefined;
  }
}
