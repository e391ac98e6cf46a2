/**
 * `sunglasses`: tinted or mirrored lenses hiding the eyes. Two cues from eye-region.ts, either one decides:
 * - tinted lenses: most of the lens area (lids and under-eye skin included) is darker than half the skin luma;
 * - mirrored or coloured lenses: the lens area's colour is far from every skin colour of the face.
 * The measurement is the larger of the two cues, each ÷ its threshold (1 = at the threshold).
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

export function sunglassesVerdict(m: EyeRegionMeasurement): ExplainedVerdict {
  const { value, cue } = sunglassesMeasure(m);
  return bandedVerdict(value, SUNGLASSES_RULE, {
    method: cue,
    measurements: { lensDarkShare: m.lensDarkShare, lensColourDistance: m.lensColourDistance, skinReferenceIsForehead: m.skinReference === 'forehead' ? 1 : 0 },
  });
}
