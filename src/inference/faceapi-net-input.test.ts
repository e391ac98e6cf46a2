import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../imaging/resize.js';
import { seededRandom } from '../../test/helpers/random.js';
import { computeReshapedDimensions, toFaceApiFaceInput, toFaceApiNetInput } from './faceapi-net-input.js';

const image = (width: number, height: number, value: (x: number, y: number, c: number) => number) => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return { data, width, height };
};

describe('face-api detector input (NetInput.toBatchTensor)', () => {
  it('pads a landscape image with zero rows at the bottom and a portrait one with zero columns at the right', () => {
    // Input size = padded size: no interpolation, so the tensor is the padded square, plane after plane.
    const wide = toFaceApiNetInput(image(3, 2, () => 7), 3).tensor;
    for (let c = 0; c < 3; c++) expect(Array.from(wide.subarray(c * 9, c * 9 + 9))).toEqual([7, 7, 7, 7, 7, 7, 0, 0, 0]);
    const tall = toFaceApiNetInput(image(1, 2, () => 9), 2).tensor;
    expect(Array.from(tall)).toEqual([9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0]);
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

describe('face-api per-face input (extractFaceTensors, padToSquare centred, toBatchTensor)', () => {
  it('where the padded crop already has the input side, gives the resize\'s values without it, bit for bit', () => {
    const random = seededRandom(5);
    const [width, height] = [40, 30];
    const image = { data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)), width, height };
    // The whole 30 × 30 square; a 30 × 24 box padded to 30² (rows above and below); one clipped at the image's right and bottom edges to 20 × 30.
    for (const box of [{ x: 5, y: 0, width: 30, height: 30 }, { x: 2, y: 3, width: 30, height: 24 }, { x: 20, y: 0, width: 30, height: 35 }]) {
      const { tensor, crop } = toFaceApiFaceInput(image, box, 30);
      // The reference: the padded square rebuilt here, then the general resize to the same side.
      const side = Math.max(crop.width, crop.height);
      const before = side - Math.min(crop.width, crop.height) - Math.round((side - Math.min(crop.width, crop.height)) * 0.5);
      const square = new Uint8Array(side * side * 3);
      for (let row = 0; row < crop.height; row++) {
        for (let col = 0; col < crop.width; col++) {
          const [toRow, toCol] = [row + (crop.height < crop.width ? before : 0), col + (crop.width < crop.height ? before : 0)];
          for (let c = 0; c < 3; c++) square[(toRow * side + toCol) * 3 + c] = image.data[((crop.y + row) * width + crop.x + col) * 3 + c]!;
        }
      }
      const resized = resizeBilinear({ data: square, width: side, height: side, channels: 3 }, 30, 30, { layout: 'chw' });
      expect(side === 30 ? Buffer.from(tensor.buffer).equals(Buffer.from(resized.buffer)) : 'not at the input side', JSON.stringify(box)).toBe(true);
    }
  });
});
