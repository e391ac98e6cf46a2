/**
 * MiniFASNet silent face anti-spoofing (packs `minifasnet-v2`, scale 2.7, and `minifasnet-v1se`, scale 4.0,
 * part of the default install; minivision-ai/Silent-Face-Anti-Spoofing): probability that a face is a live
 * person rather than a print or screen replay, from one RGB frame and a face box.
 *
 * The ONNX models are rebuilt from the original PyTorch weights at install (scripts/convert/minifasnet/) with
 * a dynamic batch axis (input [batch, 3, 80, 80], output [batch, 3]): each call runs one face, and the
 * registry's DynamicBatcher, when on, runs faces of concurrent requests as one batch.
 *
 * Pre-processing follows Silent-Face src/generate_patches.py `CropImage`: the face box is enlarged
 * ×scale around its centre (the scale lowered so the box fits the image), shifted back inside the image
 * rather than cut, cropped with integer corners (inclusive) and resized to 80×80. The network takes BGR
 * 0–255 NCHW (their transform's to_tensor does not divide by 255). Post-processing: softmax over 3
 * classes, index 1 = real (Silent-Face test.py). test.py sums the softmax of both models and halves it:
 * `averageRealProbability` is that mean.
 */
import type { Box } from '../imaging/geometry.js';
import { type PixelRect, cropResize, toBgrNchwFloat } from '../imaging/crop.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (the `80x80` in the upstream file names). */
export const MINIFASNET_INPUT_SIZE = 80;
/** Softmax index of the live-face class (Silent-Face test.py: label 1 = "Real Face"). */
export const MINIFASNET_REAL_CLASS = 1;

/**
 * Silent-Face `CropImage._get_new_box`: the crop rectangle for a face box (pixels) enlarged by `scale`,
 * kept inside a `imageWidth`×`imageHeight` image. Corners are truncated to integers like Python's int().
 */
export function antiSpoofCropRect(imageWidth: number, imageHeight: number, box: Box, scale: number): PixelRect {
  if (box.width <= 0 || box.height <= 0) throw new Error(`face box ${JSON.stringify(box)} is empty`);
  const s = Math.min((imageHeight - 1) / box.height, (imageWidth - 1) / box.width, scale);
  const newWidth = box.width * s;
  const newHeight = box.height * s;
  const centerX = box.x + box.width / 2;
  const centerY = box.y + box.height / 2;
  let left = centerX - newWidth / 2;
  let top = centerY - newHeight / 2;
  let right = centerX + newWidth / 2;
  let bottom = centerY + newHeight / 2;
  if (left < 0) {
    right -= left;
    left = 0;
  }
  if (top < 0) {
    bottom -= top;
    top = 0;
  }
  if (right > imageWidth - 1) {
    left -= right - imageWidth + 1;
    right = imageWidth - 1;
  }
  if (bottom > imageHeight - 1) {
    top -= bottom - imageHeight + 1;
    bottom = imageHeight - 1;
  }
  const x1 = Math.max(0, Math.trunc(left));
  const y1 = Math.max(0, Math.trunc(top));
  // Python slices org_img[y1 : y2 + 1, x1 : x2 + 1]: both corners inclusive.
  return { left: x1, top: y1, width: Math.trunc(right) - x1 + 1, height: Math.trunc(bottom) - y1 + 1 };
}

/** Numerically stable softmax. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** Live-face probability 0–1 from one model's 3 logits. */
export function realProbability(logits: ArrayLike<number>): number {
  if (logits.length !== 3) throw new Error(`MiniFASNet logits: expected 3 values, got ${logits.length}`);
  return softmax(logits)[MINIFASNET_REAL_CLASS]!;
}

/** One MiniFASNet variant: a session created once by the caller plus its face-crop scale (packs.json `faceCropScale`). */
export class MiniFasnet {
  constructor(
    private readonly session: ModelRunner,
    readonly faceCropScale: number,
  ) {
    const input = session.inputs[0];
    const [, channels, height, width] = input?.shape ?? [];
    if (!input || input.shape.length !== 4 || channels !== 3 || height !== MINIFASNET_INPUT_SIZE || width !== MINIFASNET_INPUT_SIZE) {
      throw new Error(`model ${session.label}: expected a MiniFASNet input [batch, 3, ${MINIFASNET_INPUT_SIZE}, ${MINIFASNET_INPUT_SIZE}], got ${input ? `${input.name} [${input.shape.join(', ')}]` : 'none'}`);
    }
    if (!(faceCropScale > 0)) throw new Error(`model ${session.label}: expected a face-crop scale > 0, got ${faceCropScale}`);
  }

  /** The network input for the face at `box` (source-image pixels): Silent-Face's enlarged crop, 80², BGR planar. */
  async input(image: RgbImage, box: Box): Promise<Float32Array> {
    const rect = antiSpoofCropRect(image.width, image.height, box, this.faceCropScale);
    return toBgrNchwFloat(await cropResize(image, rect, MINIFASNET_INPUT_SIZE, MINIFASNET_INPUT_SIZE));
  }

  /** Live-face probability 0–1 of an input made by `input`. */
  async probabilityOf(input: Float32Array): Promise<number> {
    const name = this.session.inputs[0]!.name;
    const outputs = await this.session.run({ [name]: { data: input, dims: [1, 3, MINIFASNET_INPUT_SIZE, MINIFASNET_INPUT_SIZE] } });
    const logits = outputs[this.session.outputs[0]!.name];
    if (!logits) throw new Error(`model ${this.session.label}: no output`);
    return realProbability(logits.data);
  }

  /** Live-face probability 0–1 for the face at `box` (source-image pixels). */
  async realProbability(image: RgbImage, box: Box): Promise<number> {
    return this.probabilityOf(await this.input(image, box));
  }
}

/**
 * Mean live-face probability 0–1 over several variants (Silent-Face test.py averages V2 and V1SE). The variants are
 * asked together: each one's crop is cut (sharp, off the event loop) while another model runs.
 */
export async function averageRealProbability(models: readonly MiniFasnet[], image: RgbImage, box: Box): Promise<number> {
  return (await queueAverageRealProbability(models, image, box)).probability;
}

/**
 * As averageRealProbability, in two steps: resolves once every variant's crop is cut and its run asked for, with the
 * mean probability still to come. A caller with other work for this thread (the liveness context) does it between the
 * two, while the runs proceed on the inference thread.
 */
export async function queueAverageRealProbability(models: readonly MiniFasnet[], image: RgbImage, box: Box): Promise<{ probability: Promise<number> }> {
  if (models.length === 0) throw new Error('averageRealProbability: expected at least one MiniFASNet model');
  const inputs = await Promise.all(models.map((model) => model.input(image, box)));
  const probabilities = Promise.all(models.map((model, i) => model.probabilityOf(inputs[i]!)));
  const probability = probabilities.then((ps) => ps.reduce((sum, p) => sum + p, 0) / models.length);
  // The caller awaits it later, after other work: a failure meanwhile must not count as an unhandled rejection.
  probability.catch(() => {});
  return { probability };
}
