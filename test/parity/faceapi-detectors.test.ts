/**
 * Parity of the converted face-api detectors (TinyFaceDetector, SsdMobilenetv1) with face-api itself on
 * tfjs-wasm.
 *
 * (a) Model parity: the same padded + resized input tensor (our toFaceApiNetInput) through face-api's
 *     `net.forward` and through the ONNX graph; raw outputs compared value by value.
 * (b) End to end: face-api `detectAllFaces(tensor, options)` on the six demo samples (a tf tensor of the
 *     same readRgb() pixels) against our wrappers on the RgbImage: same face count, boxes matched by IoU,
 *     scores compared.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ssdMobilenetv1Recipe } from '../../scripts/convert/faceapi/ssd-mobilenetv1.js';
import { tinyFaceDetectorRecipe } from '../../scripts/convert/faceapi/tiny-face-detector.js';
import type { Box } from '../../src/imaging/geometry.js';
import { iou } from '../../src/imaging/geometry.js';
import { type DetectedFace, toFaceApiNetInput } from '../../src/inference/faceapi-net-input.js';
import { FaceApiSsdMobilenetv1 } from '../../src/inference/faceapi-ssd-mobilenetv1.js';
import { FaceApiTinyFaceDetector } from '../../src/inference/faceapi-tiny-face-detector.js';
import { ModelSession } from '../../src/inference/session.js';
import { type FaceApi, type RgbImage, faceApi, faceApiSamples, maxAbsDiff, nchwToNhwc, readRgb, tfWasm } from '../helpers/reference.js';

type Tf = Awaited<ReturnType<typeof tfWasm>>;

const SAMPLES = faceApiSamples();
const name = (file: string) => file.split('/').pop()!;

let tf: Tf;
let api: FaceApi;
let tinySession: ModelSession;
let ssdSession: ModelSession;
const images = new Map<string, RgbImage>();

beforeAll(async () => {
  [tf, api] = await Promise.all([tfWasm(), faceApi()]);
  tinySession = await ModelSession.create(tinyFaceDetectorRecipe.id, (await tinyFaceDetectorRecipe.build()).bytes);
  ssdSession = await ModelSession.create(ssdMobilenetv1Recipe.id, (await ssdMobilenetv1Recipe.build()).bytes);
  for (const file of SAMPLES) images.set(file, await readRgb(file));
}, 300_000);

/** Our network input for `image` as the NHWC tf tensor face-api's forward takes. */
function netInputs(image: RgbImage, size: number) {
  const input = toFaceApiNetInput(image, size);
  const tensor = tf.tensor4d(nchwToNhwc(input.tensor, 3, size, size), [1, size, size, 3]);
  return { input, tensor };
}

describe('face-api detector preprocessing', () => {
  it('pads to a square and resizes like NetInput.toBatchTensor (max abs diff ≤ 1e-3 in 0–255 pixel units)', async () => {
    for (const file of SAMPLES.slice(0, 2)) {
      const image = images.get(file)!;
      const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      const reference = new api.NetInput([pixels]).toBatchTensor(416, false);
      const ours = toFaceApiNetInput(image, 416);
      const diff = maxAbsDiff(nchwToNhwc(ours.tensor, 3, 416, 416), (await reference.data()) as Float32Array);
      console.log(`preprocessing ${name(file)}: max abs diff ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-3);
      pixels.dispose();
      reference.dispose();
    }
  });
});

describe('face-api TinyFaceDetector model parity', () => {
  // 416 is face-api's default; 320 and 608 check the dynamic height/width.
  it.each([416, 320, 608])('raw grid at input %i: max abs diff ≤ 1e-3', async (size) => {
    for (const file of SAMPLES.slice(0, 2)) {
      const { input, tensor } = netInputs(images.get(file)!, size);
      const reference = (await api.nets.tinyFaceDetector.forward(tensor, size)) as import('@tensorflow/tfjs').Tensor4D;
      const { grid } = await tinySession.run({ input: { data: input.tensor, dims: [1, 3, size, size] } });
      const cells = size / 32;
      expect(grid!.dims).toEqual([1, 25, cells, cells]);
      expect(reference.shape).toEqual([1, cells, cells, 25]);
      const diff = maxAbsDiff(nchwToNhwc(grid!.data, 25, cells, cells), (await reference.data()) as Float32Array);
      console.log(`tiny grid ${name(file)} @${size}: max abs diff ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-3);
      tensor.dispose();
      reference.dispose();
    }
  }, 120_000);
});

