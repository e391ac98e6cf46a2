/**
 * Human's anti-spoofing model (`human-antispoof`, models/manifest.json): a small CNN that scores whether a
 * face looks real, 0–1, higher = real (Human's `face.real`). Input: Human's 192² face crop resized to
 * 128×128, RGB 0–1 (human src/face/antispoof.ts predict). Human rounds the score to 2 decimals; we keep
 * the full value (the rounding is for display only).
 */
import { AppError } from '../errors.js';
import type { RgbImage } from '../imaging/image.js';
import { humanFaceCrop, humanModelInput } from './human-face-crop.js';
import type { Box } from '../imaging/geometry.js';
import type { ModelSession } from './session.js';

/** Network input side, pixels (models/antispoof.json input shape [-1, 128, 128, 3]). */
export const HUMAN_ANTISPOOF_INPUT_SIZE = 128;

export class HumanAntispoof {
  constructor(private readonly session: ModelSession) {}

  /** Real-face score 0–1 (higher = real) from Human's 192² crop (HWC float 0–1, see human-face-crop.ts). */
  async scoreCrop(crop: Float32Array): Promise<number> {
    const size = HUMAN_ANTISPOOF_INPUT_SIZE;
    const { real } = await this.session.run({ input: { data: humanModelInput(crop, size), dims: [1, 3, size, size] } }, ['real']);
    if (!real || real.data.length !== 1) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "real" with 1 value`);
    return real.data[0]!;
  }

  /** Real-face score 0–1 for the face whose detector box (pixels) is `detectorBox`. */
  async score(image: RgbImage, detectorBox: Box): Promise<number> {
    return this.scoreCrop(humanFaceCrop(image, detectorBox));
  }
}
