/**
 * Face embeddings for 1:1 match: the face-api recogniser (128-d) on a similarity-aligned face: the box face-api
 * itself uses for descriptors (globalApi/ComputeFaceDescriptorsTasks.ts: landmarks.align(null,
 * { useDlibAlignment: true }) → classes/FaceLandmarks.ts alignDlib: same side, same reference point), rotated so
 * that the eyes are level. face-api's own box is axis-aligned, so a tilted head reaches the recogniser tilted;
 * dlib, whose network face-api ported, aligns its training and test chips with a similarity transform
 * (dlib get_face_chip_details: rotation, scale and translation from the landmarks). Measured on the dev identity
 * pairs with every impostor pair, as sent and as rescaled, low-contrast and JPEG-compressed ID-card stand-ins:
 * bench/RESULTS.md "matchFace: similarity-aligned crops".
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { rotatedSquareCrop } from '../imaging/warp.js';
import { FACE_RECOGNITION_INPUT_SIZE, FaceApiFaceRecognition } from '../inference/faceapi-face-recognition.js';
import type { ModelRegistry } from '../inference/registry.js';
import { eyeCentres } from '../face/landmarks.js';
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

/**
 * The face-api recogniser's input, similarity-aligned: a `size`² crop of the square that dlibAlignedBox places
 * (side = mean eye-to-mouth distance / 0.45, the centre of the eyes and mouth at (0.5, 0.43) of it, unfloored),
 * turned by the eye line's angle (the roll analyze.ts reports) with that centre kept at (0.5, 0.43), so the eyes are
 * level in the crop whatever the head's roll: a similarity transform (rotation, scale, translation) from the eye
 * centres and the mouth centre. Bilinear, black outside the image (face-api pads its box with black too:
 * padToSquare). At roll 0 it covers the same pixels as dlibAlignedBox, up to its flooring.
 */
export function similarityAlignedFace(image: RgbImage, landmarks: Point[], size = FACE_RECOGNITION_INPUT_SIZE): RgbImage {
  const { left: leftEye, right: rightEye } = eyeCentres(landmarks);
  const mouth = centre(landmarks.slice(48, 68));
  const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
  const side = (distance(mouth, leftEye) + distance(mouth, rightEye)) / 2 / DLIB_REL_SCALE;
  const reference = centre([leftEye, rightEye, mouth]);
  // The eye line's angle, as analyze.ts rollFromLandmarks measures the face's roll.
  const angle = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x);
  // The box centre lies (0.5 − DLIB_REL_Y) × side below the reference point along the face's own vertical axis
  // (DLIB_REL_X = 0.5: no horizontal offset), which points along (−sin, cos) of the eye line's angle.
  const down = (0.5 - DLIB_REL_Y) * side;
  const boxCentre = { x: reference.x - Math.sin(angle) * down, y: reference.y + Math.cos(angle) * down };
  return rotatedSquareCrop(image, boxCentre, angle, side, size).image;
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

  /** 128-d descriptor of the analysed primary face, from its similarity-aligned crop. */
  async embed(analysis: FaceAnalysis): Promise<Float32Array> {
    const size = FACE_RECOGNITION_INPUT_SIZE;
    // The crop already has the network's input size, so describe's crop and resize return its pixels unchanged
    // (a box covering the whole image, and a bilinear resize to the same size samples every pixel at weight 0).
    return this.recognition.describe(similarityAlignedFace(analysis.image, analysis.landmarks68, size), { x: 0, y: 0, width: size, height: size });
  }
}
