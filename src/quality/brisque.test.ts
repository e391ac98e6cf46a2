/**
 * BRISQUE (brisque.ts) against values computed independently of this code: OpenCV 4.6.0's own implementation (Debian
 * python3-opencv 4.6.0+dfsg-12, `cv2.quality.QualityBRISQUE_computeFeatures(bgr)` and `cv2.quality.QualityBRISQUE_compute(
 * bgr, "brisque_model_live.yml", "brisque_range_live.yml")`) on the same pixels, and properties that follow from the
 * algorithm's definition (a generalised Gaussian fit recovers the shape of samples drawn with a known shape; the
 * bicubic kernel reproduces a linear ramp). Also: the committed model data matches its provenance record.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { aggdFit, BRISQUE_FEATURE_COUNT, brisqueFeatures, brisqueScore, greyFromRgb, loadBrisqueModel, parseBrisqueModel, resizeBicubic } from './brisque.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelDir = path.join(repoRoot, 'models', 'brisque');
const provenance = JSON.parse(readFileSync(path.join(modelDir, 'provenance.json'), 'utf8')) as { file: string; sha256: string; bytes: number; source: { files: { path: string; sha256: string }[] } };
const model = loadBrisqueModel(path.join(modelDir, provenance.file), provenance.sha256);

/**
 * A textured test image defined by a formula (so OpenCV was given exactly these pixels); `flat`: left half grey 129, a
 * level whose flat-area variance OpenCV computes as a tiny negative number (so its MSCN coefficient there is NaN).
 */
function pattern(width: number, height: number, flat: boolean) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = flat && x < width / 2 ? 129 : (x * x * 7 + y * 13 + x * y * (c + 3) + ((x * 31 + y * 17) % 23) * 5) & 255;
    }
  }
  return { data, width, height };
}

// OpenCV 4.6.0 QualityBRISQUE_computeFeatures / QualityBRISQUE_compute on the images named (printed to 7 digits).
const OPENCV = {
  pattern: {
    score: 85.31161,
    features: [8.612, 0.748188, 1.238, -0.09343372, 0.6352919, 0.4503242, 1.253, -0.1397764, 0.6764299, 0.4024873, 1.196, -0.07228389, 0.5878555, 0.44698, 1.124, -0.06575307, 0.6296542, 0.4942598, 3.649, 0.7651744, 1.051, -0.183272, 0.6900246, 0.3301772, 0.937, -0.1362539, 0.6686284, 0.3865484, 0.925, -0.04428642, 0.5369148, 0.4473307, 0.866, -0.09546296, 0.7016029, 0.4861686],
  },
  // Half the image flat at 129: OpenCV's local variance there is a negative float residue, so NaN (brisque.ts mscnCoefficients).
  halfFlat: {
    score: 100,
    features: [0.625, 0.7079543, 0.449, -0.06996215, 0.6297073, 0.4330664, 0.46, -0.1464991, 0.7000275, 0.310142, 0.442, -0.06192989, 0.5836492, 0.4133952, 0.431, -0.05871288, 0.6424375, 0.4693176, 0.63, 0.6505733, 0.462, -0.1804261, 0.6406519, 0.2085583, 0.439, -0.1732011, 0.7435668, 0.2730163, 0.435, -0.07869586, 0.5333117, 0.3306857, 0.426, -0.03525655, 0.4560697, 0.3659091],
  },
  // ../shared/data/attributes/face_recognition_ageitgey/obama-480p.jpg as sharp decodes it (853 × 480: an odd width at the half scale).
  obama480p: {
    score: 24.15116,
    features: [0.507, 0.196593, 0.341, 0.0209301, 0.03548341, 0.05618738, 0.339, 0.03053718, 0.03566007, 0.06768659, 0.336, -0.005657351, 0.05140322, 0.04554712, 0.336, -0.0002724449, 0.04807023, 0.04778968, 0.543, 0.2759138, 0.365, -0.006818519, 0.09790248, 0.0886931, 0.361, 0.0273286, 0.08622339, 0.1257105, 0.372, -0.007498343, 0.08993124, 0.0803851, 0.367, 0.005352987, 0.08349691, 0.09045126],
  },
  // ../shared/data/attributes/inspireface/emotion_sad.png (a flat studio background: many NaN coefficients in OpenCV).
  emotionSad: {
    score: 30.18814,
    features: [0.848, 0.1130417, 0.367, -0.003617209, 0.02970416, 0.02702082, 0.362, 0.03636856, 0.01612082, 0.04321264, 0.37, -0.007062926, 0.02851717, 0.02353138, 0.379, -0.01885615, 0.03214788, 0.01923159, 0.979, 0.1496994, 0.414, -0.03114814, 0.06442688, 0.03628974, 0.394, 0.02023254, 0.04441551, 0.06411694, 0.398, -0.01800863, 0.05469922, 0.0385463, 0.415, -0.03809467, 0.06259145, 0.0298775],
  },
};

