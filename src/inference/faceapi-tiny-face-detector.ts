/**
 * face-api TinyFaceDetector on ONNX Runtime (model `faceapi-tiny-face-detector`, built by
 * scripts/convert/faceapi/tiny-face-detector.ts). The graph returns the raw YOLO grid; this module decodes it
 * exactly as face-api src/tinyYolov2/TinyYolov2Base.ts `extractBoxes` + `detect` do, and maps boxes back to
 * the original image like src/classes/ObjectDetection.ts.
 */
import { AppError } from '../errors.js';
import { type Box, nonMaxSuppression } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { type DetectedFace, type FaceApiNetInput, toFaceApiNetInput } from './faceapi-net-input.js';
import type { ModelRunner } from './batcher.js';

export interface TinyFaceDetectorOptions {
  /** Square network input side in pixels, a multiple of 32 (face-api src/tinyYolov2/TinyYolov2Options.ts). Default 416. */
  inputSize: number;
  /** Faces scoring at or below this are dropped, 0–1 exclusive. Default 0.5 (TinyYolov2Options). */
  scoreThreshold: number;
}

/** face-api src/tinyYolov2/TinyYolov2Options.ts defaults (`inputSize || 416`, `scoreThreshold || 0.5`). */
export const TINY_FACE_DETECTOR_DEFAULTS: Readonly<TinyFaceDetectorOptions> = Object.freeze({ inputSize: 416, scoreThreshold: 0.5 });

/** face-api src/tinyFaceDetector/const.ts IOU_THRESHOLD, used by TinyYolov2Base.detect's nonMaxSuppression. */
export const TINY_FACE_DETECTOR_IOU_THRESHOLD = 0.4;

/** face-api src/tinyFaceDetector/const.ts BOX_ANCHORS: anchor width and height, in grid cells. */
export const TINY_FACE_DETECTOR_ANCHORS: readonly { readonly x: number; readonly y: number }[] = Object.freeze([
  { x: 1.603231, y: 2.094468 },
  { x: 6.041143, y: 7.080126 },
  { x: 2.882459, y: 3.518061 },
  { x: 4.266906, y: 5.178857 },
  { x: 9.041765, y: 10.66308 },
]);

/** Values per anchor in the grid: tx, ty, tw, th, objectness (one class, no class scores). */
const BOX_ENCODING_SIZE = 5;

export function resolveTinyFaceDetectorOptions(options: Partial<TinyFaceDetectorOptions> = {}): TinyFaceDetectorOptions {
  const resolved = { ...TINY_FACE_DETECTOR_DEFAULTS, ...options };
  if (!Number.isInteger(resolved.inputSize) || resolved.inputSize <= 0 || resolved.inputSize % 32 !== 0) {
    throw new AppError('INVALID_OPTION', `tiny face detector: inputSize must be a positive multiple of 32, got ${resolved.inputSize}`);
  }
  if (!(resolved.scoreThreshold > 0 && resolved.scoreThreshold < 1)) {
    throw new AppError('INVALID_OPTION', `tiny face detector: scoreThreshold must be between 0 and 1 (exclusive), got ${resolved.scoreThreshold}`);
  }
  return resolved;
}

/** face-api src/ops/index.ts sigmoid. */
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A decoded grid cell: box relative to the original image (x, width as fractions of its width; y, height of its height). */
export interface TinyFaceCandidate {
  relativeBox: Box;
  score: number;
}

/**
 * TinyYolov2Base.extractBoxes: every (row, col, anchor) whose sigmoid(objectness) exceeds `scoreThreshold`,
 * with centre = (cell + sigmoid(t)) / cells and size = exp(t) · anchor / cells, both multiplied by
 * inputSize / reshaped side to undo the padding to a square.
 *
 * `grid` is the model's NCHW output for one image: [25, gridHeight, gridWidth], channel = anchor · 5 + k.
 */
