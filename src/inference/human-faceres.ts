/**
 * Human's face descriptor (`human-faceres`, models/manifest.json; upstream HSE-FaceRes by A. Savchenko, tfjs
 * conversion by Human): a 1024-d descriptor (with age and gender, unused here) from Human's 192² face crop resized
 * to 224² and scaled to 0–255 (human src/face/faceres.ts enhance). Used by `npm run bench -- match` to measure it
 * against and fused with face-api's 128-d descriptor; the service does not load it (bench/RESULTS.md, "matchFace:
 * similarity-aligned crops": alone and fused it separated the dev identity pairs worse than face-api alone).
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { humanFaceCrop, humanModelInput } from './human-face-crop.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (models/faceres.json input shape [-1, 224, 224, 3]). */
export const FACERES_INPUT_SIZE = 224;
/** Descriptor length (models/manifest.json output `embedding` [batch, 1024]). */
export const FACERES_DESCRIPTOR_LENGTH = 1024;
/** Human multiplies its 0–1 crop by 255 before the network (src/face/faceres.ts enhance, constants.tf255). */
const PIXEL_SCALE = 255;

/** Human's 192² crop (HWC 0–1, human-face-crop.ts) → the network's NCHW input, 0–255. */
export function faceResInput(crop: Float32Array): Float32Array {
  return humanModelInput(crop, FACERES_INPUT_SIZE).map((v) => v * PIXEL_SCALE);
}

export class HumanFaceRes {
  constructor(private readonly session: ModelRunner) {}

  /** Descriptor (1024 values, each 0–6: ReLU6 features, not normalised) of the face whose detector box (pixels) is `detectorBox`. */
  async describe(image: RgbImage, detectorBox: Box): Promise<Float32Array> {
    return this.describeInput(faceResInput(humanFaceCrop(image, detectorBox)));
  }

  /** Descriptor from a prepared input (faceResInput). */
  async describeInput(input: Float32Array): Promise<Float32Array> {
    const size = FACERES_INPUT_SIZE;
    const { embedding } = await this.session.run({ input: { data: input, dims: [1, 3, size, size] } }, ['embedding']);
    if (!embedding || embedding.data.length !== FACERES_DESCRIPTOR_LENGTH) {
      throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "embedding" with ${FACERES_DESCRIPTOR_LENGTH} values`);
    }
    return Float32Array.from(embedding.data);
  }
}
