/**
 * Image dimensions as a file's header declares them, read from the first bytes without any decoder (pure).
 * sharp (libvips) reads headers too, but only of files whose header is complete: a PNG with no IDAT chunk or a
 * JPEG with no scan (SOS) is "corrupt" to it, so a pixel bomb that is nothing but a header would be refused as
 * an unsupported file instead of as too large. The service's own formats (PNG, JPEG) are read here first;
 * every other format goes through sharp's header reader (decode.ts).
 */

export interface DeclaredSize {
  format: 'png' | 'jpeg';
  /** Pixels, as declared (nothing is decoded). */
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * PNG (ISO/IEC 15948 §5.2 signature, §11.2.2 IHDR): IHDR must be the first chunk, so width and height are
 * big-endian 32-bit integers at bytes 16–19 and 20–23.
 */
function pngSize(bytes: Uint8Array): DeclaredSize | undefined {
  if (bytes.length < 24 || !PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return undefined;
  if (String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Start-of-frame markers (ITU-T T.81 Table B.1): SOF0–SOF3, SOF5–SOF7, SOF9–SOF11, SOF13–SOF15. 0xC4 (DHT),
 * 0xC8 (JPG, reserved) and 0xCC (DAC) share the range but are not frame headers.
 */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * JPEG (ITU-T T.81 §B.1–B.2): walks the marker segments after SOI up to the frame header, whose fields are
 * Lf (2 bytes), P (1), Y = lines (2) and X = samples per line (2). Y = 0 means the height comes later (DNL
 * marker, §B.2.5): reported as 0, unknown. Stops at the first scan (SOS) or at anything that is not a marker.
 */
function jpegSize(bytes: Uint8Array): DeclaredSize | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    // Any marker may be preceded by fill bytes 0xFF (§B.1.1.2).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    at += 2;
    // Markers without a segment: TEM, RST0–RST7, SOI (§B.1.1.3).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    // EOI or SOS before a frame header: nothing declared.
    if (marker === 0xd9 || marker === 0xda) return undefined;
    if (at + 2 > bytes.length) return undefined;
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (isStartOfFrame(marker)) {
      if (at + 7 > bytes.length) return undefined;
      return { format: 'jpeg', height: (bytes[at + 3]! << 8) | bytes[at + 4]!, width: (bytes[at + 5]! << 8) | bytes[at + 6]! };
    }
    if (length < 2) return undefined;
    at += length;
  }
  return undefined;
}

/** What a PNG's or JPEG's header declares; undefined for other bytes, or a header too short to say. */
export function declaredImageSize(bytes: Uint8Array): DeclaredSize | undefined {
  return pngSize(bytes) ?? jpegSize(bytes);
}
