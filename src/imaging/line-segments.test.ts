import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import type { RgbImage } from './image.js';
import { type LineSegment, LineSegmentScratch, detectLineSegments, logNumberOfFalseAlarms, lumaFromRgb, segmentLength } from './line-segments.js';

/** A grey RGB image of `width × height` where `inside(x, y)` (pixel centre) is 200 and the rest 40. */
function drawn(width: number, height: number, inside: (x: number, y: number) => boolean): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(inside(x, y) ? 200 : 40, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height };
}


/** Undirected angle of a segment, degrees 0–180. */
const angle = (s: LineSegment) => ((Math.atan2(s.y2 - s.y1, s.x2 - s.x1) * 180) / Math.PI + 180) % 180;

/** The segment whose ends match (a, b) in either order within `tolerance` px, if any. */
function matching(segments: LineSegment[], a: [number, number], b: [number, number], tolerance: number) {
  const near = (x: number, y: number, p: [number, number]) => Math.hypot(x - p[0], y - p[1]) <= tolerance;
  return segments.find((s) => (near(s.x1, s.y1, a) && near(s.x2, s.y2, b)) || (near(s.x1, s.y1, b) && near(s.x2, s.y2, a)));
}

describe('detectLineSegments (LSD, Grompone von Gioi et al., IPOL 2012)', () => {
  // Columns 50–249 and rows 60–179 bright: the steps lie between pixels 49|50, 249|250, 59|60 and 179|180.
  const rectangle = drawn(320, 240, (x, y) => x >= 50 && x < 250 && y >= 60 && y < 180);

  it('finds exactly the four sides of a filled rectangle, on the steps between pixels', () => {
    const segments = detectLineSegments(lumaFromRgb(rectangle), { scale: 1 });
    expect(segments).toHaveLength(4);
    // LSD's region stops a pixel or two short of a corner, where the gradient turns.
    expect(matching(segments, [49.5, 60], [49.5, 179], 3)).toBeDefined();
    expect(matching(segments, [249.5, 60], [249.5, 179], 3)).toBeDefined();
    expect(matching(segments, [50, 59.5], [249, 59.5], 3)).toBeDefined();
    expect(matching(segments, [50, 179.5], [249, 179.5], 3)).toBeDefined();
    for (const s of segments) expect(s.significance).toBeGreaterThan(50);
  });

  it("reports input-image coordinates at the default working scale (0.8, lsd.c's Gaussian sub-sampling)", () => {
    const segments = detectLineSegments(lumaFromRgb(rectangle));
    expect(segments).toHaveLength(4);
    expect(matching(segments, [49.5, 60], [49.5, 179], 4)).toBeDefined();
    expect(matching(segments, [50, 179.5], [249, 179.5], 4)).toBeDefined();
  });

  it('follows a rotated rectangle: four sides at 20° and 110°, each as long as drawn', () => {
    // A 160 × 90 rectangle turned by 20° about (160, 120), drawn with 4 × 4 supersampling (anti-aliased edges).
    const [cx, cy, halfLong, halfShort, theta] = [160, 120, 80, 45, (20 * Math.PI) / 180];
    const inside = (x: number, y: number) => {
      const [u, v] = [(x - cx) * Math.cos(theta) + (y - cy) * Math.sin(theta), -(x - cx) * Math.sin(theta) + (y - cy) * Math.cos(theta)];
      return Math.abs(u) <= halfLong && Math.abs(v) <= halfShort;
    };
    const data = new Uint8Array(320 * 240 * 3);
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 320; x++) {
        let covered = 0;
        for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) covered += inside(x - 0.375 + sx / 4, y - 0.375 + sy / 4) ? 1 : 0;
        data.fill(Math.round(40 + (160 * covered) / 16), (y * 320 + x) * 3, (y * 320 + x) * 3 + 3);
      }
    }
    const segments = detectLineSegments(lumaFromRgb({ data, width: 320, height: 240 }));
    expect(segments).toHaveLength(4);
    const long = segments.filter((s) => Math.abs(angle(s) - 20) < 1.5);
    const short = segments.filter((s) => Math.abs(angle(s) - 110) < 1.5);
    expect(long).toHaveLength(2);
    expect(short).toHaveLength(2);
    for (const s of long) expect(segmentLength(s)).toBeGreaterThan(150);
    for (const s of short) expect(segmentLength(s)).toBeGreaterThan(80);
  });

  it('finds nothing in noise: no alignment there is more than chance (NFA ≥ 1)', () => {
    for (const seed of [1, 2, 3]) {
      const next = seededRandom(seed);
      const noise = { data: Float32Array.from({ length: 320 * 240 }, () => next() * 255), width: 320, height: 240 };
      expect(detectLineSegments(noise)).toEqual([]);
    }
  });

  it('drops regions shorter than minLength before validating them', () => {
    // A 200 × 40 bar: its long sides pass, its 40 px ends do not.
    const bar = drawn(320, 240, (x, y) => x >= 60 && x < 260 && y >= 100 && y < 140);
    const all = detectLineSegments(lumaFromRgb(bar), { scale: 1 });
    const long = detectLineSegments(lumaFromRgb(bar), { scale: 1, minLength: 50 });
    expect(all).toHaveLength(4);
    expect(long).toHaveLength(2);
    for (const s of long) expect(segmentLength(s)).toBeGreaterThan(190);
  });

  it('rejects a scale outside (0, 1] and data that does not match the size', () => {
    const grey = lumaFromRgb(rectangle);
    expect(() => detectLineSegments(grey, { scale: 0 })).toThrow(/scale/);
    expect(() => detectLineSegments(grey, { scale: 1.5 })).toThrow(/scale/);
    expect(() => detectLineSegments({ data: new Float32Array(10), width: 4, height: 4 })).toThrow(/holds 10 values/);
  });
});