describe('face-api SsdMobilenetv1 model parity', () => {
  it('decoded boxes and scores: max abs diff ≤ 1e-3', async () => {
    for (const file of SAMPLES.slice(0, 2)) {
      const { input, tensor } = netInputs(images.get(file)!, 512);
      const reference = (await api.nets.ssdMobilenetv1.forward(tensor)) as { boxes: import('@tensorflow/tfjs').Tensor[]; scores: import('@tensorflow/tfjs').Tensor[] };
      const { boxes, scores } = await ssdSession.run({ input: { data: input.tensor, dims: [1, 3, 512, 512] } });
      expect(boxes!.dims).toEqual([1, 5118, 4]);
      expect(scores!.dims).toEqual([1, 5118]);
      const boxDiff = maxAbsDiff(boxes!.data, (await reference.boxes[0]!.data()) as Float32Array);
      const scoreDiff = maxAbsDiff(scores!.data, (await reference.scores[0]!.data()) as Float32Array);
      console.log(`ssd ${name(file)}: boxes max abs diff ${boxDiff.toExponential(2)}, scores ${scoreDiff.toExponential(2)}`);
      expect(boxDiff).toBeLessThanOrEqual(1e-3);
      expect(scoreDiff).toBeLessThanOrEqual(1e-3);
      tensor.dispose();
      for (const t of [...reference.boxes, ...reference.scores]) t.dispose();
    }
  }, 120_000);
});

interface FaceApiDetection {
  score: number;
  box: Box;
}

/** Pairs each reference detection with the best-overlapping unused one of ours; returns worst IoU and score gap. */
function compareDetections(reference: FaceApiDetection[], ours: DetectedFace[]): { minIou: number; maxScoreDiff: number } {
  const used = new Set<number>();
  let minIou = 1;
  let maxScoreDiff = 0;
  for (const ref of reference) {
    const refBox = { x: ref.box.x, y: ref.box.y, width: ref.box.width, height: ref.box.height };
    let best = -1;
    let bestIou = -1;
    ours.forEach((o, i) => {
      const overlap = iou(refBox, o.box);
      if (!used.has(i) && overlap > bestIou) [best, bestIou] = [i, overlap];
    });
    if (best < 0) return { minIou: 0, maxScoreDiff: 1 };
    used.add(best);
    minIou = Math.min(minIou, bestIou);
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(ref.score - ours[best]!.score));
  }
  return { minIou, maxScoreDiff };
}

describe('face-api detectors end to end on the six demo samples', () => {
  const detectors = [
    { label: 'TinyFaceDetector', options: () => new api.TinyFaceDetectorOptions(), ours: () => new FaceApiTinyFaceDetector(tinySession) },
    { label: 'SsdMobilenetv1', options: () => new api.SsdMobilenetv1Options(), ours: () => new FaceApiSsdMobilenetv1(ssdSession) },
  ];
  for (const detector of detectors) {
    it.each(SAMPLES.map((file) => [name(file), file]))(
      `${detector.label} %s: same face count, matched boxes IoU ≥ 0.999, scores within 1e-3`,
      async (_label, file) => {
        const image = images.get(file)!;
        const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
        const reference = (await api.detectAllFaces(pixels, detector.options())) as FaceApiDetection[];
        pixels.dispose();
        const ours = await detector.ours().detect(image);
        const { minIou, maxScoreDiff } = compareDetections(reference, ours);
        console.log(
          `${detector.label} ${name(file)}: face-api ${reference.length} faces, ours ${ours.length}; min IoU ${minIou.toFixed(7)}, max score diff ${maxScoreDiff.toExponential(2)}`,
        );
        expect(reference.length).toBeGreaterThan(0);
        expect(ours.length).toBe(reference.length);
        expect(minIou).toBeGreaterThanOrEqual(0.999);
        expect(maxScoreDiff).toBeLessThanOrEqual(1e-3);
        for (const face of ours) expect(face.score).toBeGreaterThan(0.5);
      },
      120_000,
    );
  }
});
