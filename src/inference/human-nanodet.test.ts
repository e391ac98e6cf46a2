import { describe, expect, it } from 'vitest';
import {
  COCO_LABELS,
  NANODET_BINS,
  NANODET_MEAN_BGR,
  NANODET_STD_BGR,
  NANODET_TRAINING_INPUT_SIZE,
  type NanodetInputSize,
  decodeNanodet,
  nanodetDetections,
  nanodetHeads,
  nanodetInput,
  nanodetInputSize,
  resolveNanodetOptions,
} from './human-nanodet.js';
import type { Tensor } from './session.js';

const SQUARE_416: NanodetInputSize = { width: 416, height: 416 };

/** Zeroed NanoDet heads for an input of `size` (all bins 0, so every side's argmax is bin 0), with `set` writing one cell of one head. */
function heads(size: NanodetInputSize = SQUARE_416) {
  const outputs: Record<string, Tensor> = {};
  const layout = nanodetHeads(size);
  for (const h of layout) {
    const cells = h.columns * h.rows;
    outputs[h.scores] = { data: new Float32Array(cells * 80), dims: [1, cells, 80] };
    outputs[h.distances] = { data: new Float32Array(cells * 4 * NANODET_BINS), dims: [1, cells, 4 * NANODET_BINS] };
  }
  const set = (stride: number, row: number, col: number, classIndex: number, score: number, bins: [number, number, number, number]) => {
    const head = layout.find((h) => h.stride === stride)!;
    const cell = row * head.columns + col;
    outputs[head.scores]!.data[cell * 80 + classIndex] = score;
    bins.forEach((bin, side) => (outputs[head.distances]!.data[(cell * 4 + side) * NANODET_BINS + bin] = 5));
  };
  return { outputs, set };
}

describe('COCO labels', () => {
  it('lists the 80 classes in Human\'s order', () => {
    expect(COCO_LABELS).toHaveLength(80);
    expect(COCO_LABELS[0]).toBe('person');
    expect([62, 63, 67, 73].map((i) => COCO_LABELS[i])).toEqual(['tv', 'laptop', 'cell phone', 'book']);
  });
});

