/**
 * `eyewear`: any glasses, clear or tinted. Yes when a spectacle frame shows as thin horizontal bars across the nose
 * bridge and under the eyes (eye-region.ts frameBars), or the eyes are behind sunglasses (sunglasses.ts): frameless or
 * thin-wire sunglasses have no strong bars but dark or mirrored lenses, and clear glasses have bars but skin-like lenses.
 *
 * Threshold and confidence bands from bench/quality.ts on 172 real labelled photos (33 with glasses: 14 sunglasses,
 * 19 clear; 139 without; docs/quality-checks.md).
 */
import type { EyeRegionMeasurement } from './eye-region.js';
import { type BandedRule, bandedVerdict, type ExplainedVerdict } from './banded-verdict.js';
import { sunglassesVerdict } from './sunglasses.js';

/**
 * frameBars (bar contrast ÷ skin luma, ≥ 0) above which a spectacle frame is present. Measured on the 172 labelled real
 * photos (bench/quality.ts): photos without glasses ≤ 0.11, except two frowns (creases across the nose root: 0.26, 0.33)
 * and one face mask seen from the side (0.21); clear glasses 0.12–0.63, except thin wire frames and small masked faces
 * (0.00, 0.00, 0.07). 0.12 is the lower edge of the glasses and the thin gap above the bare faces: logistic width 0.015
 * (score 0.27–0.73 over 0.105–0.135). `high` confidence bands: ≥ 0.35, 10 photos, all with glasses; ≤ 0.08, 146
 * photos, 3 with clear glasses (2 %).
 */
export const FRAME_RULE: BandedRule = { threshold: 0.12, yesWhen: 'above', width: 0.015, highYesFrom: 0.35, highNoUpTo: 0.08 };

export function spectacleFrameVerdict(m: EyeRegionMeasurement): ExplainedVerdict {
  return bandedVerdict(m.frameBars, FRAME_RULE, { method: 'frameBars', measurements: { frameBars: m.frameBars } });
}

export function eyewearVerdict(m: EyeRegionMeasurement): ExplainedVerdict {
  const frame = spectacleFrameVerdict(m);
  const tinted = sunglassesVerdict(m);
  const deciding = tinted.score >= frame.score ? tinted : frame;
  // Yes: the cue that says yes decides, with its own confidence. No: both cues must be sure there is nothing.
  const confidence = deciding.value ? deciding.confidence : frame.confidence === 'high' && tinted.confidence === 'high' ? 'high' : 'low';
  return {
    value: deciding.value,
    score: deciding.score,
    confidence,
    basis: { method: deciding.basis.method, measurements: { ...tinted.basis.measurements, ...frame.basis.measurements } },
  };
}
