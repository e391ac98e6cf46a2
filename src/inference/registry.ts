/**
 * Loads the model set listed in models/manifest.json, checks every file and graph against its entry,
 * and hands sessions out by id or task. Created once at start-up and passed in (no module-level state).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';
import { type ModelEntry, type ModelTask, readManifest } from './manifest.js';
import { ModelSession, type SessionOptions, type ValueInfo } from './session.js';

export interface LoadedModel {
  entry: ModelEntry;
  session: ModelSession;
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
export async function loadModel(entry: ModelEntry, dir: string, options: SessionOptions): Promise<LoadedModel> {
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
  const session = await ModelSession.create(entry.id, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  const problems = compareGraphToManifest(entry, session);
  if (problems.length > 0) {
    await session.release();
    throw new AppError('MODEL_INVALID', `model ${entry.id}: graph does not match models/manifest.json: ${problems.join('; ')}`);
  }
  return { entry, session };
}

export class ModelRegistry {
  private constructor(
    private readonly models: ReadonlyMap<string, LoadedModel>,
    readonly executionProvider: SessionOptions['executionProvider'],
  ) {}

  /** Loads every model in `<modelsDir>/manifest.json`; any mismatch fails the whole load. */
  static async load(modelsDir: string, options: SessionOptions): Promise<ModelRegistry> {
    const manifest = readManifest(path.join(modelsDir, 'manifest.json'));
    const models = new Map<string, LoadedModel>();
    try {
      for (const entry of manifest.models) models.set(entry.id, await loadModel(entry, modelsDir, options));
    } catch (error) {
      await Promise.all([...models.values()].map((m) => m.session.release()));
      throw error;
    }
    return new ModelRegistry(models, options.executionProvider);
  }

  list(): LoadedModel[] {
    return [...this.models.values()];
  }

  /** The model with this id; a missing id is a programming or deployment error, reported as such. */
  get(id: string): LoadedModel {
    const model = this.models.get(id);
    if (!model) throw new AppError('MODEL_INVALID', `model ${id}: expected in the loaded set, got ${[...this.models.keys()].join(', ') || 'no models'}`);
    return model;
  }

  byTask(task: ModelTask): LoadedModel[] {
    return this.list().filter((m) => m.entry.task === task);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.list().map((m) => m.session.release()));
  }
}
