/**
 * Human's FaceMesh (`human-facemesh`), run once per request for the quality checks that read it (eyesClosed,
 * headTurned, occlusion) and per frame by verifyVideo. Human feeds FaceMesh its 192² face crop (the BlazeFace box
 * ×1.4, square, 0–1; human src/face/facemesh.ts → facemeshutil.ts cutAndResize); we cut the same crop around the stand-in box that
 * src/inference/human-face-crop.ts defines (the extent of face-api's 68 landmarks), so these numbers follow
 * Human's own thresholds (src/gesture/gesture.ts) as closely as our detector allows.
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { HUMAN_FACE_CROP_SIZE, humanCropBox, humanFaceCrop, humanModelInput, landmarkExtent } from './human-face-crop.js';
import type { ModelRunner } from './batcher.js';
import type { FaceAnalysis, Point } from '../face/types.js';

/** 468 points (x, y, z) in pixels of the 192² crop; z is relative depth on the same scale (negative = towards the camera). */
export interface FaceMesh {
  points: [number, number, number][];
  /** FaceMesh face-presence probability 0–1 (sigmoid in the graph). */
  faceScore: number;
}

/** Splits the model's flat 1404 values into 468 (x, y, z) points. */
export function meshPoints(flat: ArrayLike<number>): [number, number, number][] {
  if (flat.length !== 468 * 3) throw new AppError('INFERENCE_FAILED', `face mesh: expected 1404 values, got ${flat.length}`);
  const points: [number, number, number][] = [];
  for (let i = 0; i < 468; i++) points.push([flat[3 * i]!, flat[3 * i + 1]!, flat[3 * i + 2]!]);
  return points;
}

/**
 * The mesh's points (x, y) in image pixels, for a mesh run on the crop around `detectorBox` (runOnBox): Human's crop
 * box (humanCropBox) scaled from the 192² crop back to the image.
 */
export function meshPointsInImage(mesh: FaceMesh, detectorBox: Box): Point[] {
  const crop = humanCropBox(detectorBox);
  const scaleX = crop.width / HUMAN_FACE_CROP_SIZE;
  const scaleY = crop.height / HUMAN_FACE_CROP_SIZE;
  return mesh.points.map(([x, y]) => ({ x: crop.x + x * scaleX, y: crop.y + y * scaleY }));
}

export class FaceMeshRunner {
  constructor(private readonly session: ModelRunner) {}

  /** FaceMesh of the analysed face: its crop is cut around the extent of the face's 68 landmarks. */
  run(analysis: FaceAnalysis): Promise<FaceMesh> {
    return this.runOnBox(analysis.image, landmarkExtent(analysis.landmarks68));
  }

  /**
   * FaceMesh on Human's crop around `detectorBox` (pixels of `image`; the stand-in detector box, as landmarkExtent
   * gives it): what `run` does, for a box that comes from elsewhere, such as the previous video frame's mesh
   * (src/pipeline/motion-series.ts tracks a face that way, as Human does between detector runs).
   */
  async runOnBox(image: RgbImage, detectorBox: Box): Promise<FaceMesh> {
    const size = HUMAN_FACE_CROP_SIZE;
    const crop = humanFaceCrop(image, detectorBox);
    const out = await this.session.run({ input: { data: humanModelInput(crop, size), dims: [1, 3, size, size] } }, ['mesh', 'face_score']);
    if (!out.mesh || !out.face_score) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "mesh" and "face_score"`);
    return { points: meshPoints(out.mesh.data), faceScore: out.face_score.data[0]! };
  }
}