describe('decodeNanodet (human src/object/nanodet.ts process)', () => {
  it('places a stride-32 cell and its argmax bins as Human does', () => {
    const { outputs, set } = heads();
    set(32, 2, 3, 67, 0.9, [2, 1, 3, 0]);
    const [c, ...rest] = decodeNanodet(outputs, 0.2);
    expect(rest).toHaveLength(0);
    expect(c!.classIndex).toBe(67);
    expect(c!.score).toBeCloseTo(0.9, 6);
    // cx = 3.5/13, cy = 2.5/13; one bin = 13 / 1 / 416 = 1/32 of the input, times 2.5 / strideSize (1).
    const cx = 3.5 / 13;
    const cy = 2.5 / 13;
    const step = 2.5 / 32;
    const [x, y, w, h] = c!.boxRaw;
    expect(x).toBeCloseTo(cx - 2 * step, 6);
    expect(y).toBeCloseTo(cy - 1 * step, 6);
    expect(w).toBeCloseTo(2 * step + 3 * step, 6);
    expect(h).toBeCloseTo(1 * step, 6);
  });

  it('scales a stride-8 bin by 2.5 / 4 · 52 / 4 / 416 (= 1.015625 × 8 px of the input)', () => {
    const { outputs, set } = heads();
    set(8, 10, 20, 0, 0.5, [4, 4, 4, 4]);
    const [c] = decodeNanodet(outputs, 0.2);
    const [x, , w] = c!.boxRaw;
    expect(x * NANODET_TRAINING_INPUT_SIZE).toBeCloseTo((20.5 / 52) * NANODET_TRAINING_INPUT_SIZE - 4 * 8 * 1.015625, 3);
    expect(w * NANODET_TRAINING_INPUT_SIZE).toBeCloseTo(8 * 8 * 1.015625, 3);
  });

  it('follows the input size: 10/20/40 cells at 320², and a bin is still 1.015625 strides of the input', () => {
    const size = { width: 320, height: 320 };
    expect(nanodetHeads(size).map((h) => [h.stride, h.columns, h.rows])).toEqual([
      [32, 10, 10],
      [16, 20, 20],
      [8, 40, 40],
    ]);
    const { outputs, set } = heads(size);
    set(32, 4, 7, 67, 0.9, [3, 2, 1, 0]);
    const [c, ...rest] = decodeNanodet(outputs, 0.2, size);
    expect(rest).toHaveLength(0);
    const [x, y, w, h] = c!.boxRaw.map((v) => v * 320) as [number, number, number, number];
    const step = 32 * 1.015625;
    expect(x).toBeCloseTo(7.5 * 32 - 3 * step, 3);
    expect(y).toBeCloseTo(4.5 * 32 - 2 * step, 3);
    expect(w).toBeCloseTo(4 * step, 3);
    expect(h).toBeCloseTo(2 * step, 3);
  });

  it('decodes a non-square input: columns and horizontal sides by its width, rows and vertical sides by its height', () => {
    const size = { width: 416, height: 288 };
    const { outputs, set } = heads(size);
    // Stride 16: 26 columns × 18 rows; the last cell of row 17.
    set(16, 17, 25, 73, 0.7, [2, 2, 2, 2]);
    const [c] = decodeNanodet(outputs, 0.2, size);
    const step = 16 * 1.015625;
    const [x, y, w, h] = c!.boxRaw;
    expect(x * 416).toBeCloseTo(25.5 * 16 - 2 * step, 3);
    expect(y * 288).toBeCloseTo(17.5 * 16 - 2 * step, 3);
    // Clamped separately to 0–1, as Human does: the box starts inside and its width/height are not cut at the edge.
    expect(w * 416).toBeCloseTo(4 * step, 3);
    expect(h * 288).toBeCloseTo(4 * step, 3);
    expect(() => decodeNanodet(outputs, 0.2, SQUARE_416)).toThrow(/expected 13520 values, got 9360/);
  });

  it('keeps scores strictly above the threshold, never reports class 61 (toilet), and clamps each of x, y, w, h to 0–1', () => {
    const { outputs, set } = heads();
    set(16, 0, 0, 61, 0.99, [0, 0, 0, 0]);
    set(16, 0, 1, 5, 0.25, [0, 0, 0, 0]); // exactly the threshold (0.25 is exact in float32)
    set(16, 0, 2, 7, 0.26, [10, 10, 0, 0]);
    const candidates = decodeNanodet(outputs, 0.25);
    expect(candidates.map((c) => c.classIndex)).toEqual([7]);
    expect(candidates[0]!.boxRaw[0]).toBe(0);
    expect(candidates[0]!.boxRaw[1]).toBe(0);
  });

  it('rejects heads of the wrong size', () => {
    const { outputs } = heads();
    outputs.scores_stride8 = { data: new Float32Array(10), dims: [1, 10] };
    expect(() => decodeNanodet(outputs, 0.2)).toThrow(/scores_stride8: expected 216320 values, got 10/);
  });
});

describe('nanodetDetections', () => {
  it('runs one class-agnostic NMS, numbers classes 1–80 and returns pixels of the image, best first', () => {
    const { outputs, set } = heads();
    set(32, 6, 6, 67, 0.6, [2, 2, 2, 2]); // cell phone
    set(32, 6, 6, 0, 0.8, [2, 2, 2, 2]); // person, same box: suppresses the phone
    set(32, 1, 1, 73, 0.3, [1, 1, 1, 1]); // book elsewhere
    const found = nanodetDetections(outputs, 640, 480, resolveNanodetOptions());
    expect(found.map((d) => [d.label, d.classId])).toEqual([
      ['person', 1],
      ['book', 74],
    ]);
    const step = 2.5 / 32;
    const { x, y, width, height } = found[0]!.box;
    expect(x).toBeCloseTo((6.5 / 13 - 2 * step) * 640, 3);
    expect(y).toBeCloseTo((6.5 / 13 - 2 * step) * 480, 3);
    expect(width).toBeCloseTo(4 * step * 640, 3);
    expect(height).toBeCloseTo(4 * step * 480, 3);
  });

  it('keeps at most maxResults', () => {
    const { outputs, set } = heads();
    for (let col = 0; col < 13; col += 2) set(32, 0, col, 73, 0.5 + col / 100, [0, 0, 0, 0]);
    expect(nanodetDetections(outputs, 416, 416, resolveNanodetOptions({ maxResults: 3 })).map((d) => d.score.toFixed(2))).toEqual(['0.62', '0.60', '0.58']);
  });
});

