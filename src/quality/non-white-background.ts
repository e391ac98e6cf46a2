/**
 * `nonWhiteBackground`: is the background behind the person something other than plain white (ID-photo
 * style)? Background = the image outside the head-and-shoulders zone of the primary face: a box
 * 2.4 face-widths wide centred on the face, from 0.7 face-heights above the face box down to the image
 * bottom (the body). A pixel is near-white when its luma ≥ 180 and its chroma (max − min channel) ≤ 40
 * (off-white walls and slightly warm lighting still count as white; cream/grey-blue do not).
 */
import type { RgbImage } from '../imaging/image.js';
import type { FaceDetection } from '../face/types.js';
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/** Near-white pixel: luma ≥ 180 (≈ 70 % of full scale) … */
export const WHITE_MIN_LUMA = 180;
/** … and max − min channel ≤ 40 (low saturation). */
export const WHITE_MAX_CHROMA = 40;
/**
 * Background white fraction below which the background is "non-white". 0.6: a white backdrop partly cut
 * by hair, shoulders or a shadow keeps ≥ 60 % near-white pixels in the zone we sample (measured on the
 * white-padded test copies, bench/quality.ts); ordinary indoor/outdoor scenes measure ≤ 0.4.
 */
export const WHITE_FRACTION_THRESHOLD = 0.6;
/** Below this fraction of the image as background (face fills the frame), the answer is `low` confidence. */
export const MIN_BACKGROUND_SHARE = 0.1;
/** Head-and-shoulders exclusion zone, in face-box widths / heights (see the module comment). */
const ZONE_WIDTH = 2.4;
const ZONE_ABOVE = 0.7;

export interface BackgroundMeasurement {
  /** Fraction 0–1 of background pixels that are near-white. */
  whiteFraction: number;
  /** Fraction 0–1 of the image that is background (outside the head-and-shoulders zone). */
  backgroundShare: number;
}

export function measureBackground(image: RgbImage, primary: FaceDetection): BackgroundMeasurement {
  const { data, width, height } = image;
  const { box } = primary;
  const cx = box.x + box.width / 2;
  const zx0 = cx - (ZONE_WIDTH / 2) * box.width;
  const zx1 = cx + (ZONE_WIDTH / 2) * box.width;
  const zy0 = box.y - ZONE_ABOVE * box.height;
  // Subsample large images: every `step`-th pixel in both directions (≈ 250k samples at most).
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 250_000)));
  let background = 0;
  let white = 0;
  let total = 0;
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      total++;
      if (x >= zx0 && x < zx1 && y >= zy0) continue;
      background++;
      const i = (y * width + x) * 3;
      // Plain locals, not a destructured array: this runs for up to 250k pixels per request on the main thread.
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      if (luma >= WHITE_MIN_LUMA && Math.max(r, g, b) - Math.min(r, g, b) <= WHITE_MAX_CHROMA) white++;
    }
  }
  return { whiteFraction: background > 0 ? white / background : 0, backgroundShare: total > 0 ? background / total : 0 };
}

/**
 * Basis `whiteBackgroundShare`: `whiteFraction` (0–1 of the background pixels, compared with WHITE_FRACTION_THRESHOLD)
 * and `backgroundShare` (0–1 of the image; below MIN_BACKGROUND_SHARE the answer is `low`).
 */
export function nonWhiteBackgroundVerdict(m: BackgroundMeasurement): ExplainedVerdict {
  const verdict = thresholdVerdict(m.whiteFraction, { threshold: WHITE_FRACTION_THRESHOLD, yesWhen: 'below', width: 0.05, margin: 0.15 });
  const basis = { method: 'whiteBackgroundShare', measurements: { whiteFraction: m.whiteFraction, backgroundShare: m.backgroundShare } };
  return explained(m.backgroundShare < MIN_BACKGROUND_SHARE ? { ...verdict, confidence: 'low' } : verdict, basis);
}
