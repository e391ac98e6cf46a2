/**
 * models/manifest.json is the lockfile of the model set: every recipe, rebuilt now, must give the
 * committed bytes (sha256) and the committed entry, and the set must be the one issue #2 requires.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { RECIPES } from '../scripts/convert/recipes.js';
import { sha256 } from '../scripts/convert/recipe.js';
import { readManifest } from '../src/inference/manifest.js';
import { EXPECTED_MODELS } from './expected-models.js';
import { repoRoot } from './helpers/reference.js';

const manifest = readManifest(path.join(repoRoot, 'models', 'manifest.json'));

describe('models/manifest.json', () => {
  it('lists exactly the default set, in recipe order', () => {
    expect(manifest.models.map((m) => [m.id, m.task])).toEqual(Object.entries(EXPECTED_MODELS));
    expect(manifest.models.map((m) => m.id)).toEqual(RECIPES.map((r) => r.id));
  });

  it.each(RECIPES.map((r) => [r.id, r] as const))('%s: a fresh build matches the committed sha256 and entry', async (id, recipe) => {
    const committed = manifest.models.find((m) => m.id === id)!;
    const { bytes, entry } = await recipe.build();
    expect(sha256(bytes)).toBe(committed.sha256);
    expect(bytes.byteLength).toBe(committed.bytes);
    const { file, sha256: _hash, bytes: _size, ...described } = committed;
    expect(file).toBe(`${id}.onnx`);
    expect(entry).toEqual(described);
  });
});
