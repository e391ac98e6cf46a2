import { describe, expect, it } from 'vitest';
import { HUMAN_FACE_CROP_SIZE, humanCropBox } from './human-face-crop.js';
import { meshPointsInImage, meshRoll, type FaceMesh } from './human-facemesh.js';

describe('meshPointsInImage', () => {
  it('maps the 192² crop back onto Human\'s crop box of the detector box', () => {
    const detectorBox = { x: 100, y: 50, width: 80, height: 100 };
    const crop = humanCropBox(detectorBox); // 140 px square around the box centre (×1.4 of its longer side)
    const size = HUMAN_FACE_CROP_SIZE;
    const mesh: FaceMesh = { points: [[0, 0, 0], [size, size, 5], [size / 2, size / 4, -3]], faceScore: 1, crop: { box: crop, angle: 0 } };
    const [origin, corner, inner] = meshPointsInImage(mesh);
    expect(crop).toEqual({ x: 70, y: 30, width: 140, height: 140 });
    expect(origin).toEqual({ x: 70, y: 30 });
    expect(corner).toEqual({ x: 210, y: 170 });
    expect(inner!.x).toBeCloseTo(140, 10);
    expect(inner!.y).toBeCloseTo(65, 10);
  });

  it('turns the points back by the crop\'s angle about the crop box\'s centre', () => {
    const size = HUMAN_FACE_CROP_SIZE;
    const box = { x: 70, y: 30, width: 140, height: 140 }; // centre (140, 100)
    const mesh: FaceMesh = { points: [[size / 2, size / 2, 0], [size, size / 2, 0]], faceScore: 1, crop: { box, angle: Math.PI / 2 } };
    const [centre, right] = meshPointsInImage(mesh);
    expect(centre!.x).toBeCloseTo(140, 10);
    expect(centre!.y).toBeCloseTo(100, 10);
    // The crop's right-hand edge, a quarter turn clockwise on screen (y down): below the centre.
    expect(right!.x).toBeCloseTo(140, 10);
    expect(right!.y).toBeCloseTo(170, 10);
  });
});

describe('meshRoll', () => {
  /** A mesh whose eye corners (33, 133 | 362, 263) sit level in the crop but for `tilt` radians, cut on a crop turned by `angle`. */
  const mesh = (angle: number, tilt: number): FaceMesh => {
    const points: [number, number, number][] = Array.from({ length: 468 }, () => [96, 96, 0]);
    const at = (dx: number): [number, number, number] => [96 + dx * Math.cos(tilt), 96 + dx * Math.sin(tilt), 0];
    [points[33], points[133], points[362], points[263]] = [at(-50), at(-20), at(20), at(50)];
    return { points, faceScore: 1, crop: { box: { x: 300, y: 100, width: 150, height: 150 }, angle } };
  };

  it('is the eye line\'s angle in the image: the crop\'s turn plus the tilt left in the crop', () => {
    expect(meshRoll(mesh(0, 0))).toBeCloseTo(0, 10);
    expect(meshRoll(mesh(0.4, 0))).toBeCloseTo(0.4, 10);
    expect(meshRoll(mesh(0.4, -0.1))).toBeCloseTo(0.3, 10);
    expect(meshRoll(mesh(-0.9, 0.05))).toBeCloseTo(-0.85, 10);
  });
});
