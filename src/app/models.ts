/**
 * The model registry as the service loads it from the parsed config: the embedded set in MODELS_DIR (its
 * manifest.json), the packs its packs.json lists that are installed in MODEL_PACKS_DIR, the execution provider, the
 * ORT threads and the dynamic batching, on `host` (the inference thread) or this thread. main.ts and the benches that
 * run the service in process load it here, so they load the same thing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { readPacks } from '../inference/packs.js';
import { ModelRegistry } from '../inference/registry.js';
import type { SessionHost } from '../inference/session-host.js';

/**
 * Embedded models the service never calls, so it does not load them (issue #16): built and listed in the manifest for
 * the benches and parity tests, and kept because they are the reference implementations the converted set is checked
 * against. `human-faceres` (Human's face description net: age, gender, embedding) is not wired to any pipeline;
 * `faceapi-tiny-face-detector` lost to the SSD and BlazeFace as the detector; `human-blazeface` (the 256² back-camera
 * model) was replaced in the detector cascade by the 128² front-camera one, `human-blazeface-front`, which answers as
 * often for a quarter of the time (src/pipeline/analyze.ts). Anything the pipelines ask the registry
 * for must not be here: they fetch their models when they are built, at start-up, so a mistake stops the start.
 */
export const MODELS_NOT_LOADED: readonly string[] = Object.freeze(['human-faceres', 'faceapi-tiny-face-detector', 'human-blazeface']);

type ModelsConfig = Pick<Config, 'modelsDir' | 'modelPacksDir' | 'executionProvider' | 'cudaDeviceId' | 'intraOpThreads' | 'interOpThreads' | 'batching'>;

export function loadModels(config: ModelsConfig, host?: SessionHost): Promise<ModelRegistry> {
  const packList = path.join(config.modelsDir, 'packs.json');
  return ModelRegistry.load(
    config.modelsDir,
    { executionProvider: config.executionProvider, cudaDeviceId: config.cudaDeviceId, intraOpThreads: config.intraOpThreads, interOpThreads: config.interOpThreads },
    existsSync(packList) ? { dir: config.modelPacksDir, list: readPacks(packList) } : undefined,
    config.batching,
    host,
    MODELS_NOT_LOADED,
  );
}
