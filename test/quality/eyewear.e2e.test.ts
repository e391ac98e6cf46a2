/**
 * eyewear, sunglasses and readingGlasses end to end on real photos (../shared/data): real images through FaceAnalyzer
 * and createQualityChecker. The photos are among the labelled ones of bench/quality.ts (sunglasses selfies: source
 * label; glasses and bare faces: visual labels); bench/quality.ts reports the full counts.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/imaging/image.js';
import { FaceMeshRunner } from '../../src/inference/human-facemesh.js';
import { IrisRunner } from '../../src/inference/human-iris.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { FaceAnalyzer } from '../../src/pipeline/analyze.js';
import type { ExplainedVerdict } from '../../src/quality/banded-verdict.js';
import { eyeWhiteContrast } from '../../src/quality/eye-white.js';
import { readRgb, repoRoot, sharedData } from '../helpers/reference.js';
import { qualityChecksOnRealImages } from '../helpers/quality-checks.js';

/** identity/bbt_faceapi photos are tight face crops: pad them by half their width (data/README.md), as the bench does. */
async function paddedRgb(file: string): Promise<RgbImage> {
  const { width = 100 } = await sharp(file).metadata();
  const pad = Math.round(width / 2);
  const { data, info } = await sharp(file).rotate().extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#808080' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

describe('eyewear checks on real photos', () => {
  const run = qualityChecksOnRealImages();

  const checks = async (rel: string) => {
    const file = sharedData(rel);
    const image = rel.includes('bbt_faceapi') ? await paddedRgb(file) : await readRgb(file);
    const out = await run(image, ['eyewear', 'sunglasses', 'readingGlasses']);
    return { eyewear: out.eyewear as ExplainedVerdict, sunglasses: out.sunglasses as ExplainedVerdict, readingGlasses: out.readingGlasses as ExplainedVerdict };
  };

  it('sunglasses: dark lenses (a grey and a colour photo) and coloured / blue mirrored lenses are found, and they are eyewear, not reading glasses', async () => {
    for (const [rel, method] of [
      ['attributes/selfies_sunglasses/s1_images_704.jpeg', 'lensDarkness'],
      ['attributes/facemask_chandrika/without_mask/92.jpg', 'lensDarkness'],
      ['attributes/selfies_sunglasses/s1_images_640.jpeg', 'lensColour'],
      ['attributes/selfies_sunglasses/s1_images_649.jpeg', 'lensColour'],
    ] as const) {
      const v = await checks(rel);
      expect(v.sunglasses, rel).toMatchObject({ value: true, confidence: 'high', basis: { method } });
      expect(v.eyewear.value, rel).toBe(true);
      expect(v.readingGlasses.value, rel).toBe(false);
    }
  });

  it('round mirrored lenses that neither lens cue reaches: no eye white is visible in the iris model\'s eye opening, so sunglasses yes (low)', async () => {
    // Labelled by its source folder (selfies with sunglasses); looked at: round green-blue mirrored lenses.
    const v = await checks('attributes/selfies_sunglasses/s1_images_657.jpeg');
    expect(v.sunglasses).toMatchObject({ value: true, confidence: 'low', basis: { method: 'eyeWhiteHidden' } });
    expect(v.sunglasses.basis.measurements.eyeWhiteContrast).toBeLessThan(0.05);
    expect(v.eyewear.value).toBe(true);
    expect(v.readingGlasses.value).toBe(false);
  });

  it('clear glasses: eyewear and readingGlasses yes, sunglasses no, decided by the frame bars', async () => {
    for (const rel of ['identity/bbt_faceapi/leonard/leonard4.png', 'identity/bbt_faceapi/bernadette/bernadette1.png', 'identity/openface/eric_clapton/clapton-1.jpg']) {
      const v = await checks(rel);
      expect(v.eyewear, rel).toMatchObject({ value: true, basis: { method: 'frameBars' } });
      expect(v.readingGlasses.value, rel).toBe(true);
      expect(v.sunglasses.value, rel).toBe(false);
    }
  });

  it('bare faces: no eyewear, with high confidence', async () => {
    for (const rel of ['attributes/faceapi/neutral.jpg', 'attributes/face_recognition_ageitgey/obama-1080p.jpg', 'identity/bbt_faceapi/penny/penny1.png']) {
      const v = await checks(rel);
      expect(v.eyewear, rel).toMatchObject({ value: false, confidence: 'high' });
      expect(v.sunglasses, rel).toMatchObject({ value: false, confidence: 'high' });
      expect(v.readingGlasses, rel).toMatchObject({ value: false, confidence: 'high' });
    }
  });
});

describe('the eye-white cue on real photos (src/quality/eye-white.ts)', () => {
  let registry: ModelRegistry | undefined;
  let contrastOf: (rel: string) => Promise<number | undefined>;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    const analyzer = new FaceAnalyzer(registry);
    const mesh = new FaceMeshRunner(registry.get('human-facemesh').runner);
    const iris = new IrisRunner(registry.get('human-iris').runner);
    contrastOf = async (rel) => {
      const analysis = await analyzer.analyze(await readRgb(sharedData(rel)));
      return eyeWhiteContrast(analysis.image, await iris.run(analysis, await mesh.run(analysis)));
    };
  });
  afterAll(async () => registry?.dispose());

  it('bare eyes, open or closed, show their whites: far above the 0.1 threshold', async () => {
    // Labelled eye states (labels/attributes.csv); the closed eyes' lids are skin, brighter than the lashes.
    for (const rel of ['attributes/faceonnx_eyeblink/closed_closed.jpg', 'attributes/inspireface/reaction_close_eyes.jpeg', 'attributes/faceonnx_eyeblink/open_open.jpg', 'attributes/face_recognition_ageitgey/obama-1080p.jpg']) {
      expect(await contrastOf(rel), rel).toBeGreaterThan(0.18);
    }
  });
  it('behind the round mirrored lenses no eye white shows; a face 13 px between the eyes is too small to measure', async () => {
    expect(await contrastOf('attributes/selfies_sunglasses/s1_images_657.jpeg')).toBeLessThan(0.05);
    expect(await contrastOf('attributes/selfies_sunglasses/s1_images_699.jpeg')).toBeUndefined();
  });
});
