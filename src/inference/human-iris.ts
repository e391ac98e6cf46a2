/**
 * Human's iris model (`human-iris`) on both eyes, placed by FaceMesh's eye corners: the eyelid contours that the
 * eyesClosed check and verifyVideo's blink signal read.
 */
import { AppError } from '../errors.js';
import type { FaceAnalysis } from '../face/types.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRunner } from './batcher.js';
import { cropAndResizeUnit, HUMAN_FACE_CROP_SIZE, humanCropBox, landmarkExtent } from './human-face-crop.js';
import type { FaceMesh } from './human-facemesh.js';

/** Human iris model input side, pixels (src/face/iris.ts: inputSize 64 from models/iris.json). */
export const IRIS_INPUT_SIZE = 64;
/** Eye box enlargement around the two eye corners (Human config.face.iris.scale default 2.3, src/face/iris.ts getEyeBox). */
export const IRIS_EYE_BOX_SCALE = 2.3;
/** FaceMesh indices of the eye corners (Human facemeshcoords.ts leftEyeLower0 / rightEyeLower0 first and last points). */
export const EYE_CORNERS = { left: [263, 362], right: [33, 133] } as const;

/** Eye contour from the iris model, pixels of the image: 9 lower-lid points (0 = one corner … 8 = other) and 7 upper-lid points. */
export interface EyeContour {
  lower: { x: number; y: number }[];
  upper: { x: number; y: number }[];
}

/**
 * Runs Human's iris model on both eyes (one batch of 2): each eye crop is the square around its two
 * FaceMesh corners ×2.3, taken from the original image (the same region Human cuts from its 192² crop),
 * the left eye mirrored as MediaPipe's iris graph expects. Returns the eyelid contours (iris model points
 * 0–8 = EyeLower0, 9–15 = EyeUpper0; Human facemeshcoords.ts irisIndices) in image pixels.
 */
export class IrisRunner {
  constructor(private readonly session: ModelRunner) {}

  run(analysis: FaceAnalysis, mesh: FaceMesh): Promise<{ left: EyeContour; right: EyeContour }> {
    return this.runOnBox(analysis.image, landmarkExtent(analysis.landmarks68), mesh);
  }

  /** `run` for a mesh made by FaceMeshRunner.runOnBox(image, detectorBox): the eyes are placed from the same crop. */
  async runOnBox(image: RgbImage, detectorBox: Box, mesh: FaceMesh): Promise<{ left: EyeContour; right: EyeContour }> {
    const size = IRIS_INPUT_SIZE;
    const faceBox = humanCropBox(detectorBox);
    const toImage = (p: readonly number[]) => ({ x: faceBox.x + (p[0]! * faceBox.width) / HUMAN_FACE_CROP_SIZE, y: faceBox.y + (p[1]! * faceBox.height) / HUMAN_FACE_CROP_SIZE });
    const eyeBox = (corners: readonly [number, number]): Box => {
      const [a, b] = corners.map((i) => toImage(mesh.points[i]!)) as [{ x: number; y: number }, { x: number; y: number }];
      const cx = (a.x + b.x) / 2;
      const cy = (a.y + b.y) / 2;
      const half = (Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y)) * IRIS_EYE_BOX_SCALE) / 2;
      return { x: cx - half, y: cy - half, width: 2 * half, height: 2 * half };
    };
    const boxes = { left: eyeBox(EYE_CORNERS.left), right: eyeBox(EYE_CORNERS.right) };
    const plane = size * size;
    const input = new Float32Array(2 * 3 * plane);
    (['left', 'right'] as const).forEach((eye, b) => {
      const crop = cropAndResizeUnit(image, boxes[eye], size);
      const flip = eye === 'left';
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const src = (y * size + (flip ? size - 1 - x : x)) * 3;
          for (let c = 0; c < 3; c++) input[b * 3 * plane + c * plane + y * size + x] = crop[src + c]!;
        }
      }
    });
    const { landmarks } = await this.session.run({ input: { data: input, dims: [2, 3, size, size] } }, ['landmarks']);
    if (!landmarks || landmarks.data.length !== 2 * 228) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "landmarks" with 2 × 228 values`);
    const contour = (b: number, eye: 'left' | 'right'): EyeContour => {
      const box = boxes[eye];
      const point = (i: number) => {
        const u = landmarks.data[b * 228 + 3 * i]! / size;
        const v = landmarks.data[b * 228 + 3 * i + 1]! / size;
        return { x: box.x + (eye === 'left' ? 1 - u : u) * box.width, y: box.y + v * box.height };
      };
      return { lower: [0, 1, 2, 3, 4, 5, 6, 7, 8].map(point), upper: [9, 10, 11, 12, 13, 14, 15].map(point) };
    };
    return { left: contour(0, 'left'), right: contour(1, 'right') };
  }
}
