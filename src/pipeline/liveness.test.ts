import { describe, expect, it } from 'vitest';
import { LIVENESS_CALIBRATION, SELFIE_LIVENESS_CALIBRATION } from './liveness-calibration.js';
import {
  type ContextSignals,
  SCORE_EPSILON,
  TIGHT_CROP_CONTEXT_RATIO,
  faceFraming,
  fuseScores,
  fuseSelfie,
  fusionFor,
  guessAttackType,
  highestSelfieScore,
  judgeSelfie,
  livenessVerdict,
  logit,
  selfieVerdict,
  sigmoid,
} from './liveness.js';

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

describe('selfie liveness (models + context)', () => {
  const signal = (score: number) => ({ score, evidence: {} as never });
  type Cues = Partial<Record<'presentationDevice' | 'hands' | 'framingEdges' | 'screenPeriodic' | 'screenColour', number>>;
  const context = (o: Cues = {}) =>
    ({
      presentationDevice: { score: o.presentationDevice ?? 0, evidence: { candidates: [], ...(o.presentationDevice ? { device: { label: 'tv', detectorScore: 0.9, box: { x: 0, y: 0, width: 9, height: 9 }, faceInside: 1, personOutside: 0, attackType: 'screen' } } : {}) } },
      hands: signal(o.hands ?? 0),
      framingEdges: signal(o.framingEdges ?? 0),
      screenRecapture: { score: Math.max(o.screenPeriodic ?? 0, o.screenColour ?? 0), evidence: { periodicScore: o.screenPeriodic ?? 0, colourScore: o.screenColour ?? 0 } },
    }) as unknown as ContextSignals;
  const model = {
    weights: { minifasnet: 1, humanLiveness: 0.5, presentationDevice: -3, framingEdges: -2, screenPeriodic: -1, screenColour: -0.25, hands: -0.5 },
    bias: 0,
    threshold: 0.5,
    confidentLiveAt: 0.8,
    confidentAttackBelow: 0.2,
  };
  const tightModel = { weights: { minifasnet: 2, humanLiveness: 1 }, bias: -1, threshold: 0.5, confidentLiveAt: 0.9, confidentAttackBelow: 0.1 };
  const calibration = {
    withMinifasnet: model,
    embedded: { ...model, weights: { humanLiveness: 1, framingEdges: -2 } },
    tightCrop: { withMinifasnet: tightModel, embedded: { ...tightModel, weights: { humanLiveness: 1 } } },
  };

  it('the framing rule: a tight crop is under 1.25 face boxes across its tighter axis', () => {
    expect(TIGHT_CROP_CONTEXT_RATIO).toBe(1.25);
    expect(faceFraming(150, 150, { x: 10, y: 10, width: 130, height: 125 })).toEqual({ contextRatio: 150 / 130, tightCrop: true });
    expect(faceFraming(640, 480, { x: 200, y: 100, width: 150, height: 180 }).tightCrop).toBe(false);
  });

  it('fuses logits of the model scores and the 0–1 context signals linearly', () => {
    const models = { humanAntispoof: 0.5, humanLiveness: 0.8, minifasnet: 0.9 };
    const expected = sigmoid(logit(0.9) + 0.5 * logit(0.8) - 3 * 0.7 - 2 * 0.5);
    expect(fuseSelfie(models, context({ presentationDevice: 0.7, framingEdges: 0.5 }), model)).toBeCloseTo(expected, 12);
  });

  it('has an uncertain band between the confident edges, on both sides of the threshold', () => {
    expect(selfieVerdict(0.9, model)).toEqual({ value: true, score: 0.9, confidence: 'high' });
    expect(selfieVerdict(0.6, model)).toEqual({ value: true, score: 0.6, confidence: 'low' });
    expect(selfieVerdict(0.4, model)).toEqual({ value: false, score: 0.4, confidence: 'low' });
    expect(selfieVerdict(0.1, model)).toEqual({ value: false, score: 0.1, confidence: 'high' });
  });

  it('names the attack type only from evidence that tells the medium apart', () => {
    expect(guessAttackType(context({ presentationDevice: 0.9, framingEdges: 0.2 }))).toBe('screen');
    expect(guessAttackType(context({ presentationDevice: 0.3 }))).toBe('unknown');
    expect(guessAttackType(context({ screenPeriodic: 0.9 }))).toBe('screen');
    expect(guessAttackType(context({ framingEdges: 0.9, screenColour: 0.9, hands: 0.9 }))).toBe('unknown');
    expect(guessAttackType(context())).toBe('unknown');
    expect(guessAttackType(undefined)).toBe('unknown');
  });

  it('feeds the screen signal to the fusion as its two cues', () => {
    const models = { humanAntispoof: 0.5, humanLiveness: 0.5, minifasnet: 0.5 };
    expect(fuseSelfie(models, context({ screenPeriodic: 1 }), model)).toBeCloseTo(sigmoid(-1), 12);
    expect(fuseSelfie(models, context({ screenColour: 1 }), model)).toBeCloseTo(sigmoid(-0.25), 12);
  });

  it('judges a full-frame selfie with the setup installed; says when the pack is missing', () => {
    const framing = { contextRatio: 3, tightCrop: false };
    const withPack = judgeSelfie({ models: { humanAntispoof: 0.5, humanLiveness: 0.9, minifasnet: 0.95 }, context: context(), framing }, calibration);
    expect(withPack).toMatchObject({ value: true, confidence: 'high', limitations: [] });
    expect(withPack.signals).toEqual({ minifasnet: 0.95, humanLiveness: 0.9, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 });
    const attack = judgeSelfie({ models: { humanAntispoof: 0.5, humanLiveness: 0.9, minifasnet: 0.95 }, context: context({ presentationDevice: 1, framingEdges: 1 }), framing }, calibration);
    expect(attack).toMatchObject({ value: false, attackType: 'screen' });
    const embedded = judgeSelfie({ models: { humanAntispoof: 0.5, humanLiveness: 0.9 }, context: context(), framing }, calibration);
    expect(embedded.limitations).toEqual(['antiSpoofingPackMissing']);
    expect(embedded.score).toBeCloseTo(sigmoid(logit(0.9)), 12);
    expect(embedded.signals).not.toHaveProperty('minifasnet');
  });

  it('bounds the fused score: no selfie scores above highestSelfieScore, the best one reaches it', () => {
    const m = { weights: { minifasnet: 0.5, humanLiveness: -0.2, framingEdges: -3, screenPeriodic: 1 }, bias: 0.1 };
    const best = fuseSelfie({ humanLiveness: 0, minifasnet: 1 }, context({ framingEdges: 0, screenPeriodic: 1 }), m as never);
    expect(highestSelfieScore(m)).toBe(best);
    for (const [live, mini, edges, periodic] of [[0.9, 0.99, 0, 0.2], [0.5, 0.5, 0.3, 1], [1, 1, 0, 0]] as const) {
      expect(fuseSelfie({ humanLiveness: live, minifasnet: mini }, context({ framingEdges: edges, screenPeriodic: periodic }), m as never)).toBeLessThanOrEqual(best);
    }
    // Why checkLiveness runs the SSD alone without the pack: the embedded calibration never reaches a confident pass.
    const { embedded, withMinifasnet } = SELFIE_LIVENESS_CALIBRATION;
    expect(highestSelfieScore(embedded)).toBeLessThan(embedded.confidentLiveAt);
    expect(highestSelfieScore(withMinifasnet)).toBeGreaterThanOrEqual(withMinifasnet.confidentLiveAt);
  });

  it('answers a tight crop with the models-only fusion and low confidence, saying why', () => {
    const models = { humanAntispoof: 0.5, humanLiveness: 0.99, minifasnet: 0.99 };
    const v = judgeSelfie({ models, framing: { contextRatio: 1.05, tightCrop: true } }, calibration);
    expect(v).toMatchObject({ value: true, confidence: 'low', limitations: ['tightFaceCrop'] });
    expect(v.score).toBeCloseTo(sigmoid(-1 + 2 * logit(0.99) + logit(0.99)), 12);
    const attack = judgeSelfie({ models: { ...models, minifasnet: 0.01, humanLiveness: 0.2 }, framing: { contextRatio: 1.05, tightCrop: true } }, calibration);
    expect(attack).toMatchObject({ value: false, confidence: 'low', attackType: 'unknown' });
    // A context feature in a tight-crop model is a calibration error, not a silent 0.
    expect(() => judgeSelfie({ models, framing: { contextRatio: 1, tightCrop: true } }, { ...calibration, tightCrop: { ...calibration.tightCrop, withMinifasnet: model } })).toThrow(/framingEdges|presentationDevice|context signal/);
  });
});
