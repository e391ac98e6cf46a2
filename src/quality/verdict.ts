/**
 * Turns one measurement and its calibrated threshold into a Verdict: a logistic score that is 0.5 exactly
 * at the threshold (so `value` = score ≥ 0.5 = measurement past the threshold), and confidence `high` only
 * when the measurement is at least `margin` away from the threshold.
 */
import type { Verdict } from '../face/types.js';
import { logistic } from './image-stats.js';

export interface ThresholdRule {
  /** The measurement value where the answer flips. */
  threshold: number;
  /** `above`: yes when measurement > threshold; `below`: yes when measurement < threshold. */
  yesWhen: 'above' | 'below';
  /** Logistic width, in the measurement's unit: score goes 0.27 → 0.73 over ±width. */
  width: number;
  /** Distance from the threshold (measurement unit) beyond which the answer is `high` confidence. */
  margin: number;
}

export function thresholdVerdict(measurement: number, rule: ThresholdRule): Verdict {
  const signed = rule.yesWhen === 'above' ? measurement - rule.threshold : rule.threshold - measurement;
  const score = logistic(signed, 0, rule.width);
  return { value: score >= 0.5, score, confidence: Math.abs(signed) >= rule.margin ? 'high' : 'low' };
}

/** Same Verdict but always `low` confidence: for methods that have not been validated on labelled data. */
export function lowConfidence(verdict: Verdict): Verdict {
  return { ...verdict, confidence: 'low' };
}
