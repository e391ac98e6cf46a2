/**
 * The primary face of a real photo, as the service finds it: decoded with EXIF rotation applied (the silent_face
 * photos carry orientation 6), SSD MobileNetV1 at the production confidence, the largest face. For signal tests that
 * need a photo and its face box without the rest of the pipeline. Create in beforeAll, dispose in afterAll.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Box } from '../../src/imaging/geometry.js';
import { decodeImage } from '../../src/imaging/decode.js';
import type { RgbImage } from '../../src/imaging/image.js';
import { FaceApiSsdMobilenetv1 } from '../../src/inference/faceapi-ssd-mobilenetv1.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { DETECTION_MIN_CONFIDENCE, pickPrimaryFace } from '../../src/pipeline/analyze.js';
import { repoRoot } from './reference.js';

export interface PrimaryFaceFinder {
  /** The decoded photo and its primary face box (pixels); throws naming the file when there is no face. */
  find(file: string): Promise<{ image: RgbImage; face: Box }>;
  dispose(): Promise<void>;
}

export async function primaryFaceFinder(): Promise<PrimaryFaceFinder> {
  const registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
  const detector = new FaceApiSsdMobilenetv1(registry.get('faceapi-ssd-mobilenetv1').runner);
  return {
    async find(file) {
      const image = await decodeImage(readFileSync(file), { maxPixels: 50_000_000 });
      const primary = pickPrimaryFace(await detector.detect(image, { minConfidence: DETECTION_MIN_CONFIDENCE }));
      if (!primary) throw new Error(`no face in ${file}`);
      return { image, face: primary.box };
    },
    dispose: () => registry.dispose(),
  };
}
