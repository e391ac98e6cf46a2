import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../imaging/resize.js';
import { seededRandom } from '../../test/helpers/random.js';
import { HUMAN_FACE_CROP_SIZE, humanModelInput } from './human-face-crop.js';

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
