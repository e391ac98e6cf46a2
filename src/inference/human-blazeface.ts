/**
 * BlazeFace face detector (`human-blazeface`, models/manifest.json): MediaPipe's back-camera BlazeFace (256×256 input,
 * 896 anchors; Apache-2.0), as @vladmandic/human 3.3.6 ships it converted to tfjs (MIT). The graph returns the raw
 * heads; this module does what human src/face/blazeface.ts `getBoxes` does after `model.execute`:
 * - anchors as human src/face/facemeshutil.ts `generateAnchors(256)`: stride 16 (16×16 cells, 2 anchors each) then
 *   stride 32 (8×8 cells, 6 anchors each), row-major, centre ((x + 0.5)·stride, (y + 0.5)·stride) px, every anchor of
 *   unit size (MediaPipe's `fixed_anchor_size: true`), so the regressors are pixels of the 256² input;
 * - `decodeBoxes`: box centre = anchor centre + regressors[0..1], size = regressors[2..3];
 * - the six keypoints (eyes, nose, mouth, ears) = anchor centre + regressors[4..15];
 * - score = sigmoid(logit), then greedy NMS.
 *
 * Departures from Human, both deliberate:
 * - **Input.** Human stretches the whole image to 256² (`config.face.detector.square` off). Here the image is
 *   zero-padded at the bottom/right to a square first, as face-api's SSD does (faceapi-net-input.ts) and as MediaPipe's
 *   own graph does (face_detection_full_range/short_range `ImageToTensorCalculator` with `keep_aspect_ratio: true`):
 *   a face keeps its proportions, which the anchors (all square) were trained on, and a box maps back to the image by
 *   one scale factor.
 * - **Limits.** Human keeps one face (`maxDetected: 1`) with NMS IoU 0.1 (src/config.ts face.detector). Counting faces
 *   needs every face: the defaults here are MediaPipe's (face_detection.pbtxt `NonMaxSuppressionCalculator`:
 *   `min_suppression_threshold: 0.3`; `TensorsToDetectionsCalculator`: `min_score_thresh: 0.5`).
 */
import { AppError } from '../errors.js';
import { type Box, nonMaxSuppression } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { resizeBilinear } from '../imaging/resize.js';
import type { ModelRunner } from './batcher.js';
import { checkDetectionLimits, type DetectionLimits } from './detector-options.js';

/** Input side, pixels (models/manifest.json `human-blazeface` input [1, 3, 256, 256]; MediaPipe back-camera model). */
export const BLAZEFACE_INPUT_SIZE = 256;

/** One output head: its anchor grid and the model's output names for it. */
export interface BlazeFaceHead {
  /** Input pixels per grid cell. */
  stride: number;
  anchorsPerCell: number;
  /** Output names: logits [1, anchors, 1] and regressors [1, anchors, 16]. */
  logits: string;
  regressors: string;
}

/**
 * A BlazeFace model: its square input side and its heads, in the order the anchors are concatenated. The back-camera
 * model (this file) and the front-camera one (human-blazeface-front.ts) share everything else: the anchor layout, the
 * regressors, the keypoints and the decoding.
 */
export interface BlazeFaceVariant {
  inputSize: number;
  heads: readonly BlazeFaceHead[];
}

/** The two heads in the order Human concatenates them (blazeface.ts getBoxes: the 512 anchors first, then the 384). */
export const BLAZEFACE_HEADS: readonly BlazeFaceHead[] = Object.freeze([
  { stride: 16, anchorsPerCell: 2, logits: 'logits_stride16', regressors: 'regressors_stride16' },
  { stride: 32, anchorsPerCell: 6, logits: 'logits_stride32', regressors: 'regressors_stride32' },
]);

/** The back-camera model, `human-blazeface`. */
export const BLAZEFACE_BACK: BlazeFaceVariant = Object.freeze({ inputSize: BLAZEFACE_INPUT_SIZE, heads: BLAZEFACE_HEADS });

/** Regressor values per anchor: box centre (2), box size (2), six keypoints (12) (manifest outputs `regressors_*`). */
const REGRESSORS_PER_ANCHOR = 16;

