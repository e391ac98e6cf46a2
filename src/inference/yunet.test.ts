import { describe, expect, it } from 'vitest';
import type { Tensor } from './session.js';
import { YUNET_STRIDES, decodeYunet, planYunetInput, yunetFaces } from './yunet.js';

/** Zeroed YuNet heads for a `size`×`size` input, with `set` writing one cell of one stride. */
function heads(size: number) {
  const outputs: Record<string, Tensor> = {};
  for (const s of YUNET_STRIDES) {
    const cells = (size / s) ** 2;
    for (const [kind, width] of [['cls', 1], ['obj', 1], ['bbox', 4], ['kps', 10]] as const) {
      outputs[`${kind}_${s}`] = { data: new Float32Array(cells * width), dims: [1, cells, width] };
    }
  }
  const set = (stride: number, row: number, col: number, v: { cls: number; obj: number; bbox: number[]; kps: number[] }) => {
    const i = row * (size / stride) + col;
    outputs[`cls_${stride}`]!.data[i] = v.cls;
    outputs[`obj_${stride}`]!.data[i] = v.obj;
    outputs[`bbox_${stride}`]!.data.set(v.bbox, i * 4);
    outputs[`kps_${stride}`]!.data.set(v.kps, i * 10);
  };
  return { outputs, set };
}

describe('decodeYunet', () => {
  it('decodes a cell: score sqrt(cls·obj), centre (col+dx, row+dy)·stride, size exp(d)·stride, landmarks per cell', () => {
    const { outputs, set } = heads(64);
    set(16, 1, 2, { cls: 0.81, obj: 1, bbox: [0.5, 0.5, Math.log(2), Math.log(3)], kps: [0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1] });
    const [face, ...rest] = decodeYunet(outputs, 64, 64, 0.5);
    expect(rest).toHaveLength(0);
    expect(face!.score).toBeCloseTo(0.9, 6);
    // centre (2.5·16, 1.5·16) = (40, 24); size (2·16, 3·16) = (32, 48).
    expect(face!.box.x).toBeCloseTo(24, 5);
    expect(face!.box.y).toBeCloseTo(0, 5);
    expect(face!.box.width).toBeCloseTo(32, 5);
    expect(face!.box.height).toBeCloseTo(48, 5);
    expect(face!.landmarks.map((p) => [p.x, p.y])).toEqual([[32, 16], [48, 16], [40, 24], [32, 32], [48, 32]]);
  });

  it('clamps cls and obj to 0–1 before the geometric mean, and drops cells under the threshold', () => {
    const { outputs, set } = heads(64);
    set(8, 0, 0, { cls: 1.5, obj: 1.2, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) });
    set(32, 1, 1, { cls: 0.3, obj: 0.3, bbox: [0, 0, 0, 0], kps: new Array(10).fill(0) });
    const faces = decodeYunet(outputs, 64, 64, 0.5);
    expect(faces.map((f) => f.score)).toEqual([1]);
  });

  it('rejects heads whose size does not match the input size', () => {
    const { outputs } = heads(64);
    expect(() => decodeYunet(outputs, 96, 64, 0.5)).toThrow(/cls_8: expected 96×1 values, got 64/);
  });

  it('maps boxes back to image pixels, suppresses overlaps and clamps to the image', () => {
    const { outputs, set } = heads(64);
    set(16, 1, 2, { cls: 1, obj: 1, bbox: [0.5, 0.5, Math.log(2), Math.log(3)], kps: new Array(10).fill(0) });
    set(8, 3, 5, { cls: 0.95, obj: 0.95, bbox: [0.5, 0.5, Math.log(4), Math.log(6)], kps: new Array(10).fill(0) }); // same face, stride 8
    const faces = yunetFaces(outputs, { width: 64, height: 64, scale: 0.5 }, 100, 100, { scoreThreshold: 0.5, nmsThreshold: 0.3, maxResults: 10 });
    expect(faces).toHaveLength(1);
    // Kept: the stride-16 face (score 1), (24, 0, 32, 48) / 0.5 = (48, 0, 64, 96), right edge clamped at 100.
    const { x, y, width, height } = faces[0]!.box;
    expect(faces[0]!.score).toBe(1);
    [x, y, width, height].forEach((v, i) => expect(v).toBeCloseTo([48, 0, 52, 96][i]!, 4));
  });
});

describe('planYunetInput', () => {
  it('letterboxes into a fixed input', () => {
    expect(planYunetInput(500, 375, [1, 3, 320, 320], 640)).toEqual({ width: 320, height: 320, scale: 0.64 });
  });
  it('pads a dynamic input to multiples of 32, scaling down only', () => {
    expect(planYunetInput(500, 375, ['batch', 3, 'height', 'width'], 640)).toEqual({ width: 512, height: 384, scale: 1 });
    expect(planYunetInput(1986, 1545, ['batch', 3, 'height', 'width'], 640)).toEqual({ width: 640, height: 512, scale: 640 / 1986 });
  });
});