/** Feature-wise agreement: 2e-6 absolute or 1e-5 relative (float32 sums in a different order). */
function expectFeatures(actual: Float64Array, expected: number[]): void {
  expect(actual).toHaveLength(BRISQUE_FEATURE_COUNT);
  const off = expected.map((e, i) => ({ i, actual: actual[i]!, expected: e })).filter(({ actual: a, expected: e }) => Math.abs(a - e) > Math.max(2e-6, 1e-5 * Math.abs(e)));
  expect(off).toEqual([]);
}

describe('BRISQUE features and score match OpenCV 4.6', () => {
  it('grey conversion: cvtColor(BGR2GRAY) on 8-bit pixels', () => {
    const rgb = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [90, 201, 37], [255, 255, 255]];
    const grey = greyFromRgb({ data: Uint8Array.from(rgb.flat()), width: 5, height: 1 });
    expect(Array.from(grey.data, (v) => Math.round(v * 255))).toEqual([76, 150, 29, 149, 255]);
  });

  it.each([
    ['pattern', pattern(61, 47, false), OPENCV.pattern],
    ['halfFlat', pattern(64, 48, true), OPENCV.halfFlat],
  ] as const)('%s: the 36 features and the score', (_name, image, reference) => {
    const features = brisqueFeatures(greyFromRgb(image));
    expectFeatures(features, reference.features);
    expect(brisqueScore(features, model)).toBeCloseTo(reference.score, 3);
  });

  it.skipIf(!existsSync(path.join(repoRoot, '..', 'shared', 'data')))('a real photo (obama-480p.jpg): the 36 features and the score', async () => {
    const file = path.join(repoRoot, '..', 'shared', 'data', 'attributes', 'face_recognition_ageitgey', 'obama-480p.jpg');
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const features = brisqueFeatures(greyFromRgb({ data: new Uint8Array(data), width: info.width, height: info.height }));
    expectFeatures(features, OPENCV.obama480p.features);
    expect(brisqueScore(features, model)).toBeCloseTo(OPENCV.obama480p.score, 2);
  });

  it.skipIf(!existsSync(path.join(repoRoot, '..', 'shared', 'data')))('a photo with a flat background (emotion_sad.png): NaN where OpenCV has NaN', async () => {
    const file = path.join(repoRoot, '..', 'shared', 'data', 'attributes', 'inspireface', 'emotion_sad.png');
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const features = brisqueFeatures(greyFromRgb({ data: new Uint8Array(data), width: info.width, height: info.height }));
    // Full scale: the MSCN map is bit-identical to OpenCV's (NaN on the same 22,921 pixels), features within 2e-4; taking
    // |variance| instead of NaN moves them by up to 6e-3. Half scale: 2e-3, the resize's float rounding decides which
    // flat pixels come out NaN there. Score within 0.2 on its 0–100 scale.
    const off = OPENCV.emotionSad.features.map((e, i) => ({ i, diff: Math.abs(features[i]! - e) })).filter(({ i, diff }) => diff > (i < 18 ? 3e-4 : 2.5e-3));
    expect(off).toEqual([]);
    expect(Math.abs(brisqueScore(features, model) - OPENCV.emotionSad.score)).toBeLessThan(0.2);
  });
});

