/**
 * Hostile inputs for the issue-13 suite (hostile-input.e2e.test.ts), all made in code: odd and broken images,
 * hand-built multipart bodies, and the containers a decoder trips on. Nothing third-party is committed: photos and
 * clips are read from ../shared/data at run time and cut or re-encoded into the test's own temp directory.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { pngChunk } from '../helpers/pixel-bombs.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A flat grey picture (no face in it) of the given size, as sharp's raw input. */
const grey = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 } } });

export const greyJpeg = async (width = 64, height = 64) => new Uint8Array(await grey(width, height).jpeg().toBuffer());
export const greyPng = async (width = 64, height = 64) => new Uint8Array(await grey(width, height).png().toBuffer());

/** Other formats a client may send as a "selfie": each is a real, readable file of its kind. */
export const greyGif = async () => new Uint8Array(await grey(16, 16).gif().toBuffer());
export const greyTiff = async () => new Uint8Array(await grey(16, 16).tiff().toBuffer());
export const greyWebp = async () => new Uint8Array(await grey(16, 16).webp().toBuffer());

/** A 2 × 2 24-bit BMP (BITMAPFILEHEADER + BITMAPINFOHEADER, rows bottom-up, padded to 4 bytes); sharp writes no BMP. */
export function tinyBmp(): Uint8Array {
  const rowBytes = 8; // 2 pixels × 3 bytes, padded to a multiple of 4
  const pixels = Buffer.alloc(rowBytes * 2, 0x80);
  const file = Buffer.alloc(14 + 40);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length + pixels.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14); // DIB header size
  file.writeInt32LE(2, 18); // width
  file.writeInt32LE(2, 22); // height
  file.writeUInt16LE(1, 26); // planes
  file.writeUInt16LE(24, 28); // bits per pixel
  file.writeUInt32LE(pixels.length, 34);
  return new Uint8Array(Buffer.concat([file, pixels]));
}

/** A small, well-formed SVG document. */
export const smallSvg = () => new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20" fill="#c08060"/></svg>');

/**
 * HEIC-like bytes: an ISO BMFF `ftyp` box with HEIF brands (ISO/IEC 23008-12: major brand "heic", compatible
 * "mif1"), then a `meta` box of junk. What an iPhone photo looks like to a sniffer, with nothing decodable behind it.
 */
export function heicLike(): Uint8Array {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);
  const meta = Buffer.concat([Buffer.from([0, 0, 0, 0x28]), Buffer.from('meta', 'latin1'), Buffer.alloc(0x20, 0x5a)]);
  return new Uint8Array(Buffer.concat([ftyp, meta]));
}

/** Deterministic non-image bytes (a linear congruential sequence), `length` long. */
export function garbage(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  // Never a JPEG, PNG, WebP, ISO BMFF or EBML signature by accident.
  out[0] = 0x00;
  return out;
}

/** The first `fraction` of `bytes`. */
export const truncated = (bytes: Uint8Array, fraction: number) => bytes.slice(0, Math.floor(bytes.length * fraction));

/**
 * `jpeg` with its frame header (SOF0, ITU-T T.81 §B.2.2) rewritten to declare width × height: a real, complete
 * JPEG whose header lies about its size.
 */
export function withDeclaredJpegSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = Buffer.from(jpeg);
  for (let at = 2; at + 9 < out.length; ) {
    if (out[at] !== 0xff) throw new Error(`not a JPEG marker at ${at}`);
    const marker = out[at + 1]!;
    const length = out.readUInt16BE(at + 2);
    if (marker === 0xc0) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return new Uint8Array(out);
    }
    at += 2 + length;
  }
  throw new Error('no SOF0 frame header in the JPEG');
}

/**
 * `jpeg` with an Exif APP1 segment (CIPA DC-008 §4.5.4, TIFF big-endian) whose IFD0 holds one Orientation tag
 * (0x0112, SHORT) of `orientation`: the valid values are 1–8, anything else is absurd.
 */
export function withExifOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 offset
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18); // value, left-justified in the 4-byte field
  // next IFD offset: 0 (already zero)
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  return new Uint8Array(Buffer.concat([Buffer.from(jpeg.subarray(0, 2)), segment, Buffer.from(jpeg.subarray(2))]));
}

/** `photo` re-encoded as a CMYK JPEG (what print workflows and some scanners produce). */
export async function cmykJpeg(photo: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(await sharp(photo).toColourspace('cmyk').jpeg().toBuffer());
  if ((await sharp(out).metadata()).space !== 'cmyk') throw new Error('sharp did not write a CMYK JPEG');
  return out;
}

/** `photo` re-encoded as a 16-bit-per-channel RGB PNG. */
export async function png16(photo: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(await sharp(photo).toColourspace('rgb16').png().toBuffer());
  if ((await sharp(out).metadata()).depth !== 'ushort') throw new Error('sharp did not write a 16-bit PNG');
  return out;
}

/**
 * An animated PNG (APNG 1.0: acTL, then fcTL + IDAT for the default image and fcTL + fdAT for a second frame) of
 * two flat 32 × 32 RGB frames. Decoders without APNG support show the default image.
 */
export function animatedPng(): Uint8Array {
  const size = 32;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const frameData = (value: number) => {
    const rows = Buffer.alloc(size * (1 + 3 * size), value);
    for (let y = 0; y < size; y++) rows[y * (1 + 3 * size)] = 0; // filter type None
    return deflateSync(rows);
  };
  const acTL = Buffer.alloc(8);
  acTL.writeUInt32BE(2, 0); // frames
  acTL.writeUInt32BE(0, 4); // loop forever
  const fcTL = (sequence: number) => {
    const b = Buffer.alloc(26);
    b.writeUInt32BE(sequence, 0);
    b.writeUInt32BE(size, 4);
    b.writeUInt32BE(size, 8);
    b.writeUInt16BE(1, 20); // delay 1/10 s
    b.writeUInt16BE(10, 22);
    return b;
  };
  const fdAT = Buffer.concat([Buffer.from([0, 0, 0, 2]), frameData(200)]);
  return new Uint8Array(
    Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('IHDR', ihdr),
      pngChunk('acTL', acTL),
      pngChunk('fcTL', fcTL(0)),
      pngChunk('IDAT', frameData(90)),
      pngChunk('fcTL', fcTL(1)),
      pngChunk('fdAT', fdAT),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
}

/** The ffmpeg the service itself runs (src/video/binaries.ts: the static build shipped in @ffmpeg-installer/ffmpeg). */
export function bundledFfmpeg(): string {
  return (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/** An MP4 with one AAC audio stream and no video stream (1 s of a 440 Hz tone), written to `file`. */
export function writeAudioOnlyMp4(file: string): void {
  execFileSync(bundledFfmpeg(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'mp4', '-y', file], { timeout: 30_000 });
}

export interface Part {
  name: string;
  /** Present for a file part. */
  filename?: string;
  /** The part's Content-Type (file parts). */
  type?: string;
  data: Uint8Array | string;
}

/**
 * A multipart/form-data body (RFC 7578) built by hand, so that a test controls every byte: the boundary, the
 * part headers, and whether the close delimiter is there.
 */
export function multipartBody(parts: readonly Part[], boundary: string, options: { closeDelimiter?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const headers = [`Content-Disposition: ${disposition}`, ...(part.type !== undefined ? [`Content-Type: ${part.type}`] : [])];
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  if (options.closeDelimiter !== false) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}
