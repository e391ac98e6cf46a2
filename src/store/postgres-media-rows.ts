/**
 * The media rows on PostgreSQL (DATABASE_URL), for S3MediaStore (the bytes in the bucket every replica reads): the
 * MediaRows contract of ./media-rows.ts, the same table as sqlite-media-rows.ts.
 */
import { MEDIA_ID_PATTERN, mediaRecord, openableRecord, type MediaRows } from './media-rows.js';
import type { MeteredContent } from './media-meter.js';
import type { MediaRecord, PutMediaOptions } from './media-store.js';
import type { PostgresDatabase } from './postgres.js';
import { mediaFromRow, type MediaRow } from './sqlite-media-rows.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_MEDIA_MIGRATIONS = [
  `CREATE TABLE media (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
     content_type TEXT NOT NULL,
     bytes BIGINT NOT NULL,
     sha256 TEXT NOT NULL,
     app_id TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL
   );
   CREATE INDEX media_expires_at ON media (expires_at);`,
];

export class PostgresMediaRows implements MediaRows {
  private constructor(private readonly db: PostgresDatabase) {}

  static async open(db: PostgresDatabase): Promise<PostgresMediaRows> {
    await db.migrate('media', POSTGRES_MEDIA_MIGRATIONS);
    return new PostgresMediaRows(db);
  }

  async record(id: string, options: Pick<PutMediaOptions, 'kind' | 'appId' | 'retentionMs'>, content: Pick<MeteredContent, 'contentType' | 'bytes' | 'sha256'>, now: number): Promise<MediaRecord> {
    const record = mediaRecord(id, options, content, now);
    await this.insert(record);
    return record;
  }

  async insert(record: MediaRecord): Promise<void> {
    await this.db.query(
      undefined,
      'INSERT INTO media (id, kind, content_type, bytes, sha256, app_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [record.id, record.kind, record.contentType, record.bytes, record.sha256, record.appId, record.createdAt, record.expiresAt],
    );
  }

  async find(id: string): Promise<MediaRecord | undefined> {
    if (!MEDIA_ID_PATTERN.test(id)) return undefined;
    const { rows } = await this.db.query<MediaRow>(undefined, 'SELECT * FROM media WHERE id = $1', [id]);
    return rows[0] ? mediaFromRow(rows[0]) : undefined;
  }

  async live(id: string, now: number): Promise<MediaRecord | undefined> {
    const record = await this.find(id);
    return record && record.expiresAt > now ? record : undefined;
  }

  async openable(id: string, now: number, range?: { start: number; end: number }): Promise<MediaRecord> {
    return openableRecord(await this.live(id, now), range);
  }

  async remove(id: string): Promise<boolean> {
    if (!MEDIA_ID_PATTERN.test(id)) return false;
    return ((await this.db.query(undefined, 'DELETE FROM media WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async removeMany(ids: readonly string[]): Promise<void> {
    await this.db.query(undefined, 'DELETE FROM media WHERE id = ANY($1)', [ids]);
  }

  async takeExpired(now: number): Promise<string[]> {
    // One statement: two replicas sweeping at once each get (and delete the objects of) only the rows they deleted.
    const { rows } = await this.db.query<{ id: string }>(undefined, 'DELETE FROM media WHERE expires_at <= $1 RETURNING id', [now]);
    return rows.map((row) => row.id).sort();
  }

  async ids(createdBefore?: number): Promise<string[]> {
    const { rows } =
      createdBefore === undefined
        ? await this.db.query<{ id: string }>(undefined, 'SELECT id FROM media')
        : await this.db.query<{ id: string }>(undefined, 'SELECT id FROM media WHERE created_at < $1', [createdBefore]);
    return rows.map((row) => row.id);
  }
}
