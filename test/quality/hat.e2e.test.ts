/**
 * hat end to end on real photos (../shared/data): real images through FaceAnalyzer and createQualityChecker. The photos
 * are among the visually labelled ones of bench/quality.ts (HAT_PHOTOS: head coverings; the rest bare); bench/quality.ts
 * reports the full counts. The check never answers "yes" (docs/quality-checks.md, hat): these tests pin that a bare
 * forehead is a `high` "no" and that a hat or hair over the forehead is never a `high` "no".
 */
import { describe, expect, it } from 'vitest';
import type { ExplainedVerdict } from '../../src/quality/banded-verdict.js';
import { HAT_BANDS } from '../../src/quality/hat.js';
import { readRgb, sharedData } from '../helpers/reference.js';
import { qualityChecksOnRealImages } from '../helpers/quality-checks.js';

describe('hat check on real photos', () => {
  const run = qualityChecksOnRealImages();

  const hat = async (rel: string) => {
    // sharedData throws "test data missing: …" when ../shared/data is absent: the test fails, it does not skip.
    const out = await run(await readRgb(sharedData(rel)), ['hat']);
    return out.hat as ExplainedVerdict;
  };

  it('bare foreheads, with a mask or sunglasses or neither: no, high confidence, decided by the bare forehead', async () => {
    // The mask (6415) and the sunglasses selfie (657): the old cheek-referenced cue compared the forehead with the mask
    // or the lens-shaded cheeks and answered yes on both.
    for (const rel of ['attributes/faceapi/neutral.jpg', 'identity/human_vladmandic/christina/person-christina.jpg', 'attributes/facemask_chandrika/with_mask/6415.png', 'attributes/selfies_sunglasses/s1_images_657.jpeg']) {
      const v = await hat(rel);
      expect(v, rel).toMatchObject({ value: false, confidence: 'high', basis: { method: 'bareForehead' } });
      expect(v.basis.measurements.foreheadSkinDistance, rel).toBeLessThanOrEqual(HAT_BANDS[0]!.upTo);
    }
  });

  it('a cap and a brimmed hat over the forehead: the forehead is not skin, so never a high-confidence no', async () => {
    for (const rel of ['attributes/facemask_chandrika/with_mask/0999.png', 'attributes/facemask_chandrika/with_mask/2656.png']) {
      const v = await hat(rel);
      expect(v, rel).toMatchObject({ confidence: 'low', basis: { method: 'foreheadNotSkinUnvalidated' } });
      expect(v.basis.measurements.foreheadSkinDistance, rel).toBeGreaterThan(HAT_BANDS[0]!.upTo);
    }
  });

  it('hair over the forehead is not reported as a hat (the old cue said yes), but not as a sure no either', async () => {
    const v = await hat('attributes/facemask_chandrika/without_mask/195.jpg');
    expect(v).toMatchObject({ value: false, confidence: 'low' });
  });
});
