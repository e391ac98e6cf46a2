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
import { cropAndResizeUnit, type CropFrame, framePoint, HUMAN_FACE_CROP_SIZE, humanCropBox, humanModelInput, turnedLandmarkBox } from './human-face-crop.js';
import type { ModelRunner } from './batcher.js';
import type { FaceAnalysis, Point } from '../face/types.js';

/** 468 points (x, y, z) in pixels of the 192² crop; z is relative depth on the same scale (negative = towards the camera). */
export interface FaceMesh {
  points: [number, number, number][];
  /** FaceMesh face-presence probability 0–1 (sigmoid in the graph). */
  faceScore: number;
  /** Where the crop was cut in the image: Human's crop box of the detector box, and the angle it was turned by (the face's roll). */
  crop: CropFrame;
}

/** Splits the model's flat 1404 values into 468 (x, y, z) points. */
export function meshPoints(flat: ArrayLike<number>): [number, number, number][] {
  if (flat.length !== 468 * 3) throw new AppError('INFERENCE_FAILED', `face mesh: expected 1404 values, got ${flat.length}`);
  const points: [number, number, number][] = [];
  for (let i = 0; i < 468; i++) points.push([flat[3 * i]!, flat[3 * i + 1]!, flat[3 * i + 2]!]);
  return points;
}

/** The mesh's points (x, y) in image pixels: the 192² crop mapped back onto where it was cut (mesh.crop). */
export function meshPointsInImage(mesh: FaceMesh): Point[] {
  return mesh.points.map(([x, y]) => framePoint(mesh.crop, x / HUMAN_FACE_CROP_SIZE, y / HUMAN_FACE_CROP_SIZE));
}

/** FaceMesh indices of the eye corners (MediaPipe canonical face mesh): image-left eye 33, 133; image-right eye 362, 263. */
const EYE_CORNER_POINTS = { imageLeft: [33, 133], imageRight: [362, 263] } as const;

/**
 * The face's roll as the mesh sees it, radians: the angle of the line from the image-left eye's centre to the
 * image-right one's (each the midpoint of its two corners), in image pixels: rollFromLandmarks' measure
 * (src/pipeline/analyze.ts), read off a mesh. Where a face is tracked from frame to frame, the previous frame's mesh turns
 * the next frame's crop, as Human turns its tracked crop by the angle of the previous mesh (human src/face/facemesh.ts
 * predict with detector.rotation: computeRotation over the mesh's symmetry line).
 */
export function meshRoll(mesh: FaceMesh): number {
  // Only the four corners are mapped to the image (the tracker calls this on every frame).
  const inImage = (i: number) => framePoint(mesh.crop, mesh.points[i]![0] / HUMAN_FACE_CROP_SIZE, mesh.points[i]![1] / HUMAN_FACE_CROP_SIZE);
  const centre = ([a, b]: readonly [number, number]) => {
    const [p, q] = [inImage(a), inImage(b)];
    return { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
  };
  const [left, right] = [centre(EYE_CORNER_POINTS.imageLeft), centre(EYE_CORNER_POINTS.imageRight)];
  return Math.atan2(right.y - left.y, right.x - left.x);
}

export class FaceMeshRunner {
  constructor(private readonly session: ModelRunner) {}

  /**
   * FaceMesh of the analysed face: its crop is cut around the extent of the face's 68 landmarks, turned upright by the
   * face's roll (the extent measured in the face's own frame), as MediaPipe's face-landmark graph turns its region of
   * interest by the detector's eye-line angle: FaceMesh was trained on upright faces. On the axis-aligned crop (Human's
   * default, config.face.detector.rotation false) a tilted head moved the answers that read the mesh: roll made a
   * frontal face "turned" and closed eyes "open" (bench/RESULTS.md "FaceMesh on a tilted head").
   *
   * Every face is turned, however small its roll, rather than only past Human's own 0.2 rad (facemeshutil.ts
   * correctFaceRotation, largeAngle): in a video a head whose roll crosses such an edge changes crops from one frame to
   * the next, and the mesh's pitch with them (≈ 15° on the Hamilton clip from 7.75 to 8.0 s, roll 10° → 14°), which
   * the trackers take for a lost face (face-tracking.ts headJumped). Measured both ways (bench/RESULTS.md "FaceMesh on
   * an upright crop").
   */
  run(analysis: FaceAnalysis): Promise<FaceMesh> {
    return this.runOnBox(analysis.image, turnedLandmarkBox(analysis.landmarks68, analysis.roll), analysis.roll);
  }

  /**
   * FaceMesh on Human's crop around `detectorBox` (pixels of `image`; the stand-in detector box, as landmarkExtent
   * gives it), turned by `angle` radians about its centre: what `run` does, for a box that comes from elsewhere, such
   * as the previous video frame's mesh (src/pipeline/motion-series.ts tracks a face that way, as Human does between
   * detector runs).
   */
  async runOnBox(image: RgbImage, detectorBox: Box, angle = 0): Promise<FaceMesh> {
    const size = HUMAN_FACE_CROP_SIZE;
    const box = humanCropBox(detectorBox);
    const crop = cropAndResizeUnit(image, box, size, 1, angle);
    const out = await this.session.run({ input: { data: humanModelInput(crop, size), dims: [1, 3, size, size] } }, ['mesh', 'face_score']);
    if (!out.mesh || !out.face_score) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "mesh" and "face_score"`);
    return { points: meshPoints(out.mesh.data), faceScore: out.face_score.data[0]!, crop: { box, angle } };
  }
}
