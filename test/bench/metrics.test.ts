/**
 * Accuracy metrics against examples computed by hand (the reasoning is in the comments), so a test fails when
 * the rule changes, not only when the code crashes.
 */
import { describe, expect, it } from 'vitest';
import { bpcerAtApcer, detPoints, equalErrorRate, padDetPoints, padRates, rocPoints, tarAtFar, type PadSample } from '../../bench/metrics.js';

// Genuine scores G = [0.9, 0.7, 0.5], impostor scores I = [0.6, 0.3, 0.2, 0.1]; accept when score ≥ t.
// t      accepted G   TAR   accepted I   FAR
// +∞     0            0     0            0
// 0.9    1            1/3   0            0
// 0.7    2            2/3   0            0
// 0.6    2            2/3   1            1/4
// 0.5    3            1     1            1/4
// 0.3    3            1     2            1/2
// 0.2    3            1     3            3/4
// 0.1    3            1     4            1
const G = [0.9, 0.7, 0.5];
const I = [0.6, 0.3, 0.2, 0.1];

describe('verification metrics', () => {
  it('rocPoints: one point per distinct score, strictest first, from (0,0) to (1,1)', () => {
    const roc = rocPoints(G, I);
    expect(roc.map((p) => p.threshold)).toEqual([Infinity, 0.9, 0.7, 0.6, 0.5, 0.3, 0.2, 0.1]);
    expect(roc.map((p) => p.tar)).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1, 1]);
    expect(roc.map((p) => p.far)).toEqual([0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1]);
    expect(detPoints(G, I).map((p) => p.frr)).toEqual([1, 2 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0]);
  });

  it('TAR at FAR: highest TAR with FAR ≤ target on the empirical curve, with its threshold', () => {
    // FAR ≤ 0.3: the points with FAR 0 or 1/4; the highest TAR among them is 1, at t = 0.5 (FAR 1/4).
    expect(tarAtFar(G, I, 0.3)).toEqual({ measurable: true, targetFar: 0.3, tar: 1, far: 0.25, threshold: 0.5 });
    // FAR ≤ 0.25 exactly: same point (the bound is inclusive).
    expect(tarAtFar(G, I, 0.25)).toMatchObject({ tar: 1, far: 0.25, threshold: 0.5 });
  });

  it('TAR at a FAR below 1/#impostors is "not measurable", not the TAR at FAR 0', () => {
    // 4 impostors: the smallest non-zero FAR is 1/4, so FAR 0.1 (needs ≥ 10 impostors) cannot be shown.
    // A naive answer would be TAR 2/3 at t = 0.7 (the last point with FAR 0).
    const r = tarAtFar(G, I, 0.1);
    expect(r.measurable).toBe(false);
    expect(r).toMatchObject({ impostorsNeeded: 10 });
    expect(tarAtFar(G, I, 0.0001)).toMatchObject({ measurable: false, impostorsNeeded: 10000 });
  });

  it('ties: a threshold cannot split tied scores', () => {
    // G = [0.8, 0.5, 0.5]; 10 impostors, two of them tied with the genuine 0.5s.
    // t = 0.8: TAR 1/3, FAR 0. t = 0.5: TAR 1, FAR 2/10 (both 0.5 impostors come in with the genuine ones).
    // FAR ≤ 0.1 (measurable: 10 × 0.1 = 1): only t ≥ 0.8 qualifies → TAR 1/3, not the 1 a split tie would give.
    const g = [0.8, 0.5, 0.5];
    const i = [0.5, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1, 0.0];
    expect(tarAtFar(g, i, 0.1)).toEqual({ measurable: true, targetFar: 0.1, tar: 1 / 3, far: 0, threshold: 0.8 });
    expect(tarAtFar(g, i, 0.2)).toMatchObject({ tar: 1, far: 0.2, threshold: 0.5 });
    // The tied point is one point (t = 0.5), not two.
    expect(rocPoints(g, i).filter((p) => p.threshold === 0.5)).toHaveLength(1);
  });

  it('EER: mean of FAR and FRR where they are closest', () => {
    // |FAR − FRR| per point: ∞: 1, 0.9: 2/3, 0.7: 1/3, 0.6: |1/4 − 1/3| = 1/12, 0.5: |1/4 − 0| = 1/4, then larger.
    // Closest at t = 0.6: EER = (1/4 + 1/3) / 2 = 7/24.
    const r = equalErrorRate(G, I);
    expect(r.threshold).toBe(0.6);
    expect(r.eer).toBeCloseTo(7 / 24, 12);
    expect(r).toMatchObject({ far: 0.25, frr: 1 / 3 });
    // Separable scores: at t = 0.8, FAR 0 and FRR 0 → EER 0.
    expect(equalErrorRate([0.9, 0.8], [0.1])).toMatchObject({ eer: 0, threshold: 0.8 });
  });

  it('refuses empty score lists and impossible targets', () => {
    expect(() => rocPoints([], I)).toThrow(/genuine and impostor/);
    expect(() => tarAtFar(G, I, 0)).toThrow(/target FAR/);
  });
});

