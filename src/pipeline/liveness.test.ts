import { describe, expect, it } from 'vitest';
import { LIVENESS_CALIBRATION } from './liveness-calibration.js';
import { SCORE_EPSILON, fuseScores, fusionFor, livenessVerdict, logit, sigmoid } from './liveness.js';

describe('liveness fusion', () => {
  it('logit clips saturated scores and inverts sigmoid', () => {
    expect(logit(0.5)).toBe(0);
    expect(sigmoid(logit(0.9))).toBeCloseTo(0.9, 12);
    expect(logit(1)).toBeCloseTo(Math.log((1 - SCORE_EPSILON) / SCORE_EPSILON), 9);
    expect(Number.isFinite(logit(0))).toBe(true);
  });

  it('fuses as sigmoid(bias + Σ weight · logit(score)) over the weighted models only', () => {
    const model = { weights: { humanLiveness: 2, minifasnet: 1 }, bias: -1, threshold: 0.5, highConfidenceMargin: 1 };
    const scores = { humanAntispoof: 0.01, humanLiveness: 0.8, minifasnet: 0.3 };
    expect(fuseScores(scores, model)).toBeCloseTo(sigmoid(-1 + 2 * Math.log(4) + Math.log(0.3 / 0.7)), 12);
    // humanAntispoof has no weight: changing it changes nothing.
    expect(fuseScores({ ...scores, humanAntispoof: 0.99 }, model)).toBe(fuseScores(scores, model));
    expect(() => fuseScores({ humanAntispoof: 0.5, humanLiveness: 0.5 }, model)).toThrow(/needs minifasnet/);
  });

  it('picks the with-pack fusion only when MiniFASNet was scored', () => {
    expect(fusionFor({ humanAntispoof: 0.5, humanLiveness: 0.5 })).toBe(LIVENESS_CALIBRATION.embedded);
    expect(fusionFor({ humanAntispoof: 0.5, humanLiveness: 0.5, minifasnet: 0.5 })).toBe(LIVENESS_CALIBRATION.withMinifasnet);
  });

  it('verdict: live at or above the threshold; high confidence only beyond the margin (in logits)', () => {
    const model = { threshold: 0.5, highConfidenceMargin: 2 };
    expect(livenessVerdict(0.5, model)).toEqual({ value: true, score: 0.5, confidence: 'low' });
    expect(livenessVerdict(0.49, model).value).toBe(false);
    expect(livenessVerdict(sigmoid(1.9), model).confidence).toBe('low');
    expect(livenessVerdict(sigmoid(2.1), model)).toMatchObject({ value: true, confidence: 'high' });
    expect(livenessVerdict(sigmoid(-2.1), model)).toMatchObject({ value: false, confidence: 'high' });
  });

  it('calibration constants are sane: thresholds inside (0, 1), margins ≥ 1 logit, positive weights', () => {
    for (const model of [LIVENESS_CALIBRATION.embedded, LIVENESS_CALIBRATION.withMinifasnet]) {
      expect(model.threshold).toBeGreaterThan(0);
      expect(model.threshold).toBeLessThan(1);
      expect(model.highConfidenceMargin).toBeGreaterThanOrEqual(1);
      for (const w of Object.values(model.weights)) expect(w).toBeGreaterThan(0);
    }
  });
});
