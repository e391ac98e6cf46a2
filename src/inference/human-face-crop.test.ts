import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../imaging/resize.js';
import { seededRandom } from '../../test/helpers/random.js';
import { HUMAN_FACE_CROP_SIZE, cropAndResizeUnit, humanFaceCrop, humanModelInput, humanModelInputFor } from './human-face-crop.js';

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
