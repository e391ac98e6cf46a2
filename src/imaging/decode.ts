/**
 * Decodes request images once, with sharp: the pixel limit is checked from the header before any pixel is
 * decoded (whatever the format), the format is sniffed from the bytes (never the file name) and checked against
 * the caller's list, EXIF orientation is applied, and the result is 8-bit sRGB RGB. sharp throws plain Errors for
 * corrupt input; they become AppErrors.
 */
import { parse as parseIccProfile } from 'icc';
import sharp, { type Metadata } from 'sharp';
import { AppError } from '../errors.js';
import type { RgbImage } from './image.js';
import { declaredImageSize } from './image-header.js';

/** Every format decodeImage can accept, as sharp names them. Which ones a caller accepts is its contract's choice. */
export type ImageFormat = 'jpeg' | 'png' | 'webp';

/**
 * The HyperVerge checkLiveness contract: "Image formats: JPG, JPEG, and PNG", anything else is 400 "Unsupported
 * file type" (../shared/seeds/hyperverge-check-liveness.txt). The default of decodeImage.
 */
export const JPEG_PNG: readonly ImageFormat[] = Object.freeze(['jpeg', 'png'] as const);
/**
 * Inputs no vendor contract limits to JPEG/PNG: matchFace, the verifyVideo selfie and ID photo, and the photos of
 * a session, whose upload takes "JPEG/PNG/WebP" (README "Sessions API"), so processing must decode what it stored.
 */
export const JPEG_PNG_WEBP: readonly ImageFormat[] = Object.freeze(['jpeg', 'png', 'webp'] as const);

const FORMAT_NAMES: Record<ImageFormat, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' };

export interface DecodeOptions {
  /** Largest accepted width × height, pixels (MAX_IMAGE_PIXELS), checked from the header before anything is decoded. */
  maxPixels: number;
  /** Formats this caller accepts (sniffed from the bytes); default JPEG_PNG. */
  formats?: readonly ImageFormat[];
}

export interface DecodedImage extends RgbImage {
  format: ImageFormat;
}

/**
 * Whether an embedded ICC profile is an sRGB profile (by its description: "sRGB IEC61966-2.1", "sRGB", "sRGB built-in",
 * "sRGB v4 ICC preference"…). Converting such a picture to sRGB changes nothing but costs a full colour transform
 * (littleCMS, per pixel): 20 ms of the 32 ms decode of a 1920 × 1367 photo on 2 cores (bench/RESULTS.md, "Liveness
 * with context", cost). A profile that cannot be read counts as not sRGB, so the picture is converted as before.
 */
export function isSrgbProfile(profile: Uint8Array | undefined): boolean {
  if (!profile) return false;
  try {
    const parsed = parseIccProfile(Buffer.from(profile.buffer, profile.byteOffset, profile.byteLength));
    return parsed.colorSpace === 'RGB' && /^sRGB\b/.test(parsed.description ?? '');
  } catch {
    return false;
  }
}

/** sharp's (libvips') refusal of an image over `limitInputPixels`: "Input image exceeds pixel limit". */
const isPixelLimitError = (error: unknown) => error instanceof Error && /exceeds pixel limit/i.test(error.message);

function refuseOverLimit(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new AppError('IMAGE_TOO_LARGE', `image is ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels}`);
  }
}

/**
 * The header, read without decoding a pixel, with the pixel limit applied to what it declares, whatever the format
 * (README "Configuration", MAX_IMAGE_PIXELS: "read from its header before decoding; past it 413"): a PNG or JPEG
 * header first (image-header.ts: also a bare header that sharp calls corrupt), then sharp's header reader for
 * every format it knows (SVG, GIF, TIFF, …). sharp runs with no pixel limit here so that the declared size can be
 * reported; a header read allocates no pixels (libvips loads lazily), and `unlimited` (librsvg's and libxml2's
 * parser safety limits off) stays off. Throws IMAGE_TOO_LARGE, or UNSUPPORTED_FILE_TYPE for unreadable bytes.
 */
async function readHeader(bytes: Uint8Array, maxPixels: number): Promise<Metadata> {
  const declared = declaredImageSize(bytes);
  if (declared) refuseOverLimit(declared.width, declared.height, maxPixels);
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    if (isPixelLimitError(error)) throw new AppError('IMAGE_TOO_LARGE', `image is over the limit of ${maxPixels} pixels`, { cause: error });
    throw new AppError('UNSUPPORTED_FILE_TYPE', `not a readable image: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  refuseOverLimit(metadata.width ?? 0, metadata.height ?? 0, maxPixels);
  return metadata;
}

/**
 * Refuses (IMAGE_TOO_LARGE) bytes whose header declares more than `maxPixels`, whatever the format; bytes with no
 * readable header pass, because the caller decides formats elsewhere (the sessions API stores photos sniffed by
 * the media store and decodes them when the session is processed).
 */
export async function checkDeclaredPixels(bytes: Uint8Array, maxPixels: number): Promise<void> {
  try {
    await readHeader(bytes, maxPixels);
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNSUPPORTED_FILE_TYPE') return;
    throw error;
  }
}

/**
 * Header (pixel limit first, so a pixel bomb is 413 whatever its format) → format check against `options.formats`
 * → decode. Throws AppError IMAGE_TOO_LARGE or UNSUPPORTED_FILE_TYPE (not an accepted format, or corrupt).
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  const formats = options.formats ?? JPEG_PNG;
  let metadata: Metadata;
  try {
    metadata = await readHeader(bytes, options.maxPixels);
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNSUPPORTED_FILE_TYPE') throw new AppError(error.code, error.message, { cause: error.cause, acceptedFormats: formats });
    throw error;
  }
  const format = metadata.format as string | undefined;
  if (!format || !(formats as readonly string[]).includes(format)) {
    const names = formats.map((f) => FORMAT_NAMES[f]);
    const expected = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
    throw new AppError('UNSUPPORTED_FILE_TYPE', `unsupported image type ${format ?? 'unknown'}: expected ${expected}`, { acceptedFormats: formats });
  }
  try {
    const pipeline = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' });
    // An sRGB profile is kept, not applied: the pixels already are sRGB (see isSrgbProfile). Any other profile (Adobe
    // RGB, Display P3, a monitor's) converts the pixels to sRGB.
    if (isSrgbProfile(metadata.icc)) pipeline.keepIccProfile();
    const { data, info } = await pipeline
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, format: format as ImageFormat };
  } catch (error) {
    if (isPixelLimitError(error)) throw new AppError('IMAGE_TOO_LARGE', `${format} image is over the limit of ${options.maxPixels} pixels`, { cause: error });
    throw new AppError('UNSUPPORTED_FILE_TYPE', `corrupt ${format} image: ${error instanceof Error ? error.message : String(error)}`, { cause: error, acceptedFormats: formats });
  }
}

/** Encodes RGB pixels as JPEG (quality 0–100). */
export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Uint8Array> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
