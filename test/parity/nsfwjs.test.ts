/**
 * nsfwjs MobileNetV2 → ONNX parity: the same 224×224 RGB image through nsfwjs itself (its own `load`,
 * tfjs-layers on tfjs-wasm, `infer` = ÷255 then predict) and through the converted ONNX model.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NSFWJS_IMAGE_SIZE, NSFWJS_RECIPES, NSFW_CLASSES } from '../../scripts/convert/nsfwjs/recipes.js';
import { ModelSession } from '../../src/inference/session.js';
import { faceApiSamples, maxAbsDiff, readRgb, sharedData, tfWasm, toNchw } from '../helpers/reference.js';

const require = createRequire(import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Nsfwjs = any;

const images = () => [
  ...faceApiSamples().slice(0, 3),
  sharedData('attributes/dlib_faces/dogs.jpg'),
  sharedData('attributes/faceapi/bbt1.jpg'),
];

describe('nsfwjs-mobilenet-v2 parity (max abs diff ≤ 1e-3 on probabilities)', () => {
  let session: ModelSession;
  let nsfw: Nsfwjs;

  beforeAll(async () => {
    const tf = await tfWasm();
    const { bytes } = await NSFWJS_RECIPES.find((r) => r.id === 'nsfwjs-mobilenet-v2')!.build();
    session = await ModelSession.create('nsfwjs-mobilenet-v2', bytes);
    // nsfwjs' CommonJS build requires the same @tensorflow/tfjs instance that tfWasm() set to wasm.
    const nsfwjs = require('nsfwjs') as { load: (name: string) => Promise<Nsfwjs> };
    expect(tf.getBackend()).toBe('wasm');
    nsfw = await nsfwjs.load('MobileNetV2');
  }, 120_000);

  afterAll(async () => {
    await session?.release();
    nsfw?.dispose();
  });

  it.each(images().map((file) => [path.basename(file), file]))('%s', async (_name, file) => {
    const tf = await tfWasm();
    const image = await readRgb(file, { width: NSFWJS_IMAGE_SIZE, height: NSFWJS_IMAGE_SIZE });
    const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    const logits = nsfw.infer(pixels);
    const expected = (await logits.data()) as Float32Array;
    const top: { className: string; probability: number }[] = await nsfw.classify(pixels);
    logits.dispose();
    pixels.dispose();

    const { probabilities } = await session.run({
      input: { data: toNchw(image, [0, 0, 0], [255, 255, 255]), dims: [1, 3, NSFWJS_IMAGE_SIZE, NSFWJS_IMAGE_SIZE] },
    });
    expect(probabilities!.dims).toEqual([1, 5]);
    const diff = maxAbsDiff(probabilities!.data, expected);
    console.log(`${path.basename(file)}: max abs diff ${diff.toExponential(2)}, onnx ${Array.from(probabilities!.data, (p) => p.toFixed(4)).join(' ')}`);
    expect(diff).toBeLessThanOrEqual(1e-3);
    // The documented class order is nsfwjs' own: every named class maps to the same index in our output.
    for (const { className, probability } of top) {
      const index = NSFW_CLASSES.indexOf(className as (typeof NSFW_CLASSES)[number]);
      expect(index, className).toBeGreaterThanOrEqual(0);
      expect(Math.abs(probabilities!.data[index]! - probability)).toBeLessThanOrEqual(1e-3);
    }
  });
});
