/**
 * `sunglasses`: tinted or mirrored lenses hiding the eyes. Two cues from eye-region.ts, either one decides:
 * - tinted lenses: most of the lens area (lids and under-eye skin included) is darker than half the skin luma;
 * - mirrored or coloured lenses: the lens area's colour is far from every skin colour of the face.
 * The measurement is the larger of the two cues, each ÷ its threshold (1 = at the threshold).
 * A third cue, from the iris model's eye opening (eye-white.ts), answers where those two are short of their thresholds:
 * the white of neither eye is visible, and the lens area is at least half as dark or as coloured as a lens cue needs
 * (a closed eye shows no sclera either, but its lids are skin: neither dark nor coloured).
 *
 * Thresholds and confidence bands from bench/quality.ts on 172 real labelled photos (14 with sunglasses, 158 without;
 * docs/quality-checks.md): see each constant.
 */
import type { EyeRegionMeasurement } from './eye-region.js';
import { type BandedRule, bandedVerdict, type ExplainedVerdict } from './banded-verdict.js';

/**
 * lensDarkShare (0–1) above which the lenses are tinted. Photos without sunglasses measure ≤ 0.61 (shadowed eye
 * sockets, heavy eye make-up, dark-skinned faces), except one backlit webcam frame with a hand over the lower face
 * (0.72: the lit hand, not the cheek, is the skin reference there). Dark sunglasses measure 0.80–1.0 (7 photos).
 */
export const LENS_DARK_SHARE_THRESHOLD = 0.7;
/**
 * lensColourDistance (CbCr chroma levels, 0–255 scale) above which the lenses are coloured or mirrored. Photos without
 * sunglasses measure ≤ 20 (reddish lids, clear lenses with reflections), except one face mask whose print meets the
 * eyes (25.8); blue, silver, smoked and violet lenses measure 28–80 (7 photos, 3 of them not dark enough for the
 * darkness cue).
 */
export const LENS_COLOUR_THRESHOLD = 25;

/**
 * Combined measurement (1 = at a threshold). Logistic width 0.08: the score is 0.27–0.73 within ±8 % of the threshold.
 * `high` confidence bands, measured on the 172 labelled real photos (bench/quality.ts): ≥ 1.1, 10 photos, all with
 * sunglasses (photos without reach 1.03); ≤ 0.6, 137 photos, 1 with sunglasses (0.7 %: a mask + sunglasses photo whose
 * skin reference is the mask). Between them (25 photos, 6 wrong) `low`.
 */
export const SUNGLASSES_RULE: BandedRule = { threshold: 1, yesWhen: 'above', width: 0.08, highYesFrom: 1.1, highNoUpTo: 0.6 };

export function sunglassesMeasure(m: EyeRegionMeasurement): { value: number; cue: 'lensDarkness' | 'lensColour' } {
  const dark = m.lensDarkShare / LENS_DARK_SHARE_THRESHOLD;
  const colour = m.lensColourDistance / LENS_COLOUR_THRESHOLD;
  return dark >= colour ? { value: dark, cue: 'lensDarkness' } : { value: colour, cue: 'lensColour' };
}

/**
 * eyeWhiteContrast (eye-white.ts) below which neither eye's white is visible. Measured on the labelled real photos
 * (bench/quality.ts, docs/quality-checks.md), the cue computed on every face large enough: the 144 photos without
 * sunglasses, open or closed eyes, 0.21–0.98 (54 synthetic copies ≥ 0.18); behind round green-blue mirrored lenses that
 * neither lens cue reaches, −0.01; behind the lenses the lens cues find, 0.09–0.88 (reflections and lens edges inside
 * the opening: the cue finds uniform lenses, not every lens). Where the cue can decide (eyeWhiteCanDecide: 40 of those
 * real photos), the 37 without sunglasses measure 0.49–0.95. 0.1 leaves ≥ 0.1 on both sides. Logistic width 0.03.
 * Never `high`: one labelled photo answers by this cue.
 */
export const EYE_WHITE_RULE: BandedRule = { threshold: 0.1, yesWhen: 'below', width: 0.03, highYesFrom: -Infinity, highNoUpTo: 0.2 };
/**
 * The lens cues' measurement (sunglassesMeasure, 1 = at a threshold) the eye-white cue needs beside it: half a
 * threshold, lensDarkShare ≥ 0.35 or lensColourDistance ≥ 12.5. Why: a closed eye shows no sclera either, but the lids
 * around it are skin (the three labelled closed-eye photos measure 0.19–0.41). The cue's one photo measures 0.73.
 */
export const EYE_WHITE_LENS_SUPPORT = 0.5;

/**
 * Can the eye-white cue change this face's answer? Only where the lens cues are short of their thresholds but at least
 * EYE_WHITE_LENS_SUPPORT: elsewhere the checker (index.ts) does not run the iris model for it, and the verdict's
 * measurements then carry no eyeWhiteContrast.
 */
export function eyeWhiteCanDecide(m: EyeRegionMeasurement): boolean {
  const { value } = sunglassesMeasure(m);
  // The lens verdict says yes from its threshold on (bandedVerdict: score ≥ 0.5 there).
  return value >= EYE_WHITE_LENS_SUPPORT && value < SUNGLASSES_RULE.threshold;
}

export function sunglassesVerdict(m: EyeRegionMeasurement): ExplainedVerdict {
  const { value, cue } = sunglassesMeasure(m);
  const measurements: Record<string, number> = { lensDarkShare: m.lensDarkShare, lensColourDistance: m.lensColourDistance, skinReferenceIsForehead: m.skinReference === 'forehead' ? 1 : 0 };
  if (m.eyeWhiteContrast !== undefined) measurements.eyeWhiteContrast = m.eyeWhiteContrast;
  const lens = bandedVerdict(value, SUNGLASSES_RULE, { method: cue, measurements });
  if (lens.value || m.eyeWhiteContrast === undefined || value < EYE_WHITE_LENS_SUPPORT) return lens;
  const hidden = bandedVerdict(m.eyeWhiteContrast, EYE_WHITE_RULE, { method: 'eyeWhiteHidden', measurements });
  return hidden.value ? hidden : lens;
}