/** Keypoint order of the regressors (human src/face/facemeshcoords.ts blazeFaceLandmarks; MediaPipe face_detection). */
export const BLAZEFACE_KEYPOINTS = Object.freeze(['leftEye', 'rightEye', 'nose', 'mouth', 'leftEar', 'rightEar'] as const);

export interface BlazeFaceOptions extends DetectionLimits {}

/** MediaPipe's face_detection graph: min_score_thresh 0.5, min_suppression_threshold 0.3 (see the module comment). */
export const BLAZEFACE_DEFAULTS: Readonly<BlazeFaceOptions> = Object.freeze({ minConfidence: 0.5, iouThreshold: 0.3, maxResults: 100 });

export function resolveBlazeFaceOptions(options: Partial<BlazeFaceOptions> = {}): BlazeFaceOptions {
  const resolved = { ...BLAZEFACE_DEFAULTS, ...options };
  checkDetectionLimits('blazeface', resolved);
  return resolved;
}

export interface Keypoint {
  x: number;
  y: number;
}

/** One face BlazeFace found. */
export interface BlazeFaceDetection {
  /** Face box in pixels of the image given to `detect` (not clamped: the model may place it past the borders). */
  box: Box;
  /** Face probability, 0–1 (sigmoid of the logit). */
  score: number;
  /** The six keypoints in BLAZEFACE_KEYPOINTS order (image-left eye first as the model names them), pixels of the image. */
  keypoints: Keypoint[];
}

/** Anchor centres in pixels of the variant's input, in its heads' order: [x0, y0, x1, y1, …]. */
export function blazeFaceAnchors(variant: BlazeFaceVariant = BLAZEFACE_BACK): Float32Array {
  const { inputSize } = variant;
  const counts = variant.heads.map((h) => (inputSize / h.stride) ** 2 * h.anchorsPerCell);
  const out = new Float32Array(2 * counts.reduce((a, b) => a + b, 0));
  let k = 0;
  for (const head of variant.heads) {
    const cells = inputSize / head.stride;
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let a = 0; a < head.anchorsPerCell; a++) {
          out[k++] = (x + 0.5) * head.stride;
          out[k++] = (y + 0.5) * head.stride;
        }
      }
    }
  }
  return out;
}

/** Anchors per variant, computed once. */
const ANCHORS = new WeakMap<BlazeFaceVariant, Float32Array>();
function anchorsOf(variant: BlazeFaceVariant): Float32Array {
  let anchors = ANCHORS.get(variant);
  if (!anchors) ANCHORS.set(variant, (anchors = blazeFaceAnchors(variant)));
  return anchors;
}

export interface BlazeFaceHeadOutputs {
  /** Per head in the variant's order: logits [anchors] and regressors [anchors × 16]. */
  heads: Array<{ logits: ArrayLike<number>; regressors: ArrayLike<number> }>;
}

/**
 * The heads' raw outputs → faces in image pixels. `scale` = image pixels per input pixel (the padded square's side
 * ÷ the input side). Candidates scoring below minConfidence are dropped before the NMS.
 */
