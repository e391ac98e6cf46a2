/**
 * Human's anti-spoofing model (`human-antispoof`, models/manifest.json): a small CNN that scores whether a
 * face looks real, 0–1, higher = real (Human's `face.real`). Input: Human's 192² face crop resized to
 * 128×128, RGB 0–1 (human src/face/antispoof.ts predict). Human rounds the score to 2 decimals; we keep
 * the full value (the rounding is for display only).
 */
import { HumanCropClassifier, type HumanCropClassifierSpec } from './human-crop-classifier.js';
import type { ModelRunner } from './batcher.js';

export const HUMAN_ANTISPOOF_SPEC: HumanCropClassifierSpec = Object.freeze({
  /** models/antispoof.json input shape [-1, 128, 128, 3]. */
  inputSize: 128,
  /** One sigmoid value per face: the real-face score. */
  output: 'real',
  outputLength: 1,
  scoreIndex: 0,
});

export class HumanAntispoof extends HumanCropClassifier {
  constructor(session: ModelRunner) {
    super(session, HUMAN_ANTISPOOF_SPEC);
  }
}
