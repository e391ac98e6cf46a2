/**
 * Eye-region measurements shared by `eyewear`, `sunglasses` and `readingGlasses` (no eyewear model ships in the npm
 * packages). Measured on the aligned, upright 256² face crop (pipeline/analyze.ts), placed by face-api's 68 landmarks
 * and scaled by the inter-ocular distance (iod, crop pixels), so every region is the same size relative to the face:
 *
 * - Skin reference: the median colour (ITU-R BT.601 Y, Cb, Cr as JPEG uses them) of the lower cheeks (beside the nose, between the nose tip
 *   and the mouth corners: below where large sunglasses end), or of the forehead when the cheeks are not skin-coloured
 *   and the forehead is (a face mask covers the cheeks). "Skin-coloured": Cb 77–127 and Cr 133–173, the skin map of
 *   Chai & Ngan, "Face segmentation using skin-color map in videophone applications", IEEE TCSVT 9(4), 1999.
 * - lensDarkShare: share of the two lens areas (around each eye, lids and under-eye skin included) darker than half the
 *   skin luma. A bare eye keeps lids and under-eye skin about as bright as the cheek, dark only at the iris, pupil, lashes
 *   and brow ends; a tinted lens darkens all of it.
 * - lensColourDistance: median CbCr distance of the lens areas from the skin colour, the smaller over the two skin
 *   candidates (cheeks, forehead), so that a mask over the cheeks cannot make bare eyes look coloured. Mirrored and
 *   coloured lenses (blue, silver, orange) are not dark but are far from any skin colour. Grey images measure ≈ 0.
 * - frameBars: contrast of thin horizontal bars (a spectacle frame) across the nose bridge between the inner eye
 *   corners, plus the weaker eye's bar along the lower rim below each eye, ÷ skin luma. A bar must stand out from the
 *   rows on BOTH sides and in both halves of the strip, so a step edge (a mask's top edge, a shadow boundary) or a
 *   crease on one side does not count. The nose-bridge cue is that of Jiang, Binkert, Achermann & Bunke, "Towards
 *   detection of glasses in facial images", Pattern Analysis & Applications 3, 2000; the bars are measured on row
 *   profiles (the mean over the strip's width), so skin texture and noise average out and a straight frame does not.
 */
import type { FaceAnalysis, Point } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import { landmarksInCrop } from './face-regions.js';
import { clampRect, type Rect, upperMedianInPlace } from './image-stats.js';

export interface EyeRegionMeasurement {
  /** Share 0–1 of the lens areas with luma below LENS_DARK_LUMA_SHARE × the skin luma (mean of the two eyes). */
  lensDarkShare: number;
  /** Median CbCr distance (0–255 chroma levels) of the lens areas from the nearer skin candidate (mean of the two eyes). */
  lensColourDistance: number;
  /** Horizontal frame-bar contrast ÷ skin luma (≥ 0; 0 = no bar): nose bridge + the weaker of the two lower rims. */
  frameBars: number;
  /** Which region gave the skin luma: the lower cheeks, or the forehead when the cheeks are covered. */
  skinReference: 'cheeks' | 'forehead';
  /**
   * How visible the white of the more visible eye is (eye-white.ts: 0.2–1.0 for a bare eye, ≈ 0 behind a uniform lens), from
   * the iris model's eye opening; set by the checker (index.ts), absent where the eyes are too small to measure.
   */
  eyeWhiteContrast?: number;
}

/**
 * A pixel darker than this share of the skin luma counts as dark. Sunglasses of filter categories 2–4 pass 3–43 % of
 * the light (ISO 12312-1 luminous transmittance classes; category 1 "fashion" tints pass 43–80 % and are not meant to
 * count), so the skin behind them images at well under half its luma.
 */
export const LENS_DARK_LUMA_SHARE = 0.5;
/** Skin luma floor, grey levels: ratios to a face in near darkness are noise (as exposure.ts does). */
const MIN_SKIN_LUMA = 20;

/** Chai & Ngan (1999) skin map, chroma levels 0–255. */
const SKIN_CB = [77, 127] as const;
const SKIN_CR = [133, 173] as const;

/**
 * Y, Cb, Cr (Rec. 601, as JPEG uses them, each 0–255) of every pixel of some rectangles (clamped to the image), one
 * plane per channel. Typed planes, not a [Y, Cb, Cr] array per pixel: the three eyewear checks read ≈ 5 000 pixels
 * per request, and the per-pixel arrays and comparator sorts cost ≈ 7 ms of the event loop per request (2-core Xeon,
 * bench/RESULTS.md "Quality checks and the event loop (issue #17)"); the planes give the same numbers.
 */
