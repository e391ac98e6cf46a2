/**
 * GET /health?details=1 (Bearer appKey; app.ts): what is loaded and where it runs, so an operator can see at a
 * glance that the node serves the expected model set on the expected execution provider. Plain GET /health
 * answers the status alone.
 */
import type { LoadedModel, ModelBatching, ModelNotLoaded, ModelRegistry, PackAvailability } from '../inference/registry.js';
import type { NodePlacement } from '../inference/session.js';
import { type LivenessSetup, livenessSetup } from '../pipeline/liveness-setup.js';

export interface ServiceVersions {
  /** This service's package version. */
  service: string;
  /** onnxruntime-node version actually loaded. */
  onnxruntime: string;
  /** Node.js version (process.versions.node). */
  node: string;
}

export interface HealthModel {
  id: string;
  task: string;
  /** `embedded` (built from npm-shipped weights) or `pack` (optional download). */
  origin: 'embedded' | 'pack';
  file: string;
  sha256: string;
  /** Model file size in bytes. */
  bytes: number;
  /** npm package + version for embedded models; repository + commit for packs. */
  source: { name: string; version: string; upstream: string; license: string };
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  /** Execution provider the session was created with: `cpu` or `cuda`. */
  executionProvider: string;
  /**
   * Where ORT actually ran the graph's nodes during the model's first run (its profiler): nodes and kernel
   * microseconds per ORT provider, and the op types that ran elsewhere than `executionProvider` (under CUDA,
   * ops the CUDA provider lacks fall back to the CPU). `measured: false` until the first run (warm-up, or the
   * first request for a model with no fixed input shape).
   */
  placement: ({ measured: true } & NodePlacement) | { measured: false; reason: string };
  /** Dynamic batching for this model (BATCH_MAX_SIZE): off, impossible (fixed batch dim), or on with counters since start-up. */
  batching: ModelBatching;
  /**
   * Why it is loaded: the use cases that asked for it when they were built (`checkLiveness`, `matchFace`,
   * `verifyVideo`; src/app/models.ts). Absent where the registry was loaded whole (benches, model tests).
   */
  loadedFor?: readonly string[];
}

/** `ok`: taking work (200); `draining`: stopping after SIGTERM, finishing what is in flight (503). */
export type HealthStatus = 'ok' | 'draining';

export interface HealthReport {
  status: HealthStatus;
  /** Execution provider every session was created with: `cpu` or `cuda`. */
  executionProvider: string;
  /** Where the models run: `worker` (one inference thread, the default) or `main` (the event loop's thread). */
  inferenceThread: 'worker' | 'main';
  versions: ServiceVersions;
  models: HealthModel[];
  /** The models of the manifest and the installed packs that are not loaded, each with why (no use case asks for it). */
  notLoaded: readonly ModelNotLoaded[];
  /** Every optional pack listed in models/packs.json: `installed` ones are also in `models`. */
  packs: readonly PackAvailability[];
  /** Which liveness setup runs: with the MiniFASNet anti-spoofing pack, or embedded-only (README "Liveness"). */
  liveness: LivenessSetup;
}

function describeSource(model: LoadedModel): HealthModel['source'] {
  if (model.origin === 'embedded') {
    const { package: name, version, upstream, license } = model.entry.source;
    return { name, version, upstream, license };
  }
  const { repository, commit, upstream, license } = model.entry.source;
  return { name: repository, version: commit, upstream, license };
}

function describePlacement(model: LoadedModel): HealthModel['placement'] {
  const { placement, placementProblem } = model.session;
  if (placement) return { measured: true, ...placement };
  return { measured: false, reason: placementProblem ?? 'the model has not run yet' };
}

function loadedFor(registry: ModelRegistry, model: LoadedModel): Pick<HealthModel, 'loadedFor'> {
  const uses = registry.usesOf(model.entry.id);
  return uses ? { loadedFor: uses } : {};
}

export function healthReport(registry: ModelRegistry, versions: ServiceVersions, status: HealthStatus): HealthReport {
  return {
    status,
    executionProvider: registry.executionProvider,
    inferenceThread: registry.inferenceThread,
    versions,
    models: registry.list().map((model) => ({
      id: model.entry.id,
      task: model.entry.task,
      origin: model.origin,
      file: model.entry.file,
      sha256: model.entry.sha256,
      bytes: model.entry.bytes,
      source: describeSource(model),
      inputs: model.entry.inputs.map((i) => ({ name: i.name, shape: i.shape })),
      outputs: model.entry.outputs.map((o) => ({ name: o.name, shape: o.shape })),
      executionProvider: model.session.executionProvider,
      placement: describePlacement(model),
      batching: registry.batchingOf(model),
      ...loadedFor(registry, model),
    })),
    notLoaded: registry.notLoaded,
    packs: registry.packs,
    liveness: livenessSetup(registry),
  };
}
