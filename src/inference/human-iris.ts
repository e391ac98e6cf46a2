/**
 * Human's iris model (`human-iris`) on both eyes, placed by FaceMesh's eye corners: the eyelid contours that the
 * eyesClosed check and verifyVideo's blink signal read.
 */
import { AppError } from '../errors.js';
import type { FaceAnalysis } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRunner } from './batcher.js';
import { cropAndResizeUnit, type CropFrame, framePoint, HUMAN_FACE_CROP_SIZE, turnAbout } from './human-face-crop.js';
import type { FaceMesh } from './human-facemesh.js';

/** Human iris model input side, pixels (src/face/iris.ts: inputSize 64 from models/iris.json). */
export const IRIS_INPUT_SIZE = 64;
/** Eye box enlargement around the two eye corners (Human config.face.iris.scale default 2.3, src/face/iris.ts getEyeBox). */
export const IRIS_EYE_BOX_SCALE = 2.3;
/** FaceMesh indices of the eye corners (Human facemeshcoords.ts leftEyeLower0 / rightEyeLower0 first and last points). */
export const EYE_CORNERS = { left: [263, 362], right: [33, 133] } as const;

/**
 * Eye contour from the iris model, pixels of the image: 9 lower-lid points (0 = one corner … 8 = other) and 7 upper-lid
 * points, and the iris: its centre and 4 boundary points (iris model points 71–75; Human src/face/iris.ts
 * irisLandmarks.index 71).
 */
export interface EyeContour {
  lower: { x: number; y: number }[];
  upper: { x: number; y: number }[];
  iris: { x: number; y: number }[];
}

/**
 * Runs Human's iris model on both eyes (one batch of 2): each eye crop is the square around its two
 * FaceMesh corners ×2.3, taken from the original image (the same region Human cuts from its 192² crop) and turned as
 * the mesh's crop was (an upright eye for a tilted head), the left eye mirrored as MediaPipe's iris graph expects.
 * Returns the eyelid contours (iris model points 0–8 = EyeLower0, 9–15 = EyeUpper0; Human facemeshcoords.ts
 * irisIndices) in image pixels.
 */
export class IrisRunner {
  constructor(private readonly session: ModelRunner) {}

  /** The eyes of `analysis`' face, placed by its FaceMesh (FaceMeshRunner.run or runOnBox on the same image). */
  run(analysis: FaceAnalysis, mesh: FaceMesh): Promise<{ left: EyeContour; right: EyeContour }> {
    return this.runOnImage(analysis.image, mesh);
  }

  /** `run` for the image a mesh was made on (FaceMeshRunner.runOnBox(image, …)): the eyes are placed from the mesh's crop. */
  async runOnImage(image: RgbImage, mesh: FaceMesh): Promise<{ left: EyeContour; right: EyeContour }> {
    const size = IRIS_INPUT_SIZE;
    const { box: faceBox, angle } = mesh.crop;
    // The eye corners in the face crop's own frame, image pixels (before the crop's turn): the eye box is square there.
    const inFrame = (p: readonly number[]) => ({ x: faceBox.x + (p[0]! * faceBox.width) / HUMAN_FACE_CROP_SIZE, y: faceBox.y + (p[1]! * faceBox.height) / HUMAN_FACE_CROP_SIZE });
    const faceCentre = { x: faceBox.x + faceBox.width / 2, y: faceBox.y + faceBox.height / 2 };
    const eyeFrame = (corners: readonly [number, number]): CropFrame => {
      const [a, b] = corners.map((i) => inFrame(mesh.points[i]!)) as [{ x: number; y: number }, { x: number; y: number }];
      const half = (Math.max(Math.abs(a.x - b.x), Math.abs(a.y - b.y)) * IRIS_EYE_BOX_SCALE) / 2;
      // The eye's centre in the image: its point in the frame, turned with the face crop.
      const centre = turnAbout({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, faceCentre, angle);
      return { box: { x: centre.x - half, y: centre.y - half, width: 2 * half, height: 2 * half }, angle };
    };
    const frames = { left: eyeFrame(EYE_CORNERS.left), right: eyeFrame(EYE_CORNERS.right) };
    const plane = size * size;
    const input = new Float32Array(2 * 3 * plane);
    (['left', 'right'] as const).forEach((eye, b) => {
      const crop = cropAndResizeUnit(image, frames[eye].box, size, 1, angle);
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
      const point = (i: number) => {
        const u = landmarks.data[b * 228 + 3 * i]! / size;
        const v = landmarks.data[b * 228 + 3 * i + 1]! / size;
        return framePoint(frames[eye], eye === 'left' ? 1 - u : u, v);
      };
      return { lower: [0, 1, 2, 3, 4, 5, 6, 7, 8].map(point), upper: [9, 10, 11, 12, 13, 14, 15].map(point), iris: [71, 72, 73, 74, 75].map(point) };
    };
    return { left: contour(0, 'left'), right: contour(1, 'right') };
  }
}
