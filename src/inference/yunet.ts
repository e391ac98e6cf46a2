/**
 * YuNet face detector (optional pack, ShiqiYu/libfacedetection.train ONNX exports): boxes, scores and
 * 5 landmarks in source-image pixels.
 *
 * Input: BGR 0–255 NCHW, no normalisation (OpenCV objdetect/src/face_detect.cpp FaceDetectorYNImpl:
 * blobFromImage without scale or mean). Fixed-size exports (320², 640²) get a letterbox: the image is
 * scaled to fit, keeping its aspect ratio, and padded right/bottom with black. Dynamic exports get the
 * image scaled down (never up) so its longer side is at most `maxSide`, then padded right/bottom to
 * multiples of 32, which is what OpenCV does (padWithDivisor, divisor 32) after the caller has resized.
 * Padding right/bottom only keeps the mapping back to image pixels a single division by the scale.
 *
 * Output decoding follows FaceDetectorYNImpl::postProcess (OpenCV ≥ 4.8, the anchor-free YuNet):
 * per stride s ∈ {8, 16, 32}, one prediction per grid cell (row-major, cols = inputWidth / s);
 * score = sqrt(clamp(cls) · clamp(obj)); centre = (col + dx, row + dy) · s; size = exp(dw, dh) · s;
 * landmark k = (col + kx, row + ky) · s; then greedy NMS.
 */
import { type Box, clampBox, nonMaxSuppression } from '../imaging/geometry.js';
import { letterbox, toBgrNchwFloat } from '../imaging/crop.js';
import type { RgbImage } from '../imaging/image.js';
import type { Point } from '../face/types.js';
import type { ModelRunner } from './batcher.js';
import type { Tensor } from './session.js';

/** Feature-map strides of the three YuNet heads (libfacedetection.train configs: strides [8, 16, 32]). */
export const YUNET_STRIDES = [8, 16, 32] as const;
/** Dynamic inputs are padded to multiples of this (OpenCV FaceDetectorYNImpl `divisor = 32`). */
export const YUNET_DIVISOR = 32;

export interface YunetFace {
  /** Face box in source-image pixels, clamped to the image. */
  box: Box;
  /** Face score 0–1 (geometric mean of classification and objectness). */
  score: number;
  /** 5 points in source-image pixels: right eye, left eye, nose tip, right mouth corner, left mouth corner (subject's right/left). */
  landmarks: Point[];
}

export interface YunetOptions {
  /** Faces scoring below this (0–1) are dropped. OpenCV FaceDetectorYN::create default: 0.9. */
  scoreThreshold: number;
  /** NMS IoU threshold (0–1). OpenCV FaceDetectorYN::create default: 0.3. */
  nmsThreshold: number;
  /** At most this many faces. OpenCV FaceDetectorYN::create default top_k: 5000. */
  maxResults: number;
  /** Dynamic-input models only: longer side of the scaled image, pixels (multiple of 32 recommended). */
  maxSide: number;
}

export const DEFAULT_YUNET_OPTIONS: YunetOptions = Object.freeze({ scoreThreshold: 0.9, nmsThreshold: 0.3, maxResults: 5000, maxSide: 640 });

/** How an image is mapped onto the network input. */
export interface YunetInputPlan {
  /** Network input size, pixels (multiples of 32). */
  width: number;
  height: number;
  /** Input pixels per source pixel. */
  scale: number;
}

/**
 * Input size and scale for an image. `declaredShape` is the model's input shape [N, 3, H, W]; string
 * (symbolic) H/W mean a dynamic model.
 */
export function planYunetInput(imageWidth: number, imageHeight: number, declaredShape: readonly (number | string)[], maxSide: number): YunetInputPlan {
  const [, , h, w] = declaredShape;
  if (typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0) {
    return { width: w, height: h, scale: Math.min(w / imageWidth, h / imageHeight) };
  }
  const scale = Math.min(1, maxSide / Math.max(imageWidth, imageHeight));
  const pad = (n: number) => Math.max(YUNET_DIVISOR, Math.ceil(Math.max(1, Math.round(n * scale)) / YUNET_DIVISOR) * YUNET_DIVISOR);
  return { width: pad(imageWidth), height: pad(imageHeight), scale };
}