describe('BRISQUE pieces, from the definition', () => {
  /** Deterministic generalised-Gaussian samples of shape β (Nardon & Pianca's method: |x| = G^(1/β), G ~ Gamma(1/β, 1)). */
  function ggdSamples(shape: number, count: number): Float32Array {
    let state = 7;
    const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) + 0.5) / 2 ** 32;
    // Gamma(k, 1) for k = 1/shape by Marsaglia–Tsang (k < 1 boosted by U^(1/k)).
    const gammaSample = (k: number): number => {
      if (k < 1) return gammaSample(k + 1) * uniform() ** (1 / k);
      const d = k - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const n = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
        const v = (1 + c * n) ** 3;
        if (v > 0 && Math.log(uniform()) < 0.5 * n * n + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    return Float32Array.from({ length: count }, () => (uniform() < 0.5 ? -1 : 1) * gammaSample(1 / shape) ** (1 / shape));
  }

  it.each([1, 2, 0.8])('the AGGD fit recovers shape %s from symmetric generalised-Gaussian samples', (shape) => {
    const fit = aggdFit(ggdSamples(shape, 200_000));
    expect(Math.abs(fit.shape - shape) / shape).toBeLessThan(0.05);
    expect(fit.leftSigma / fit.rightSigma).toBeCloseTo(1, 1);
  });

  it('the bicubic resize keeps a linear ramp linear away from the edges (a cubic-convolution kernel reproduces linear functions)', () => {
    const width = 40;
    const ramp = { data: Float32Array.from({ length: width * 4 }, (_, i) => (i % width) / width), width, height: 4 };
    const half = resizeBicubic(ramp, 20, 2);
    // Target column d samples source x = 2d + 0.5.
    for (let d = 2; d < 18; d++) expect(half.data[d]!).toBeCloseTo((2 * d + 0.5) / width, 5);
  });

  it('refuses images too small for the half scale', () => {
    expect(() => brisqueFeatures(greyFromRgb(pattern(7, 20, false)))).toThrow(/8 × 8/);
  });
});

describe('models/brisque (the committed model data)', () => {
  it('matches its provenance record (sha256, size) and holds the 774-vector ε-SVR of the LIVE model', () => {
    const bytes = readFileSync(path.join(modelDir, provenance.file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(provenance.sha256);
    expect(bytes.byteLength).toBe(provenance.bytes);
    expect(model.alpha).toHaveLength(774);
    expect(model.supportVectors).toHaveLength(774 * BRISQUE_FEATURE_COUNT);
  });

  it('fails at load with "expected X, got Y" when the file does not match the record', () => {
    expect(() => loadBrisqueModel(path.join(modelDir, provenance.file), '0'.repeat(64))).toThrow(/expected sha256 0{64}, got [0-9a-f]{64}/);
  });

  it('refuses a model file whose coefficients do not pair with its support vectors', () => {
    const json = JSON.parse(readFileSync(path.join(modelDir, provenance.file), 'utf8')) as { alpha: number[] };
    json.alpha.pop();
    expect(() => parseBrisqueModel(json, 'edited')).toThrow(/one alpha per support vector/);
  });

  // Only where Debian's opencv-data is installed (scripts/brisque-model.ts converts it): the committed data is what a
  // fresh conversion of those files gives, and the record names their sha256.
  const debianDir = '/usr/share/opencv4/quality';
  it.skipIf(!existsSync(path.join(debianDir, 'brisque_model_live.yml')))('is a fresh conversion of the installed opencv-data files', async () => {
    const { convertBrisqueYaml } = await import('../../scripts/brisque-model.js');
    const names = ['brisque_model_live.yml', 'brisque_range_live.yml'];
    const [modelYaml, rangeYaml] = names.map((n) => readFileSync(path.join(debianDir, n), 'utf8'));
    const committed = JSON.parse(readFileSync(path.join(modelDir, provenance.file), 'utf8')) as Record<string, unknown>;
    const { source: _source, ...data } = committed;
    expect(convertBrisqueYaml(modelYaml!, rangeYaml!)).toEqual(data);
    expect(provenance.source.files.map((f) => f.sha256)).toEqual(names.map((n) => createHash('sha256').update(readFileSync(path.join(debianDir, n))).digest('hex')));
  });
});