describe('nanodetInput', () => {
  const uniform = (r: number, g: number, b: number) => {
    const data = new Uint8Array(20 * 10 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([r, g, b], i);
    return { data, width: 20, height: 10 };
  };
  const plane = NANODET_TRAINING_INPUT_SIZE * NANODET_TRAINING_INPUT_SIZE;

  it('stretches to 416×416 and normalises BGR with NanoDet\'s mean/std by default', () => {
    const input = nanodetInput(uniform(10, 20, 30));
    expect(input).toHaveLength(3 * plane);
    const bgr = [30, 20, 10];
    for (let c = 0; c < 3; c++) expect(input[c * plane + 1234]).toBeCloseTo((bgr[c]! - NANODET_MEAN_BGR[c]!) / NANODET_STD_BGR[c]!, 5);
  });

  it('feeds RGB / 255 with normalization "human"', () => {
    const input = nanodetInput(uniform(10, 20, 30), 'human');
    [10, 20, 30].forEach((v, c) => expect(input[c * plane + 99]).toBeCloseTo(v / 255, 6));
  });

  it('stretches to the size it is given, non-square too', () => {
    const input = nanodetInput(uniform(10, 20, 30), 'nanodet', { width: 320, height: 224 });
    expect(input).toHaveLength(3 * 320 * 224);
    expect(input[2 * 320 * 224 + 5]).toBeCloseTo((10 - NANODET_MEAN_BGR[2]!) / NANODET_STD_BGR[2]!, 5);
  });

  it('picks the input size: a square by default, else the longer side and the nearest multiple of 32 for the other', () => {
    expect(nanodetInputSize(640, 427, resolveNanodetOptions())).toEqual({ width: 416, height: 416 });
    expect(nanodetInputSize(640, 427, resolveNanodetOptions({ inputSize: 320 }))).toEqual({ width: 320, height: 320 });
    // 427 · 416/640 = 277.6 → 288; 511 · 416/640 = 332.2 → 320; a sliver keeps one stride-32 cell.
    expect(nanodetInputSize(640, 427, { inputSize: 416, keepAspectRatio: true })).toEqual({ width: 416, height: 288 });
    expect(nanodetInputSize(511, 640, { inputSize: 416, keepAspectRatio: true })).toEqual({ width: 320, height: 416 });
    expect(nanodetInputSize(640, 5, { inputSize: 256, keepAspectRatio: true })).toEqual({ width: 256, height: 32 });
  });

  it('rejects options out of range', () => {
    expect(() => resolveNanodetOptions({ inputSize: 400 })).toThrow(/inputSize must be a multiple of 32 from 32 to 640 px, got 400/);
    expect(() => resolveNanodetOptions({ inputSize: 672 })).toThrow(/inputSize/);
    expect(() => resolveNanodetOptions({ inputSize: 0 })).toThrow(/inputSize/);
    expect(() => resolveNanodetOptions({ keepAspectRatio: 'yes' as never })).toThrow(/keepAspectRatio/);
    expect(() => resolveNanodetOptions({ minConfidence: 1 })).toThrow(/minConfidence/);
    expect(() => resolveNanodetOptions({ maxResults: 0 })).toThrow(/maxResults/);
    expect(() => resolveNanodetOptions({ normalization: 'rgb' as never })).toThrow(/normalization/);
  });
});
