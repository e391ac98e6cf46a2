/**
 * eyewear, sunglasses and readingGlasses end to end on real photos (../shared/data): real images through FaceAnalyzer
 * and createQualityChecker. The photos are among the labelled ones of bench/quality.ts (sunglasses selfies: source
 * label; glasses and bare faces: visual labels); bench/quality.ts reports the full counts.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/imaging/image.js';
import type { ExplainedVerdict } from '../../src/quality/banded-verdict.js';
import { readRgb, sharedData } from '../helpers/reference.js';
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
