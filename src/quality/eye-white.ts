/**
 * Is the white of the eye visible? A lens in front of the eye (tinted, mirrored, coloured) hides the bright sclera
 * beside the iris; a bare open eye shows it. Measured inside the iris model's eye opening (human-iris.ts: the 16
 * eyelid points and the iris), in the original image's pixels:
 *
 *   contrast = (white − iris) ÷ white
 *
 * where `white` is the 90th-percentile luma (ITU-R BT.601) of the opening outside the iris (farther than 1.2 iris radii
 * from its centre: the sclera, and the lids where the contour strays onto them) and `iris` the median luma of the iris
 * disc (within 0.8 radii: the iris and pupil, off their boundary). A bare eye measures 0.2–1.0: the sclera is far
 * brighter than the iris, and even a closed or squinting eye keeps bright lid skin there. Behind a uniform lens the
 * opening is one surface: ≈ 0; reflections and lens edges keep other lenses higher (bench/quality.ts,
 * docs/quality-checks.md). The more visible eye decides, so one shadowed or reflecting eye does not make the face
 * "hidden". The iris model places its contour and iris where the eye should be even behind a lens; its run is the one
 * the eyesClosed check reads, when both are asked for.
 */
import type { RgbImage } from '../imaging/image.js';
import type { EyeContour } from '../inference/human-iris.js';
import { upperMedianInPlace } from './image-stats.js';

/**
 * Fewest pixels of the opening outside the iris for an eye to be measured: below this the eye is a few pixels wide (a
 * face ≈ 15 px between the eyes) and its 90th percentile is one or two pixels, whatever the eye shows.
 */
export const EYE_WHITE_MIN_PIXELS = 20;
/**
 * Most pixels of an eye's bounding box read: a larger box (an eye ≳ 280 px wide, a close-up in a large photo) is read on
 * a regular grid of about this many points, so the event loop's time per eye stays ≈ 1 ms however large the photo. A
 * luma percentile over ≥ 10,000 opening pixels moves by well under a grey level when sampled so.
 */
const MAX_SCANNED_PIXELS = 40_000;
/** Iris disc and sclera zone, in iris radii (the iris model's 4 boundary points give the radius): off the boundary, whose pixels mix both. */
const IRIS_DISC_RADII = 0.8;
const SCLERA_FROM_RADII = 1.2;

/** Luma quantile `q` of `values` (sorted in place), 0–255. */
function quantile(values: Float64Array, q: number): number {
  values.sort();
  return values[Math.min(values.length - 1, Math.floor(values.length * q))]!;
}

/** Even-odd rule: is (x, y) inside the polygon? */
function insidePolygon(polygon: readonly { x: number; y: number }[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/** One eye's contrast (see the file comment), or undefined when the eye has fewer than EYE_WHITE_MIN_PIXELS outside the iris. */
export function eyeWhiteContrastOf(image: RgbImage, eye: EyeContour): number | undefined {
  // The opening: the lower lid from one corner to the other, then the upper lid back. Both lists run from the same corner
  // (MediaPipe's EyeLower0 starts at corner 33 and EyeUpper0 at 246, its neighbour: Human facemeshcoords.ts), so the
  // upper one is reversed.
  const polygon = [...eye.lower, ...[...eye.upper].reverse()];
  const centre = eye.iris[0]!;
  const radius = eye.iris.slice(1).reduce((s, p) => s + Math.hypot(p.x - centre.x, p.y - centre.y), 0) / (eye.iris.length - 1);
  const xs = polygon.map((p) => p.x);
  const ys = polygon.map((p) => p.y);
  const [x0, x1] = [Math.max(0, Math.floor(Math.min(...xs))), Math.min(image.width - 1, Math.ceil(Math.max(...xs)))];
  const [y0, y1] = [Math.max(0, Math.floor(Math.min(...ys))), Math.min(image.height - 1, Math.ceil(Math.max(...ys)))];
  const step = Math.max(1, Math.ceil(Math.sqrt(((x1 - x0 + 1) * (y1 - y0 + 1)) / MAX_SCANNED_PIXELS)));
  const iris: number[] = [];
  const white: number[] = [];
  for (let y = y0; y <= y1; y += step) {
    for (let x = x0; x <= x1; x += step) {
      if (!insidePolygon(polygon, x + 0.5, y + 0.5)) continue;
      const i = (y * image.width + x) * 3;
      const luma = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
      const d = Math.hypot(x + 0.5 - centre.x, y + 0.5 - centre.y);
      if (d < IRIS_DISC_RADII * radius) iris.push(luma);
      else if (d > SCLERA_FROM_RADII * radius) white.push(luma);
    }
  }
  // On a sampled grid each point stands for step² pixels.
  if (white.length * step * step < EYE_WHITE_MIN_PIXELS || iris.length === 0) return undefined;
  const whiteLuma = quantile(Float64Array.from(white), 0.9);
  const irisLuma = upperMedianInPlace(Float64Array.from(iris));
  return (whiteLuma - irisLuma) / Math.max(whiteLuma, 1);
}

/** The larger contrast of the two eyes (the more visible eye), or undefined when neither eye is large enough to measure. */
export function eyeWhiteContrast(image: RgbImage, eyes: { left: EyeContour; right: EyeContour }): number | undefined {
  const measured = [eyeWhiteContrastOf(image, eyes.left), eyeWhiteContrastOf(image, eyes.right)].filter((c): c is number => c !== undefined);
  return measured.length > 0 ? Math.max(...measured) : undefined;
}
