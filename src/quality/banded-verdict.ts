/**
 * A Verdict with explicit confidence bands and the reason it was reached: for the checks whose `high` confidence comes
 * from measured error per score band on labelled data (docs/quality-checks.md), not from a symmetric margin.
 */
import { logistic } from './image-stats.js';
import type { DecisionBasis, ExplainedVerdict } from './verdict.js';

// Defined beside thresholdVerdict (every check reports a basis, not only the banded ones); re-exported for the banded checks' callers.
export type { DecisionBasis, ExplainedVerdict } from './verdict.js';

export interface BandedRule {
  /** Measurement where the answer flips. */
  threshold: number;
  yesWhen: 'above' | 'below';
  /** Logistic width, measurement units: the score goes 0.27 → 0.73 over ±width around the threshold. */
  width: number;
  /** `high` confidence "yes" from here on (measurement units, on the yes side of the threshold). */
  highYesFrom: number;
  /** `high` confidence "no" up to here (measurement units, on the no side of the threshold). */
  highNoUpTo: number;
}

export function bandedVerdict(measurement: number, rule: BandedRule, basis: DecisionBasis): ExplainedVerdict {
  const above = rule.yesWhen === 'above';
  const signed = above ? measurement - rule.threshold : rule.threshold - measurement;
  const score = logistic(signed, 0, rule.width);
  const value = score >= 0.5;
  const high = value ? (above ? measurement >= rule.highYesFrom : measurement <= rule.highYesFrom) : above ? measurement <= rule.highNoUpTo : measurement >= rule.highNoUpTo;
  return { value, score, confidence: high ? 'high' : 'low', basis };
}
