import { describe, expect, it } from 'vitest';
import { BLAZEFACE_DEFAULTS, BLAZEFACE_INPUT_SIZE, blazeFaceAnchors, decodeBlazeFace, resolveBlazeFaceOptions, toBlazeFaceInput } from './human-blazeface.js';

/** Zeroed heads (every logit far below any threshold) with `set` writing one anchor's logit and regressors. */
function heads() {
  const out = [
    { logits: new Float32Array(512).fill(-20), regressors: new Float32Array(512 * 16) },
    { logits: new Float32Array(384).fill(-20), regressors: new Float32Array(384 * 16) },
  ];
  const set = (head: 0 | 1, anchor: number, logit: number, values: number[]) => {
    out[head]!.logits[anchor] = logit;
    out[head]!.regressors.set(values, anchor * 16);
  };
  return { out, set };
}

describe('BlazeFace anchors (human src/face/facemeshutil.ts generateAnchors(256))', () => {
  it('has 896 anchors: 16×16 cells × 2 at stride 16, then 8×8 cells × 6 at stride 32', () => {
    const a = blazeFaceAnchors();
    expect(a.length / 2).toBe(896);
    expect([a[0], a[1], a[2], a[3]]).toEqual([8, 8, 8, 8]);
    // Third anchor: the second cell of the first row.
    expect([a[4], a[5]]).toEqual([24, 8]);
    // Last stride-16 anchor, then the first stride-32 one.
    expect([a[2 * 511], a[2 * 511 + 1]]).toEqual([248, 248]);
    expect([a[2 * 512], a[2 * 512 + 1]]).toEqual([16, 16]);
    expect([a[2 * 895], a[2 * 895 + 1]]).toEqual([240, 240]);
  });
});

describe('decodeBlazeFace', () => {
  it('places the box and keypoints around the anchor centre, scaled to image pixels', () => {
    const { out, set } = heads();
    // Stride-32 anchor 6·9 = cell (1, 1), centre (48, 48); centre offset (+2, −4), size 40 × 40; keypoint 0 at (−10, −6).
    set(1, 6 * 9, 3, [2, -4, 40, 40, -10, -6, 10, -6, 0, 0, 0, 10, -20, 0, 20, 0]);
    const [face, ...rest] = decodeBlazeFace({ heads: out }, 2, BLAZEFACE_DEFAULTS);
    expect(rest).toHaveLength(0);
    expect(face!.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(face!.box).toEqual({ x: (50 - 20) * 2, y: (44 - 20) * 2, width: 80, height: 80 });
    expect(face!.keypoints[0]).toEqual({ x: 76, y: 84 });
    expect(face!.keypoints).toHaveLength(6);
  });

  it('keeps candidates at the score threshold, drops those under it, and suppresses overlaps', () => {
    const { out, set } = heads();
    const logit = (p: number) => Math.log(p / (1 - p));
    set(0, 0, logit(0.9), [0, 0, 20, 20]);
    set(0, 1, logit(0.8), [1, 0, 20, 20]); // same place: suppressed by the first
    set(0, 200, logit(0.6), [0, 0, 20, 20]); // elsewhere: kept
    set(1, 10, logit(0.49), [0, 0, 60, 60]); // under 0.5: dropped
    const faces = decodeBlazeFace({ heads: out }, 1, BLAZEFACE_DEFAULTS);
    expect(faces.map((f) => Number(f.score.toFixed(2)))).toEqual([0.9, 0.6]);
  });

  it('refuses outputs of the wrong shape', () => {
    const { out } = heads();
    expect(() => decodeBlazeFace({ heads: [out[0]!] }, 1, BLAZEFACE_DEFAULTS)).toThrow(/2 heads/);
    expect(() => decodeBlazeFace({ heads: [out[0]!, { logits: out[1]!.logits, regressors: new Float32Array(10) }] }, 1, BLAZEFACE_DEFAULTS)).toThrow(/regressor/);
  });

  it('checks its options', () => {
    expect(() => resolveBlazeFaceOptions({ minConfidence: 1 })).toThrow(/minConfidence/);
    expect(() => resolveBlazeFaceOptions({ maxResults: 0 })).toThrow(/maxResults/);
  });
});

describe('toBlazeFaceInput', () => {
  it('pads a wide image at the bottom to a square, scales to −1…1, and reports the scale', () => {
    // 512 × 256 white: the top half of the 256² input is white (1), the bottom half padding (−1).
    const image = { data: new Uint8Array(512 * 256 * 3).fill(255), width: 512, height: 256 };
    const { tensor, scale } = toBlazeFaceInput(image);
    expect(scale).toBe(2);
    expect(tensor.length).toBe(3 * BLAZEFACE_INPUT_SIZE ** 2);
    expect(tensor[10 * 256 + 10]).toBeCloseTo(1, 5);
    expect(tensor[200 * 256 + 10]).toBeCloseTo(-1, 5);
  });
});
