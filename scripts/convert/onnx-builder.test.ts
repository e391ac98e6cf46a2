import { describe, expect, it } from 'vitest';
import { ModelSession } from '../../src/inference/session.js';
import { GraphBuilder, depthwiseToOihw, f, hwioToOihw } from './onnx-builder.js';

/** Reference NHWC 'valid' convolution with a TF HWIO kernel, written out loop by loop. */
function convNhwc(x: Float32Array, [h, w, c]: number[], k: Float32Array, [kh, kw, , co]: number[]): Float32Array {
  const oh = h! - kh! + 1;
  const ow = w! - kw! + 1;
  const out = new Float32Array(oh * ow * co!);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let o = 0; o < co!; o++) {
        let s = 0;
        for (let i = 0; i < kh!; i++)
          for (let j = 0; j < kw!; j++)
            for (let ci = 0; ci < c!; ci++) s += x[((y + i) * w! + xx + j) * c! + ci]! * k[((i * kw! + j) * c! + ci) * co! + o]!;
        out[(y * ow + xx) * co! + o] = s;
      }
  return out;
}

const seq = (n: number, scale = 0.1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * scale * (1 + (i % 5)));

describe('GraphBuilder', () => {
  it('encodes a Conv with an HWIO kernel that ONNX Runtime computes like TF', async () => {
    const [h, w, c, co] = [5, 6, 3, 4];
    const kernel = seq(3 * 3 * c * co);
    const input = seq(h * w * c, 1);
    const g = new GraphBuilder('conv-test');
    const x = g.input('x', [1, c, h, w]);
    const k = hwioToOihw(kernel, [3, 3, c, co]);
    const y = g.node('Conv', [x, g.constant('k', k.data, k.dims)], { kernel_shape: [3, 3], auto_pad: 'VALID' });
    g.output('y', y, [1, co, h - 2, w - 2]);
    const session = await ModelSession.create('conv-test', g.toBytes());
    const nchw = new Float32Array(input.length);
    for (let i = 0; i < h * w; i++) for (let ci = 0; ci < c; ci++) nchw[ci * h * w + i] = input[i * c + ci]!;
    const { y: out } = await session.run({ x: { data: nchw, dims: [1, c, h, w] } });
    const expected = convNhwc(input, [h, w, c], kernel, [3, 3, c, co]);
    const plane = (h - 2) * (w - 2);
    for (let i = 0; i < plane; i++)
      for (let o = 0; o < co; o++) expect(out!.data[o * plane + i]).toBeCloseTo(expected[i * co + o]!, 5);
    await session.release();
  });

  it('maps a TF depthwise kernel to a grouped Conv, channel for channel', () => {
    // 1×1 depthwise kernel, 2 channels × multiplier 2: TF output channel order is c*mult + m.
    const { data, dims, group } = depthwiseToOihw(Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]);
    expect(dims).toEqual([4, 1, 1, 1]);
    expect(group).toBe(2);
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
  });

  it('encodes float attributes that happen to be whole numbers as floats', async () => {
    const g = new GraphBuilder('leaky');
    const x = g.input('x', [2]);
    g.output('y', g.node('LeakyRelu', [x], { alpha: f(2) }), [2]);
    const session = await ModelSession.create('leaky', g.toBytes());
    const { y } = await session.run({ x: { data: Float32Array.from([-1, 3]), dims: [2] } });
    expect(Array.from(y!.data)).toEqual([-2, 3]);
  });

  it('rejects a constant whose dims do not match its data', () => {
    const g = new GraphBuilder('bad');
    expect(() => g.constant('c', new Float32Array(3), [2, 2])).toThrow('dims [2,2] hold 4 values, got 3');
  });
});
