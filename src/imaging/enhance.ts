/**
 * Pixel operations used to give the face detector a second chance on hard images (ID-card photos, tight face
 * crops): scaling down to a working size, padding, contrast stretching and cutting tiles. Every function returns a
 * new image. The whole-image passes (resize, padding, the contrast stretch) run in sharp, on libuv's thread pool:
 * as loops on the event loop they blocked it for seconds on a large upload (issue #13: a 5000 × 5000 PNG held the
 * loop for up to 6.7 s).
 */
import sharp from 'sharp';
import type { PixelRect } from './crop.js';
import type { RgbImage } from './image.js';

function fromSharp(data: Buffer, width: number, height: number): RgbImage {
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

const rawInput = (image: RgbImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });

/** The image scaled (never up) so its longer side is at most `maxSide` pixels, and the scale used (≤ 1). */
export async function scaleToMaxSide(image: RgbImage, maxSide: number): Promise<{ image: RgbImage; scale: number }> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  if (scale === 1) return { image, scale };
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { data, info } = await rawInput(image).resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { image: fromSharp(data, info.width, info.height), scale: info.width / image.width };
}

/**
 * Adds a border of `ratio × max(width, height)` pixels on every side, filled with the image's mean colour,
 * so a face that fills the frame gets the context a detector trained on whole photos expects.
 * Coordinates map as padded = original + border.
 */
export async function padImage(image: RgbImage, ratio: number): Promise<{ image: RgbImage; border: number }> {
  const border = Math.round(ratio * Math.max(image.width, image.height));
  const { channels } = await rawInput(image).stats();
  const [r, g, b] = channels.map((c) => Math.round(c.mean));
  const { data, info } = await rawInput(image)
    .extend({ top: border, bottom: border, left: border, right: border, background: { r: r!, g: g!, b: b! } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: fromSharp(data, info.width, info.height), border };
}

/**
 * Linear contrast stretch: the `lowFraction` and `1 − lowFraction` quantiles of luma (Rec. 601, the weights
 * sharp/libvips and OpenCV use for greyscale) map to 0 and 255, the same gain and offset on every channel so hues
 * keep, clipped. A flat image is returned unchanged. Low-contrast, washed-out ID-card prints are the case this is for.
 */
export async function stretchContrast(image: RgbImage, lowFraction = 0.01): Promise<RgbImage> {
  // One byte of luma per pixel from sharp; only the 256-bin histogram is counted here.
  const luma = await rawInput(image)
    .recomb([
      [0.299, 0.587, 0.114],
      [0.299, 0.587, 0.114],
      [0.299, 0.587, 0.114],
    ])
    .extractChannel(0)
    .raw({ depth: 'uchar' })
    .toBuffer();
  const histogram = new Uint32Array(256);
  for (let i = 0; i < luma.length; i++) histogram[luma[i]!]!++;
  const pixels = luma.length;
  const quantile = (q: number) => {
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += histogram[v]!;
      // At least one pixel, so q = 0 gives the darkest value present.
      if (seen >= Math.max(1, q * pixels)) return v;
    }
    return 255;
  };
  const low = quantile(lowFraction);
  const high = quantile(1 - lowFraction);
  if (high - low < 1) return { data: image.data.slice(), width: image.width, height: image.height };
  const gain = 255 / (high - low);
  // +0.5: libvips truncates when it casts back to 8 bits; this makes it round to the nearest level.
  const { data, info } = await rawInput(image).linear(gain, 0.5 - low * gain).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return fromSharp(data, info.width, info.height);
}

/** Copies `rect` (inside the image) out of the image: one copy per row. */
export function cropRect(image: RgbImage, rect: PixelRect): RgbImage {
  if (rect.left < 0 || rect.top < 0 || rect.width < 1 || rect.height < 1 || rect.left + rect.width > image.width || rect.top + rect.height > image.height) {
    throw new Error(`crop ${JSON.stringify(rect)} is not inside the ${image.width}×${image.height} image`);
  }
  const data = new Uint8Array(rect.width * rect.height * 3);
  for (let y = 0; y < rect.height; y++) {
    const start = ((rect.top + y) * image.width + rect.left) * 3;
    data.set(image.data.subarray(start, start + rect.width * 3), y * rect.width * 3);
  }
  return { data, width: rect.width, height: rect.height };
}

/**
 * A `grid × grid` set of overlapping tiles covering the image, each `tileFraction` of its width and
 * height (tileFraction > 1/grid gives the overlap that keeps a face on a tile boundary whole on one tile).
 */
export function tileRects(width: number, height: number, grid: number, tileFraction: number): PixelRect[] {
  const tileWidth = Math.max(1, Math.round(width * tileFraction));
  const tileHeight = Math.max(1, Math.round(height * tileFraction));
  const rects: PixelRect[] = [];
  for (let row = 0; row < grid; row++) {
    for (let column = 0; column < grid; column++) {
      const left = grid === 1 ? 0 : Math.round((column * (width - tileWidth)) / (grid - 1));
      const top = grid === 1 ? 0 : Math.round((row * (height - tileHeight)) / (grid - 1));
      rects.push({ left, top, width: tileWidth, height: tileHeight });
    }
  }
  return rects;
}
