/**
 * The contract between converters and scripts/build-models.ts: a recipe names one model and builds its
 * ONNX bytes plus everything the manifest says about it (except file, sha256 and size, which the build
 * computes from the bytes).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ModelEntry } from '../../src/inference/manifest.js';

export type RecipeEntry = Omit<ModelEntry, 'file' | 'sha256' | 'bytes'>;

export interface BuiltModel {
  bytes: Uint8Array;
  entry: RecipeEntry;
}

export interface ModelRecipe {
  id: string;
  /** Source files (absolute paths) whose content decides the output; used to skip unchanged builds. */
  sourceFiles(): string[];
  build(): BuiltModel | Promise<BuiltModel>;
}

const require = createRequire(import.meta.url);

/**
 * Root directory of an installed npm package. Some packages (@vladmandic/human) do not export
 * `./package.json`, so fall back to resolving the main entry and walking up to the package's root.
 */
export function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    let dir = path.dirname(require.resolve(name));
    while (dir !== path.dirname(dir)) {
      const pkg = path.join(dir, 'package.json');
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return dir;
      dir = path.dirname(dir);
    }
    throw new Error(`package ${name}: installed, but its root (package.json named ${name}) was not found`);
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(file: string): string {
  return sha256(readFileSync(file));
}

/** The manifest's `source` block for weights shipped in an npm package. */
export function packageSource(pkg: string, relativeFiles: string[], upstream: string, license: string): ModelEntry['source'] {
  const dir = packageDir(pkg);
  return {
    package: pkg,
    version: packageVersion(pkg),
    files: relativeFiles.map((p) => ({ path: p, sha256: sha256File(path.join(dir, p)) })),
    upstream,
    license,
  };
}
