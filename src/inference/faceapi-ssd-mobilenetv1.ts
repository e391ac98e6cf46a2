/**
 * face-api SsdMobilenetv1 on ONNX Runtime (model `faceapi-ssd-mobilenetv1`, built by
 * scripts/convert/faceapi/ssd-mobilenetv1.ts). The graph already decodes anchors and applies the sigmoid;
 * this module does what face-api src/ssdMobilenetv1/SsdMobilenetv1.ts `locateFaces` does after forwardInput:
 * NMS, clipping to the input square, and scaling back to the original image.
 */
import { AppError } from '../errors.js';
import { type Box, nonMaxSuppression } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { type DetectedFace, type FaceApiNetInput, toFaceApiNetInput } from './faceapi-net-input.js';
import type { ModelRunner } from './batcher.js';

export interface SsdMobilenetv1Options {
  /** Faces scoring at or below this are dropped, 0–1 exclusive. Default 0.5 (face-api src/ssdMobilenetv1/SsdMobilenetv1Options.ts). */
  minConfidence: number;
  /** At most this many faces are returned. Default 100 (SsdMobilenetv1Options). */
  maxResults: number;
}

export const SSD_MOBILENETV1_DEFAULTS: Readonly<SsdMobilenetv1Options> = Object.freeze({ minConfidence: 0.5, maxResults: 100 });

/** face-api src/ssdMobilenetv1/SsdMobilenetv1.ts locateFaces: `const iouThreshold = 0.5`. */
export const SSD_MOBILENETV1_IOU_THRESHOLD = 0.5;

/** SsdMobilenetv1.forwardInput: toBatchTensor(512). */
export const SSD_MOBILENETV1_INPUT_SIZE = 512;

export function resolveSsdMobilenetv1Options(options: Partial<SsdMobilenetv1Options> = {}): SsdMobilenetv1Options {
  const resolved = { ...SSD_MOBILENETV1_DEFAULTS, ...options };
  if (!(resolved.minConfidence > 0 && resolved.minConfidence < 1)) {
    throw new AppError('INVALID_OPTION', `ssd mobilenetv1: minConfidence must be between 0 and 1 (exclusive), got ${resolved.minConfidence}`);
  }
  if (!Number.isInteger(resolved.maxResults) || resolved.maxResults < 1) {
    throw new AppError('INVALID_OPTION', `ssd mobilenetv1: maxResults must be a positive integer, got ${resolved.maxResults}`);
  }
  return resolved;
}

/**
 * locateFaces after the network: face-api's NMS (src/ssdMobilenetv1/nonMaxSuppression.ts: candidates scoring
 * above minConfidence, best first, dropped when IoU with a kept box exceeds 0.5, at most maxResults) on the
 * unclipped normalised boxes, then each kept box clipped to 0–1 of the input square, scaled by
 * inputSize / reshaped side to undo the padding, and by the image size to pixels.
 *
 * `boxes` is [anchors, 4] as [y1, x1, y2, x2] normalised to the input square; `scores` is [anchors], 0–1.
 */
export function decodeSsdDetections(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  input: Pick<FaceApiNetInput, 'inputSize' | 'reshapedWidth' | 'reshapedHeight' | 'imageWidth' | 'imageHeight'>,
  options: SsdMobilenetv1Options,
): DetectedFace[] {
  if (boxes.length !== scores.length * 4) {
    throw new AppError('INFERENCE_FAILED', `ssd mobilenetv1: ${boxes.length / 4} boxes for ${scores.length} scores`);
  }
  // face-api filters with `score > scoreThreshold`; geometry's NMS keeps `>=`, so pre-filter here.
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! > options.minConfidence) candidates.push(i);
  const squareBoxes: Box[] = candidates.map((i) => {
    const [y1, x1, y2, x2] = [boxes[i * 4]!, boxes[i * 4 + 1]!, boxes[i * 4 + 2]!, boxes[i * 4 + 3]!];
    return { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) };
  });
  const kept = nonMaxSuppression(
    squareBoxes,
    candidates.map((i) => scores[i]!),
    { iouThreshold: SSD_MOBILENETV1_IOU_THRESHOLD, scoreThreshold: options.minConfidence, maxResults: options.maxResults },
  );
  const padX = input.inputSize / input.reshapedWidth;
  const padY = input.inputSize / input.reshapedHeight;
  return kept.map((k) => {
    const i = candidates[k]!;
    const top = Math.max(0, boxes[i * 4]!) * padY;
    const left = Math.max(0, boxes[i * 4 + 1]!) * padX;
    const bottom = Math.min(1, boxes[i * 4 + 2]!) * padY;
    const right = Math.min(1, boxes[i * 4 + 3]!) * padX;
    return {
      box: { x: left * input.imageWidth, y: top * input.imageHeight, width: (right - left) * input.imageWidth, height: (bottom - top) * input.imageHeight },
      score: scores[i]!,
    };
  });
}

export class FaceApiSsdMobilenetv1 {
  constructor(private readonly session: ModelRunner) {}

  /** Faces in `image`, best score first; boxes in pixels of `image`, scores 0–1. */
  detect(image: RgbImage, options: Partial<SsdMobilenetv1Options> = {}): Promise<DetectedFace[]> {
    return this.detectInput(toFaceApiNetInput(image, SSD_MOBILENETV1_INPUT_SIZE), options);
  }

  /** `detect` for an input already made with toFaceApiNetInput(image, SSD_MOBILENETV1_INPUT_SIZE), e.g. on another thread. */
  async detectInput(input: FaceApiNetInput, options: Partial<SsdMobilenetv1Options> = {}): Promise<DetectedFace[]> {
    const resolved = resolveSsdMobilenetv1Options(options);
    const size = SSD_MOBILENETV1_INPUT_SIZE;
    if (input.inputSize !== size) throw new Error(`SSD MobileNetV1: input made at ${input.inputSize}, expected ${size}`);
    const { boxes, scores } = await this.session.run({ input: { data: input.tensor, dims: [1, 3, size, size] } }, ['boxes', 'scores']);
    if (!boxes || !scores) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "boxes" and "scores"`);
    return decodeSsdDetections(boxes.data, scores.data, input, resolved);
  }
}
