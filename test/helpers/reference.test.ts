import { describe, expect, it } from 'vitest';
import { faceApi, faceApiSamples, humanGraphModel, readRgb, tfWasm } from './reference.js';

describe('reference runtimes', () => {
  it('runs face-api and a Human graph model on tfjs-wasm', async () => {
    const tf = await tfWasm();
    expect(tf.getBackend()).toBe('wasm');
    const api = await faceApi();
    const img = await readRgb(faceApiSamples()[0]!);
    const input = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const faces = await api.detectAllFaces(input, new api.TinyFaceDetectorOptions());
    expect(faces.length).toBeGreaterThan(0);
    input.dispose();
    const model = await humanGraphModel('antispoof');
    const out = model.execute(tf.zeros([1, 128, 128, 3])) as import('@tensorflow/tfjs').Tensor;
    expect(out.shape).toEqual([1, 1]);
  });
});
