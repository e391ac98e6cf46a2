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

/**
 * How a check decided (the `basis` of its answer, README "checkLiveness API"): the cue that decided (a check-specific
 * name, e.g. `lensDarkness`) and the raw measurements it compared with its thresholds, each in its own unit (stated in
 * the key's name or in the check's doc comment). Reporting only: nothing reads it back to decide.
 */
export interface DecisionBasis {
  method: string;
  measurements: Record<string, number>;
}

/** A Verdict plus how it was reached. */
export interface ExplainedVerdict extends Verdict {
  basis: DecisionBasis;
}

/**
 * What a quality check answers: a Verdict and how it was reached. The basis is optional in the type (a check's
 * answer may come without one, and the wire then sends the verdict alone); every shipped check reports one.
 */
export type QualityVerdict = Verdict & { basis?: DecisionBasis };

/** The same Verdict with how it was reached attached (value, score and confidence unchanged). */
export function explained(verdict: Verdict, basis: DecisionBasis): ExplainedVerdict {
  return { ...verdict, basis };
}

export function thresholdVerdict(measurement: number, rule: ThresholdRule): Verdict {
  const signed = rule.yesWhen === 'above' ? measurement - rule.threshold : rule.threshold - measurement;
  const score = logistic(signed, 0, rule.width);
  return { value: score >= 0.5, score, confidence: Math.abs(signed) >= rule.margin ? 'high' : 'low' };
}

/** Same Verdict but always `low` confidence: for methods that have not been validated on labelled data. */
export function lowConfidence<V extends Verdict>(verdict: V): V {
  return { ...verdict, confidence: 'low' };
}
