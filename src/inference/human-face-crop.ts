/**
 * The face crop Human hands to its per-face models (antispoof, liveness, faceres, …), shared by their
 * wrappers. Human cuts it once per face (human src/face/facemesh.ts → facemeshutil.ts correctFaceRotation
 * with config.face.detector.rotation = false, the default: no rotation):
 *
 * 1. the BlazeFace box, scaled to the image, enlarged ×1.4 around its centre (`config.face.detector.scale`,
 *    src/config.ts; facemeshutil.ts enlargeBox) and made square on its longer side with rounded corners
 *    (facemeshutil.ts squarifyBox);
 * 2. `tf.image.cropAndResize` of that box to the face-mesh input size, 192×192, bilinear, pixels outside
 *    the image = 0, then divided by 255 (facemeshutil.ts cutAndResize);
 * 3. each model resizes that 192² crop bilinearly to its own input (`tf.image.resizeBilinear`, alignCorners
 *    false: src/face/antispoof.ts, liveness.ts predict).
 *
 * We have no BlazeFace box: the pipeline detects with face-api SSD and finds face-api's 68 landmarks. The
 * BlazeFace box of a frontal face spans brows to chin and cheek to cheek, which is what the extent of the 68
 * landmarks covers, so `landmarkExtent` gives that extent as the stand-in detector box. The liveness bench
 * (bench/liveness.ts) reports how much the scores move when this box is scaled ±15 %.
 *
 * FaceMesh and the iris model take the same crop turned upright by the face's roll (cropAndResizeUnit's `angle`,
 * CropFrame), as Human cuts it with rotation on and MediaPipe always does (src/inference/human-facemesh.ts says why);
 * the per-face classifiers keep Human's default axis-aligned crop, the one their scores were calibrated on.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { resizeBilinear } from '../imaging/resize.js';
import type { Point } from '../face/types.js';

/** Human `config.face.detector.scale` default (src/config.ts): the detector box is enlarged ×1.4 before cutting. */
export const HUMAN_FACE_BOX_SCALE = 1.4;
/** Side of Human's face crop, pixels: the face-mesh model's input (src/face/facemesh.ts inputSize = 192). */
export const HUMAN_FACE_CROP_SIZE = 192;

