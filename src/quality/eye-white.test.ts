/** Unit tests of eye-white.ts (how visible the white of the eye is inside the iris model's eye opening): synthetic pixels, no model. */
import { describe, expect, it } from 'vitest';
import type { EyeContour } from '../inference/human-iris.js';
import { EYE_WHITE_MIN_PIXELS, eyeWhiteContrast, eyeWhiteContrastOf } from './eye-white.js';

/**
 * An eye opening as the iris model gives it: corners at (cx ± w/2, cy), lids bulging h/2 up and down (both lists from
 * the same corner, as MediaPipe's EyeLower0 / EyeUpper0 run), the iris at the centre with radius r.
 */
function eyeAt(cx: number, cy: number, w: number, h: number, r: number): EyeContour {
  const lid = (n: number, sign: number, skipCorners: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const t = skipCorners ? (i + 1) / (n + 1) : i / (n - 1);
      return { x: cx - w / 2 + t * w, y: cy + sign * (h / 2) * Math.sin(Math.PI * t) };
    });
  return { lower: lid(9, 1, false), upper: lid(7, -1, true), iris: [{ x: cx, y: cy }, { x: cx + r, y: cy }, { x: cx, y: cy + r }, { x: cx - r, y: cy }, { x: cx, y: cy - r }] };
}

/** A 100×60 image of luma `skin`; inside each eye's opening, pixels within its iris radius get `iris`, the rest `white`. */
function image(eyes: { eye: EyeContour; white: number; iris: number }[], skin = 150, width = 100, height = 60) {
  const data = new Uint8Array(width * height * 3).fill(skin);
  for (const { eye, white, iris } of eyes) {
    const c = eye.iris[0]!;
    const r = eye.iris[1]!.x - c.x;
    const [w, h] = [eye.lower[8]!.x - eye.lower[0]!.x, (eye.lower[4]!.y - c.y) * 2];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const [dx, dy] = [x + 0.5 - c.x, y + 0.5 - c.y];
        // Inside the opening: |dy| below the lid's height at this x.
        const t = (x + 0.5 - (c.x - w / 2)) / w;
        if (t <= 0 || t >= 1 || Math.abs(dy) >= (h / 2) * Math.sin(Math.PI * t)) continue;
        data.fill(Math.hypot(dx, dy) < r ? iris : white, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
  }
  return { data, width, height };
}

describe('eyeWhiteContrast', () => {
  const eye = eyeAt(50, 30, 40, 16, 6);
  it('a bare eye: bright sclera beside a dark iris, (white − iris) ÷ white', () => {
    expect(eyeWhiteContrastOf(image([{ eye, white: 220, iris: 50 }]), eye)).toBeCloseTo((220 - 50) / 220, 2);
  });
  it('behind a lens: the opening is one surface, ≈ 0', () => {
    expect(eyeWhiteContrastOf(image([{ eye, white: 40, iris: 40 }]), eye)).toBeCloseTo(0, 6);
  });
  it('the more visible eye decides', () => {
    const [left, right] = [eyeAt(25, 30, 36, 14, 5), eyeAt(75, 30, 36, 14, 5)];
    const oneHidden = image([{ eye: left, white: 220, iris: 50 }, { eye: right, white: 40, iris: 40 }]);
    expect(eyeWhiteContrastOf(oneHidden, right)).toBeCloseTo(0, 6);
    expect(eyeWhiteContrast(oneHidden, { left, right })).toBeCloseTo((220 - 50) / 220, 2);
    expect(eyeWhiteContrast(image([{ eye: left, white: 40, iris: 40 }, { eye: right, white: 40, iris: 40 }]), { left, right })).toBeCloseTo(0, 6);
  });
  it('a very large eye is read on a grid (a close-up in a large photo), with the same answer', () => {
    const big = eyeAt(1000, 600, 1600, 640, 240);
    const photo = image([{ eye: big, white: 220, iris: 50 }], 150, 2000, 1200);
    expect(eyeWhiteContrastOf(photo, big)).toBeCloseTo((220 - 50) / 220, 2);
    const lens = image([{ eye: big, white: 40, iris: 40 }], 150, 2000, 1200);
    expect(eyeWhiteContrastOf(lens, big)).toBeCloseTo(0, 6);
  });
  it('an eye with fewer than EYE_WHITE_MIN_PIXELS outside the iris is not measured', () => {
    const tiny = eyeAt(50, 30, 6, 3, 1);
    expect(EYE_WHITE_MIN_PIXELS).toBeGreaterThan(6);
    expect(eyeWhiteContrastOf(image([{ eye: tiny, white: 220, iris: 50 }]), tiny)).toBeUndefined();
    expect(eyeWhiteContrast(image([{ eye: tiny, white: 220, iris: 50 }]), { left: tiny, right: tiny })).toBeUndefined();
  });
  it('the upper lid list is reversed to close the opening: the same contrast whichever way the contour is drawn', () => {
    const bare = image([{ eye, white: 220, iris: 50 }]);
    // Drawn from the other corner: both lists reversed.
    const flipped: EyeContour = { lower: [...eye.lower].reverse(), upper: [...eye.upper].reverse(), iris: eye.iris };
    expect(eyeWhiteContrastOf(bare, flipped)).toBeCloseTo(eyeWhiteContrastOf(bare, eye)!, 6);
  });
});
