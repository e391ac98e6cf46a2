/**
 * The quality checks on real images, as checkLiveness runs them: FaceAnalyzer then createQualityChecker, on the embedded
 * models. Registers the suite's beforeAll/afterAll (load, dispose) and answers the function that runs them.
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RgbImage } from '../../src/imaging/image.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { FaceAnalyzer } from '../../src/pipeline/analyze.js';
import type { QualityCheck } from '../../src/pipeline/types.js';
import { createQualityChecker, type QualityChecker } from '../../src/quality/index.js';
import { repoRoot } from './reference.js';

export type RunQualityChecks = (image: RgbImage, checks: QualityCheck[]) => ReturnType<QualityChecker>;

export function qualityChecksOnRealImages(): RunQualityChecks {
  let registry: ModelRegistry | undefined;
  let analyzer: FaceAnalyzer;
  let checker: QualityChecker;
  beforeAll(async () => {
    registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS);
    analyzer = new FaceAnalyzer(registry);
    checker = createQualityChecker(registry);
  });
  afterAll(async () => registry?.dispose());
  return async (image, checks) => checker(await analyzer.analyze(image), checks);
}
