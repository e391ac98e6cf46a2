/**
 * face-api FaceLandmark68Net (`faceapi-face-landmark-68`): 68 face landmarks (iBUG 300-W order: 0–16 jaw,
 * 17–26 brows, 27–35 nose, 36–41 left eye, 42–47 right eye, 48–67 mouth; "left" = the subject's right,
 * image left) from a face box.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { AppError } from '../errors.js';
import type { Point } from '../face/types.js';
import { toFaceApiFaceInput } from './faceapi-net-input.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (face-api FaceFeatureExtractor.forwardInput: toBatchTensor(112, true)). */
export const FACE_LANDMARK_68_INPUT_SIZE = 112;

/**
 * Maps the network's 136 values (x, y pairs, 0–1 of the centred square the crop was padded to) back to
 * image pixels; the inverse of the padding, as face-api's FaceLandmark68NetBase.postProcess does.
 */
export function landmarksToImage(output: ArrayLike<number>, crop: Box): Point[] {
  if (output.length !== 136) throw new AppError('INFERENCE_FAILED', `landmarks: expected 136 values, got ${output.length}`);
  const side = Math.max(crop.width, crop.height);
  const padX = (side - crop.width) / 2;
  const padY = (side - crop.height) / 2;
  const points: Point[] = [];
  for (let i = 0; i < 68; i++) points.push({ x: crop.x + output[2 * i]! * side - padX, y: crop.y + output[2 * i + 1]! * side - padY });
  return points;
}

export class FaceApiLandmarks68 {
  constructor(private readonly session: ModelRunner) {}

  /** 68 landmarks of the face in `box`, image pixels. */
  async detect(image: RgbImage, box: Box): Promise<Point[]> {
    const size = FACE_LANDMARK_68_INPUT_SIZE;
    const input = toFaceApiFaceInput(image, box, size);
    const { landmarks } = await this.session.run({ input: { data: input.tensor, dims: [1, 3, size, size] } }, ['landmarks']);
    if (!landmarks) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "landmarks"`);
    return landmarksToImage(landmarks.data, input.crop);
  }
}
