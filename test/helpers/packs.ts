/**
 * Model packs for a test: installed from the pinned files in ../shared/data/models (the mirror CI's default install
 * uses) into a fresh temp directory, so that a test sees exactly the packs it names, whatever models/packs holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type PackList, readPacks } from '../../src/inference/packs.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import { DEFAULT_SESSION_OPTIONS } from '../../src/inference/session.js';
import { fetchPacks } from '../../scripts/fetch-models.js';
import { repoRoot, sharedData } from './reference.js';

export interface TestPacks {
  dir: string;
  list: PackList;
  /** Removes the directory. */
  remove: () => void;
}

/** Installs `ids` (models/packs.json ids) into a new temp dir; throws, naming each pack and why, when one fails. */
export async function installTestPacks(ids: readonly string[], prefix = 'test-packs-'): Promise<TestPacks> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const list = readPacks(path.join(repoRoot, 'models', 'packs.json'));
  const results = await fetchPacks({ list, dir, mirror: path.dirname(sharedData('models/detection')), only: [...ids], log: () => {} });
  const failed = results.filter((r) => r.outcome !== 'installed');
  if (failed.length > 0 || results.length !== ids.length) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`test packs ${ids.join(', ')} not installed: ${results.map((r) => `${r.id} ${r.outcome} ${r.error ?? ''}`.trim()).join('; ') || 'none listed'}`);
  }
  return { dir, list, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The embedded models plus the packs `ids` (installTestPacks); `dispose` releases the models and removes the packs. */
export async function registryWithPacks(ids: readonly string[], prefix?: string): Promise<{ registry: ModelRegistry; dispose: () => Promise<void> }> {
  const packs = await installTestPacks(ids, prefix);
  try {
    const registry = await ModelRegistry.load(path.join(repoRoot, 'models'), DEFAULT_SESSION_OPTIONS, { dir: packs.dir, list: packs.list });
    return {
      registry,
      dispose: async () => {
        await registry.dispose();
        packs.remove();
      },
    };
  } catch (error) {
    packs.remove();
    throw error;
  }
}
