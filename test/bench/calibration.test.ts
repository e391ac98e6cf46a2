import { describe, expect, it } from 'vitest';
import { type Sample, balancedThreshold, balancedWeights, crossValidatedScores, errorRates, fitLogistic, predict, rocAuc } from '../../bench/calibration.js';

describe('liveness calibration statistics', () => {
  it('APCER counts accepted attacks, BPCER rejected bona fide', () => {
    const r = errorRates([0.9, 0.2, 0.6, 0.1], [true, true, false, false], 0.5);
    expect(r).toEqual({ apcer: 0.5, bpcer: 0.5, attacks: 2, bonaFide: 2 });
    expect(errorRates([0.9, 0.2, 0.6, 0.1], [true, true, false, false], 0.5, [1, 3, 1, 1]).bpcer).toBe(0.75);
  });

  it('ROC AUC: 1 when separable, 0.5 for ties, 0 when inverted', () => {
    expect(rocAuc([0.9, 0.8, 0.1], [true, true, false])).toBe(1);
    expect(rocAuc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(rocAuc([0.1, 0.9], [true, false])).toBe(0);
  });

  it('balancedThreshold separates separable scores', () => {
    const t = balancedThreshold([0.1, 0.2, 0.7, 0.8], [false, false, true, true]);
    expect(t).toBeGreaterThan(0.2);
    expect(t).toBeLessThan(0.7);
  });

  it('balancedWeights: each class sums to ½, split equally between groups', () => {
    const s = (live: boolean, group: string): Sample => ({ x: [0], live, group });
    const w = balancedWeights([s(true, 'a'), s(true, 'a'), s(true, 'b'), s(false, 'a')]);
    expect(w).toEqual([0.125, 0.125, 0.25, 0.5]);
  });

  it('logistic regression recovers the direction of a separating feature; LOGO scores every sample', () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 40; i++) samples.push({ x: [i < 20 ? -2 + i * 0.05 : 1 + i * 0.05], live: i >= 20, group: `g${i % 4}` });
    const model = fitLogistic(samples, 0.1);
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(predict(model, [3])).toBeGreaterThan(0.9);
    expect(predict(model, [-2])).toBeLessThan(0.1);
    const oof = crossValidatedScores(samples, [['g0'], ['g1'], ['g2'], ['g3']], 0.1);
    expect(oof.every(Number.isFinite)).toBe(true);
    expect(errorRates(oof, samples.map((s) => s.live), 0.5)).toMatchObject({ apcer: 0, bpcer: 0 });
  });
});
