/**
 * Parity of the MiniFASNet models the project converts from the original PyTorch weights
 * (scripts/convert/minifasnet/minifasnet.ts) with the ONNX copies exported by PyTorch that sit beside the
 * .pth files in ../shared/data/models/antispoof/minifasnet.
 *
 * Inputs are real face crops made exactly as the service makes them (src/inference/minifasnet.ts:
 * antiSpoofCropRect + cropResize + toBgrNchwFloat) around every face the project's SSD MobileNetV1 detector
 * finds in real photos: Silent-Face's own samples, webcam live/attack stills, news photos and face-api's
 * demo photos (several faces each). Both models run on ONNX Runtime (src/inference/session.ts).
 *
 * Bound: max |Δ| ≤ 1e-4 on the softmax probabilities (0–1), per model, over all crops; the converted model
 * is also run on all crops as one batch (its batch axis is dynamic) against the copy's single runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertMinifasnetPth, type MinifasnetVariantId } from '../../scripts/convert/minifasnet/minifasnet.js';
import { cropResize, toBgrNchwFloat } from '../../src/imaging/crop.js';
import { decodeImage } from '../../src/imaging/decode.js';
import type { RgbImage } from '../../src/imaging/image.js';
import { FaceApiSsdMobilenetv1 } from '../../src/inference/faceapi-ssd-mobilenetv1.js';
import { MINIFASNET_INPUT_SIZE, antiSpoofCropRect, softmax } from '../../src/inference/minifasnet.js';
import { readPacks } from '../../src/inference/packs.js';
import { ModelSession } from '../../src/inference/session.js';
import { faceApiSamples, repoRoot, sharedData } from '../helpers/reference.js';

const PROBABILITY_BOUND = 1e-4;
const MODELS: { id: MinifasnetVariantId; name: string }[] = [
  { id: 'minifasnet-v2', name: '2.7_80x80_MiniFASNetV2' },
  { id: 'minifasnet-v1se', name: '4_0_0_80x80_MiniFASNetV1SE' },
];
const PHOTOS = () => [
  ...['live/image_T1.jpg', 'spoof/image_F1.jpg', 'spoof/image_F2.jpg'].map((p) => sharedData(`liveness/silent_face/${p}`)),
  ...['live/face.jpg', 'live/face2.jpg', 'spoof/spoofFace.jpg', 'spoof/spoofFace2.jpg'].map((p) => sharedData(`liveness/mdoru/${p}`)),
  ...['obama.jpg', 'obama2.jpg', 'obama3.jpg', 'obama_small.jpg', 'test_obama1.jpg'].map((p) => sharedData(`identity/face_recognition_ageitgey/obama/${p}`)),
  ...faceApiSamples(),
];

describe('MiniFASNet converted from .pth vs the PyTorch-exported ONNX copies, on real face crops', () => {
  const packs = readPacks(path.join(repoRoot, 'models', 'packs.json'));
  /** Every detected face of every photo, with its photo (decoded with EXIF rotation, as the service does). */
  const faces: { file: string; image: RgbImage; box: { x: number; y: number; width: number; height: number } }[] = [];

  beforeAll(async () => {
    const detectorFile = path.join(repoRoot, 'models', 'faceapi-ssd-mobilenetv1.onnx');
    const detectorSession = await ModelSession.create('faceapi-ssd-mobilenetv1', detectorFile);
    try {
      const detector = new FaceApiSsdMobilenetv1(detectorSession);
      for (const file of PHOTOS()) {
        const image = await decodeImage(readFileSync(file), { maxPixels: 50_000_000 });
        for (const face of await detector.detect(image)) faces.push({ file, image, box: face.box });
      }
    } finally {
      await detectorSession.release();
    }
  });

  it('finds faces in every photo', () => {
    expect(new Set(faces.map((f) => f.file)).size).toBe(PHOTOS().length);
    expect(faces.length).toBeGreaterThanOrEqual(PHOTOS().length);
  });

  describe.each(MODELS)('$id', ({ id, name }) => {
    let converted: ModelSession;
    let reference: ModelSession;
    beforeAll(async () => {
      converted = await ModelSession.create(`${id} (converted)`, convertMinifasnetPth(id, readFileSync(sharedData(`models/antispoof/minifasnet/${name}.pth`)), name));
      reference = await ModelSession.create(`${id} (ONNX copy)`, sharedData(`models/antispoof/minifasnet/${name}.onnx`));
    });
    afterAll(async () => {
      await converted?.release();
      await reference?.release();
    });

    it(`max |Δ| of the softmax probabilities ≤ ${PROBABILITY_BOUND}, one crop at a time and as one batch`, async () => {
      const scale = packs.packs.find((p) => p.id === id)!.faceCropScale!;
      const size = MINIFASNET_INPUT_SIZE;
      const crops: Float32Array[] = [];
      for (const { image, box } of faces) crops.push(toBgrNchwFloat(await cropResize(image, antiSpoofCropRect(image.width, image.height, box, scale), size, size)));
      let maxSingle = 0;
      let maxBatch = 0;
      const referenceProbabilities: Float32Array[] = [];
      for (const crop of crops) {
        const feeds = { input: { data: crop, dims: [1, 3, size, size] } };
        const ours = softmax((await converted.run(feeds)).logits!.data);
        const theirs = softmax((await reference.run(feeds)).logits!.data);
        referenceProbabilities.push(theirs);
        for (let i = 0; i < 3; i++) maxSingle = Math.max(maxSingle, Math.abs(ours[i]! - theirs[i]!));
      }
      const batch = new Float32Array(crops.length * crops[0]!.length);
      crops.forEach((crop, i) => batch.set(crop, i * crop.length));
      const { logits } = await converted.run({ input: { data: batch, dims: [crops.length, 3, size, size] } });
      expect(logits!.dims).toEqual([crops.length, 3]);
      referenceProbabilities.forEach((theirs, row) => {
        const ours = softmax(logits!.data.slice(row * 3, row * 3 + 3));
        for (let i = 0; i < 3; i++) maxBatch = Math.max(maxBatch, Math.abs(ours[i]! - theirs[i]!));
      });
      const real = referenceProbabilities.map((p) => p[1]!);
      console.log(
        `${id}: ${crops.length} face crops (×${scale}) from ${PHOTOS().length} photos, P(real) ${Math.min(...real).toFixed(3)}–${Math.max(...real).toFixed(3)}: ` +
          `max |Δ probability| ${maxSingle.toExponential(2)} single, ${maxBatch.toExponential(2)} batched`,
      );
      // The crops must exercise the model: live faces and attacks far apart, not one constant answer.
      expect(Math.max(...real) - Math.min(...real)).toBeGreaterThan(0.5);
      expect(maxSingle).toBeLessThanOrEqual(PROBABILITY_BOUND);
      expect(maxBatch).toBeLessThanOrEqual(PROBABILITY_BOUND);
    });
  });
});
