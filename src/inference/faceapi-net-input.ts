/**
 * face-api's detector input preparation (src/dom/NetInput.ts `toBatchTensor` with isCenterInputs = false, as
 * both TinyYolov2Base.forwardInput and SsdMobilenetv1.forwardInput call it), shared by the two face-api
 * detector wrappers: zero-pad the image to a square at the bottom or right (src/ops/padToSquare.ts), resize
 * bilinearly to the square input size (tf.image.resizeBilinear, alignCorners = false, halfPixelCenters = false),
 * and remember the geometry needed to map boxes back to the original image.
 */
import type { Box } from '../imaging/geometry.js';
import { type RgbImage, toNchwFloat } from '../imaging/image.js';
import { resizeBilinear } from '../imaging/resize.js';

/** A face found by a detector. */
export interface DetectedFace {
  /** Face box in pixels of the original image (may extend past its borders where the detector says so). */
  box: Box;
  /** Detector confidence, 0–1. */
  score: number;
}

/** The network input plus the geometry of how the original image was fitted into it. */
export interface FaceApiNetInput {
  /** NCHW float32 [1, 3, inputSize, inputSize], RGB 0–255 (interpolated, so not necessarily whole numbers). */
  tensor: Float32Array;
  inputSize: number;
  imageWidth: number;
  imageHeight: number;
  /**
   * Size the original image occupies inside the input square, rounded as face-api's
   * computeReshapedDimensions does (src/utils/index.ts): round(side × inputSize / max(width, height)).
   */
  reshapedWidth: number;
  reshapedHeight: number;
}

/** src/utils/index.ts computeReshapedDimensions. */
export function computeReshapedDimensions(width: number, height: number, inputSize: number): { width: number; height: number } {
  const scale = inputSize / Math.max(height, width);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

/** NetInput.toBatchTensor(inputSize, false) for one image, as NCHW. */
export function toFaceApiNetInput(image: RgbImage, inputSize: number): FaceApiNetInput {
  if (image.width <= 0 || image.height <= 0) throw new Error(`toFaceApiNetInput: empty image ${image.width}×${image.height}`);
  // padToSquare (isCenterImage = false: zero rows or columns appended at the bottom or right), read as zeros by the
  // resize instead of copied. toBatchTensor skips the resize when the square already has the input size; at equal
  // sizes the resize samples every pixel at weight 0 of its neighbours, so it returns the pixels unchanged.
  const side = Math.max(image.width, image.height);
  const grid = { data: image.data, width: image.width, height: image.height, channels: 3 };
  const tensor = resizeBilinear(grid, inputSize, inputSize, { layout: 'chw', padTo: { width: side, height: side } });
  const reshaped = computeReshapedDimensions(image.width, image.height, inputSize);
  return { tensor, inputSize, imageWidth: image.width, imageHeight: image.height, reshapedWidth: reshaped.width, reshapedHeight: reshaped.height };
}

/** A face crop prepared for face-api's per-face nets, plus the geometry to map outputs back. */
export interface FaceApiFaceInput {
  /** NCHW float32 [1, 3, inputSize, inputSize], RGB 0–255. */
  tensor: Float32Array;
  /** The crop taken from the image, integer pixels (face-api clips the box to the image and floors it). */
  crop: Box;
}

/**
 * What face-api does before its per-face nets (landmarks, recognition, age/gender): cut the detection
 * box clipped to the image and floored (src/dom/extractFaceTensors.ts, Box.clipAtImageBorders), pad it to a
 * square with the crop centred (src/ops/padToSquare.ts with isCenterImage = true: round(diff / 2) zeros
 * appended after, the rest before), resize bilinearly to `inputSize` (NetInput.toBatchTensor(size, true)).
 */
export function toFaceApiFaceInput(image: RgbImage, box: Box, inputSize: number): FaceApiFaceInput {
  const x = Math.floor(Math.max(box.x, 0));
  const y = Math.floor(Math.max(box.y, 0));
  const width = Math.floor(Math.min(box.x + box.width - Math.max(box.x, 0), image.width - Math.max(box.x, 0)));
  const height = Math.floor(Math.min(box.y + box.height - Math.max(box.y, 0), image.height - Math.max(box.y, 0)));
  if (width <= 0 || height <= 0) throw new Error(`toFaceApiFaceInput: box ${JSON.stringify(box)} lies outside the ${image.width}×${image.height} image`);
  const side = Math.max(width, height);
  const diff = side - Math.min(width, height);
  const before = diff - Math.round(diff * 0.5);
  const offsetX = width < height ? before : 0;
  const offsetY = height < width ? before : 0;
  const square = new Uint8Array(side * side * 3);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * image.width + x) * 3;
    square.set(image.data.subarray(from, from + width * 3), ((row + offsetY) * side + offsetX) * 3);
  }
  // A square that already has the input side (the recogniser's similarity-aligned crop, face-embedding.ts): the
  // resize samples every pixel at weight 0 of its neighbours and returns it unchanged (resize.test.ts "keeps the
  // image"), so only the layout changes: ≈ 1 ms less per face on 2 cores (bench/RESULTS.md "Peers: where ours' time goes").
  const tensor = side === inputSize ? toNchwFloat({ data: square, width: side, height: side }) : resizeBilinear({ data: square, width: side, height: side, channels: 3 }, inputSize, inputSize, { layout: 'chw' });
  return { tensor, crop: { x, y, width, height } };
}