/** Stand-in for the BlazeFace detector box: the axis-aligned extent of the landmarks, pixels. */
export function landmarkExtent(landmarks: readonly Point[]): Box {
  if (landmarks.length === 0) throw new Error('landmarkExtent: no landmarks');
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/**
 * Human's crop box for a detector box: enlarged ×`scale` around its centre (enlargeBox), then a square on
 * the longer side with corners rounded to whole pixels (squarifyBox). May extend past the image.
 */
export function humanCropBox(detectorBox: Box, scale = HUMAN_FACE_BOX_SCALE): Box {
  const cx = detectorBox.x + detectorBox.width / 2;
  const cy = detectorBox.y + detectorBox.height / 2;
  const half = (Math.max(detectorBox.width, detectorBox.height) * scale) / 2;
  const x1 = Math.round(cx - half);
  const y1 = Math.round(cy - half);
  return { x: x1, y: y1, width: Math.round(cx + half) - x1, height: Math.round(cy + half) - y1 };
}

/**
 * tf.image.cropAndResize(image, [[y1/h, x1/w, y2/h, x2/w]], [0], [size, size], 'bilinear', 0) divided by 255:
 * sample point y = y1·(h−1)/h + i·(y2−y1)·(h−1)/(h·(size−1)) (tfjs-backend-cpu CropAndResize), bilinear
 * between the four neighbours, 0 outside the image. Returns HWC float32 RGB 0–1, `size`×`size`.
 *
 * `step` > 1 keeps only every step-th row and column of that crop (rows and columns 0, step, 2·step, …; `size` must be
 * a multiple of it): `size / step` squared pixels, each computed exactly as in the whole crop, without computing the
 * others (humanModelInputFor).
 */
export function cropAndResizeUnit(image: RgbImage, box: Box, size: number, step = 1, angle = 0): Float32Array {
  if (!(Number.isInteger(step) && step >= 1 && size % step === 0)) throw new Error(`cropAndResizeUnit: step ${step} does not divide size ${size}`);
  const { width: w, height: h, data } = image;
  const side = size / step;
  const out = new Float32Array(side * side * 3);
  const xs = samplePositions(box.x / w, (box.x + box.width) / w, w, size, step);
  const ys = samplePositions(box.y / h, (box.y + box.height) / h, h, size, step);
  if (angle !== 0) {
    // Turned about the centre of the whole sample grid (its first and last positions' midpoint, whatever `step`).
    const centre = { x: 0.5 * (box.x / w + (box.x + box.width) / w) * (w - 1), y: 0.5 * (box.y / h + (box.y + box.height) / h) * (h - 1) };
    turnedSamples(out, image, xs, ys, centre, angle);
    return out;
  }
  let o = 0;
  for (let i = 0; i < side; i++) {
    const inY = ys[i]!;
    if (inY < 0 || inY > h - 1) {
      o += side * 3;
      continue;
    }
    for (let j = 0; j < side; j++, o += 3) {
      const inX = xs[j]!;
      if (inX >= 0 && inX <= w - 1) bilinearInto(out, o, data, w, inX, inY);
    }
  }
  return out;
}

/**
 * tf CropAndResize's sample positions along one axis of `extent` pixels, for a box from `start` to `end` (shares of the
 * extent): position k = start·(extent − 1) + k·(end − start)·(extent − 1)/(size − 1), the box's centre when `size` is 1;
 * every `step`-th of them.
 */
function samplePositions(start: number, end: number, extent: number, size: number, step: number): Float64Array {
  const out = new Float64Array(size / step);
  const scale = size > 1 ? ((end - start) * (extent - 1)) / (size - 1) : 0;
  for (let k = 0, n = 0; k < size; k += step, n++) out[n] = size > 1 ? start * (extent - 1) + k * scale : 0.5 * (start + end) * (extent - 1);
  return out;
}

/** Writes the bilinear RGB value (÷ 255) of `image` at (inX, inY), a point inside it, to out[o … o + 2]. */
function bilinearInto(out: Float32Array, o: number, data: Uint8Array, w: number, inX: number, inY: number): void {
  const left = Math.floor(inX);
  const right = Math.ceil(inX);
  const top = Math.floor(inY);
  const bottom = Math.ceil(inY);
  const dx = inX - left;
  const dy = inY - top;
  const topLeft = (top * w + left) * 3;
  const topRight = (top * w + right) * 3;
  const bottomLeft = (bottom * w + left) * 3;
  const bottomRight = (bottom * w + right) * 3;
  for (let c = 0; c < 3; c++) {
    const tl = data[topLeft + c]!;
    const tr = data[topRight + c]!;
    const bl = data[bottomLeft + c]!;
    const br = data[bottomRight + c]!;
    const upper = tl + (tr - tl) * dx;
    const lower = bl + (br - bl) * dx;
    out[o + c] = (upper + (lower - upper) * dy) / 255;
  }
}

/**
 * cropAndResizeUnit's samples turned by `angle` (radians) about `centre` (the sample grid's): each position rotated
 * about it before sampling, bilinear, 0 outside the image. A face whose roll
 * is `angle` (eye line from the image-left eye to the image-right eye, src/pipeline/analyze.ts rollFromLandmarks) comes
 * out upright. Human does the same in two steps (facemeshutil.ts correctFaceRotation: tf.image.rotateWithOffset of the
 * whole image, nearest neighbour, then cutAndResize); one bilinear sampling of the original pixels skips the
 * intermediate rounding.
 */
function turnedSamples(out: Float32Array, image: RgbImage, xs: Float64Array, ys: Float64Array, centre: Point, angle: number): void {
  const { width: w, height: h, data } = image;
  const { x: cx, y: cy } = centre;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let o = 0;
  for (let i = 0; i < ys.length; i++) {
    const dy = ys[i]! - cy;
    for (let j = 0; j < xs.length; j++) {
      const dx = xs[j]! - cx;
      const inX = cx + cos * dx - sin * dy;
      const inY = cy + sin * dx + cos * dy;
      if (inX >= 0 && inX <= w - 1 && inY >= 0 && inY <= h - 1) bilinearInto(out, o, data, w, inX, inY);
      o += 3;
    }
  }
}

/**
 * Where a crop was cut: a `box` in image pixels as it lies before turning, turned by `angle` radians about its centre
 * (0 = the axis-aligned box). A point of the crop at (u, v), 0–1 of its side, lies in the image at the box's point
 * (x + u·width, y + v·height) turned about the centre: framePoint.
 */
export interface CropFrame {
  box: Box;
  angle: number;
}

/** The image point of a crop point given as fractions (u, v) of the crop's side (CropFrame). */
export function framePoint(frame: CropFrame, u: number, v: number): Point {
  const { box, angle } = frame;
  return turnAbout({ x: box.x + u * box.width, y: box.y + v * box.height }, boxCentre(box), angle);
}

/** `point` turned by `angle` radians about `centre` (image axes, y down: a positive angle turns clockwise on screen); itself at 0. */
export function turnAbout(point: Point, centre: Point, angle: number): Point {
  if (angle === 0) return point;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const [dx, dy] = [point.x - centre.x, point.y - centre.y];
  return { x: centre.x + cos * dx - sin * dy, y: centre.y + sin * dx + cos * dy };
}

const boxCentre = (box: Box): Point => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/**
 * The stand-in detector box of landmarks seen in a frame turned by `angle` (radians, as the face's roll): the extent
 * of the points rotated by −angle, placed so that its centre, turned back, is the centre of that extent in the image.
 * Its width and height are the face's own, not those of the tilted face's axis-aligned extent (larger by up to
 * |sin| + |cos|, ×1.41 at 45°). At angle 0 it is landmarkExtent.
 */
export function turnedLandmarkBox(landmarks: readonly Point[], angle: number): Box {
  if (angle === 0) return landmarkExtent(landmarks);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const upright = landmarkExtent(landmarks.map((p) => ({ x: cos * p.x + sin * p.y, y: -sin * p.x + cos * p.y })));
  const cu = upright.x + upright.width / 2;
  const cv = upright.y + upright.height / 2;
  const centre = { x: cos * cu - sin * cv, y: sin * cu + cos * cv };
  return { x: centre.x - upright.width / 2, y: centre.y - upright.height / 2, width: upright.width, height: upright.height };
}

/** Human's 192² face crop (HWC float 0–1) for a detector box. */
export function humanFaceCrop(image: RgbImage, detectorBox: Box, scale = HUMAN_FACE_BOX_SCALE): Float32Array {
  return cropAndResizeUnit(image, humanCropBox(detectorBox, scale), HUMAN_FACE_CROP_SIZE);
}

/**
 * Resizes Human's 192² crop to a model's `size`² input (tf.image.resizeBilinear, alignCorners false) as NCHW. At
 * `size` = 192 (FaceMesh) that resize is the identity (source = dst × 1, every weight 0), so the crop is only
 * re-laid out as planes: the same values without the ≈ 1 ms bilinear pass per call (2 cores), which the challenge
 * measurement pays on every frame (src/pipeline/motion-series.ts).
 */
export function humanModelInput(crop: Float32Array, size: number): Float32Array {
  if (size === HUMAN_FACE_CROP_SIZE) return hwcToChw(crop, size * size);
  return resizeBilinear({ data: crop, width: HUMAN_FACE_CROP_SIZE, height: HUMAN_FACE_CROP_SIZE, channels: 3 }, size, size, { layout: 'chw' });
}

/**
 * humanModelInput(humanFaceCrop(image, detectorBox, scale), size), the same values, computing only the crop pixels the
 * resize reads when `size` divides the crop side: there tf.image.resizeBilinear samples the crop at whole multiples of
 * 192 / size (source = dst × 192 / size, interpolation weights 0), i.e. it picks those pixels unchanged. Human's
 * liveness net (32²) then needs 1,024 of the crop's 36,864 pixels (≈ 1.2 ms saved per face on 2 cores,
 * bench/RESULTS.md "Peers: where ours' time goes"); any other size cuts the whole crop.
 */
export function humanModelInputFor(image: RgbImage, detectorBox: Box, size: number, scale = HUMAN_FACE_BOX_SCALE): Float32Array {
  if (HUMAN_FACE_CROP_SIZE % size !== 0) return humanModelInput(humanFaceCrop(image, detectorBox, scale), size);
  return hwcToChw(cropAndResizeUnit(image, humanCropBox(detectorBox, scale), HUMAN_FACE_CROP_SIZE, HUMAN_FACE_CROP_SIZE / size), size * size);
}

/** Interleaved RGB (HWC) floats of `pixels` pixels → three planes (CHW). */
function hwcToChw(hwc: Float32Array, pixels: number): Float32Array {
  if (hwc.length !== pixels * 3) throw new Error(`humanModelInput: crop holds ${hwc.length} values, expected ${pixels * 3}`);
  const out = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i] = hwc[i * 3]!;
    out[pixels + i] = hwc[i * 3 + 1]!;
    out[2 * pixels + i] = hwc[i * 3 + 2]!;
  }
  return out;
}