/** A decoded candidate, in network-input pixels, before NMS. */
export interface YunetCandidate {
  box: Box;
  score: number;
  landmarks: Point[];
}

function head(outputs: Record<string, Tensor>, name: string, cells: number, width: number): Float32Array {
  const t = outputs[name];
  if (!t) throw new Error(`YuNet output ${name} missing (got ${Object.keys(outputs).join(', ')})`);
  if (t.data.length !== cells * width) throw new Error(`YuNet output ${name}: expected ${cells}×${width} values, got ${t.data.length} (dims [${t.dims.join(', ')}])`);
  return t.data;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Decodes the 12 YuNet heads (cls/obj/bbox/kps × strides 8/16/32, batch 1) into candidates scoring ≥ `scoreThreshold`. */
export function decodeYunet(outputs: Record<string, Tensor>, inputWidth: number, inputHeight: number, scoreThreshold: number): YunetCandidate[] {
  const candidates: YunetCandidate[] = [];
  for (const stride of YUNET_STRIDES) {
    const cols = Math.floor(inputWidth / stride);
    const rows = Math.floor(inputHeight / stride);
    const cells = rows * cols;
    const cls = head(outputs, `cls_${stride}`, cells, 1);
    const obj = head(outputs, `obj_${stride}`, cells, 1);
    const bbox = head(outputs, `bbox_${stride}`, cells, 4);
    const kps = head(outputs, `kps_${stride}`, cells, 10);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
        if (score < scoreThreshold) continue;
        const cx = (c + bbox[i * 4]!) * stride;
        const cy = (r + bbox[i * 4 + 1]!) * stride;
        const w = Math.exp(bbox[i * 4 + 2]!) * stride;
        const h = Math.exp(bbox[i * 4 + 3]!) * stride;
        const landmarks: Point[] = [];
        for (let k = 0; k < 5; k++) landmarks.push({ x: (kps[i * 10 + 2 * k]! + c) * stride, y: (kps[i * 10 + 2 * k + 1]! + r) * stride });
        candidates.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, landmarks });
      }
    }
  }
  return candidates;
}

/** Decode + NMS + mapping back to source-image pixels (boxes clamped to the image). */
export function yunetFaces(
  outputs: Record<string, Tensor>,
  plan: YunetInputPlan,
  imageWidth: number,
  imageHeight: number,
  options: Pick<YunetOptions, 'scoreThreshold' | 'nmsThreshold' | 'maxResults'>,
): YunetFace[] {
  const candidates = decodeYunet(outputs, plan.width, plan.height, options.scoreThreshold);
  const keep = nonMaxSuppression(
    candidates.map((c) => c.box),
    candidates.map((c) => c.score),
    { iouThreshold: options.nmsThreshold, scoreThreshold: options.scoreThreshold, maxResults: options.maxResults },
  );
  const s = plan.scale;
  return keep.map((i) => {
    const { box, score, landmarks } = candidates[i]!;
    return {
      box: clampBox({ x: box.x / s, y: box.y / s, width: box.width / s, height: box.height / s }, imageWidth, imageHeight),
      score,
      landmarks: landmarks.map((p) => ({ x: p.x / s, y: p.y / s })),
    };
  });
}

/** A YuNet model: its session is created once by the caller and handed in. */
export class YunetDetector {
  constructor(private readonly session: ModelRunner) {
    const input = session.inputs[0];
    if (!input || input.shape.length !== 4) throw new Error(`model ${session.label}: expected one NCHW input, got ${JSON.stringify(session.inputs)}`);
  }

  async detect(image: RgbImage, options: Partial<YunetOptions> = {}): Promise<YunetFace[]> {
    const o = { ...DEFAULT_YUNET_OPTIONS, ...options };
    const input = this.session.inputs[0]!;
    const plan = planYunetInput(image.width, image.height, input.shape, o.maxSide);
    const boxed = await letterbox(image, plan.width, plan.height, plan.scale);
    const outputs = await this.session.run({ [input.name]: { data: toBgrNchwFloat(boxed.image), dims: [1, 3, plan.height, plan.width] } });
    return yunetFaces(outputs, plan, image.width, image.height, o);
  }
}
