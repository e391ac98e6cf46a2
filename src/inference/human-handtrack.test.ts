import { describe, expect, it } from 'vitest';
import { HANDTRACK_ANCHORS, HANDTRACK_CLASSES, HANDTRACK_INPUT_SIZE, handtrackDetections, handtrackInput, resolveHandtrackOptions } from './human-handtrack.js';
import type { Tensor } from './session.js';

/** Zeroed outputs, with `set` writing one anchor: [ymin, xmin, ymax, xmax] (fractions) and per-class scores. */
function outputs() {
  const boxes: Tensor = { data: new Float32Array(HANDTRACK_ANCHORS * 4), dims: [1, HANDTRACK_ANCHORS, 4] };
  const scores: Tensor = { data: new Float32Array(HANDTRACK_ANCHORS * 7), dims: [1, HANDTRACK_ANCHORS, 7] };
  const set = (anchor: number, box: [number, number, number, number], classScores: Partial<Record<string, number>>) => {
    boxes.data.set(box, anchor * 4);
    for (const [label, s] of Object.entries(classScores)) scores.data[anchor * 7 + HANDTRACK_CLASSES.indexOf(label)] = s!;
  };
  return { tensors: { boxes, scores }, set };
}

describe('handtrackDetections (human src/hand/handtrack.ts detectHands)', () => {
  it('scores an anchor by its best class other than face, and maps [ymin, xmin, ymax, xmax] to pixels', () => {
    const { tensors, set } = outputs();
    set(10, [0.1, 0.2, 0.5, 0.4], { face: 0.99, fist: 0.7, pinch: 0.6 });
    set(20, [0.6, 0.6, 0.9, 0.9], { face: 0.95, hand: 0.3 }); // a face, not a hand
    const found = handtrackDetections(tensors, 640, 480, resolveHandtrackOptions());
    expect(found).toHaveLength(1);
    expect(found[0]!.label).toBe('fist');
    expect(found[0]!.score).toBeCloseTo(0.7, 6);
    const { x, y, width, height } = found[0]!.box;
    expect([x, y, width, height].map((v) => Math.round(v * 1000) / 1000)).toEqual([128, 48, 128, 192]);
  });

  it('suppresses overlaps above IoU 0.2, keeps maxResults, clamps to the image, best first', () => {
    const { tensors, set } = outputs();
    set(1, [0, 0, 0.5, 0.5], { hand: 0.8 });
    set(2, [0.05, 0.05, 0.55, 0.55], { hand: 0.9 }); // IoU with anchor 1 ≈ 0.68: dropped
    set(3, [0.7, 0.8, 1.1, 1.2], { point: 0.6 }); // beyond the image: clamped
    const found = handtrackDetections(tensors, 100, 100, resolveHandtrackOptions());
    expect(found.map((h) => [h.label, h.score.toFixed(1)])).toEqual([
      ['hand', '0.9'],
      ['point', '0.6'],
    ]);
    expect(found[1]!.box.x + found[1]!.box.width).toBeCloseTo(100, 6);
    expect(found[1]!.box.y + found[1]!.box.height).toBeCloseTo(100, 6);
    expect(handtrackDetections(tensors, 100, 100, resolveHandtrackOptions({ maxResults: 1 }))).toHaveLength(1);
    expect(handtrackDetections(tensors, 100, 100, resolveHandtrackOptions({ minConfidence: 0.85 }))).toHaveLength(1);
  });

  it('rejects outputs of the wrong size and options out of range', () => {
    const { tensors } = outputs();
    expect(() => handtrackDetections({ ...tensors, scores: { data: new Float32Array(7), dims: [1, 1, 7] } }, 10, 10, resolveHandtrackOptions())).toThrow(/scores: expected 89628 values, got 7/);
    expect(() => resolveHandtrackOptions({ iouThreshold: 2 })).toThrow(/iouThreshold/);
  });
});

describe('handtrackInput (the export\'s Preprocessor)', () => {
  it('scales pixels to −1…1 (· 2/255 − 1) and stretches to 320×320, RGB planes', () => {
    const data = new Uint8Array(8 * 4 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([0, 255, 51], i);
    const input = handtrackInput({ data, width: 8, height: 4 });
    const plane = HANDTRACK_INPUT_SIZE * HANDTRACK_INPUT_SIZE;
    expect(input).toHaveLength(3 * plane);
    expect(input[5]).toBeCloseTo(-1, 6);
    expect(input[plane + 5]).toBeCloseTo(1, 6);
    expect(input[2 * plane + 5]).toBeCloseTo(-0.6, 6);
  });
});
