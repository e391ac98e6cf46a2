/**
 * HandTrack hand detector (`human-handtrack`, models/manifest.json): victordibia/handtracking's SSD MobileNetV2
 * FPN-lite 320×320 (handtrack/checkpoints/small/pipeline.config there, Apache-2.0), the model @vladmandic/human 3.3.6
 * ships as models/handtrack.json (MIT) and uses as its default hand detector. Used as a liveness context signal: a
 * hand gripping a phone, tablet or print held up to the camera.
 *
 * The ONNX model is only the network of that TF Object Detection API export: it starts at the preprocessed image
 * and ends at the decoded boxes and class scores, before the export's NonMaxSuppression
 * (scripts/convert/human/context-recipes.ts). The rest is done here:
 * - input, as the export's own preprocessing loop does it (map/while/Preprocessor): pixel · (2/255) − 1 (−1…1),
 *   then the whole image resized bilinearly to 320×320 without keeping its aspect ratio (ResizeBilinear,
 *   align_corners false, half_pixel_centers false; pipeline.config fixed_shape_resizer 320×320);
 * - after the network, as Human does it (human src/hand/handtrack.ts detectHands): drop the `face` class, take each
 *   anchor's best remaining class score, NMS (tf.image.nonMaxSuppressionAsync, maxDetected + 1 boxes, iouThreshold,
 *   minConfidence; human src/config.ts hand: minConfidence 0.5, iouThreshold 0.2), best score first.
 *
 * Human feeds the graph its own copy of the frame resized to a height of at most 512 px (multiples of 8) and cast
 * to int32; this module feeds the given image directly, which is what the export expects (any-size uint8 image).
 */
import { AppError } from '../errors.js';
import { checkDetectionLimits } from './detector-options.js';
import { type Box, clampBox, nonMaxSuppression } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { resizeBilinear } from '../imaging/resize.js';
import type { ModelRunner } from './batcher.js';
import type { Tensor } from './session.js';

/** Square network input side, pixels (pipeline.config image_resizer.fixed_shape_resizer 320×320; the graph's ResizeImage/stack [320, 320]). */
export const HANDTRACK_INPUT_SIZE = 320;

/** Anchors: 6 per cell on 40², 20², 10², 5², 3² grids (FPN levels 3–7 of a 320² input, 2 scales × 3 aspect ratios; pipeline.config). */
export const HANDTRACK_ANCHORS = 12804;

/**
 * The 7 classes in output order, as Human names them (human src/hand/handtrack.ts `classes`); upstream's label map
 * (handtrack/checkpoints/label_map.txt) calls the first two `open` and `closed`.
 */
export const HANDTRACK_CLASSES: readonly string[] = Object.freeze(['hand', 'fist', 'pinch', 'point', 'face', 'tip', 'pinchtip']);

/** The `face` class, which Human removes before scoring (human src/hand/handtrack.ts `faceIndex = 4`). */
export const HANDTRACK_FACE_CLASS = 4;

/** The export's input scaling (map/while/Preprocessor/mul/x = 2/255 as float32, then sub/y = 1). */
const PIXEL_SCALE = Math.fround(2 / 255);

export interface HandDetection {
  /** Best class probability 0–1 over the hand classes (sigmoid in the graph). */
  score: number;
  /** Box in pixels of the image given to `detect`, clamped to it. */
  box: Box;
  /** The best-scoring hand class (HANDTRACK_CLASSES without `face`), e.g. 'hand', 'fist', 'pinch'. */
  label: string;
}

export interface HandtrackOptions {
  /** Hands scoring below this (0–1) are dropped. Human src/config.ts hand.minConfidence: 0.5. */
  minConfidence: number;
  /** Boxes overlapping a better one by more than this IoU (0–1) are dropped. Human hand.iouThreshold: 0.2. */
  iouThreshold: number;
  /**
   * At most this many hands. Human's hand.maxDetected is −1, "2 per detected face" (human src/human.ts); this
   * module knows no faces, so it defaults to 10 and a caller that wants Human's behaviour passes 2 × faces.
   */
  maxResults: number;
}

export const HANDTRACK_DEFAULTS: Readonly<HandtrackOptions> = Object.freeze({ minConfidence: 0.5, iouThreshold: 0.2, maxResults: 10 });

