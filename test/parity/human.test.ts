/**
 * Parity of the seven converted Human graph models with the source tfjs graph models on tfjs-wasm.
 *
 * The same real image, resized to the model's input with sharp (readRgb) and normalised as the
 * manifest says, goes through the tfjs model (NHWC) and the converted ONNX model (NCHW); every output
 * is compared. Face models get tight face crops (identity/bbt_faceapi, liveness/tranvanluyt live and
 * spoof frames), the detector whole photos (face-api demo samples, Human's person photos).
 * Models are built by calling the recipes, so this checks scripts/convert/human/graphdef.ts itself.
 *
 * Bounds: 1e-3 absolute on probabilities and logits; on pixel coordinates (BlazeFace regressors,
 * FaceMesh mesh/contours, Iris landmarks, all in pixels of the model input) 1e-3 × input size, i.e.
 * a thousandth of the crop; cosine ≥ 0.999 plus 1e-3 × max|value| on the FaceRes descriptor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUMAN_MODEL_SPECS, HUMAN_RECIPES, type HumanModelSpec, humanModelsDir } from '../../scripts/convert/human/recipes.js';
import { ModelSession } from '../../src/inference/session.js';
import { cosine, faceApiSamples, humanGraphModel, maxAbsDiff, readRgb, sharedData, tfWasm, toNchw, toNhwc } from '../helpers/reference.js';

/**
 * abs: max |Δ| ≤ value. cosine: cosine ≥ value. logit: BlazeFace's raw logits reach magnitudes of
 * tens, where float32 summation order alone moves them by ~1e-4·|logit|, so they are bounded
 * relatively (|Δ| ≤ value · max(1, |logit|)) and their sigmoid, the probability Human uses, absolutely.
 */
type Bound = { kind: 'abs'; value: number } | { kind: 'cosine'; value: number } | { kind: 'logit'; value: number };

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const FACE_CROPS = () => [
  sharedData('identity/bbt_faceapi/amy/amy1.png'),
  sharedData('liveness/tranvanluyt/live/real.mp40.png'),
  sharedData('liveness/tranvanluyt/spoof/fake.mp40.png'),
];
const WHOLE_PHOTOS = () => [faceApiSamples()[0]!, faceApiSamples()[3]!, sharedData('identity/human_vladmandic/lexi/person-lexi.jpg')];

/** Per model and output: the bound, stated in the test name. */
const BOUNDS: Record<string, Record<string, Bound>> = {
  'human-blazeface': {
    logits_stride16: { kind: 'logit', value: 1e-3 },
    logits_stride32: { kind: 'logit', value: 1e-3 },
    // pixels of the 256×256 input
    regressors_stride16: { kind: 'abs', value: 1e-3 * 256 },
    regressors_stride32: { kind: 'abs', value: 1e-3 * 256 },
  },
  'human-blazeface-front': {
    logits_stride8: { kind: 'logit', value: 1e-3 },
    logits_stride16: { kind: 'logit', value: 1e-3 },
    // pixels of the 128×128 input
    regressors_stride8: { kind: 'abs', value: 1e-3 * 128 },
    regressors_stride16: { kind: 'abs', value: 1e-3 * 128 },
  },
  'human-facemesh': {
    // pixels of the 192×192 input
    mesh: { kind: 'abs', value: 1e-3 * 192 },
    face_score: { kind: 'abs', value: 1e-3 },
    contours: { kind: 'abs', value: 1e-3 * 192 },
  },
  // pixels of the 64×64 input
  'human-iris': { landmarks: { kind: 'abs', value: 1e-3 * 64 } },
  'human-antispoof': { real: { kind: 'abs', value: 1e-3 } },
  'human-liveness': { probabilities: { kind: 'abs', value: 1e-3 } },
  'human-faceres': {
    embedding: { kind: 'cosine', value: 0.999 },
    gender: { kind: 'abs', value: 1e-3 },
    age: { kind: 'abs', value: 1e-3 },
  },
};

const describeBounds = (id: string) =>
  Object.entries(BOUNDS[id]!)
    .map(([name, b]) => {
      if (b.kind === 'abs') return `${name} |Δ| ≤ ${+b.value.toPrecision(3)}`;
      if (b.kind === 'logit') return `${name} |Δ| ≤ ${b.value}·max(1,|logit|) & |Δσ| ≤ ${b.value}`;
      return `${name} cos ≥ ${b.value}`;
    })
    .join(', ');

const imagesFor = (spec: HumanModelSpec) => (spec.task === 'detection' ? WHOLE_PHOTOS() : FACE_CROPS());

const sessions: ModelSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

beforeAll(async () => {
  await tfWasm();
});

