/**
 * UltraFace masked-face detector (optional pack `ultraface-masked-640`, models/packs.json; upstream
 * Linzaer/Ultra-Light-Fast-Generic-Face-Detector-1MB masked_face/pretrained/RFB-640-masked_face-v2.onnx):
 * an SSD-style detector with three classes per anchor (background, face, masked face), priors already
 * decoded in the graph. Input: whole image resized to 640×480 (aspect ratio not kept), RGB, (x − 127) / 128
 * (upstream detect_imgs_onnx.py: image_mean = [127, 127, 127], image_std = 128).
 */
import { AppError } from '../errors.js';
import { type Box, nonMaxSuppression } from '../imaging/geometry.js';
import { cropResize } from '../imaging/crop.js';
import { type RgbImage, toNchwFloat } from '../imaging/image.js';
import type { ModelRunner } from './batcher.js';

export const ULTRAFACE_MASKED_INPUT = { width: 640, height: 480 } as const;
/** Pixel normalisation: (x − 127) / 128 (upstream detect_imgs_onnx.py). */
const MEAN = [127, 127, 127];
const STD = [128, 128, 128];
/** Face-or-masked-face probability to keep a candidate, 0–1 (upstream detect_imgs_onnx.py default threshold 0.7). */
export const ULTRAFACE_SCORE_THRESHOLD = 0.7;
/** IoU above which overlapping candidates are suppressed (upstream box_utils.hard_nms, iou_threshold = 0.3). */
export const ULTRAFACE_NMS_IOU = 0.3;

export interface MaskedFaceDetection {
  /** Box in pixels of the image given to `detect`. */
  box: Box;
  /** P(face) + P(masked face), 0–1. */
  score: number;
  /** P(masked face) / (P(face) + P(masked face)), 0–1: how much of the face evidence says "masked". */
  maskedShare: number;
}

/**
 * Decodes the graph's outputs: `scores` [N, 3] (background, face, masked face; softmaxed in the graph),
 * `boxes` [N, 4] normalised x1 y1 x2 y2. Keeps candidates whose face + masked score passes `threshold`,
 * then NMS. Boxes are scaled to `width × height` pixels.
 */
export function decodeMaskedFaces(scores: ArrayLike<number>, boxes: ArrayLike<number>, width: number, height: number, threshold = ULTRAFACE_SCORE_THRESHOLD): MaskedFaceDetection[] {
  const n = scores.length / 3;
  if (boxes.length !== n * 4) throw new AppError('INFERENCE_FAILED', `ultraface: ${n} score rows but ${boxes.length / 4} boxes`);
  const candidates: MaskedFaceDetection[] = [];
  const candidateScores: number[] = [];
  for (let i = 0; i < n; i++) {
    const face = scores[3 * i + 1]!;
    const masked = scores[3 * i + 2]!;
    const score = face + masked;
    if (score < threshold) continue;
    const [x1, y1, x2, y2] = [boxes[4 * i]! * width, boxes[4 * i + 1]! * height, boxes[4 * i + 2]! * width, boxes[4 * i + 3]! * height];
    candidates.push({ box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score, maskedShare: masked / score });
    candidateScores.push(score);
  }
  const kept = nonMaxSuppression(
    candidates.map((c) => c.box),
    candidateScores,
    { iouThreshold: ULTRAFACE_NMS_IOU, scoreThreshold: threshold, maxResults: 200 },
  );
  return kept.map((i) => candidates[i]!);
}

export class UltraFaceMasked {
  constructor(private readonly session: ModelRunner) {}

  async detect(image: RgbImage): Promise<MaskedFaceDetection[]> {
    const { width, height } = ULTRAFACE_MASKED_INPUT;
    const resized = await cropResize(image, { left: 0, top: 0, width: image.width, height: image.height }, width, height);
    const out = await this.session.run({ input: { data: toNchwFloat(resized, MEAN, STD), dims: [1, 3, height, width] } }, ['scores', 'boxes']);
    if (!out.scores || !out.boxes) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "scores" and "boxes"`);
    return decodeMaskedFaces(out.scores.data, out.boxes.data, image.width, image.height);
  }
}
