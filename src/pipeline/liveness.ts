/**
 * The liveness verdict (HyperVerge `liveFace`): every anti-spoofing model we have scores the primary face,
 * and one calibrated fusion (src/pipeline/liveness-calibration.ts, fitted by `npm run bench -- liveness`)
 * turns the per-model scores into one score 0–1 (higher = live) and a Verdict.
 *
 * Models: the embedded Human `antispoof` (face.real) and `liveness` (face.live), always; the MiniFASNet
 * V2 (×2.7) + V1SE (×4.0) pack, averaged as Silent-Face test.py does, when both packs are installed. The
 * fusion works on logits (log-odds) of each model's score: a logistic regression, so the fused score is a
 * probability again and the weights say how much each model counts.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { HumanAntispoof } from '../inference/human-antispoof.js';
import { humanFaceCrop, landmarkExtent } from '../inference/human-face-crop.js';
import { HumanLiveness } from '../inference/human-liveness.js';
import { MiniFasnet, averageRealProbability } from '../inference/minifasnet.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { FaceAnalysis, Verdict } from './types.js';
import { LIVENESS_CALIBRATION, type FusionFeature, type FusionModel, type LivenessCalibration } from './liveness-calibration.js';

/** Per-model live scores for one face, each 0–1, higher = live. */
export interface LivenessScores {
  /** Human antispoof `real`. */
  humanAntispoof: number;
  /** Human liveness probability of the live class. */
  humanLiveness: number;
  /** Mean real-class probability of MiniFASNet V2 and V1SE; absent when the packs are not installed. */
  minifasnet?: number;
}

export type LivenessFeature = FusionFeature;

/** Scores are clipped to [ε, 1 − ε] before the logit so a saturated 0 or 1 does not become ±∞ (ε = 1e-4: ±9.2). */
export const SCORE_EPSILON = 1e-4;

/** log(p / (1 − p)) with p clipped to [ε, 1 − ε]. */
export function logit(p: number): number {
  const q = Math.min(1 - SCORE_EPSILON, Math.max(SCORE_EPSILON, p));
  return Math.log(q / (1 - q));
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Fused live score 0–1: sigmoid(bias + Σ weight[f] · logit(score[f])) over the model's features. */
export function fuseScores(scores: LivenessScores, model: FusionModel): number {
  let z = model.bias;
  for (const [feature, weight] of Object.entries(model.weights) as [LivenessFeature, number][]) {
    const score = scores[feature];
    if (score === undefined) throw new Error(`liveness fusion: the model needs ${feature}, which was not scored`);
    z += weight * logit(score);
  }
  return sigmoid(z);
}

/**
 * The Verdict for a fused score: live when score ≥ threshold; confidence `high` when the score's logit is
 * at least `highConfidenceMargin` away from the threshold's logit (the margin is set from the calibration
 * data: see liveness-calibration.ts), `low` otherwise.
 */
export function livenessVerdict(score: number, model: Pick<FusionModel, 'threshold' | 'highConfidenceMargin'>): Verdict {
  const distance = Math.abs(logit(score) - logit(model.threshold));
  return { value: score >= model.threshold, score, confidence: distance >= model.highConfidenceMargin ? 'high' : 'low' };
}

/** The fusion to use: with the MiniFASNet pack when it was scored, otherwise the embedded-only one. */
export function fusionFor(scores: LivenessScores, calibration: LivenessCalibration = LIVENESS_CALIBRATION): FusionModel {
  return scores.minifasnet === undefined ? calibration.embedded : calibration.withMinifasnet;
}

/** Pack ids of the MiniFASNet variants (models/packs.json), with their face-crop scale. */
const MINIFASNET_PACKS = ['minifasnet-v2', 'minifasnet-v1se'] as const;

export class LivenessEstimator {
  private readonly antispoof: HumanAntispoof;
  private readonly liveness: HumanLiveness;
  /** Both MiniFASNet variants when both packs are installed, else none (one variant alone was not calibrated). */
  private readonly minifasnet: MiniFasnet[];

  constructor(
    registry: ModelRegistry,
    private readonly calibration: LivenessCalibration = LIVENESS_CALIBRATION,
  ) {
    this.antispoof = new HumanAntispoof(registry.get('human-antispoof').runner);
    this.liveness = new HumanLiveness(registry.get('human-liveness').runner);
    const packs = registry.list().filter((m) => m.origin === 'pack' && (MINIFASNET_PACKS as readonly string[]).includes(m.entry.id));
    this.minifasnet =
      packs.length === MINIFASNET_PACKS.length
        ? packs.map((m) => {
            const scale = m.origin === 'pack' ? m.entry.faceCropScale : undefined;
            if (!scale) throw new Error(`pack ${m.entry.id}: packs.json has no faceCropScale`);
            return new MiniFasnet(m.runner, scale);
          })
        : [];
  }

  /** Whether the MiniFASNet pack takes part. */
  get usesMinifasnet(): boolean {
    return this.minifasnet.length > 0;
  }

  /**
   * Per-model scores of a face. `detectorBox` (pixels) is the face box for MiniFASNet (the detector's box,
   * as Silent-Face uses its detector's); the Human models get their crop from the landmarks' extent
   * (human-face-crop.ts), scaled by `humanBoxScale` (1 = Human's own crop; other values for the bench).
   */
  async scoreFace(image: RgbImage, detectorBox: Box, landmarks: FaceAnalysis['landmarks68'], humanBoxScale = 1): Promise<LivenessScores> {
    const extent = landmarkExtent(landmarks);
    const box =
      humanBoxScale === 1
        ? extent
        : {
            x: extent.x + (extent.width * (1 - humanBoxScale)) / 2,
            y: extent.y + (extent.height * (1 - humanBoxScale)) / 2,
            width: extent.width * humanBoxScale,
            height: extent.height * humanBoxScale,
          };
    const crop = humanFaceCrop(image, box);
    const scores: LivenessScores = { humanAntispoof: await this.antispoof.scoreCrop(crop), humanLiveness: await this.liveness.scoreCrop(crop) };
    if (this.minifasnet.length > 0) scores.minifasnet = await averageRealProbability(this.minifasnet, image, detectorBox);
    return scores;
  }

  /** Per-model scores of the analysed primary face. */
  scores(analysis: FaceAnalysis): Promise<LivenessScores> {
    return this.scoreFace(analysis.image, analysis.primary.box, analysis.landmarks68);
  }

  /** The calibrated liveness Verdict of the analysed primary face. */
  async verdict(analysis: FaceAnalysis): Promise<Verdict & { scores: LivenessScores }> {
    const scores = await this.scores(analysis);
    const model = fusionFor(scores, this.calibration);
    return { ...livenessVerdict(fuseScores(scores, model), model), scores };
  }
}
