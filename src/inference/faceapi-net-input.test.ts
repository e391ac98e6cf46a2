import { describe, expect, it } from 'vitest';
import { computeReshapedDimensions, padToSquare, toFaceApiNetInput } from './faceapi-net-input.js';

const image = (width: number, height: number, value: (x: number, y: number, c: number) => number) => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return { data, width, height };
};

describe('face-api detector input (NetInput.toBatchTensor)', () => {
  it('pads a landscape image with zero rows at the bottom and a portrait one with zero columns at the right', () => {
    const wide = padToSquare(image(3, 2, () => 7));
    expect([wide.width, wide.height]).toEqual([3, 3]);
    expect(Array.from(wide.data.subarray(0, 18)).every((v) => v === 7)).toBe(true);
    expect(Array.from(wide.data.subarray(18)).every((v) => v === 0)).toBe(true);
    const tall = padToSquare(image(1, 2, () => 9));
    expect(Array.from(tall.data)).toEqual([9, 9, 9, 0, 0, 0, 9, 9, 9, 0, 0, 0]);
  });

  it('rounds the reshaped size like computeReshapedDimensions', () => {
    expect(computeReshapedDimensions(1920, 1280, 416)).toEqual({ width: 416, height: 277 });
    expect(computeReshapedDimensions(100, 300, 512)).toEqual({ width: 171, height: 512 });
  });

  it('returns planar RGB at the input size without resizing when the square already fits', () => {
    const input = toFaceApiNetInput(image(2, 1, (x, _y, c) => 10 * x + c), 2);
    // Padded to 2×2: row 0 = pixels (0,1,2) and (10,11,12); row 1 = zeros.
    expect(Array.from(input.tensor)).toEqual([0, 10, 0, 0, 1, 11, 0, 0, 2, 12, 0, 0]);
    expect([input.reshapedWidth, input.reshapedHeight, input.imageWidth, input.imageHeight]).toEqual([2, 1, 2, 1]);
  });
});
