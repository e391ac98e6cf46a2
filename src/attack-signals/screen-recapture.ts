/**
 * A face re-photographed from a screen or a print (issue #12, context signals), from two cues measured on the
 * full-resolution photo (a periodic pattern near the sensor's Nyquist frequency does not survive downscaling):
 *
 * 1. Periodic pattern over the face. A screen is a grid of pixels and a print a halftone screen; photographed,
 *    the grid either shows directly or beats with the sensor's own grid into moiré fringes (Patel, Han & Jain,
 *    "Live face video vs. spoof face video: use of moiré patterns to detect replay video attacks", ICB 2015).
 *    Either way it is a periodic pattern laid over everything the medium shows, so it stands as an isolated peak
 *    in the power spectrum of the face's skin, which has no periodic structure of its own. The spectrum is the
 *    Welch average over non-overlapping tiles of the upper face (brows to nose: masks and beards cover the lower
 *    face, and a woven mask is periodic), and a peak is judged a-contrario against its local spectral background
 *    (src/imaging/spectrum.ts). JPEG's 8 × 8 block grid makes peaks at multiples of 1/8 cycle per pixel: those bins
 *    are skipped. Oriented texture (hair, stripes) spreads along a line of the spectrum rather than in one bin, so
 *    the median background around a bin absorbs it.
 * 2. Skin colour pulled towards grey and blue. Real skin lies well on the red side of the blue-difference chroma
 *    (Cb < 0: melanin and blood absorb blue; Chai & Ngan, "Face segmentation using skin-color map in videophone
 *    applications", IEEE TCSVT 9(4), 1999). A reproduction loses that: a print's and a screen's gamut is smaller
 *    than skin's reflectance, a screen's white is bluer (D65 or cooler) than the room light the camera balances
 *    for, and the camera's and the medium's tone curves compound (Wen, Han & Jain, "Face spoof detection with image
 *    distortion analysis", IEEE TIFS 10(4), 2015, §III-C "color diversity"; Boulkenafet, Komulainen & Hadid, "Face
 *    spoofing detection using colour texture analysis", IEEE TIFS 11(8), 2016). On the dev set this separates
 *    every attack still from its own session's live photo (bench numbers in the report of issue #12).
 *
 * Glare (clipped highlights beside the face) was measured and left out: on the dev set attacks show fewer clipped
 * pixels around the face than bona fide photos, not more.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { lumaFromRgb } from '../imaging/line-segments.js';
import { type SpectralPeak, averagePowerSpectrum, peakSignificanceAt, strongestPeak } from '../imaging/spectrum.js';
import type { SignalResult } from './types.js';

/** A square tile of the photo: top-left corner and side, pixels. */
export interface Patch {
  x: number;
  y: number;
  size: number;
}

export interface ScreenEvidence {
  /** The region of the face both cues look at (brows to nose), pixels of the photo. */
  region: Box;
  /** The tiles whose spectra were averaged, pixels of the photo (side = tile size). */
  patches: Patch[];
  /** The most significant isolated peak of the face's spectrum; absent when the face is too small for one tile. */
  peak?: SpectralPeak;
  /** The tiles around the face (beside and above it) where the same frequency is checked, pixels of the photo. */
  surroundPatches: Patch[];
  /** The same frequency in the surround's spectrum: power over local background, and its significance (9 bins tested). */
  surroundPeak?: { ratio: number; significance: number };
  /** 0–1 from the smaller of the two significances. */
  periodicScore: number;
  /** Median blue-difference chroma of the face's skin over its luma (Cb / Y′, BT.601); about −0.1 for real skin, 0 for grey. Absent for a greyscale photo or when no skin pixel qualifies. */
  skinBlueChroma?: number;
  /** 0–1 from skinBlueChroma. */
  colourScore: number;
}

/** The numbers behind the cues. */
export interface ScreenRules {
  /** The face region: this share of the box's height from its top to … */
  regionTop: number;
  regionBottom: number;
  /** … and this share of its width from each side. */
  regionInset: number;
  /** Tile sizes tried, largest first (powers of two), pixels; the first that fits `minTiles` tiles is used. */
  tileSizes: number[];
  minTiles: number;
  /** At most this many tiles per region (evenly spread): enough for a steady average, bounded cost on large faces. */
  maxTiles: number;
  /** At most about this many pixels are sampled for the skin colour median (evenly spread). */
  maxColourSamples: number;
  /** Lowest frequency searched, cycles per pixel. */
  minFrequency: number;
  /** Local spectral background: half-width of the neighbourhood, bins. */
  backgroundRadius: number;
  /** Bins this close to a frequency axis are skipped, bins. */
  axisGuard: number;
  /** The periodic cue rises linearly from 0 at this significance (−log10 NFA) … */
  noSignificance: number;
  /** … to 1 at this one. */
  fullSignificance: number;
  /** Skin pixels: luma range, grey levels (0–255). */
  minSkinLuma: number;
  maxSkinLuma: number;
  /** The colour cue's logistic: centre and width, in Cb / Y′. */
  chromaCentre: number;
  chromaWidth: number;
  /** A photo with fewer than this share of coloured pixels (HSV saturation > 0.1) is greyscale: no colour cue. */
  minColouredShare: number;
}

