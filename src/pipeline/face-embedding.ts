/**
 * Face embeddings for 1:1 match: the face-api recogniser (128-d) on the landmark-aligned face box that
 * face-api itself uses for descriptors (globalApi/ComputeFaceDescriptorsTasks.ts: landmarks.align(null,
 * { useDlibAlignment: true }) → classes/FaceLandmarks.ts alignDlib).
 */
import type { Box } from '../imaging/geometry.js';
import { FaceApiFaceRecognition } from '../inference/faceapi-face-recognition.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { FaceAnalysis, Point } from './types.js';

/** alignDlib constants (face-api src/classes/FaceLandmarks.ts): box side = eye-to-mouth distance / 0.45, reference point at (0.5, 0.43) of it. */
const DLIB_REL_X = 0.5;
const DLIB_REL_Y = 0.43;
const DLIB_REL_SCALE = 0.45;

const centre = (points: Point[]): Point => ({
  x: points.reduce((s, p) => s + p.x, 0) / points.length,
  y: points.reduce((s, p) => s + p.y, 0) / points.length,
});

/**
 * face-api's dlib-style alignment box from 68 landmarks (image pixels): centres of the two eyes (36–41,
 * 42–47) and the mouth (48–67); side = mean eye-to-mouth distance / 0.45, floored; placed so the centre of
 * the three points sits at (0.5, 0.43) of the box. (face-api also caps the side by its landmark image size,
 * a no-op for whole-image landmarks, which we omit.)
 */
export function dlibAlignedBox(landmarks: Point[]): Box {
  const [leftEye, rightEye, mouth] = [centre(landmarks.slice(36, 42)), centre(landmarks.slice(42, 48)), centre(landmarks.slice(48, 68))];
  const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
  const eyeToMouth = (distance(mouth, leftEye) + distance(mouth, rightEye)) / 2;
  const size = Math.floor(eyeToMouth / DLIB_REL_SCALE);
  const reference = centre([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, reference.x - DLIB_REL_X * size));
  const y = Math.floor(Math.max(0, reference.y - DLIB_REL_Y * size));
  return { x, y, width: size, height: size };
}

/** Euclidean distance between two descriptors (face-api's euclideanDistance). */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`descriptors differ in length: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

export class FaceEmbedder {
  private readonly recognition: FaceApiFaceRecognition;

  constructor(registry: ModelRegistry) {
    this.recognition = new FaceApiFaceRecognition(registry.get('faceapi-face-recognition').runner);
  }

  /** 128-d descriptor of the analysed primary face. */
  async embed(analysis: FaceAnalysis): Promise<Float32Array> {
    return this.recognition.describe(analysis.image, dlibAlignedBox(analysis.landmarks68));
  }
}
