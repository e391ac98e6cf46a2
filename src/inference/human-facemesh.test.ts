import { describe, expect, it } from 'vitest';
import { HUMAN_FACE_CROP_SIZE, humanCropBox } from './human-face-crop.js';
import { meshPointsInImage, type FaceMesh } from './human-facemesh.js';

describe('meshPointsInImage', () => {
  it('maps the 192² crop back onto Human\'s crop box of the detector box', () => {
    const detectorBox = { x: 100, y: 50, width: 80, height: 100 };
    const crop = humanCropBox(detectorBox); // 140 px square around the box centre (×1.4 of its longer side)
    const size = HUMAN_FACE_CROP_SIZE;
    const mesh: FaceMesh = { points: [[0, 0, 0], [size, size, 5], [size / 2, size / 4, -3]], faceScore: 1 };
    const [origin, corner, inner] = meshPointsInImage(mesh, detectorBox);
    expect(crop).toEqual({ x: 70, y: 30, width: 140, height: 140 });
    expect(origin).toEqual({ x: 70, y: 30 });
    expect(corner).toEqual({ x: 210, y: 170 });
    expect(inner!.x).toBeCloseTo(140, 10);
    expect(inner!.y).toBeCloseTo(65, 10);
  });
});
