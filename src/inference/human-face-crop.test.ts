import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../imaging/resize.js';
import { seededRandom } from '../../test/helpers/random.js';
import { HUMAN_FACE_CROP_SIZE, cropAndResizeUnit, framePoint, humanFaceCrop, humanModelInput, humanModelInputFor, turnAbout, turnedLandmarkBox } from './human-face-crop.js';

describe('humanModelInput', () => {
  const size = HUMAN_FACE_CROP_SIZE;
  const random = seededRandom(14);
  const crop = Float32Array.from({ length: size * size * 3 }, () => random());

  it('at the crop size (FaceMesh) gives exactly the bilinear resize, without doing it', () => {
    const resized = resizeBilinear({ data: crop, width: size, height: size, channels: 3 }, size, size, { layout: 'chw' });
    expect(humanModelInput(crop, size)).toEqual(resized);
  });

  it('at another size still resizes (a 128² input is not the 192² crop re-laid)', () => {
    const input = humanModelInput(crop, 128);
    expect(input.length).toBe(3 * 128 * 128);
    expect(input).toEqual(resizeBilinear({ data: crop, width: size, height: size, channels: 3 }, 128, 128, { layout: 'chw' }));
  });
});

describe('humanModelInputFor', () => {
  const random = seededRandom(21);
  const [width, height] = [300, 220];
  const image = { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)), width, height };
  const bitwise = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

  it('equals the whole crop resized, bit for bit, at sizes that divide the crop (liveness 32²) and others (antispoof 128²)', () => {
    // Inside the image, past its left and top edges (zeros), past its right and bottom ones, and a fractional box.
    const boxes = [
      { x: 90, y: 60, width: 80, height: 95 },
      { x: -30, y: -40, width: 120, height: 100 },
      { x: 220, y: 150, width: 90, height: 90 },
      { x: 10.4, y: 20.7, width: 150.3, height: 140.9 },
    ];
    for (const box of boxes) {
      for (const size of [32, 48, 64, 128, 192]) {
        const whole = humanModelInput(humanFaceCrop(image, box), size);
        expect(bitwise(humanModelInputFor(image, box, size), whole), `${JSON.stringify(box)} at ${size}²`).toBe(true);
      }
    }
  });

  it('cropAndResizeUnit with a step keeps every step-th row and column of the whole crop', () => {
    const box = { x: 40, y: 30, width: 100, height: 120 };
    const whole = cropAndResizeUnit(image, box, 12);
    const strided = cropAndResizeUnit(image, box, 12, 3);
    const picked = new Float32Array(4 * 4 * 3);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let c = 0; c < 3; c++) picked[(i * 4 + j) * 3 + c] = whole[(i * 3 * 12 + j * 3) * 3 + c]!;
    expect(bitwise(strided, picked)).toBe(true);
    expect(() => cropAndResizeUnit(image, box, 12, 5)).toThrow(/does not divide/);
  });
});

describe('a crop turned upright (FaceMesh and iris on a tilted head)', () => {
  // A 256² ramp: red = x, green = y. Bilinear sampling of a linear image is exact, so each crop pixel holds the image
  // position it was sampled at.
  const side = 256;
  const ramp = { data: new Uint8Array(side * side * 3), width: side, height: side };
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) ramp.data.set([x, y, 0], (y * side + x) * 3);

  it('samples each crop pixel where framePoint puts it (tf\'s (w − 1)/w scaling aside), for any angle', () => {
    const box = { x: 70, y: 60, width: 110, height: 110 };
    const size = 11;
    for (const angle of [0, 0.3, -0.7, Math.PI / 2]) {
      const crop = cropAndResizeUnit(ramp, box, size, 1, angle);
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          const at = framePoint({ box, angle }, j / (size - 1), i / (size - 1));
          expect(crop[(i * size + j) * 3]! * 255, `x of (${i}, ${j}) at ${angle}`).toBeCloseTo((at.x * (side - 1)) / side, 3);
          expect(crop[(i * size + j) * 3 + 1]! * 255, `y of (${i}, ${j}) at ${angle}`).toBeCloseTo((at.y * (side - 1)) / side, 3);
        }
      }
    }
  });

  it('turns the face upright: a tilted eye line comes out level', () => {
    // Two dark "eyes" 60 px apart on a line at +0.4 rad (the image-right eye lower), on a grey image.
    const image = { data: new Uint8Array(side * side * 3).fill(200), width: side, height: side };
    const centre = { x: 128, y: 128 };
    const roll = 0.4;
    for (const dx of [-30, 30]) {
      const eye = turnAbout({ x: centre.x + dx, y: centre.y }, centre, roll);
      for (let y = Math.round(eye.y) - 3; y <= Math.round(eye.y) + 3; y++) for (let x = Math.round(eye.x) - 3; x <= Math.round(eye.x) + 3; x++) image.data.set([0, 0, 0], (y * side + x) * 3);
    }
    const box = { x: 68, y: 68, width: 120, height: 120 };
    const darkRows = (angle: number) => {
      const size = 120;
      const crop = cropAndResizeUnit(image, box, size, 1, angle);
      const rows = new Set<number>();
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) if (crop[(i * size + j) * 3]! < 0.2) rows.add(i);
      return [...rows];
    };
    // Axis-aligned, the two eyes sit on rows far apart (60 px × sin 0.4 ≈ 23 px); turned by the roll, on the same rows.
    expect(Math.max(...darkRows(0)) - Math.min(...darkRows(0))).toBeGreaterThan(25);
    expect(Math.max(...darkRows(roll)) - Math.min(...darkRows(roll))).toBeLessThanOrEqual(8);
  });

  it('turnedLandmarkBox is the extent of the points in the face\'s own frame, centred where that extent is', () => {
    const upright = [{ x: 100, y: 80 }, { x: 160, y: 80 }, { x: 100, y: 170 }, { x: 160, y: 170 }, { x: 130, y: 120 }];
    const pivot = { x: 40, y: 300 };
    for (const angle of [0.35, -1.1]) {
      const tilted = upright.map((p) => turnAbout(p, pivot, angle));
      const box = turnedLandmarkBox(tilted, angle);
      expect(box.width).toBeCloseTo(60, 9);
      expect(box.height).toBeCloseTo(90, 9);
      const centre = turnAbout({ x: 130, y: 125 }, pivot, angle);
      expect(box.x + box.width / 2).toBeCloseTo(centre.x, 9);
      expect(box.y + box.height / 2).toBeCloseTo(centre.y, 9);
    }
    expect(turnedLandmarkBox(upright, 0)).toEqual({ x: 100, y: 80, width: 60, height: 90 });
  });
});
