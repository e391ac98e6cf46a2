/**
 * Pixel bombs, generated (no third-party file is committed): small files whose header declares a huge picture.
 * Each is the header a decoder reads before allocating pixels; the PNG and JPEG ones come as a bare header (what
 * sharp calls corrupt) and as a complete header (what sharp reads: a PNG with one small IDAT, a JPEG up to its scan).
 */
import { crc32, deflateSync } from 'node:zlib';

/** A PNG chunk: length, type, data, CRC-32 over type and data (ISO/IEC 15948 §5.3; zlib's CRC-32 is PNG's, Annex D). */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/**
 * A PNG declaring width × height, 8-bit RGB, with valid CRCs. `withData`: one deflated row of zeros as IDAT (sharp
 * then reads the header); without it, IHDR and IEND only.
 */
export function pngBomb(width: number, height: number, withData = false): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour (RGB)
  const chunks = [pngChunk('IHDR', ihdr)];
  if (withData) chunks.push(pngChunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * Math.min(width, 64)))));
  chunks.push(pngChunk('IEND', new Uint8Array(0)));
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]));
}

/**
 * A baseline JPEG (ITU-T T.81) declaring width × height (each ≤ 65535): SOI, SOF0 with three components, then
 * EOI; `withScan`: an SOS header and one byte of entropy-coded data before EOI (sharp then reads the header).
 */
export function jpegBomb(width: number, height: number, withScan = false): Uint8Array {
  const sof0 = [0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  const sos = [0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x00];
  return new Uint8Array([0xff, 0xd8, ...sof0, ...(withScan ? sos : []), 0xff, 0xd9]);
}

/** An SVG document declaring width × height user units (pixels at sharp's default 72 dpi). */
export function svgBomb(width: number, height: number): Uint8Array {
  return new TextEncoder().encode(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#808080"/></svg>`);
}

/** The bombs of issue 13 ("Hostile input and abuse"), each over the default MAX_IMAGE_PIXELS (25 000 000). */
export const ISSUE_13_BOMBS: { name: string; bytes: Uint8Array; width: number; height: number }[] = [
  { name: 'PNG 30000×30000 (IHDR only)', bytes: pngBomb(30000, 30000), width: 30000, height: 30000 },
  { name: 'PNG 65535×65535 (IHDR only)', bytes: pngBomb(65535, 65535), width: 65535, height: 65535 },
  { name: 'PNG 30000×30000 (with IDAT)', bytes: pngBomb(30000, 30000, true), width: 30000, height: 30000 },
  { name: 'JPEG 65000×65000 (SOF0 only)', bytes: jpegBomb(65000, 65000), width: 65000, height: 65000 },
  { name: 'JPEG 65000×65000 (SOF0 + SOS)', bytes: jpegBomb(65000, 65000, true), width: 65000, height: 65000 },
  { name: 'SVG 100000×100000', bytes: svgBomb(100000, 100000), width: 100000, height: 100000 },
];
