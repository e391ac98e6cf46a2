/**
 * face-api FaceRecognitionNet (`faceapi-face-recognition`): a 128-d face descriptor (face-api.js' port of
 * dlib's ResNet face recogniser). Same person ⇔ small euclidean distance; face-api's FaceMatcher uses 0.6.
 * The descriptor is not unit length (norm ≈ 1.4–1.5 on real faces).
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { toFaceApiFaceInput } from './faceapi-net-input.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (FaceRecognitionNet.forwardInput: toBatchTensor(150, true)). */
export const FACE_RECOGNITION_INPUT_SIZE = 150;
/** Descriptor length (models/manifest.json output `embedding` [batch, 128]). */
export const FACE_DESCRIPTOR_LENGTH = 128;

export class FaceApiFaceRecognition {
  constructor(private readonly session: ModelRunner) {}

  /** Descriptor of the face cut from `box` (pixels; clipped and floored, padded to a centred square). */
  async describe(image: RgbImage, box: Box): Promise<Float32Array> {
    const size = FACE_RECOGNITION_INPUT_SIZE;
    const input = toFaceApiFaceInput(image, box, size);
    const { embedding } = await this.session.run({ input: { data: input.tensor, dims: [1, 3, size, size] } }, ['embedding']);
    if (!embedding || embedding.data.length !== FACE_DESCRIPTOR_LENGTH) {
      throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "embedding" with ${FACE_DESCRIPTOR_LENGTH} values`);
    }
    return Float32Array.from(embedding.data);
  }
}
