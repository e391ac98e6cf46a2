/**
 * `eyewear`: any glasses (clear or tinted). Yes when a spectacle bridge shows as a horizontal edge across
 * the nose bridge (eye-region.ts bridgeEdges) or the eyes are behind tinted lenses (sunglasses.ts).
 * Always `low` confidence: no labelled glasses image exists in the data sets (see docs/quality-checks.md).
 */
import type { Verdict } from '../face/types.js';
import type { EyeRegionMeasurement } from './eye-region.js';
import { sunglassesVerdict } from './sunglasses.js';
import { lowConfidence, thresholdVerdict } from './verdict.js';

/**
 * Nose-bridge ÷ cheek horizontal-edge ratio above which a spectacle bridge is present. Frontal bare faces
 * in the labelled sets measure 0.2–3.3 (brow and nose shading; bench/quality.ts), so the threshold sits
 * above that; no glasses image was available to check the other side.
 */
export const BRIDGE_EDGE_THRESHOLD = 3.5;

export function clearGlassesVerdict(m: EyeRegionMeasurement): Verdict {
  return lowConfidence(thresholdVerdict(m.bridgeEdges, { threshold: BRIDGE_EDGE_THRESHOLD, yesWhen: 'above', width: 0.25, margin: 0 }));
}

export function eyewearVerdict(m: EyeRegionMeasurement): Verdict {
  const glasses = clearGlassesVerdict(m);
  const tinted = sunglassesVerdict(m);
  const score = Math.max(glasses.score, tinted.score);
  return { value: score >= 0.5, score, confidence: 'low' };
}
