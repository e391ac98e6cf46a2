/**
 * Rotated square crops (face alignment): an affine warp with bilinear sampling, pixels outside the
 * image are black. Pure TypeScript: one face crop is small (≤ 512²), so no native call is needed.
 */
import type { RgbImage } from './image.js';

export interface RotatedCrop {
  image: RgbImage;
  /** Image pixels per crop pixel. */
  scale: number;
  /** Image position of the crop's top-left corner (crop pixel (0, 0)). */
  origin: { x: number; y: number };
}

/**
 * A `size × size` crop covering a `side × side` square of `image` centred at `centre` and rotated by
 * `angle` radians (the crop's x axis points along angle): image = origin + R(angle) · (u, v) · scale.
 */
export function rotatedSquareCrop(image: RgbImage, centre: { x: number; y: number }, angle: number, side: number, size: number): RotatedCrop {
  if (!(side > 0) || !(size > 0) || !Number.isInteger(size)) throw new Error(`rotatedSquareCrop: side ${side}, size ${size}`);
  const scale = side / size;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const origin = { x: centre.x - (cos * side) / 2 + (sin * side) / 2, y: centre.y - (sin * side) / 2 - (cos * side) / 2 };
  const out = new Uint8Array(size * size * 3);
  const { data, width, height } = image;
  const rowBytes = width * 3;
  // Pixel value or 0 outside the image, for samples at the border. Defined once: a closure created per pixel
  // costs more than the sampling itself (tsx's keep-names transform wraps every closure creation).
  const at = (xx: number, yy: number, c: number): number => (xx >= 0 && yy >= 0 && xx < width && yy < height ? data[(yy * width + xx) * 3 + c]! : 0);
  let o = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++, o += 3) {
      // Sample at the crop pixel's centre.
      const cu = (u + 0.5) * scale;
      const cv = (v + 0.5) * scale;
      const x = origin.x + cos * cu - sin * cv - 0.5;
      const y = origin.y + sin * cu + cos * cv - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        // All four neighbours inside (almost every sample of a face crop): index them directly. Same arithmetic
        // as the border path, so the result does not depend on which path a pixel took.
        const topLeft = (y0 * width + x0) * 3;
        const bottomLeft = topLeft + rowBytes;
        for (let c = 0; c < 3; c++) {
          const top = data[topLeft + c]! * (1 - fx) + data[topLeft + 3 + c]! * fx;
          const bottom = data[bottomLeft + c]! * (1 - fx) + data[bottomLeft + 3 + c]! * fx;
          out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
        }
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
        const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
        out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { image: { data: out, width: size, height: size }, scale, origin };
}