export const SCREEN_RULES: Readonly<ScreenRules> = Object.freeze({
  // Brows to the tip of the nose, inner 80 %: forehead and cheek skin, no mask, beard or background.
  regionTop: 0.1,
  regionBottom: 0.55,
  regionInset: 0.1,
  // 64² tiles resolve 1/64 cycle per pixel; with fewer than four the Welch average is too noisy to trust, so
  // smaller faces use 32² tiles.
  tileSizes: [64, 32],
  minTiles: 4,
  // Sixteen periodograms shrink the spread of the average to a quarter of one periodogram's (Welch 1967).
  maxTiles: 16,
  // The median of 10⁴ samples lies within about 1 % (in rank: standard error 0.5/√n) of the full region's.
  maxColourSamples: 10_000,
  // Half the Nyquist frequency: a screen's pixel grid imaged at one to four camera pixels per screen pixel, and its
  // alias with the sensor grid, lie above it; the face's own features (eyes, brows, pores in a soft photo) fill
  // the spectrum below it.
  minFrequency: 0.25,
  backgroundRadius: 3,
  // Processing leaves periodic traces along the pixel axes (resampling, de-interlacing, sensor row noise, a JPEG
  // grid after a resize: Popescu & Farid, "Exposing digital forgeries by detecting traces of resampling", IEEE TSP
  // 53(2), 2005); a hand-held camera never lines its sensor up with a screen's grid to the bin, so the axes are skipped.
  axisGuard: 2,
  // The a-contrario noise model holds for noise, not for every photo: resized, re-compressed and denoised photos
  // carry real periodic traces. On the 184 bona fide dev photos the smaller of the face's and the surround's
  // significance has median −0.1, 95th percentile 2.9 and maximum 9.5 (bona fide only, no attack consulted), so
  // the cue starts above that maximum, at 10, and saturates at 40 (NFA 10⁻⁴⁰).
  noSignificance: 10,
  fullSignificance: 40,
  // Shadows and clipped highlights carry no reliable chroma.
  minSkinLuma: 40,
  maxSkinLuma: 240,
  // Half-way between neutral grey (0) and the median skin of the bona fide dev photos (−0.093); the width puts
  // that median at 0.05 and grey at 0.97.
  chromaCentre: -0.05,
  chromaWidth: 0.015,
  minColouredShare: 0.05,
});

/** The coding block grid whose harmonics the peak search skips: JPEG's 8 × 8 DCT blocks (ITU-T T.81 §A.2). */
const JPEG_BLOCK = 8;

/**
 * Evidence that the face in `image` (the full-resolution decoded photo) was re-photographed from a screen or a
 * print: score 0–1 (the noisy-OR of the periodic and the colour cue), with both cues' measurements; `face` and all
 * evidence in pixels of `image`.
 */
