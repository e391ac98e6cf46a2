/**
 * Face regions in the aligned (upright, roll-corrected) face crop of FaceAnalysis: the 68 landmarks mapped
 * into crop pixels, and the named rectangles the region-statistics checks read (eyes, nose bridge, cheeks,
 * forehead, mouth). Working in the aligned crop makes every region the same size in pixels whatever the
 * face size in the photo (256² crop over the landmark extent × 1.6, pipeline/analyze.ts).
 */
import type { FaceAnalysis, Point } from '../face/types.js';
import { type Rect, rectAround } from './image-stats.js';

/** The 68 landmarks in aligned-crop pixels: inverse of image = origin + R(roll)·crop·scale. */
export function landmarksInCrop(analysis: Pick<FaceAnalysis, 'landmarks68' | 'roll' | 'alignedFace'>): Point[] {
  const { origin, scale } = analysis.alignedFace;
  const cos = Math.cos(analysis.roll);
  const sin = Math.sin(analysis.roll);
  return analysis.landmarks68.map((p) => {
    const dx = p.x - origin.x;
    const dy = p.y - origin.y;
    return { x: (cos * dx + sin * dy) / scale, y: (-sin * dx + cos * dy) / scale };
  });
}

export interface FaceRegions {
  /** Each eye's landmark box (iBUG 36–41, 42–47) grown to take in the lids and a spectacle rim. */
  leftEye: Rect;
  rightEye: Rect;
  /** Between the eyes, from the brow line to the eye line (where a spectacle bridge sits). */
  noseBridge: Rect;
  /** Below each eye, above the mouth corners, outside the nose: bare skin in an unoccluded face. */
  leftCheek: Rect;
  rightCheek: Rect;
  /** A band above the brows, as wide as the brows, one brow-to-eye distance tall ×2. */
  forehead: Rect;
  /** Mouth landmarks' box (iBUG 48–67). */
  mouth: Rect;
  /** Inter-ocular distance in crop pixels (eye centres). */
  eyeDistance: number;
}

const mean = (points: Point[]): Point => ({ x: points.reduce((s, p) => s + p.x, 0) / points.length, y: points.reduce((s, p) => s + p.y, 0) / points.length });

/** Region rectangles from the aligned-crop landmarks (iBUG 300-W 68-point order). */
export function faceRegions(points: readonly Point[]): FaceRegions {
  const leftEyeCentre = mean(points.slice(36, 42));
  const rightEyeCentre = mean(points.slice(42, 48));
  const eyeDistance = Math.hypot(rightEyeCentre.x - leftEyeCentre.x, rightEyeCentre.y - leftEyeCentre.y);
  const eyeBox = (centre: Point): Rect => ({ x0: centre.x - 0.35 * eyeDistance, x1: centre.x + 0.35 * eyeDistance, y0: centre.y - 0.22 * eyeDistance, y1: centre.y + 0.22 * eyeDistance });
  const browY = Math.min(...points.slice(17, 27).map((p) => p.y));
  const eyeY = (leftEyeCentre.y + rightEyeCentre.y) / 2;
  const browToEye = Math.max(1, eyeY - browY);
  const noseTip = points[30]!;
  return {
    leftEye: eyeBox(leftEyeCentre),
    rightEye: eyeBox(rightEyeCentre),
    noseBridge: { x0: points[39]!.x + 0.05 * eyeDistance, x1: points[42]!.x - 0.05 * eyeDistance, y0: browY, y1: eyeY },
    leftCheek: { x0: points[36]!.x, x1: points[31]!.x - 0.05 * eyeDistance, y0: eyeY + 0.35 * eyeDistance, y1: noseTip.y },
    rightCheek: { x0: points[35]!.x + 0.05 * eyeDistance, x1: points[45]!.x, y0: eyeY + 0.35 * eyeDistance, y1: noseTip.y },
    forehead: { x0: points[19]!.x, x1: points[24]!.x, y0: browY - 2 * browToEye, y1: browY - 0.2 * browToEye },
    mouth: rectAround(points.slice(48, 68)),
    eyeDistance,
  };
}
