/**
 * nsfwjs MobileNetV2 (`nsfwjs-mobilenet-v2`, models/manifest.json; upstream GantMan/nsfw_model): whole-image
 * content classifier, softmax over 5 classes. Input: the whole image resized to 224×224 ignoring the aspect
 * ratio, bilinear with align_corners = true, RGB / 255 (nsfwjs core.js `infer`:
 * tf.image.resizeBilinear(normalized, [224, 224], true)).
 */
import { AppError } from '../errors.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRunner } from './batcher.js';

/** Network input side, pixels (nsfwjs mobilenet_v2 model.json input shape [-1, 224, 224, 3]). */
export const NSFWJS_INPUT_SIZE = 224;
/** Output order (nsfwjs dist/cjs/nsfw_classes.js NSFW_CLASSES). */
export const NSFWJS_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NsfwClass = (typeof NSFWJS_CLASSES)[number];
export type NsfwProbabilities = Record<NsfwClass, number>;

/**
 * Bilinear resize with align_corners = true (tf.image.resizeBilinear(…, alignCorners = true)): source =
 * dst × (in − 1) / (out − 1), so the corner pixels map onto each other. Returns planar NCHW float32 RGB,
 * each value pixel / 255.
 */
export function nsfwjsInput(image: RgbImage, size = NSFWJS_INPUT_SIZE): Float32Array {
  const { data, width, height } = image;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  const sy = size > 1 ? (height - 1) / (size - 1) : 0;
  const sx = size > 1 ? (width - 1) / (size - 1) : 0;
  for (let r = 0; r < size; r++) {
    const y = r * sy;
    const y0 = Math.floor(y);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = y - y0;
    for (let c = 0; c < size; c++) {
      const x = c * sx;
      const x0 = Math.floor(x);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = x - x0;
      for (let ch = 0; ch < 3; ch++) {
        const tl = data[(y0 * width + x0) * 3 + ch]!;
        const tr = data[(y0 * width + x1) * 3 + ch]!;
        const bl = data[(y1 * width + x0) * 3 + ch]!;
        const br = data[(y1 * width + x1) * 3 + ch]!;
        const top = tl + (tr - tl) * fx;
        const bottom = bl + (br - bl) * fx;
        out[ch * plane + r * size + c] = (top + (bottom - top) * fy) / 255;
      }
    }
  }
  return out;
}

export class NsfwjsClassifier {
  constructor(private readonly session: ModelRunner) {}

  /** Class probabilities (0–1, summing to 1) for the whole image. */
  classify(image: RgbImage): Promise<NsfwProbabilities> {
    return this.classifyInput(nsfwjsInput(image, NSFWJS_INPUT_SIZE));
  }

  /** `classify` for an input already made with nsfwjsInput (at NSFWJS_INPUT_SIZE), e.g. on another thread. */
  async classifyInput(input: Float32Array): Promise<NsfwProbabilities> {
    const size = NSFWJS_INPUT_SIZE;
    if (input.length !== 3 * size * size) throw new Error(`nsfwjs input holds ${input.length} values, expected 3 × ${size} × ${size}`);
    const { probabilities } = await this.session.run({ input: { data: input, dims: [1, 3, size, size] } }, ['probabilities']);
    if (!probabilities || probabilities.data.length !== NSFWJS_CLASSES.length) {
      throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "probabilities" with ${NSFWJS_CLASSES.length} values`);
    }
    return Object.fromEntries(NSFWJS_CLASSES.map((name, i) => [name, probabilities.data[i]!])) as NsfwProbabilities;
  }
}
