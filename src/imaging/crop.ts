/**
 * Crop / resize / letterbox of an RgbImage with sharp, and the BGR planar layout that OpenCV-trained
 * models (YuNet, MiniFASNet) expect. Every function returns a new image; the source is never modified.
 */
import sharp from 'sharp';
import type { RgbImage } from './image.js';

function fromSharp(data: Buffer, width: number, height: number): RgbImage {
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

function rawInput(image: RgbImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/** An integer pixel rectangle: `left`/`top` inclusive, `width`×`height` pixels, inside the image. */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Cuts `rect` out of the image and resizes it to `width`×`height` (aspect ratio not kept), bilinear
 * ("linear" kernel, the closest sharp has to OpenCV's INTER_LINEAR). `rect` must lie inside the image.
 */
export async function cropResize(image: RgbImage, rect: PixelRect, width: number, height: number): Promise<RgbImage> {
  if (rect.left < 0 || rect.top < 0 || rect.width < 1 || rect.height < 1 || rect.left + rect.width > image.width || rect.top + rect.height > image.height) {
    throw new Error(`crop ${JSON.stringify(rect)} is not inside the ${image.width}×${image.height} image`);
  }
  const { data, info } = await rawInput(image)
    .extract(rect)
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return fromSharp(data, info.width, info.height);
}

/** Resize keeping the aspect ratio, then pad right/bottom with black to exactly `width`×`height`. */
export interface Letterbox {
  image: RgbImage;
  /** Size of the resized picture inside the padded image, in pixels. */
  contentWidth: number;
  contentHeight: number;
  /** Letterboxed pixels per source pixel (divide a letterboxed coordinate by it to get source pixels). */
  scale: number;
}

/**
 * Scales the image by `scale` (content rounded to whole pixels, at most `width`×`height`) and pads it at
 * the right and bottom with black (0) up to `width`×`height`, the way OpenCV's FaceDetectorYN pads its
 * input (copyMakeBorder BORDER_CONSTANT, bottom/right only).
 */
export async function letterbox(image: RgbImage, width: number, height: number, scale: number): Promise<Letterbox> {
  const contentWidth = Math.min(width, Math.max(1, Math.round(image.width * scale)));
  const contentHeight = Math.min(height, Math.max(1, Math.round(image.height * scale)));
  let pipeline = rawInput(image);
  if (contentWidth !== image.width || contentHeight !== image.height) {
    pipeline = pipeline.resize(contentWidth, contentHeight, { fit: 'fill', kernel: 'linear' });
  }
  const { data, info } = await pipeline
    .extend({ right: width - contentWidth, bottom: height - contentHeight, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: fromSharp(data, info.width, info.height), contentWidth, contentHeight, scale };
}

/** HWC RGB 0–255 → planar NCHW float32 (batch 1) in BGR order, values 0–255 (OpenCV blobFromImage, no scaling). */
export function toBgrNchwFloat(image: RgbImage): Float32Array {
  const { data, width, height } = image;
  const plane = width * height;
  if (data.length !== plane * 3) throw new Error(`image data holds ${data.length} bytes, expected ${plane * 3} for ${width}×${height} RGB`);
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = data[i * 3 + 2]!;
    out[plane + i] = data[i * 3 + 1]!;
    out[2 * plane + i] = data[i * 3]!;
  }
  return out;
}
