/**
 * face-api AgeGenderNet (`faceapi-age-gender`, models/manifest.json): age in years (regression) and
 * [male, female] probabilities from a face crop. Pre-processing is face-api's per-face input
 * (faceapi-net-input.ts toFaceApiFaceInput at 112×112); the graph normalises the pixels itself.
 *
 * Which box: face-api's `detectAllFaces().withFaceLandmarks().withAgeAndGender()` crops the landmark-aligned
 * box (globalApi/PredictAgeAndGenderTask.ts uses `alignedRect`), which is the landmarks' bounding box padded
 * by 20 % of its width and height (classes/FaceLandmarks.ts align → alignMinBbox(minBoxPadding = 0.2)).
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import type { Point } from '../face/types.js';
import { toFaceApiFaceInput } from './faceapi-net-input.js';
import { landmarkExtent } from './human-face-crop.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (face-api AgeGenderNet: toBatchTensor(112, true)). */
export const AGE_GENDER_INPUT_SIZE = 112;
/** face-api FaceLandmarks.align default `minBoxPadding`: the landmark box grows by 20 % of its size. */
export const ALIGNED_BOX_PADDING = 0.2;

export interface AgeGenderPrediction {
  /** Estimated age, years (unbounded regression; typically 0–100). */
  age: number;
  /** Probability 0–1 that the face is male (softmax index 0); female = 1 − male. */
  male: number;
}

/** face-api's aligned face box: the landmarks' bounding box padded by `padding` × its size, centred. */
export function alignedFaceBox(landmarks: readonly Point[], padding = ALIGNED_BOX_PADDING): Box {
  const box = landmarkExtent(landmarks);
  const padX = box.width * padding;
  const padY = box.height * padding;
  return { x: box.x - padX / 2, y: box.y - padY / 2, width: box.width + padX, height: box.height + padY };
}

export class FaceApiAgeGender {
  constructor(private readonly session: ModelRunner) {}

  /** Age and gender of the face in `box` (image pixels; use alignedFaceBox for face-api's behaviour). */
  async predict(image: RgbImage, box: Box): Promise<AgeGenderPrediction> {
    const size = AGE_GENDER_INPUT_SIZE;
    const input = toFaceApiFaceInput(image, box, size);
    const { age, gender } = await this.session.run({ input: { data: input.tensor, dims: [1, 3, size, size] } }, ['age', 'gender']);
    if (!age || age.data.length !== 1 || !gender || gender.data.length !== 2) {
      throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "age" [1] and "gender" [1, 2]`);
    }
    return { age: age.data[0]!, male: gender.data[0]! };
  }
}
