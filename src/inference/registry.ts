/**
 * Loads the model set listed in models/manifest.json, checks every file and graph against its entry,
 * and hands sessions out by id or task. Created once at start-up and passed in (no module-level state).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';
import { acceptsBatch, type BatcherOptions, type BatcherStats, DynamicBatcher, fixedBatchInputs, type ModelRunner } from './batcher.js';
import { concreteInputShape, type ModelEntry, type ModelTask, readManifest } from './manifest.js';
import { type PackEntry, type PackList, type PackState, packStatuses } from './packs.js';
import { type LoadedSession, MAIN_THREAD_HOST, type SessionHost } from './session-host.js';
import type { SessionOptions, ValueInfo } from './session.js';

/** `embedded`: built from npm-shipped weights (models/manifest.json); `pack`: optional download (models/packs.json). */
export type ModelOrigin = 'embedded' | 'pack';

/**
 * `session` is the model itself; `runner` is what the pipeline calls: a DynamicBatcher in front of the session
 * when batching is on and the model takes a batch axis, else the session. `batcher` is that batcher, if any.
 */
export type LoadedModel = (
  | { origin: 'embedded'; entry: ModelEntry; session: LoadedSession }
  | { origin: 'pack'; entry: PackEntry; session: LoadedSession }
) & { runner: ModelRunner; batcher?: DynamicBatcher };

/** Batching as /health reports it for one model. */
export type ModelBatching =
  | { state: 'off' }
  | { state: 'fixed-batch'; reason: string }
  | ({ state: 'on'; maxBatch: number; maxDelayMs: number; meanBatch: number; meanQueuedMs: number } & BatcherStats);

/**
 * Why each model is loaded: model id → the use cases that asked the registry for it when they were built
 * (`ModelRegistry.plan` records it; src/app/models.ts). A registry loaded with one loads those models and no others.
 */
export type ModelUses = ReadonlyMap<string, readonly string[]>;

/** A model a registry did not load, and why (for /health). */
export interface ModelNotLoaded {
  id: string;
  origin: ModelOrigin;
  reason: string;
}

/** No batching: every run goes straight to its session. */
export const NO_BATCHING: BatcherOptions = Object.freeze({ maxBatch: 1, maxDelayMs: 0 });

/** What a file-backed model entry must say for it to be loaded and checked (manifest and pack entries both do). */
type LoadableEntry = Pick<ModelEntry, 'id' | 'file' | 'sha256' | 'inputs' | 'outputs'>;

/** Where the optional packs are installed and which packs are listed. */
export interface PackSource {
  dir: string;
  list: PackList;
}

export interface PackAvailability {
  id: string;
  task: ModelTask;
  state: PackState;
  /** Part of the default install (packs.json `default`: the MiniFASNet anti-spoofing pack); the others are optional. */
  default: boolean;
}

const describeShape = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** True when a declared manifest dim and a graph dim agree: equal numbers, or both dynamic. */
function dimMatches(expected: number | string, actual: number | string): boolean {
  const actualDynamic = typeof actual === 'string' || actual < 0;
  return typeof expected === 'string' ? actualDynamic : !actualDynamic && expected === actual;
}

/**
 * Compares the graph's declared inputs/outputs with the manifest entry. Returns the problems found as
 * "expected X, got Y" sentences (empty when the graph matches).
 */
export function compareGraphToManifest(
  entry: Pick<ModelEntry, 'inputs' | 'outputs'>,
  graph: { inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] },
): string[] {
  const problems: string[] = [];
  const check = (kind: 'input' | 'output', expected: { name: string; shape: (number | string)[] }[], actual: readonly ValueInfo[]) => {
    const names = actual.map((a) => a.name);
    if (expected.length !== actual.length || expected.some((e, i) => e.name !== names[i])) {
      problems.push(`${kind}s: expected ${expected.map((e) => e.name).join(', ')}, got ${names.join(', ')}`);
      return;
    }
    expected.forEach((e, i) => {
      const a = actual[i]!;
      if (a.type !== 'float32') problems.push(`${kind} ${e.name}: expected float32, got ${a.type}`);
      if (e.shape.length !== a.shape.length || e.shape.some((d, j) => !dimMatches(d, a.shape[j]!))) {
        problems.push(`${kind} ${e.name}: expected shape ${describeShape(e.shape)}, got ${describeShape(a.shape)}`);
      }
    });
  };
  check('input', entry.inputs, graph.inputs);
  check('output', entry.outputs, graph.outputs);
  return problems;
}