interface YCbCrPixels {
  y: Float64Array;
  cb: Float64Array;
  cr: Float64Array;
  count: number;
}

function pixels(image: RgbImage, ...rects: Rect[]): YCbCrPixels {
  const clamped = rects.map((rect) => clampRect(rect, image.width, image.height));
  const count = clamped.reduce((n, r) => n + (r.x1 - r.x0) * (r.y1 - r.y0), 0);
  const out: YCbCrPixels = { y: new Float64Array(count), cb: new Float64Array(count), cr: new Float64Array(count), count };
  const { data, width } = image;
  let k = 0;
  for (const r of clamped) {
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0; x < r.x1; x++, k++) {
        const i = (y * width + x) * 3;
        const red = data[i]!;
        const green = data[i + 1]!;
        const blue = data[i + 2]!;
        out.y[k] = 0.299 * red + 0.587 * green + 0.114 * blue;
        out.cb[k] = 128 - 0.168736 * red - 0.331264 * green + 0.5 * blue;
        out.cr[k] = 128 + 0.5 * red - 0.418688 * green - 0.081312 * blue;
      }
    }
  }
  return out;
}

/** The element at index ⌊n / 2⌋ of the values sorted ascending (the upper median), 0 for none. */
function median(values: Float64Array): number {
  // Of a copy: the caller's planes stay in pixel order.
  return upperMedianInPlace(values.slice());
}

/** Per-channel median Y, Cb, Cr of a pixel set (a robust region colour: a few lashes or highlights do not move it). */
function medianColour(px: YCbCrPixels): [number, number, number] {
  return [median(px.y), median(px.cb), median(px.cr)];
}

const isSkinColour = (c: readonly number[]) => c[1]! >= SKIN_CB[0] && c[1]! <= SKIN_CB[1] && c[2]! >= SKIN_CR[0] && c[2]! <= SKIN_CR[1];

/** Mean luma of each row of `rect` (the row profile), grey levels. */
function rowProfile(image: RgbImage, rect: Rect): number[] {
  const r = clampRect(rect, image.width, image.height);
  const out: number[] = [];
  for (let y = r.y0; y < r.y1; y++) {
    let sum = 0;
    for (let x = r.x0; x < r.x1; x++) {
      const i = (y * image.width + x) * 3;
      sum += 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
    }
    out.push(r.x1 > r.x0 ? sum / (r.x1 - r.x0) : 0);
  }
  return out;
}

/**
 * Strongest thin horizontal bar in `rect`, grey levels: for each row, how far it stands out (darker or lighter) from
 * the rows `halfWidth` above AND below (the smaller of the two differences, 0 if they disagree in sign), required in the
 * left and the right half of the strip alike (the smaller of the two). 0 for a step edge, a slope or a one-sided crease.
 */
export function strongestBar(image: RgbImage, rect: Rect, halfWidth: number): number {
  const mid = (rect.x0 + rect.x1) / 2;
  const halves = [rowProfile(image, { ...rect, x1: mid }), rowProfile(image, { ...rect, x0: mid })];
  const k = Math.max(1, Math.round(halfWidth));
  const bar = (p: number[], i: number) => {
    const above = p[i - k]! - p[i]!;
    const below = p[i + k]! - p[i]!;
    return Math.sign(above) === Math.sign(below) ? Math.sign(above) * Math.min(Math.abs(above), Math.abs(below)) : 0;
  };
  let best = 0;
  const rows = Math.min(halves[0]!.length, halves[1]!.length);
  for (let i = k; i < rows - k; i++) {
    const [left, right] = [bar(halves[0]!, i), bar(halves[1]!, i)];
    if (Math.sign(left) === Math.sign(right)) best = Math.max(best, Math.min(Math.abs(left), Math.abs(right)));
  }
  return best;
}

const centre = (points: readonly Point[]): Point => ({ x: points.reduce((s, p) => s + p.x, 0) / points.length, y: points.reduce((s, p) => s + p.y, 0) / points.length });

/**
 * The regions, in aligned-crop pixels, from the 68 landmarks (iBUG order) and iod. Sizes are shares of iod (adult mean
 * ≈ 63 mm: Dodgson, "Variation and extrema of human interpupillary distance", SPIE 5291, 2004), chosen from face
 * proportions: an eye opening is ≈ 30 mm ≈ 0.45 iod wide; a spectacle lens is 45–55 mm wide (the frame-size marking's
 * first number) and reaches from under the brow to ≈ 20 mm below the pupil, so the 0.6 × 0.34 iod (38 × 21 mm) lens
 * box below lies inside the lens of almost any frame:
 * - lens: ±0.3 iod around the eye centre across, 0.12 iod above (under the brow) to 0.22 iod below;
 * - lower cheeks: from 0.15 iod outside the eye centre to 0.05 iod outside the nose wing (31 / 35), nose tip (30) to
 *   the mouth corners (48, 54);
 * - forehead: between the inner brow ends (19, 24), 0.45 to 0.08 iod above the highest brow point;
 * - bridge strip: the middle half between the inner eye corners (39, 42), 0.25 iod above to 0.1 iod below the eye line;
 * - lower rims: ±0.25 iod around each eye centre, 0.12 iod below it (under the lashes) to 0.5 iod.
 */
