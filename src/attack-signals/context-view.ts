/**
 * The shared downscaled copy of the photo that every context detector looks at (issue #12, "Cost": run the
 * detectors on a downscaled copy, and share the decode). One sharp resize from the one decode, done on libuv's
 * thread pool, not on the event loop; it does not depend on the face, so checkLiveness starts it right after the
 * decode, while the face detector runs.
 */
import sharp from 'sharp';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import type { ContextView } from './types.js';

/**
 * Longer side of the working copy, pixels. 640 is the largest input of the context models (NanoDet takes
 * 416², the hand detector 320²), so nothing they could see is lost, and a phone or a print border held up to
 * the camera still spans tens of pixels.
 */
export const CONTEXT_VIEW_MAX_SIDE = 640;

/** The photo scaled (never up) so its longer side is at most `maxSide`, and the scale used (copy pixels per photo pixel). */
export interface DownscaledPhoto {
  image: RgbImage;
  scale: number;
}

export async function downscaleForContext(image: RgbImage, maxSide = CONTEXT_VIEW_MAX_SIDE): Promise<DownscaledPhoto> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  if (scale === 1) return { image, scale };
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    // lanczos3 (sharp's default) low-passes while it decimates, so fine texture does not alias into false edges.
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height }, scale };
}

/** The context view of `face` (pixels of the photo) on an already downscaled copy. */
export function viewOf(photo: DownscaledPhoto, face: Box): ContextView {
  const { scale } = photo;
  return { image: photo.image, face: { x: face.x * scale, y: face.y * scale, width: face.width * scale, height: face.height * scale }, scale };
}

/** Downscales `image` and maps `face` into the copy. */
export async function contextView(image: RgbImage, face: Box, maxSide = CONTEXT_VIEW_MAX_SIDE): Promise<ContextView> {
  return viewOf(await downscaleForContext(image, maxSide), face);
}
