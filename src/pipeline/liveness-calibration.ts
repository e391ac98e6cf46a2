/**
 * Calibrated liveness fusion constants, fitted by `npm run bench -- liveness` (bench/liveness.ts) on
 * 2026-11-22 (2-core AMD EPYC, CPU, onnxruntime-node 1.29.0) from ../shared/data: liveness/silent_face (1 live,
 * 2 attacks), liveness/tranvanluyt crops (25 + 25) and every 10th frame of videos/liveness_tranvanluyt/
 * {real,fake}.mp4 (64 + 66). Numbers in bench/RESULTS.md ("Liveness calibration").
 *
 * Fusion = L2-regularised (λ = 1) class-balanced logistic regression on logit(score) of each model; groups
 * for leave-one-group-out = silent_face + 5 time blocks of the tranvanluyt recordings. Threshold = the one
 * minimising out-of-fold ACER ((APCER + BPCER) / 2, ISO/IEC 30107-3). The data hold two people: treat the
 * operating point as provisional, and re-run the bench on your own bona fide and attack captures.
 *
 * Human `antispoof` is scored but has no weight: on this data it ranks attacks above bona fide (ROC AUC 0.32;
 * it was trained to spot computer-generated faces, not print or replay attacks).
 */
export type FusionFeature = 'humanAntispoof' | 'humanLiveness' | 'minifasnet';

export interface FusionModel {
  /** Logistic-regression weight per model, applied to logit(score); models not listed are not used. */
  weights: Partial<Record<FusionFeature, number>>;
  /** Logistic-regression intercept (logits). */
  bias: number;
  /** Fused score (0–1) at or above which the face is live. */
  threshold: number;
  /**
   * |logit(score) − logit(threshold)| at or above which confidence is `high`: the largest distance at which an
   * out-of-fold sample was still misclassified, rounded up, at least 1 logit. Beyond it, no calibration sample
   * was wrong.
   */
  highConfidenceMargin: number;
}

export interface LivenessCalibration {
  /** Embedded models only (no pack installed). LOGO: APCER 15.0 %, BPCER 15.7 %; high confidence on 3 % of samples. */
  embedded: FusionModel;
  /** Embedded models + the MiniFASNet V2/V1SE pack. LOGO: APCER 1.8 %, BPCER 4.7 %; high confidence on 85 % of samples. */
  withMinifasnet: FusionModel;
}

export const LIVENESS_CALIBRATION: LivenessCalibration = {
  embedded: { weights: { humanLiveness: 0.3191 }, bias: -1.3746, threshold: 0.4542, highConfidenceMargin: 1.7 },
  withMinifasnet: { weights: { humanLiveness: 0.1032, minifasnet: 0.3867 }, bias: 0.6386, threshold: 0.4181, highConfidenceMargin: 1.4 },
};
