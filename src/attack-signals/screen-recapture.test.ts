import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { type PrimaryFaceFinder, primaryFaceFinder } from '../../test/helpers/primary-face.js';
import { faceApiSamples, fullFrameIdentityPhotos, sharedData } from '../../test/helpers/reference.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { screenRecapture } from './screen-recapture.js';


const FACE: Box = { x: 200, y: 120, width: 240, height: 280 };

/**
 * A 640 × 560 photo: a face of colour `skin` (RGB) in FACE on a background of `background`, both with ±8 grey
 * levels of noise, plus a cosine grating of `amplitude` grey levels at (fx, fy) cycles per pixel where `patterned`.
 */
function photo(skin: number[], background: number[], grating?: { fx: number; fy: number; amplitude: number; patterned: (x: number, y: number) => boolean }): RgbImage {
  const [width, height] = [640, 560];
  const next = seededRandom(1);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inFace = x >= FACE.x && x < FACE.x + FACE.width && y >= FACE.y && y < FACE.y + FACE.height;
      const noise = (next() - 0.5) * 16;
      const wave = grating && grating.patterned(x, y) ? grating.amplitude * Math.cos(2 * Math.PI * (grating.fx * x + grating.fy * y)) : 0;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round((inFace ? skin : background)[c]! + noise + wave)));
    }
  }
  return { data, width, height };
}

const SKIN = [205, 150, 125];
const WALL = [150, 140, 130];

describe('screenRecapture on drawn photos', () => {
  // A screen's pixel grid aliased to (0.30, 0.36) cycles per pixel, 5 grey levels: faint, over everything shown.
  const grid = { fx: 0.3, fy: 0.36, amplitude: 5, patterned: () => true };

  it('finds a periodic pattern laid over the face and its surroundings, at its frequency', () => {
    const { evidence } = screenRecapture(photo(SKIN, WALL, grid), FACE);
    expect(evidence.periodicScore).toBe(1);
    expect(Math.abs(evidence.peak!.fx - 0.3)).toBeLessThanOrEqual(1 / 64);
    expect(Math.abs(evidence.peak!.fy - 0.36)).toBeLessThanOrEqual(1 / 64);
    expect(evidence.surroundPeak!.significance).toBeGreaterThan(10);
  });

  it('gives no periodic evidence without the pattern, or when only the face carries it (a woven mask)', () => {
    expect(screenRecapture(photo(SKIN, WALL), FACE).evidence.periodicScore).toBe(0);
    const maskOnly = { ...grid, patterned: (x: number, y: number) => x >= FACE.x && x < FACE.x + FACE.width && y >= FACE.y && y < FACE.y + FACE.height };
    const { evidence } = screenRecapture(photo(SKIN, WALL, maskOnly), FACE);
    expect(evidence.peak!.significance).toBeGreaterThan(10);
    expect(evidence.periodicScore).toBe(0);
  });

  it('scores skin pulled towards grey and blue, not skin of real colour', () => {
    const real = screenRecapture(photo(SKIN, WALL), FACE).evidence;
    expect(real.skinBlueChroma!).toBeLessThan(-0.1);
    expect(real.colourScore).toBeLessThan(0.05);
    const reproduced = screenRecapture(photo([185, 170, 165], WALL), FACE).evidence;
    expect(reproduced.skinBlueChroma!).toBeGreaterThan(-0.04);
    expect(reproduced.colourScore).toBeGreaterThan(0.7);
  });

  it('measures no colour in a greyscale photo', () => {
    const { score, evidence } = screenRecapture(photo([160, 160, 160], [120, 120, 120]), FACE);
    expect(evidence.skinBlueChroma).toBeUndefined();
    expect(evidence.colourScore).toBe(0);
    expect(score).toBe(0);
  });
});

describe('screenRecapture on real photos (face boxes from the SSD detector)', () => {
  let faces: PrimaryFaceFinder;
  beforeAll(async () => {
    faces = await primaryFaceFinder();
  });
  afterAll(async () => faces?.dispose());

  async function screenOf(file: string) {
    // Full resolution: the moiré does not survive a downscale.
    const { image, face } = await faces.find(file);
    return screenRecapture(image, face);
  }

  it("finds the tablet's pixel grid in image_F2.jpg (tablet replay) at 0.38 cycles per pixel, on the face and around it", async () => {
    const { evidence } = await screenOf(sharedData('liveness/silent_face/spoof/image_F2.jpg'));
    expect(evidence.periodicScore).toBe(1);
    // Bin (−2, 12) of 32² tiles.
    expect(evidence.peak!.fx).toBeCloseTo(-2 / 32, 6);
    expect(evidence.peak!.fy).toBeCloseTo(12 / 32, 6);
  });

  // Measured: skin Cb/Y′ −0.040 (F1), −0.021 (F2), −0.007 (spoofFace), −0.038 (spoofFace2) against −0.12 to −0.17
  // for the live photos of the same sessions.
  it.each(['liveness/silent_face/spoof/image_F1.jpg', 'liveness/silent_face/spoof/image_F2.jpg', 'liveness/mdoru/spoof/spoofFace.jpg', 'liveness/mdoru/spoof/spoofFace2.jpg'])(
    'fires on the attack %s (skin colour of a reproduction)',
    async (file) => {
      expect((await screenOf(sharedData(file))).score).toBeGreaterThanOrEqual(0.6);
    },
  );

  it.each(['liveness/silent_face/live/image_T1.jpg', 'liveness/mdoru/live/face.jpg', 'liveness/mdoru/live/face2.jpg'])(
    'stays quiet on the live photo of the same session, %s',
    async (file) => {
      expect((await screenOf(sharedData(file))).score).toBeLessThan(0.1);
    },
  );

  // Known false positives of the colour cue, measured: cold colour-graded film stills (kit_harington/*: Cb/Y′ −0.017
  // to −0.040) and face-api's sample2.jpg (−0.036). The periodic cue stays at 0 on them.
  const COLOUR_GRADED = new Set(['identity/face_recognition_ageitgey/kit_harington/john1.jpeg', 'identity/face_recognition_ageitgey/kit_harington/john2.jpeg', 'identity/face_recognition_ageitgey/kit_harington/johnsnow_test1.jpg', 'sample2.jpg']);
  const identityPhotos = fullFrameIdentityPhotos();

  it.each([...identityPhotos.map((f) => [f, sharedData(f)]), ...faceApiSamples().map((f) => [path.basename(f), f])])(
    'finds no periodic pattern on the bona fide %s, and no colour evidence unless colour-graded',
    async (name, file) => {
      const { score, evidence } = await screenOf(file!);
      expect(evidence.periodicScore).toBe(0);
      if (!COLOUR_GRADED.has(name!)) expect(score).toBeLessThan(0.5);
      else expect(evidence.colourScore).toBeGreaterThan(0.5);
    },
  );
});
