/**
 * The model registry as the service loads it from the parsed config: the embedded set in MODELS_DIR (its
 * manifest.json) and the packs its packs.json lists that are installed in MODEL_PACKS_DIR, with the execution
 * provider, the ORT threads and the dynamic batching, on `host` (the inference thread) or this thread.
 *
 * Only the models the use cases ask for are loaded (issue #16): `planModels` builds them on placeholders and records
 * what each asks for, and /health reports the answer per model ("loaded for checkLiveness, verifyVideo") and lists
 * the rest as not loaded. The manifest keeps models no use case calls, for the benches and parity tests (they load
 * everything, bench/registry.ts): `human-faceres`, `faceapi-tiny-face-detector`, the 256² `human-blazeface`, and the
 * context detectors `human-nanodet` / `human-handtrack` while the liveness fusion does not weigh their signals
 * (src/pipeline/liveness.ts builds them only then).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { readPacks } from '../inference/packs.js';
import { ModelRegistry, type ModelUses, type PackSource } from '../inference/registry.js';
import type { SessionHost } from '../inference/session-host.js';
import type { VideoReader } from '../video/read-video.js';
import { buildUseCases } from './use-cases.js';

type ModelsConfig = Pick<Config, 'modelsDir' | 'modelPacksDir' | 'executionProvider' | 'cudaDeviceId' | 'intraOpThreads' | 'interOpThreads' | 'batching' | 'maxImagePixels'>;

function packSource(config: ModelsConfig): PackSource | undefined {
  const packList = path.join(config.modelsDir, 'packs.json');
  return existsSync(packList) ? { dir: config.modelPacksDir, list: readPacks(packList) } : undefined;
}

/** Which models the service's use cases ask for, and which use cases ask for each; nothing is loaded. */
export function planModels(config: ModelsConfig, readVideo: VideoReader): ModelUses {
  return ModelRegistry.plan(config.modelsDir, packSource(config), config.batching, (registry, use) => buildUseCases(registry, config, readVideo, { use }));
}

/** Loads the models in `uses` (from planModels). */
export function loadModels(config: ModelsConfig, uses: ModelUses, host?: SessionHost): Promise<ModelRegistry> {
  return ModelRegistry.load(
    config.modelsDir,
    { executionProvider: config.executionProvider, cudaDeviceId: config.cudaDeviceId, intraOpThreads: config.intraOpThreads, interOpThreads: config.interOpThreads },
    packSource(config),
    config.batching,
    host,
    uses,
  );
}
