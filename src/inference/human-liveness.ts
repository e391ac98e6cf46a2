/**
 * Human's liveness model (`human-liveness`, models/manifest.json; upstream leokwu/livenessnet): a small CNN
 * that looks for recording artefacts (a face replayed on a screen). Output: softmax over 2 classes, index 0 =
 * live (Human returns data()[0] as `face.live`, src/face/liveness.ts). Input: Human's 192² face crop resized to
 * 32×32, RGB 0–1.
 */
import { HumanCropClassifier, type HumanCropClassifierSpec } from './human-crop-classifier.js';
import type { ModelRunner } from './batcher.js';

export const HUMAN_LIVENESS_SPEC: HumanCropClassifierSpec = Object.freeze({
  /** models/liveness.json input shape [-1, 32, 32, 3]. */
  inputSize: 32,
  /** Softmax over [live, fake]. */
  output: 'probabilities',
  outputLength: 2,
  /** Human src/face/liveness.ts reads index 0 as `face.live`. */
  scoreIndex: 0,
});

export class HumanLiveness extends HumanCropClassifier {
  constructor(session: ModelRunner) {
    super(session, HUMAN_LIVENESS_SPEC);
  }
}
