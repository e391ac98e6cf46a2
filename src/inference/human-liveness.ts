/**
 * Human's liveness model (`human-liveness`, models/manifest.json; upstream leokwu/livenessnet): a small CNN
 * that looks for recording artefacts (a face replayed on a screen). Output: softmax over 2 classes, index 0 =
 * live (Human returns data()[0] as `face.live`, src/face/liveness.ts). Input: Human's 192² face crop resized to
 * 32×32, RGB 0–1.
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { humanFaceCrop, humanModelInput } from './human-face-crop.js';
import type { ModelSession } from './session.js';

/** Network input side, pixels (models/liveness.json input shape [-1, 32, 32, 3]). */
export const HUMAN_LIVENESS_INPUT_SIZE = 32;
/** Softmax index of the live class (Human src/face/liveness.ts reads index 0 as `face.live`). */
export const HUMAN_LIVENESS_LIVE_CLASS = 0;

export class HumanLiveness {
  constructor(private readonly session: ModelSession) {}

  /** Live probability 0–1 from Human's 192² crop (HWC float 0–1, see human-face-crop.ts). */
  async scoreCrop(crop: Float32Array): Promise<number> {
    const size = HUMAN_LIVENESS_INPUT_SIZE;
    const { probabilities } = await this.session.run({ input: { data: humanModelInput(crop, size), dims: [1, 3, size, size] } }, ['probabilities']);
    if (!probabilities || probabilities.data.length !== 2) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "probabilities" with 2 values`);
    return probabilities.data[HUMAN_LIVENESS_LIVE_CLASS]!;
  }

  /** Live probability 0–1 for the face whose detector box (pixels) is `detectorBox`. */
  async score(image: RgbImage, detectorBox: Box): Promise<number> {
    return this.scoreCrop(humanFaceCrop(image, detectorBox));
  }
}
