/**
 * The model registry a bench runs on: the embedded models in models/, on the main thread, no batching, plus the
 * packs installed in `packsDir` when one is given (listed in models/packs.json). One place for the options that
 * every bench repeated; bench where builds its own (it varies the thread and batching).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPacks } from '../src/inference/packs.js';
import { ModelRegistry } from '../src/inference/registry.js';
import type { SessionHost } from '../src/inference/session-host.js';
import type { ExecutionProvider } from '../src/inference/session.js';

const modelsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models');

export interface BenchRegistryOptions {
  /** Default cpu. */
  provider?: ExecutionProvider;
  /** ORT intra-op threads; default 0 (ORT's default: one per core). */
  intraOpThreads?: number;
  /** Folder with installed packs (`npm run models:fetch` output); none by default. */
  packsDir?: string;
  /** Where the sessions run: this thread (default) or an inference thread (InferenceThread.start()). */
  host?: SessionHost;
}

export function loadBenchRegistry({ provider = 'cpu', intraOpThreads = 0, packsDir, host }: BenchRegistryOptions = {}): Promise<ModelRegistry> {
  return ModelRegistry.load(
    modelsDir,
    { executionProvider: provider, cudaDeviceId: 0, intraOpThreads, interOpThreads: 0 },
    packsDir ? { dir: path.resolve(packsDir), list: readPacks(path.join(modelsDir, 'packs.json')) } : undefined,
    undefined,
    host,
  );
}