export function decodeTinyFaceGrid(
  grid: ArrayLike<number>,
  gridHeight: number,
  gridWidth: number,
  input: Pick<FaceApiNetInput, 'inputSize' | 'reshapedWidth' | 'reshapedHeight'>,
  scoreThreshold: number,
): TinyFaceCandidate[] {
  const anchorCount = TINY_FACE_DETECTOR_ANCHORS.length;
  const plane = gridHeight * gridWidth;
  if (grid.length !== anchorCount * BOX_ENCODING_SIZE * plane) {
    throw new AppError('INFERENCE_FAILED', `tiny face detector: grid holds ${grid.length} values, expected ${anchorCount * BOX_ENCODING_SIZE}×${gridHeight}×${gridWidth}`);
  }
  const correctionX = input.inputSize / input.reshapedWidth;
  const correctionY = input.inputSize / input.reshapedHeight;
  const at = (anchor: number, k: number, row: number, col: number) => grid[(anchor * BOX_ENCODING_SIZE + k) * plane + row * gridWidth + col]!;
  const candidates: TinyFaceCandidate[] = [];
  for (let row = 0; row < gridHeight; row++) {
    for (let col = 0; col < gridWidth; col++) {
      for (let anchor = 0; anchor < anchorCount; anchor++) {
        const score = sigmoid(at(anchor, 4, row, col));
        if (!(score > scoreThreshold)) continue;
        const centreX = ((col + sigmoid(at(anchor, 0, row, col))) / gridWidth) * correctionX;
        const centreY = ((row + sigmoid(at(anchor, 1, row, col))) / gridHeight) * correctionY;
        const width = ((Math.exp(at(anchor, 2, row, col)) * TINY_FACE_DETECTOR_ANCHORS[anchor]!.x) / gridWidth) * correctionX;
        const height = ((Math.exp(at(anchor, 3, row, col)) * TINY_FACE_DETECTOR_ANCHORS[anchor]!.y) / gridHeight) * correctionY;
        candidates.push({ relativeBox: { x: centreX - width / 2, y: centreY - height / 2, width, height }, score });
      }
    }
  }
  return candidates;
}

/**
 * TinyYolov2Base.detect: NMS at IoU 0.4 over the candidates (face-api runs it on the relative boxes scaled by
 * inputSize; a uniform scale leaves IoU unchanged), then ObjectDetection scales relative boxes by the image size.
 * Best score first.
 */
export function tinyFaceDetections(candidates: readonly TinyFaceCandidate[], imageWidth: number, imageHeight: number): DetectedFace[] {
  const kept = nonMaxSuppression(
    candidates.map((c) => c.relativeBox),
    candidates.map((c) => c.score),
    { iouThreshold: TINY_FACE_DETECTOR_IOU_THRESHOLD, scoreThreshold: 0, maxResults: Number.POSITIVE_INFINITY },
  );
  return kept.map((i) => {
    const { relativeBox: r, score } = candidates[i]!;
    return { box: { x: r.x * imageWidth, y: r.y * imageHeight, width: r.width * imageWidth, height: r.height * imageHeight }, score };
  });
}

export class FaceApiTinyFaceDetector {
  constructor(private readonly session: ModelRunner) {}

  /** Faces in `image`, best score first; boxes in pixels of `image`, scores 0–1. */
  async detect(image: RgbImage, options: Partial<TinyFaceDetectorOptions> = {}): Promise<DetectedFace[]> {
    const { inputSize, scoreThreshold } = resolveTinyFaceDetectorOptions(options);
    const input = toFaceApiNetInput(image, inputSize);
    const { grid } = await this.session.run({ input: { data: input.tensor, dims: [1, 3, inputSize, inputSize] } }, ['grid']);
    if (!grid || grid.dims.length !== 4) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected a 4-D output "grid"`);
    const candidates = decodeTinyFaceGrid(grid.data, grid.dims[2]!, grid.dims[3]!, input, scoreThreshold);
    return tinyFaceDetections(candidates, image.width, image.height);
  }
}