export function decodeBlazeFace(outputs: BlazeFaceHeadOutputs, scale: number, options: BlazeFaceOptions, variant: BlazeFaceVariant = BLAZEFACE_BACK): BlazeFaceDetection[] {
  const anchors = anchorsOf(variant);
  if (outputs.heads.length !== variant.heads.length) throw new AppError('INFERENCE_FAILED', `blazeface: expected ${variant.heads.length} heads, got ${outputs.heads.length}`);
  // A logit threshold instead of a sigmoid per anchor: sigmoid(l) ≥ p ⇔ l ≥ ln(p / (1 − p)).
  const minLogit = Math.log(options.minConfidence / (1 - options.minConfidence));
  const boxes: Box[] = [];
  const scores: number[] = [];
  const keypoints: Keypoint[][] = [];
  let anchor = 0;
  for (let h = 0; h < variant.heads.length; h++) {
    const { logits, regressors } = outputs.heads[h]!;
    if (regressors.length !== logits.length * REGRESSORS_PER_ANCHOR) {
      throw new AppError('INFERENCE_FAILED', `blazeface: head ${h} has ${logits.length} logits and ${regressors.length} regressor values`);
    }
    for (let i = 0; i < logits.length; i++, anchor++) {
      const logit = logits[i]!;
      if (!(logit >= minLogit)) continue;
      const ax = anchors[2 * anchor]!;
      const ay = anchors[2 * anchor + 1]!;
      const r = i * REGRESSORS_PER_ANCHOR;
      const cx = ax + regressors[r]!;
      const cy = ay + regressors[r + 1]!;
      const w = regressors[r + 2]!;
      const hgt = regressors[r + 3]!;
      boxes.push({ x: (cx - w / 2) * scale, y: (cy - hgt / 2) * scale, width: w * scale, height: hgt * scale });
      scores.push(1 / (1 + Math.exp(-logit)));
      const points: Keypoint[] = [];
      for (let p = 0; p < BLAZEFACE_KEYPOINTS.length; p++) {
        points.push({ x: (ax + regressors[r + 4 + 2 * p]!) * scale, y: (ay + regressors[r + 5 + 2 * p]!) * scale });
      }
      keypoints.push(points);
    }
  }
  if (anchor !== anchors.length / 2) throw new AppError('INFERENCE_FAILED', `blazeface: ${anchor} anchors in the outputs, expected ${anchors.length / 2}`);
  const kept = nonMaxSuppression(boxes, scores, { iouThreshold: options.iouThreshold, scoreThreshold: options.minConfidence, maxResults: options.maxResults });
  return kept.map((k) => ({ box: boxes[k]!, score: scores[k]!, keypoints: keypoints[k]! }));
}

/**
 * The network input: `image` zero-padded at the bottom/right to a square, resized bilinearly to `size`² (the face-api
 * resize, tf.image.resizeBilinear semantics: src/imaging/resize.ts), as NCHW scaled to −1…1 (pixel / 127.5 − 1,
 * human blazeface.ts getBoxes). Returns the tensor and the image pixels per input pixel.
 */
export function toBlazeFaceInput(image: RgbImage, size = BLAZEFACE_INPUT_SIZE): { tensor: Float32Array; scale: number } {
  if (image.width <= 0 || image.height <= 0) throw new Error(`toBlazeFaceInput: empty image ${image.width}×${image.height}`);
  const side = Math.max(image.width, image.height);
  const tensor = resizeBilinear({ data: image.data, width: image.width, height: image.height, channels: 3 }, size, size, {
    layout: 'chw',
    padTo: { width: side, height: side },
  });
  for (let i = 0; i < tensor.length; i++) tensor[i] = tensor[i]! / 127.5 - 1;
  return { tensor, scale: side / size };
}

/** A BlazeFace model's runner and variant → faces. */
export class BlazeFaceDetector {
  constructor(
    private readonly session: ModelRunner,
    private readonly variant: BlazeFaceVariant,
  ) {}

  /** Faces in `image`, best score first; boxes and keypoints in pixels of `image`. */
  async detect(image: RgbImage, options: Partial<BlazeFaceOptions> = {}): Promise<BlazeFaceDetection[]> {
    const resolved = resolveBlazeFaceOptions(options);
    const size = this.variant.inputSize;
    const { tensor, scale } = toBlazeFaceInput(image, size);
    const names = this.variant.heads.flatMap((h) => [h.logits, h.regressors]);
    const out = await this.session.run({ input: { data: tensor, dims: [1, 3, size, size] } }, names);
    const heads = this.variant.heads.map((h) => {
      const logits = out[h.logits];
      const regressors = out[h.regressors];
      if (!logits || !regressors) throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected outputs "${h.logits}" and "${h.regressors}"`);
      return { logits: logits.data, regressors: regressors.data };
    });
    return decodeBlazeFace({ heads }, scale, resolved, this.variant);
  }
}

/** The back-camera model, `human-blazeface`. */
export class HumanBlazeFace extends BlazeFaceDetector {
  constructor(session: ModelRunner) {
    super(session, BLAZEFACE_BACK);
  }
}
