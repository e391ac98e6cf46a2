/**
 * Pure pixel operations used to give the face detector a second chance on hard images (ID-card photos,
 * tight face crops): padding, contrast stretching and cutting tiles. Every function returns a new image.
 */
import type { PixelRect } from './crop.js';
import type { RgbImage } from './image.js';

/** Rec. 601 luma of an RGB pixel, 0–255 (the weights sharp/libvips and OpenCV use for greyscale). */
const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/**
 * Adds a border of `ratio × max(width, height)` pixels on every side, filled with the image's mean colour,
 * so a face that fills the frame gets the context a detector trained on whole photos expects.
 * Coordinates map as padded = original + border.
 */
export function padImage(image: RgbImage, ratio: number): { image: RgbImage; border: number } {
  const border = Math.round(ratio * Math.max(image.width, image.height));
  const width = image.width + 2 * border;
  const height = image.height + 2 * border;
  const sums = [0, 0, 0];
  for (let i = 0; i < image.data.length; i++) sums[i % 3]! += image.data[i]!;
  const pixels = image.width * image.height;
  const fill = sums.map((s) => Math.round(s / pixels));
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(fill, i * 3);
  for (let y = 0; y < image.height; y++) {
    const row = image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3);
    data.set(row, ((y + border) * width + border) * 3);
  }
  return { image: { data, width, height }, border };
}

/**
 * Linear contrast stretch: the `lowFraction` and `1 − lowFraction` quantiles of luma map to 0 and 255
 * (the same gain and offset on every channel, so hues keep), clipped. A flat image is returned unchanged.
 * Low-contrast, washed-out ID-card prints are the case this is for.
 */
export function stretchContrast(image: RgbImage, lowFraction = 0.01): RgbImage {
  const histogram = new Uint32Array(256);
  const pixels = image.width * image.height;
  for (let i = 0; i < pixels; i++) histogram[Math.round(luma(image.data[i * 3]!, image.data[i * 3 + 1]!, image.data[i * 3 + 2]!))]!++;
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
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round((image.data[i]! - low) * gain)));
  return { data, width: image.width, height: image.height };
}

/** Copies `rect` (inside the image) out of the image. */
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
