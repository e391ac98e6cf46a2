/**
 * Builds the embedded model set: converts weights shipped in npm packages to models/*.onnx.
 *
 * Runs at install (package.json postinstall) and as `npm run models`. Idempotent: a model whose file
 * and source files still match models/manifest.json is skipped. The converter is deterministic, so a
 * freshly built model must hash to the sha256 committed in the manifest; a different hash means the
 * converter or a source package changed, and fails the build until `npm run models -- --update` is run
 * and the new manifest committed (the manifest works like a lockfile for the model set).
 *
 * Flags: --update (accept new hashes and rewrite the manifest), --force (rebuild all), --only=id,id.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Manifest, type ModelEntry, parseManifest, readManifest } from '../src/inference/manifest.js';
import { sha256, sha256File } from './convert/recipe.js';
import { RECIPES } from './convert/recipes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = path.join(root, 'models');
const manifestFile = path.join(modelsDir, 'manifest.json');

const args = process.argv.slice(2);
const update = args.includes('--update');
const force = args.includes('--force');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');

/** Writes via a temp file + rename so a crash never leaves a half-written model visible. */
function writeAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

function sourcesUnchanged(entry: ModelEntry, files: string[]): boolean {
  if (entry.source.files.length !== files.length) return false;
  return files.every((f, i) => sha256File(f) === entry.source.files[i]!.sha256);
}

async function main(): Promise<void> {
  mkdirSync(modelsDir, { recursive: true });
  const committed: Manifest = existsSync(manifestFile) ? readManifest(manifestFile) : { schemaVersion: 1, models: [] };
  const byId = new Map(committed.models.map((m) => [m.id, m]));
  const next: ModelEntry[] = [];
  const failures: string[] = [];
  const started = Date.now();
  const recipes = RECIPES.filter((r) => !only || only.includes(r.id));
  console.log(`models: ${recipes.length} to check in ${path.relative(root, modelsDir)}/`);

  for (const recipe of RECIPES) {
    const existing = byId.get(recipe.id);
    if (!recipes.includes(recipe)) {
      if (existing) next.push(existing);
      continue;
    }
    const file = path.join(modelsDir, `${recipe.id}.onnx`);
    if (!force && existing && existsSync(file) && sha256File(file) === existing.sha256 && sourcesUnchanged(existing, recipe.sourceFiles())) {
      console.log(`  ✓ ${recipe.id} up to date (${(existing.bytes / 1e6).toFixed(1)} MB)`);
      next.push(existing);
      continue;
    }
    const t0 = Date.now();
    const { bytes, entry } = await recipe.build();
    if (entry.id !== recipe.id) throw new Error(`recipe ${recipe.id} built an entry with id ${entry.id}`);
    const hash = sha256(bytes);
    const built: ModelEntry = { ...entry, file: `${recipe.id}.onnx`, sha256: hash, bytes: bytes.byteLength };
    if (!update && !existing) {
      failures.push(`${recipe.id}: expected an entry in models/manifest.json, got none (run \`npm run models -- --update\` and commit the manifest)`);
    } else if (!update && existing && existing.sha256 !== hash) {
      failures.push(
        `${recipe.id}: expected sha256 ${existing.sha256}, got ${hash} (the converter or ${entry.source.package}@${entry.source.version} changed; ` +
          'run `npm run models -- --update` and commit models/manifest.json)',
      );
    }
    writeAtomic(file, bytes);
    console.log(`  + ${recipe.id} built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${(bytes.byteLength / 1e6).toFixed(1)} MB, sha256 ${hash.slice(0, 12)}…)`);
    next.push(update ? built : (existing ?? built));
  }

  if (update) {
    const manifest = parseManifest({ schemaVersion: 1, models: next }, 'built manifest');
    writeAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`models: wrote ${path.relative(root, manifestFile)} (${manifest.models.length} models)`);
  }
  if (failures.length > 0) {
    console.error(`models: ${failures.length} model(s) do not match the manifest:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`models: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(`models: build failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
