/**
 * `hat`: a head covering (cap, hat, beanie, hood, surgical cap, headscarf) that hides the hairline or the upper
 * forehead. No model. Cue: a band of forehead above the brows (face-regions.ts `forehead`) should be the same skin as
 * the nose bridge between the eyes; a hat brim or a headscarf replaces it with another colour. Measured as the YCbCr
 * distance between the two regions' mean colours ÷ the skin luma (unitless, 0 = same colour).
 *
 * Honest about what that cue can tell (docs/quality-checks.md, hat): on the labelled dev photos (bench/quality.ts,
 * visual labels) a forehead that matches the skin is almost never under a hat, so "no" is `high` confidence there; a
 * forehead that does not match is far more often hair (fringes, dark hair low on the brow), shade, a mask print or a
 * tinted lens than a hat, and the hats measured no higher than bare foreheads. So the check never answers "yes": it
 * answers "no" with `low` confidence where it cannot see a bare forehead, and its score is the measured share of hats
 * among the dev photos of that band.
 */
import type { FaceAnalysis } from '../face/types.js';
import type { ExplainedVerdict } from './banded-verdict.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { meanColour } from './image-stats.js';

type Rgb = readonly [number, number, number];

/** Rec. 601 (ITU-R BT.601, as JPEG uses) luma and the two colour-difference axes of an RGB colour, 0–255 scale. */
export function toYCbCr(c: Rgb): [number, number, number] {
  return [0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2], -0.1687 * c[0] - 0.3313 * c[1] + 0.5 * c[2], 0.5 * c[0] - 0.4187 * c[1] - 0.0813 * c[2]];
}

/**
 * Lowest skin luma used as the divisor (grey levels, 0–255): below it the face is too dark for colour ratios to mean
 * anything (the previous cheek-based cue used the same floor).
 */
const MIN_SKIN_LUMA = 20;

/**
 * Forehead-band colour distance from the skin colour in YCbCr ÷ skin luma (unitless, ≥ 0). Pure. YCbCr, not RGB:
 * light falls differently on the forehead (facing up) and on the bridge, which moves luma and barely the colour; a
 * Euclidean RGB distance counts a luma step √3 times (it moves all three channels), YCbCr once, so shade weighs less
 * against a change of colour.
 */
export function foreheadSkinDistance(forehead: Rgb, skin: Rgb): number {
  const [f, k] = [toYCbCr(forehead), toYCbCr(skin)];
  return Math.hypot(f[0] - k[0], f[1] - k[1], f[2] - k[2]) / Math.max(MIN_SKIN_LUMA, k[0]);
}

/**
 * The forehead band's colour against the skin between the eyes (face-regions.ts `noseBridge`: brow line to eye line,
 * between the inner eye corners), in the aligned crop. The nose bridge, not the cheeks, is the skin reference because a
 * face mask covers the cheeks (the cheek-based cue answered "yes" on 17 of the 22 masked faces of
 * facemask_chandrika/with_mask, 3 of them wearing hats; bench/quality.ts) and sunglasses' lenses cover the eyes, but neither covers the bridge between the brows.
 */
export function foreheadColourDistance(analysis: FaceAnalysis): number {
  const regions = faceRegions(landmarksInCrop(analysis));
  const crop = analysis.alignedFace.image;
  return foreheadSkinDistance(meanColour(crop, regions.forehead), meanColour(crop, regions.noseBridge));
}

/** One band of `foreheadColourDistance` values with what the labelled dev photos held in it. */
export interface HatBand {
  /** Upper end of the band (inclusive, unitless distance); the last band has Infinity. */
  upTo: number;
  /** Real dev photos measured in the band, and how many of them wear a head covering (visual labels, bench/quality.ts). */
  photos: number;
  hats: number;
}

/**
 * Bands measured with `npm run bench -- quality --verbose` on the 165 real photos with a visual hat label
 * (docs/quality-checks.md, hat). The first band is the widest on a 0.05 grid whose measured error keeps a 95 % upper
 * bound below 5 % (errorUpperBound): up to 0.15 the forehead matches the skin, 84 photos, 0 hats (bound 4.4 %); at 0.20 it
 * would take in 2 hats (99 photos, bound 7.1 %). Above it the 4 hats sit among 77 bare heads (hair, shade, masks,
 * tinted lenses reach 1.5): too few, and too mixed, for any "yes" band.
 */
export const HAT_BANDS: readonly HatBand[] = [
  { upTo: 0.15, photos: 84, hats: 0 },
  { upTo: Number.POSITIVE_INFINITY, photos: 81, hats: 4 },
];

/**
 * `high` confidence only in a band whose measured error is below 5 % (docs/quality-checks.md "honest confidence"),
 * taken as the 95 % upper bound of the band's error, so a band of few photos cannot be `high` by luck.
 */
export const HIGH_CONFIDENCE_MAX_ERROR = 0.05;

/** z of a two-sided 95 % interval (normal quantile 0.975). */
const Z_95 = 1.96;

/**
 * Upper end of the Wilson score interval (Wilson 1927; Brown, Cai & DasGupta, "Interval Estimation for a Binomial
 * Proportion", Statistical Science 2001, recommend it for small n) for `errors` of `n`, 0–1. Pure.
 */
export function errorUpperBound(errors: number, n: number): number {
  if (n <= 0) return 1;
  const p = errors / n;
  const z2 = Z_95 * Z_95;
  return (p + z2 / (2 * n) + Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/** The band a distance falls in (the last band takes everything above). */
export function hatBand(distance: number): HatBand {
  return HAT_BANDS.find((band) => distance <= band.upTo) ?? HAT_BANDS[HAT_BANDS.length - 1]!;
}

/**
 * Always "no" (no band held more hats than bare heads); score = the band's share of hats, Laplace-smoothed
 * ((hats + 1) / (photos + 2)), so the score says how often a photo measured like this wore a hat on the dev data.
 * `high` when the upper bound of the band's error (its hats: every answer is "no") is below HIGH_CONFIDENCE_MAX_ERROR.
 */
export function hatVerdict(distance: number): ExplainedVerdict {
  const band = hatBand(distance);
  const error = errorUpperBound(band.hats, band.photos);
  const score = (band.hats + 1) / (band.photos + 2);
  const bareForehead = distance <= HAT_BANDS[0]!.upTo;
  return {
    value: score >= 0.5,
    score,
    confidence: error < HIGH_CONFIDENCE_MAX_ERROR ? 'high' : 'low',
    basis: { method: bareForehead ? 'bareForehead' : 'foreheadNotSkinUnvalidated', measurements: { foreheadSkinDistance: distance, bareForeheadUpTo: HAT_BANDS[0]!.upTo, bandPhotos: band.photos, bandHats: band.hats } },
  };
}
