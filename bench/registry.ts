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
import { parseConfig } from '../src/config.js';
import { videoBinaries } from '../src/video/binaries.js';
import { createVideoReader, type VideoReader, type VideoReaderOptions } from '../src/video/read-video.js';

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

/**
 * The service's video reader (src/app/service.ts: createVideoReader({ ...config.video, binaries })): the default
 * VIDEO_* limits and sampling, with a private temp dir and, where a bench measures something else, its own sampling.
 */
export function serviceVideoReader(tempDir: string, overrides: Partial<Pick<VideoReaderOptions, 'fps' | 'maxFrames' | 'maxSide' | 'timeoutMs'>> = {}): VideoReader {
  const video = parseConfig({}).video;
  return createVideoReader({ ...video, ...overrides, tempDir, binaries: videoBinaries(), log: () => {} });
}