// Bona fide scores B = [0.9, 0.8, 0.4, 0.7]; print attacks [0.6, 0.2]; replay attacks [0.85, 0.3, 0.1].
const live = (score: number): PadSample => ({ score, attackType: null });
const attack = (attackType: string, score: number): PadSample => ({ score, attackType });
const PAD = [live(0.9), live(0.8), live(0.4), live(0.7), attack('print', 0.6), attack('print', 0.2), attack('replay', 0.85), attack('replay', 0.3), attack('replay', 0.1)];

describe('presentation-attack detection metrics (ISO/IEC 30107-3)', () => {
  it('APCER per attack type, the worst type, BPCER and ACER at a threshold', () => {
    // t = 0.5: bona fide rejected: 0.4 → BPCER 1/4.
    // print accepted: 0.6 → 1/2; replay accepted: 0.85 → 1/3. Worst = print 1/2. Pooled: 2/5.
    // ACER = (1/2 + 1/4) / 2 = 3/8.
    const r = padRates(PAD, 0.5);
    expect(r.bpcer).toBe(0.25);
    expect(r.bonaFide).toBe(4);
    expect(r.apcerByType).toEqual({ print: { apcer: 0.5, attacks: 2 }, replay: { apcer: 1 / 3, attacks: 3 } });
    expect(r.apcerMax).toBe(0.5);
    expect(r.apcerPooled).toBeCloseTo(0.4, 12);
    expect(r.acer).toBe(0.375);
    // t = 0.86: every attack rejected (APCER 0), bona fide 0.9 only accepted → BPCER 3/4, ACER 3/8.
    expect(padRates(PAD, 0.86)).toMatchObject({ apcerMax: 0, bpcer: 0.75, acer: 0.375 });
  });

  it('PAD DET curve pools the attacks; BPCER at APCER follows the TAR-at-FAR rule', () => {
    const det = padDetPoints(PAD);
    // Distinct scores: ∞, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1 → 10 points.
    expect(det).toHaveLength(10);
    // t = 0.7: attacks ≥ 0.7: 0.85 → APCER 1/5; bona fide < 0.7: 0.4 → BPCER 1/4.
    expect(det.find((p) => p.threshold === 0.7)).toEqual({ threshold: 0.7, apcer: 0.2, bpcer: 0.25 });
    // APCER ≤ 0.2 (5 attacks: measurable, 5 × 0.2 = 1): best is t = 0.7 (BPCER 1/4); t = 0.6 would make APCER 2/5.
    expect(bpcerAtApcer(PAD, 0.2)).toEqual({ measurable: true, targetApcer: 0.2, bpcer: 0.25, apcer: 0.2, threshold: 0.7 });
    // APCER 5 % (BPCER20) needs ≥ 20 attacks.
    expect(bpcerAtApcer(PAD, 0.05)).toMatchObject({ measurable: false, attacksNeeded: 20 });
  });
});
