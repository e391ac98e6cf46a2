/**
 * What every MediaStore does to an upload while it streams, whatever the storage behind it: count the
 * bytes against the cap, hash them (sha256), and sniff the type from the first bytes. Shared by the local
 * and the S3 store so both refuse the same uploads with the same codes (STYLE.md rule 2).
 */
import { createHash, type Hash } from 'node:crypto';
import { AppError } from '../errors.js';
import { SNIFF_BYTES, sniffMedia, type SniffedType } from './media-sniff.js';
import type { MediaKind } from './media-store.js';

const KIND_NAMES: Record<MediaKind, string> = { image: 'an image (JPEG, PNG or WebP)', video: 'a video (MP4, MOV, WebM or Matroska)' };

/** What the meter measured over the whole content. */
export interface MeteredContent {
  /** Size, bytes. */
  bytes: number;
  /** sha256 of the content, hex. */
  sha256: string;
  contentType: string;
}

export class MediaMeter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private head = Buffer.alloc(0);
  private sniffed: SniffedType | undefined;

  /**
   * @param kind the kind the caller expects (an image put refuses a video and the other way round).
   * @param maxBytes largest accepted size, bytes (MEDIA_TOO_LARGE past it).
   */
  constructor(
    private readonly kind: MediaKind,
    private readonly maxBytes: number,
  ) {}

  /**
   * Takes the next chunk. Throws MEDIA_TOO_LARGE once the total passes maxBytes, and UNSUPPORTED_FILE_TYPE
   * as soon as SNIFF_BYTES have arrived and they are not the expected kind, so a store stops writing early.
   */
  update(data: Uint8Array): void {
    this.bytes += data.byteLength;
    if (this.bytes > this.maxBytes) throw new AppError('MEDIA_TOO_LARGE', `the file is over the limit of ${this.maxBytes} bytes`);
    if (!this.sniffed && this.head.length < SNIFF_BYTES) {
      this.head = Buffer.concat([this.head, data.subarray(0, SNIFF_BYTES - this.head.length)]);
      if (this.head.length >= SNIFF_BYTES) this.decide();
    }
    this.hash.update(data);
  }

  /** The sniffed content type, once SNIFF_BYTES have arrived (or after finish()); undefined before. */
  get contentType(): string | undefined {
    return this.sniffed?.contentType;
  }

  /** At the end of the content: decides the type of a content shorter than SNIFF_BYTES, and returns the totals. */
  finish(): MeteredContent {
    if (!this.sniffed) this.decide();
    return { bytes: this.bytes, sha256: this.hash.digest('hex'), contentType: this.sniffed!.contentType };
  }

  private decide(): void {
    const sniffed = sniffMedia(this.head);
    if (!sniffed) throw new AppError('UNSUPPORTED_FILE_TYPE', `not a supported media type: expected ${KIND_NAMES[this.kind]}`);
    if (sniffed.kind !== this.kind) throw new AppError('UNSUPPORTED_FILE_TYPE', `expected ${KIND_NAMES[this.kind]}, got ${sniffed.contentType}`);
    this.sniffed = sniffed;
  }
}
