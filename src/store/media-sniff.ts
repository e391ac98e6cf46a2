/**
 * Content sniffing for stored media: the type comes from the first bytes (magic numbers), never from a
 * file name or a client-sent Content-Type (WHATWG MIME Sniffing §6 "Matching a MIME type pattern" lists
 * the same signatures for JPEG, PNG, WebP, MP4 and WebM).
 */
import type { MediaKind } from './media-store.js';

/** Bytes `sniffMedia` wants to see before it decides (the Matroska DocType sits in the first ~40 bytes). */
export const SNIFF_BYTES = 64;

export interface SniffedType {
  kind: MediaKind;
  contentType: string;
}

const ascii = (bytes: Uint8Array, start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1');

/**
 * Recognises JPEG (FF D8 FF), PNG (89 'PNG' 0D 0A 1A 0A), WebP ('RIFF' size 'WEBP'), ISO BMFF
 * (MP4/MOV: box type 'ftyp' at offset 4; major brand 'qt  ' = QuickTime) and EBML (1A 45 DF A3:
 * Matroska, WebM when the header's DocType is "webm"). Returns undefined for anything else.
 */
export function sniffMedia(head: Uint8Array): SniffedType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { kind: 'image', contentType: 'image/jpeg' };
  if (head.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((byte, i) => head[i] === byte)) {
    return { kind: 'image', contentType: 'image/png' };
  }
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { kind: 'image', contentType: 'image/webp' };
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') {
    // ISO/IEC 14496-12 §4.3: the ftyp box starts the file; QuickTime files carry major brand "qt  ".
    return { kind: 'video', contentType: ascii(head, 8, 12) === 'qt  ' ? 'video/quicktime' : 'video/mp4' };
  }
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    // RFC 9559 (Matroska) §5.1: the EBML header holds DocType ("webm" for WebM, "matroska" otherwise).
    return { kind: 'video', contentType: ascii(head, 4, head.length).includes('webm') ? 'video/webm' : 'video/x-matroska' };
  }
  return undefined;
}