describe('Human graph models: ONNX vs tfjs-wasm', () => {
  for (const spec of HUMAN_MODEL_SPECS) {
    it(`${spec.id}: ${describeBounds(spec.id)}`, async () => {
      const tf = await tfWasm();
      const recipe = HUMAN_RECIPES.find((r) => r.id === spec.id)!;
      const { bytes, entry } = await recipe.build();
      const session = await ModelSession.create(spec.id, bytes);
      sessions.push(session);
      const model = await humanGraphModel(spec.model, humanModelsDir(spec.packageName));
      const input = entry.inputs[0]!;
      const [, , height, width] = input.shape as [unknown, number, number, number];
      expect(entry.outputs.map((o) => o.name)).toEqual(Object.keys(BOUNDS[spec.id]!));

      const report: string[] = [];
      for (const file of imagesFor(spec)) {
        const image = await readRgb(file, { width, height });
        const nhwc = toNhwc(image, input.mean, input.std);
        const nchw = toNchw(image, input.mean, input.std);
        const x = tf.tensor4d(nhwc, [1, height, width, 3]);
        // tfjs returns a bare tensor when one output is asked for, an array otherwise.
        const executed = model.execute(x, spec.outputs.map((o) => o.tf));
        const reference = Array.isArray(executed) ? executed : [executed];
        const converted = await session.run({ [input.name]: { data: nchw, dims: [1, 3, height, width] } });
        for (const [i, out] of spec.outputs.entries()) {
          const expected = reference[i]!;
          const actual = converted[out.name]!;
          expect(actual.dims).toEqual(expected.shape);
          const want = expected.dataSync() as Float32Array;
          const bound = BOUNDS[spec.id]![out.name]!;
          const diff = maxAbsDiff(actual.data, want);
          if (bound.kind === 'cosine') {
            const cos = cosine(actual.data, want);
            report.push(`${out.name} cos ${cos.toFixed(7)} maxAbs ${diff.toExponential(2)}`);
            expect(cos).toBeGreaterThanOrEqual(bound.value);
            const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            expect(diff).toBeLessThanOrEqual(1e-3 * scale);
          } else if (bound.kind === 'logit') {
            let worstRelative = 0;
            let worstProbability = 0;
            let largest = 0;
            for (let k = 0; k < want.length; k++) {
              const a = actual.data[k]!;
              const b = want[k]!;
              worstRelative = Math.max(worstRelative, Math.abs(a - b) / Math.max(1, Math.abs(b)));
              worstProbability = Math.max(worstProbability, Math.abs(sigmoid(a) - sigmoid(b)));
              largest = Math.max(largest, Math.abs(b));
            }
            report.push(`${out.name} maxAbs ${diff.toExponential(2)} (max |logit| ${largest.toFixed(1)}) maxΔσ ${worstProbability.toExponential(2)}`);
            expect(worstRelative).toBeLessThanOrEqual(bound.value);
            expect(worstProbability).toBeLessThanOrEqual(bound.value);
          } else {
            report.push(`${out.name} maxAbs ${diff.toExponential(2)}`);
            expect(diff).toBeLessThanOrEqual(bound.value);
          }
        }
        tf.dispose([x, ...reference]);
      }
      console.log(`${spec.id}: ${report.join('; ')}`);
      model.dispose();
    });
  }

  it('human-iris runs a batch of 2 (both eyes, as Human does) like tfjs: |Δ| ≤ 0.064 px', async () => {
    const tf = await tfWasm();
    const spec = HUMAN_MODEL_SPECS.find((s) => s.id === 'human-iris')!;
    const { bytes } = await HUMAN_RECIPES.find((r) => r.id === spec.id)!.build();
    const session = await ModelSession.create(spec.id, bytes);
    sessions.push(session);
    const model = await humanGraphModel(spec.model);
    const crops = await Promise.all(FACE_CROPS().slice(0, 2).map((f) => readRgb(f, { width: 64, height: 64 })));
    const nhwc = new Float32Array(2 * 64 * 64 * 3);
    const nchw = new Float32Array(2 * 3 * 64 * 64);
    crops.forEach((c, i) => {
      nhwc.set(toNhwc(c, spec.mean, spec.std), i * 64 * 64 * 3);
      nchw.set(toNchw(c, spec.mean, spec.std), i * 3 * 64 * 64);
    });
    const x = tf.tensor4d(nhwc, [2, 64, 64, 3]);
    const expected = model.execute(x, 'Identity') as import('@tensorflow/tfjs').Tensor;
    const { landmarks } = await session.run({ input: { data: nchw, dims: [2, 3, 64, 64] } });
    expect(landmarks!.dims).toEqual([2, 1, 1, 228]);
    expect(maxAbsDiff(landmarks!.data, expected.dataSync())).toBeLessThanOrEqual(1e-3 * 64);
    tf.dispose([x, expected]);
    model.dispose();
  });
});