export function eyeRegionRects(points: readonly Point[]) {
  const left = centre(points.slice(36, 42));
  const right = centre(points.slice(42, 48));
  const iod = Math.max(1, Math.hypot(right.x - left.x, right.y - left.y));
  const eyeY = (left.y + right.y) / 2;
  const lens = (c: Point): Rect => ({ x0: c.x - 0.3 * iod, x1: c.x + 0.3 * iod, y0: c.y - 0.12 * iod, y1: c.y + 0.22 * iod });
  const cheekTop = points[30]!.y;
  const cheekBottom = (points[48]!.y + points[54]!.y) / 2;
  const browY = Math.min(...points.slice(17, 27).map((p) => p.y));
  const inner = points[42]!.x - points[39]!.x;
  const rim = (c: Point): Rect => ({ x0: c.x - 0.25 * iod, x1: c.x + 0.25 * iod, y0: c.y + 0.12 * iod, y1: c.y + 0.5 * iod });
  return {
    iod,
    lenses: [lens(left), lens(right)] as const,
    cheeks: [
      { x0: left.x - 0.15 * iod, x1: points[31]!.x - 0.05 * iod, y0: cheekTop, y1: cheekBottom },
      { x0: points[35]!.x + 0.05 * iod, x1: right.x + 0.15 * iod, y0: cheekTop, y1: cheekBottom },
    ] as const,
    forehead: { x0: points[19]!.x, x1: points[24]!.x, y0: browY - 0.45 * iod, y1: browY - 0.08 * iod },
    bridge: { x0: points[39]!.x + 0.25 * inner, x1: points[42]!.x - 0.25 * inner, y0: eyeY - 0.25 * iod, y1: eyeY + 0.1 * iod },
    rims: [rim(left), rim(right)] as const,
  };
}

/**
 * How far above and below a row its neighbours are read, × iod (0.07 iod ≈ 4.4 mm): a frame's bridge or rim is
 * 2–6 mm thick, so both neighbours lie off the bar, while brows, eye bags and masks are far wider and are not bars.
 */
export const FRAME_BAR_HALF_WIDTH_IOD = 0.07;

export function measureEyeRegion(analysis: Pick<FaceAnalysis, 'landmarks68' | 'roll' | 'alignedFace'>): EyeRegionMeasurement {
  const crop = analysis.alignedFace.image;
  const rects = eyeRegionRects(landmarksInCrop(analysis));
  const cheeks = medianColour(pixels(crop, rects.cheeks[0], rects.cheeks[1]));
  const forehead = medianColour(pixels(crop, rects.forehead));
  const useForehead = !isSkinColour(cheeks) && isSkinColour(forehead);
  const skin = useForehead ? forehead : cheeks;
  const skinLuma = Math.max(skin[0], MIN_SKIN_LUMA);

  const lenses = rects.lenses.map((r) => pixels(crop, r));
  const darkShare = (px: YCbCrPixels) => {
    if (px.count === 0) return 0;
    let dark = 0;
    for (let k = 0; k < px.count; k++) if (px.y[k]! < LENS_DARK_LUMA_SHARE * skinLuma) dark++;
    return dark / px.count;
  };
  const colourDistance = (px: YCbCrPixels) =>
    Math.min(
      ...[cheeks, forehead].map((ref) => {
        const distances = new Float64Array(px.count);
        for (let k = 0; k < px.count; k++) distances[k] = Math.hypot(px.cb[k]! - ref[1], px.cr[k]! - ref[2]);
        return median(distances);
      }),
    );
  const halfWidth = FRAME_BAR_HALF_WIDTH_IOD * rects.iod;
  const bridge = strongestBar(crop, rects.bridge, halfWidth);
  const rim = Math.min(strongestBar(crop, rects.rims[0], halfWidth), strongestBar(crop, rects.rims[1], halfWidth));
  return {
    lensDarkShare: (darkShare(lenses[0]!) + darkShare(lenses[1]!)) / 2,
    lensColourDistance: (colourDistance(lenses[0]!) + colourDistance(lenses[1]!)) / 2,
    frameBars: (bridge + rim) / skinLuma,
    skinReference: useForehead ? 'forehead' : 'cheeks',
  };
}
