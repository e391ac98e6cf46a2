/**
 * Stored evidence media (session selfies, document photos, videos): the interface the sessions API uses.
 * The embedded implementation (local-media-store.ts) keeps files in a directory and rows in SQLite; with S3_BUCKET,
 * s3-media-store.ts keeps the bytes in an S3-compatible bucket (rows in SQLite, or in PostgreSQL with DATABASE_URL;
 * media-rows.ts). Guarantees: a put is all-or-nothing (no half file visible, no row
 * without its file, no file without its row after a crash); contents are sniffed, not trusted from names.
 */
import type { Readable } from 'node:stream';

export type MediaKind = 'image' | 'video';

export interface MediaRecord {
  /** `med_<uuid>`. */
  id: string;
  kind: MediaKind;
  /** Sniffed content type, e.g. image/jpeg, video/mp4, video/webm. */
  contentType: string;
  /** Size in bytes. */
  bytes: number;
  /** sha256 of the content, hex. */
  sha256: string;
  /** The app that owns it (retention is per app). */
  appId: string;
  /** Creation time, ms since the epoch (from the store's clock). */
  createdAt: number;
  /** When the sweeper deletes it, ms since the epoch. */
  expiresAt: number;
}

export interface PutMediaOptions {
  kind: MediaKind;
  appId: string;
  /** Largest accepted size, bytes; past it the put fails (MEDIA_TOO_LARGE) and nothing is kept. */
  maxBytes: number;
  /** Retention, ms from now. */
  retentionMs: number;
}

export interface MediaStore {
  /** Streams `source` to storage; resolves once the content is durable (fsynced) and its row committed. */
  put(source: Readable | Uint8Array, options: PutMediaOptions): Promise<MediaRecord>;
  get(id: string): Promise<MediaRecord | undefined>;
  /**
   * Opens the content, optionally a byte range [start, end] inclusive (HTTP Range); rejects with NOT_FOUND for an
   * unknown or expired id, RangeError for a range outside the content. A delete or sweep after it resolved does not
   * cut the stream short.
   */
  open(id: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Deletes file and row; true when something was deleted. */
  delete(id: string): Promise<boolean>;
  /** Deletes every expired item (file and row); answers the ids deleted. */
  sweep(): Promise<string[]>;
}