export function screenRecapture(image: RgbImage, face: Box, rules: ScreenRules = SCREEN_RULES): SignalResult<ScreenEvidence> {
  const x0 = Math.max(0, Math.round(face.x + rules.regionInset * face.width));
  const x1 = Math.min(image.width, Math.round(face.x + (1 - rules.regionInset) * face.width));
  const y0 = Math.max(0, Math.round(face.y + rules.regionTop * face.height));
  const y1 = Math.min(image.height, Math.round(face.y + rules.regionBottom * face.height));
  const region = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };

  // Periodic pattern.
  let patches: Patch[] = [];
  let surroundPatches: Patch[] = [];
  let peak: SpectralPeak | undefined;
  let surroundPeak: ScreenEvidence['surroundPeak'];
  for (const size of rules.tileSizes) {
    const across = Math.floor(region.width / size);
    const down = Math.floor(region.height / size);
    if (across * down < rules.minTiles) continue;
    // Centred in the region, edge to edge (non-overlapping: the Welch average's noise model assumes independent tiles).
    const left = x0 + Math.floor((region.width - across * size) / 2);
    const top = y0 + Math.floor((region.height - down * size) / 2);
    patches = [];
    for (let j = 0; j < down; j++) for (let i = 0; i < across; i++) patches.push({ x: left + i * size, y: top + j * size, size });
    patches = evenlySpread(patches, rules.maxTiles);
    peak = strongestPeak(averagePowerSpectrum(patches.map((p) => tileLuma(image, p))), {
      // Hann's main lobe is 4 bins wide (Harris 1978, table I): the DC leak ends 2 bins out; 4 keeps clear of it.
      minFrequency: Math.max(rules.minFrequency, 4 / size),
      backgroundRadius: rules.backgroundRadius,
      // The same main lobe spreads a block-grid harmonic over its neighbouring bins.
      blockGuard: 1,
      blockPeriod: JPEG_BLOCK,
      axisGuard: rules.axisGuard,
    });
    // A screen's grid covers the whole screen, so its pattern repeats beside the face (the hair and background the
    // medium shows); a periodic texture of the face itself (a woven mask, a fabric band) does not.
    surroundPatches = evenlySpread(surroundTiles(image, face, size), rules.maxTiles);
    if (peak && surroundPatches.length > 0) {
      const spectrum = averagePowerSpectrum(surroundPatches.map((p) => tileLuma(image, p)));
      surroundPeak = peakSignificanceAt(spectrum, peak.fx, peak.fy, rules.backgroundRadius);
    }
    break;
  }
  const periodicScore =
    peak && surroundPeak
      ? Math.min(1, Math.max(0, (Math.min(peak.significance, surroundPeak.significance) - rules.noSignificance) / (rules.fullSignificance - rules.noSignificance)))
      : 0;

  // Skin colour.
  const skinBlueChroma = isGreyscale(image, rules.minColouredShare) ? undefined : medianSkinBlueChroma(image, region, rules);
  const colourScore = skinBlueChroma === undefined ? 0 : 1 / (1 + Math.exp(-(skinBlueChroma - rules.chromaCentre) / rules.chromaWidth));

  // Either cue alone is evidence of a reproduction (noisy-OR).
  const score = 1 - (1 - periodicScore) * (1 - colourScore);
  return {
    score,
    evidence: { region, patches, ...(peak ? { peak } : {}), surroundPatches, ...(surroundPeak ? { surroundPeak } : {}), periodicScore, ...(skinBlueChroma === undefined ? {} : { skinBlueChroma }), colourScore },
  };
}

/**
 * Non-overlapping tiles of `size` in the bands beside the face box (half a box wide, its height) and above it (half
 * a box high, across both side bands), those entirely inside the photo.
 */
function surroundTiles(image: RgbImage, face: Box, size: number): Patch[] {
  const bands: Box[] = [
    { x: face.x - 0.5 * face.width, y: face.y, width: 0.5 * face.width, height: face.height },
    { x: face.x + face.width, y: face.y, width: 0.5 * face.width, height: face.height },
    { x: face.x - 0.5 * face.width, y: face.y - 0.5 * face.height, width: 2 * face.width, height: 0.5 * face.height },
  ];
  const tiles: Patch[] = [];
  for (const band of bands) {
    const x0 = Math.max(0, Math.ceil(band.x));
    const y0 = Math.max(0, Math.ceil(band.y));
    const x1 = Math.min(image.width, Math.floor(band.x + band.width));
    const y1 = Math.min(image.height, Math.floor(band.y + band.height));
    for (let y = y0; y + size <= y1; y += size) for (let x = x0; x + size <= x1; x += size) tiles.push({ x, y, size });
  }
  return tiles;
}

function tileLuma(image: RgbImage, tile: Patch) {
  return lumaFromRgb(image, { x: tile.x, y: tile.y, width: tile.size, height: tile.size });
}

/** At most `count` of `items`, evenly spread over the list. */
function evenlySpread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/** Median Cb / Y′ (BT.601: Cb = −0.1687 R − 0.3313 G + 0.5 B) of the region's pixels within the skin luma range. */
function medianSkinBlueChroma(image: RgbImage, region: Box, rules: ScreenRules): number | undefined {
  const stride = Math.max(1, Math.floor(Math.sqrt((region.width * region.height) / rules.maxColourSamples)));
  const values = new Float64Array(Math.ceil(region.width / stride) * Math.ceil(region.height / stride));
  let n = 0;
  for (let y = region.y; y < region.y + region.height; y += stride) {
    for (let x = region.x; x < region.x + region.width; x += stride) {
      const i = (y * image.width + x) * 3;
      const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      if (luma < rules.minSkinLuma || luma > rules.maxSkinLuma) continue;
      values[n++] = (-0.1687 * r - 0.3313 * g + 0.5 * b) / luma;
    }
  }
  if (n === 0) return undefined;
  return values.subarray(0, n).sort()[Math.floor(n / 2)];
}

/** True when fewer than `minShare` of the pixels (about 10⁴, evenly spread) have HSV saturation above 0.1. */
function isGreyscale(image: RgbImage, minShare: number): boolean {
  let coloured = 0;
  let counted = 0;
  // An odd step, so the samples do not fall on the same few columns row after row.
  const step = 2 * Math.floor(image.width * image.height / 20_000) + 1;
  for (let i = 0; i < image.data.length; i += 3 * step) {
    const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
    const max = Math.max(r, g, b);
    counted++;
    if (max > 0 && (max - Math.min(r, g, b)) / max > 0.1) coloured++;
  }
  return coloured < minShare * counted;
}
