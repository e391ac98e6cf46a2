/**
 * The media rows (MediaRecord metadata), whatever holds the bytes: the contract both media stores (local files,
 * S3-compatible bucket) keep their rows behind, implemented on the embedded SQLite database (sqlite-media-rows.ts) and on
 * PostgreSQL (postgres-media-rows.ts). A store's guarantees about rows are written once, here and in those two.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { MeteredContent } from './media-meter.js';
import type { MediaRecord, PutMediaOptions } from './media-store.js';

/** Ids are `med_` + UUID v4: unguessable (122 random bits) and safe as file names and object keys (no path traversal). */
export const MEDIA_ID_PATTERN = /^med_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const newMediaId = () => `med_${randomUUID()}`;

export interface MediaRows {
  /** Records a stored content as `id` (both stores call it once the content is in place) and answers the record: from here on the item is visible. */
  record(id: string, options: Pick<PutMediaOptions, 'kind' | 'appId' | 'retentionMs'>, content: Pick<MeteredContent, 'contentType' | 'bytes' | 'sha256'>, now: number): Promise<MediaRecord>;
  insert(record: MediaRecord): Promise<void>;
  /** The row as stored, expired or not; undefined for an unknown id or one that is not a media id. */
  find(id: string): Promise<MediaRecord | undefined>;
  /** The record, or undefined when unknown or past its expiry at `now` (ms; even before the sweeper ran). */
  live(id: string, now: number): Promise<MediaRecord | undefined>;
  /**
   * The record to open, whole or one byte range: NOT_FOUND for an unknown or expired id, RangeError for a range outside
   * the content (both stores check this before they touch the content).
   */
  openable(id: string, now: number, range?: { start: number; end: number }): Promise<MediaRecord>;
  /** Deletes one row; true when there was one. */
  remove(id: string): Promise<boolean>;
  /** Deletes the given rows in one transaction. */
  removeMany(ids: readonly string[]): Promise<void>;
  /** Deletes every row whose expiry (ms since the epoch) is at or before `now`, in one transaction; answers their ids. */
  takeExpired(now: number): Promise<string[]>;
  /** Ids of every row, or of the rows created before `createdBefore` (ms since the epoch) when given. */
  ids(createdBefore?: number): Promise<string[]>;
}

/** The record `record` writes. */
export function mediaRecord(id: string, options: Pick<PutMediaOptions, 'kind' | 'appId' | 'retentionMs'>, content: Pick<MeteredContent, 'contentType' | 'bytes' | 'sha256'>, now: number): MediaRecord {
  return {
    id,
    kind: options.kind,
    contentType: content.contentType,
    bytes: content.bytes,
    sha256: content.sha256,
    appId: options.appId,
    createdAt: now,
    expiresAt: now + options.retentionMs,
  };
}

/** `openable`'s rule on the live record (or its absence). */
export function openableRecord(record: MediaRecord | undefined, range?: { start: number; end: number }): MediaRecord {
  if (!record) throw new AppError('NOT_FOUND', 'no media under this id (expired media is deleted)');
  if (range && (range.start < 0 || range.end < range.start || range.end >= record.bytes)) {
    throw new RangeError(`range ${range.start}-${range.end} is outside 0-${record.bytes - 1}`);
  }
  return record;
}