/** Loads one model file after checking its sha256 and then its graph against the entry. */
export async function loadModel(entry: LoadableEntry, dir: string, options: SessionOptions, host: SessionHost = MAIN_THREAD_HOST): Promise<LoadedSession> {
  const file = path.join(dir, entry.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new AppError('MODEL_INVALID', `model ${entry.id}: expected file ${file}, got none (run \`npm run models\`)`, { cause: error });
  }
  const hash = createHash('sha256').update(bytes).digest('hex');
  if (hash !== entry.sha256) {
    throw new AppError('MODEL_INVALID', `model ${entry.id}: ${file} expected sha256 ${entry.sha256}, got ${hash} (rebuild with \`npm run models\`)`);
  }
  const session = await host.create(entry.id, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  const problems = compareGraphToManifest(entry, session);
  if (problems.length > 0) {
    await session.release();
    throw new AppError('MODEL_INVALID', `model ${entry.id}: graph does not match its manifest entry: ${problems.join('; ')}`);
  }
  return session;
}

export class ModelRegistry {
  private constructor(
    private readonly models: ReadonlyMap<string, LoadedModel>,
    readonly executionProvider: SessionOptions['executionProvider'],
    /** Every listed optional pack and whether it is installed (loaded) or missing. */
    readonly packs: readonly PackAvailability[],
    /** The batching asked for (BATCH_MAX_SIZE, BATCH_MAX_DELAY_MS); maxBatch 1 = off. */
    readonly batching: BatcherOptions,
    private readonly host: SessionHost,
    /** Why each loaded model is loaded, when the registry was loaded from a plan. */
    private readonly uses?: ModelUses,
    /** The listed models a plan left out. */
    readonly notLoaded: readonly ModelNotLoaded[] = [],
  ) {}

  /** Called by `get` (planning records who asks for what). */
  private onGet?: (id: string) => void;

  /** The use cases that asked for this model (a registry loaded from a plan); undefined when everything was loaded. */
  usesOf(id: string): readonly string[] | undefined {
    return this.uses?.get(id);
  }

  /** Where the sessions run: `main` (the event loop's thread) or `worker` (one inference thread). */
  get inferenceThread(): SessionHost['mode'] {
    return this.host.mode;
  }

  /**
   * Loads every model in `<modelsDir>/manifest.json`, then every installed optional pack. Any mismatch
   * (file hash, graph vs entry, a pack file whose sha256 is wrong) fails the whole load; a pack that is
   * simply not installed is listed as missing. With `batching.maxBatch` > 1, every model whose inputs take a
   * batch axis gets a DynamicBatcher in front of it (models with a fixed batch of 1 run unbatched). `host`
   * (default: this thread) creates the sessions; the registry owns it from here and closes it in dispose().
   * `uses` (from `ModelRegistry.plan`): load only these models, and keep why for /health (`usesOf`, `notLoaded`); without
   * it, every listed model is loaded (the benches and model tests).
   */
  static async load(
    modelsDir: string,
    options: SessionOptions,
    packSource?: PackSource,
    batching: BatcherOptions = NO_BATCHING,
    host: SessionHost = MAIN_THREAD_HOST,
    uses?: ModelUses,
  ): Promise<ModelRegistry> {
    const manifest = readManifest(path.join(modelsDir, 'manifest.json'));
    const models = new Map<string, LoadedModel>();
    const packs: PackAvailability[] = [];
    const notLoaded: ModelNotLoaded[] = [];
    const wanted = (id: string, origin: ModelOrigin) => {
      if (!uses || uses.has(id)) return true;
      notLoaded.push({ id, origin, reason: 'no use case of this service asks for it' });
      return false;
    };
    try {
      const withRunner = (session: LoadedSession) => {
        if (batching.maxBatch === 1 || !acceptsBatch(session)) return { session, runner: session };
        const batcher = new DynamicBatcher(session, batching);
        return { session, runner: batcher, batcher };
      };
      const statuses = packSource ? packStatuses(packSource.dir, packSource.list) : [];
      const listed = new Set([...manifest.models.map((m) => m.id), ...statuses.filter((s) => s.state !== 'missing').map((s) => s.pack.id)]);
      const unknown = [...(uses?.keys() ?? [])].filter((id) => !listed.has(id));
      if (unknown.length > 0) throw new AppError('MODEL_INVALID', `models asked for: ${unknown.join(', ')} neither in ${path.join(modelsDir, 'manifest.json')} nor installed packs`);
      for (const entry of manifest.models) {
        if (!wanted(entry.id, 'embedded')) continue;
        models.set(entry.id, { origin: 'embedded', entry, ...withRunner(await loadModel(entry, modelsDir, options, host)) });
      }
      for (const status of statuses) {
        const { pack } = status;
        packs.push({ id: pack.id, task: pack.task, state: status.state, default: pack.default === true });
        if (status.state === 'missing') continue;
        if (status.state === 'corrupt') {
          throw new AppError('MODEL_INVALID', `pack ${pack.id}: ${status.file} does not have the listed sha256 ${pack.sha256} (re-run \`npm run models:fetch\`)`);
        }
        if (models.has(pack.id)) throw new AppError('MODEL_INVALID', `pack ${pack.id}: id already used by an embedded model`);
        if (!wanted(pack.id, 'pack')) continue;
        models.set(pack.id, { origin: 'pack', entry: pack, ...withRunner(await loadModel(pack, packSource!.dir, options, host)) });
      }
    } catch (error) {
      await Promise.all([...models.values()].map((m) => m.session.release()));
      await host.close();
      throw error;
    }
    return new ModelRegistry(models, options.executionProvider, packs, { ...batching }, host, uses, notLoaded);
  }

  /**
   * The models `build` asks for, without loading any: a registry of every manifest model and installed pack whose
   * sessions are placeholders (their inputs and outputs are the entry's; running one throws), on which `build` creates
   * the use cases. Each `use(name, create)` inside it names the use case that asks for what `create` fetches. The
   * composition root loads the answer (`load(…, uses)`) and builds the use cases again on the real registry, so what
   * is loaded is exactly what the code asks for, with no second list to keep in step with it.
   */
  static plan(modelsDir: string, packSource: PackSource | undefined, batching: BatcherOptions, build: (registry: ModelRegistry, use: <T>(name: string, create: () => T) => T) => void): ModelUses {
    const manifest = readManifest(path.join(modelsDir, 'manifest.json'));
    const placeholder = (entry: LoadableEntry): LoadedSession => ({
      label: entry.id,
      inputs: entry.inputs.map((i) => ({ name: i.name, type: 'float32', shape: i.shape })),
      outputs: entry.outputs.map((o) => ({ name: o.name, type: 'float32', shape: o.shape })),
      executionProvider: 'cpu',
      placement: undefined,
      placementProblem: 'not loaded: planning which models the use cases ask for',
      run: () => Promise.reject(new AppError('MODEL_INVALID', `model ${entry.id}: a placeholder used while planning which models to load was run`)),
      release: () => Promise.resolve(),
    });
    const models = new Map<string, LoadedModel>();
    for (const entry of manifest.models) models.set(entry.id, { origin: 'embedded', entry, session: placeholder(entry), runner: placeholder(entry) });
    const packs: PackAvailability[] = [];
    for (const { pack, state } of packSource ? packStatuses(packSource.dir, packSource.list) : []) {
      packs.push({ id: pack.id, task: pack.task, state, default: pack.default === true });
      if (state === 'installed' && !models.has(pack.id)) models.set(pack.id, { origin: 'pack', entry: pack, session: placeholder(pack), runner: placeholder(pack) });
    }
    const planning = new ModelRegistry(models, 'cpu', packs, { ...batching }, MAIN_THREAD_HOST);
    const uses = new Map<string, string[]>();
    let current: string | undefined;
    planning.onGet = (id) => {
      if (current === undefined) throw new AppError('MODEL_INVALID', `model ${id}: asked for outside a named use case while planning`);
      const users = uses.get(id) ?? [];
      if (!users.includes(current)) users.push(current);
      uses.set(id, users);
    };
    build(planning, (name, create) => {
      current = name;
      try {
        return create();
      } finally {
        current = undefined;
      }
    });
    return uses;
  }

  /**
   * Runs every model once on zeros at its concrete input shape, so the first request does not pay for
   * ORT's lazy allocations. Models with a dynamic non-batch dim and no `typicalShape` are skipped.
   * Returns the ids warmed and skipped.
   */
  async warmUp(): Promise<{ warmed: string[]; skipped: string[] }> {
    const warmed: string[] = [];
    const skipped: string[] = [];
    for (const { entry, session } of this.list()) {
      const shapes = entry.inputs.map((input) => [input.name, concreteInputShape(input)] as const);
      if (shapes.some(([, shape]) => shape === null)) {
        skipped.push(entry.id);
        continue;
      }
      const feeds = Object.fromEntries(
        shapes.map(([name, shape]) => [name, { data: new Float32Array(shape!.reduce((a, b) => a * b, 1)), dims: shape! }]),
      );
      await session.run(feeds);
      warmed.push(entry.id);
    }
    return { warmed, skipped };
  }

  /**
   * Times every run of every model from now on (for /metrics): each model's runner is wrapped, so a use case built
   * after this call reports its runs; `ms` is what the caller waited (with batching on, queueing included), `rows` the
   * first input's leading dim. Call it before building the use cases (src/app/service.ts does).
   */
  observeRuns(observe: (modelId: string, ms: number, rows: number, failed: boolean) => void): void {
    const models = this.models as Map<string, LoadedModel>;
    for (const [id, model] of models) {
      const inner = model.runner;
      const runner: ModelRunner = {
        label: inner.label,
        inputs: inner.inputs,
        outputs: inner.outputs,
        run: async (feeds, outputNames) => {
          const started = performance.now();
          const rows = Object.values(feeds)[0]?.dims[0] ?? 1;
          try {
            const out = await inner.run(feeds, outputNames);
            observe(id, performance.now() - started, rows, false);
            return out;
          } catch (error) {
            observe(id, performance.now() - started, rows, true);
            throw error;
          }
        },
      };
      models.set(id, { ...model, runner });
    }
  }

  /** How one model is batched, with its counters since start-up (for /health). */
  batchingOf(model: LoadedModel): ModelBatching {
    if (this.batching.maxBatch === 1) return { state: 'off' };
    if (!model.batcher) return { state: 'fixed-batch', reason: `fixed first dim: ${fixedBatchInputs(model.session).join('; ')}` };
    const stats = model.batcher.stats();
    return {
      state: 'on',
      maxBatch: this.batching.maxBatch,
      maxDelayMs: this.batching.maxDelayMs,
      ...stats,
      meanBatch: stats.batches === 0 ? 0 : Math.round((stats.rows / stats.batches) * 100) / 100,
      meanQueuedMs: stats.items === 0 ? 0 : Math.round((stats.queuedMs / stats.items) * 1000) / 1000,
    };
  }

  list(): LoadedModel[] {
    return [...this.models.values()];
  }

  /** The model with this id; a missing id is a programming or deployment error, reported as such. */
  get(id: string): LoadedModel {
    this.onGet?.(id);
    const model = this.models.get(id);
    if (!model) throw new AppError('MODEL_INVALID', `model ${id}: expected in the loaded set, got ${[...this.models.keys()].join(', ') || 'no models'}`);
    return model;
  }

  byTask(task: ModelTask): LoadedModel[] {
    return this.list().filter((m) => m.entry.task === task);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.list().map((m) => m.session.release()));
    await this.host.close();
  }
}
