/**
 * The shared downscaled copy of the photo that every context detector looks at (issue #12, "Cost": run the
 * detectors on a downscaled copy, and share the decode). One sharp resize from the one decode, done on libuv's
 * thread pool, not on the event loop.
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

/** Scales `image` (never up) so its longer side is at most `maxSide`, and maps `face` into the copy. */
export async function contextView(image: RgbImage, face: Box, maxSide = CONTEXT_VIEW_MAX_SIDE): Promise<ContextView> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const scaledFace = { x: face.x * scale, y: face.y * scale, width: face.width * scale, height: face.height * scale };
  if (scale === 1) return { image, face: scaledFace, scale };
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    // lanczos3 (sharp's default) low-passes while it decimates, so fine texture does not alias into false edges.
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height }, face: scaledFace, scale };
}