export function resolveHandtrackOptions(options: Partial<HandtrackOptions> = {}): HandtrackOptions {
  const resolved = { ...HANDTRACK_DEFAULTS, ...options };
  checkDetectionLimits('handtrack', resolved);
  return resolved;
}

/** The network input: pixel · (2/255) − 1 in float32, resized (TF bilinear) to 320×320, planar NCHW (batch 1). */
export function handtrackInput(image: RgbImage): Float32Array {
  const scaled = new Float32Array(image.data.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = Math.fround(Math.fround(image.data[i]! * PIXEL_SCALE) - 1);
  const size = HANDTRACK_INPUT_SIZE;
  return resizeBilinear({ data: scaled, width: image.width, height: image.height, channels: 3 }, size, size, { layout: 'chw' });
}

function output(outputs: Record<string, Tensor>, name: string, length: number): Float32Array {
  const t = outputs[name];
  if (!t) throw new AppError('INFERENCE_FAILED', `handtrack: output ${name} missing (got ${Object.keys(outputs).join(', ')})`);
  if (t.data.length !== length) throw new AppError('INFERENCE_FAILED', `handtrack: output ${name}: expected ${length} values, got ${t.data.length} (dims [${t.dims.join(', ')}])`);
  return t.data;
}

/**
 * Human's detectHands after the network. `boxes` is [anchors, 4] = [ymin, xmin, ymax, xmax] as fractions of the
 * input (= of the image, which is stretched to it); `scores` is [anchors, 7] per-class probabilities.
 */
export function handtrackDetections(outputs: Record<string, Tensor>, imageWidth: number, imageHeight: number, options: HandtrackOptions): HandDetection[] {
  const classes = HANDTRACK_CLASSES.length;
  const boxes = output(outputs, 'boxes', HANDTRACK_ANCHORS * 4);
  const scores = output(outputs, 'scores', HANDTRACK_ANCHORS * classes);
  const best = new Float32Array(HANDTRACK_ANCHORS);
  const bestClass = new Int32Array(HANDTRACK_ANCHORS);
  const candidates: number[] = [];
  for (let a = 0; a < HANDTRACK_ANCHORS; a++) {
    let top = -1;
    let topClass = 0;
    for (let c = 0; c < classes; c++) {
      if (c === HANDTRACK_FACE_CLASS) continue;
      const s = scores[a * classes + c]!;
      if (s > top) {
        top = s;
        topClass = c;
      }
    }
    best[a] = top;
    bestClass[a] = topClass;
    // tf.image.nonMaxSuppression keeps scores above scoreThreshold (strictly), like Human's minConfidence check.
    if (top > options.minConfidence) candidates.push(a);
  }
  const unitBoxes: Box[] = candidates.map((a) => {
    const [y1, x1, y2, x2] = [boxes[a * 4]!, boxes[a * 4 + 1]!, boxes[a * 4 + 2]!, boxes[a * 4 + 3]!];
    return { x: Math.min(x1, x2), y: Math.min(y1, y2), width: Math.abs(x2 - x1), height: Math.abs(y2 - y1) };
  });
  const kept = nonMaxSuppression(
    unitBoxes,
    candidates.map((a) => best[a]!),
    { iouThreshold: options.iouThreshold, scoreThreshold: options.minConfidence, maxResults: options.maxResults },
  );
  return kept.map((k) => {
    const a = candidates[k]!;
    const b = unitBoxes[k]!;
    return {
      score: best[a]!,
      label: HANDTRACK_CLASSES[bestClass[a]!]!,
      box: clampBox({ x: b.x * imageWidth, y: b.y * imageHeight, width: b.width * imageWidth, height: b.height * imageHeight }, imageWidth, imageHeight),
    };
  });
}

/** HandTrack on ONNX Runtime: the session is created once by the caller and handed in. */
export class HumanHandtrack {
  constructor(private readonly session: ModelRunner) {}

  /** Hands in `image` (RGB, any size), best score first; boxes in pixels of `image`. */
  async detect(image: RgbImage, options: Partial<HandtrackOptions> = {}): Promise<HandDetection[]> {
    const resolved = resolveHandtrackOptions(options);
    const size = HANDTRACK_INPUT_SIZE;
    const outputs = await this.session.run({ input: { data: handtrackInput(image), dims: [1, 3, size, size] } }, ['boxes', 'scores']);
    return handtrackDetections(outputs, image.width, image.height, resolved);
  }
}
