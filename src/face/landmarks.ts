/** Helpers on face-api's 68 landmarks (iBUG 300-W order), shared by the pipeline and the quality checks. */
import type { Point } from './types.js';

const mean = (points: Point[]): Point => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length,
});

/** Centres of the two eyes (iBUG 36–41 and 42–47: image-left eye first). */
export function eyeCentres(landmarks: Point[]): { left: Point; right: Point } {
  return { left: mean(landmarks.slice(36, 42)), right: mean(landmarks.slice(42, 48)) };
}