describe('logNumberOfFalseAlarms (lsd.c nfa)', () => {
  it('is −logNT − n·log10 p when every pixel is aligned, and grows with the number aligned', () => {
    expect(logNumberOfFalseAlarms(20, 20, 0.125, 3)).toBeCloseTo(-3 - 20 * Math.log10(0.125), 10);
    const values = [5, 10, 15, 20].map((k) => logNumberOfFalseAlarms(40, k, 0.125, 3));
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    // At the expected count (n·p = 5) the alignment is no better than chance: NFA ≥ 1 for any logNT ≥ 0.
    expect(values[0]!).toBeLessThan(0);
  });

  it('matches the exact binomial tail', () => {
    const [n, k, p] = [30, 12, 0.125];
    let tail = 0;
    let binomial = 1;
    for (let i = 0; i <= n; i++) {
      if (i > 0) binomial = (binomial * (n - i + 1)) / i;
      if (i >= k) tail += binomial * p ** i * (1 - p) ** (n - i);
    }
    expect(logNumberOfFalseAlarms(n, k, p, 0)).toBeCloseTo(-Math.log10(tail), 1);
  });
});

describe('lumaFromRgb', () => {
  it('weighs R, G, B as BT.601 and reads only the region', () => {
    const image = { data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), width: 2, height: 2 };
    expect(Array.from(lumaFromRgb(image).data).map((v) => +v.toFixed(3))).toEqual([76.245, 149.685, 29.07, 0.299 * 10 + 0.587 * 20 + 0.114 * 30].map((v) => +v.toFixed(3)));
    const corner = lumaFromRgb(image, { x: 1, y: 1, width: 1, height: 1 });
    expect(corner.width).toBe(1);
    expect(corner.data[0]).toBeCloseTo(0.299 * 10 + 0.587 * 20 + 0.114 * 30, 4);
    expect(() => lumaFromRgb(image, { x: 1, y: 1, width: 2, height: 1 })).toThrow(/not an integer rectangle inside/);
  });
});

describe('LineSegmentScratch', () => {
  it('gives the same segments as fresh memory, call after call, on images of different sizes', () => {
    const scratch = new LineSegmentScratch();
    const scene = (width: number, height: number, seed: number) => {
      const data = new Uint8Array(width * height * 3);
      let state = seed;
      for (let i = 0; i < data.length; i++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        data[i] = 40 + (state % 30);
      }
      // A bright rectangle whose position depends on the seed.
      for (let y = 20 + seed; y < height - 25; y++) for (let x = 30; x < width - 20 - seed; x++) data.fill(200, (y * width + x) * 3, (y * width + x) * 3 + 3);
      return { data, width, height };
    };
    for (const [width, height, seed] of [[200, 150, 1], [320, 240, 7], [160, 200, 3], [320, 240, 2]] as const) {
      const image = scene(width, height, seed);
      const fresh = detectLineSegments(lumaFromRgb(image), { scale: 0.8 });
      const reused = detectLineSegments(lumaFromRgb(image, undefined, scratch), { scale: 0.8 }, scratch);
      expect(fresh.length).toBeGreaterThanOrEqual(4);
      expect(reused).toEqual(fresh);
    }
  });
});
