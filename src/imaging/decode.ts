/**
 * Decodes request images once, with sharp: the format is sniffed from the bytes (never the file name),
 * the pixel limit is checked from the header before any pixel is decoded, EXIF orientation is applied,
 * and the result is 8-bit sRGB RGB. sharp throws plain Errors for corrupt input; they become AppErrors.
 */
import { parse as parseIccProfile } from 'icc';
import sharp, { type Metadata } from 'sharp';
import { AppError } from '../errors.js';
import type { RgbImage } from './image.js';

/** Formats the checkLiveness contract accepts (HyperVerge: "JPG/JPEG/PNG"), as sharp names them. */
export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png'] as const;
export type ImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];

export interface DecodeLimits {
  /** Largest accepted width × height, pixels (after nothing is decoded: read from the header). */
  maxPixels: number;
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

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedImage> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch (error) {
    throw new AppError('UNSUPPORTED_FILE_TYPE', `not a readable image: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const format = metadata.format as string | undefined;
  if (!format || !(SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new AppError('UNSUPPORTED_FILE_TYPE', `unsupported image type ${format ?? 'unknown'}: expected JPEG or PNG`);
  }
  const { width = 0, height = 0 } = metadata;
  if (width * height > limits.maxPixels) {
    throw new AppError('IMAGE_TOO_LARGE', `image is ${width}×${height} = ${width * height} pixels, over the limit of ${limits.maxPixels}`);
  }
  try {
    const pipeline = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error' });
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
    throw new AppError('UNSUPPORTED_FILE_TYPE', `corrupt ${format} image: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Encodes RGB pixels as JPEG (quality 0–100). */
export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Uint8Array> {
  const buffer = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
