/**
 * The layer order of docs/architecture.md, checked on every import in src/ (issue #16): a file may import its own
 * layer and the layers below it, never one above. Imports are read with TypeScript's own pre-processor
 * (ts.preProcessFile: static imports, re-exports, dynamic import() with a literal), so comments and strings do not count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/reference.js';

const srcDir = path.join(repoRoot, 'src');

/** docs/architecture.md, bottom first: each entry is a folder of src/ or a file directly in src/. */
export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'config.ts', 'build-info.ts'],
  ['imaging', 'video', 'face'],
  ['inference', 'attack-signals'],
  ['quality'],
  ['pipeline'],
  ['sessions', 'webhooks', 'store', 'capture', 'agent-console'],
  ['http'],
  ['app', 'main.ts'],
];

/** The only file that may import ONNX Runtime (the one place that knows the runtime's API). */
const ORT_IMPORTER = 'inference/session.ts';

const rankOf = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank] as const)));

/** src/-relative source files (not tests): .ts, .mts, .js and .mjs. */
function sourceFiles(dir: string = srcDir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(m?ts|m?js)$/.test(name) && !/\.test\.ts$/.test(name) ? [path.relative(srcDir, full)] : [];
  });
}

/** The layer entry a src/-relative path belongs to: its top folder, or the file itself at the top (`.js` → `.ts`). */
function unitOf(relative: string): string {
  const [first, ...rest] = relative.split(path.sep);
  return rest.length > 0 ? first! : first!.replace(/\.js$/, '.ts');
}

interface Import {
  from: string;
  to: string;
}

function importsOf(file: string): { relative: Import[]; packages: string[] } {
  const text = readFileSync(path.join(srcDir, file), 'utf8');
  const specs = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  const relative = specs.filter((s) => s.startsWith('.')).map((s) => ({ from: file, to: path.normalize(path.join(path.dirname(file), s)) }));
  return { relative, packages: specs.filter((s) => !s.startsWith('.')) };
}

const files = sourceFiles();

describe('layer order (docs/architecture.md)', () => {
  it('gives every folder and top-level file of src/ a layer', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => !rankOf.has(u))).toEqual([]);
  });

  it('finds the imports it checks (the parser is not silently reading nothing)', () => {
    const { relative } = importsOf('pipeline/check-liveness.ts');
    expect(relative.map((i) => i.to)).toContain(path.join('pipeline', 'analyze.js'));
  });

  it('has no import from a lower layer up to a higher one', () => {
    const violations: string[] = [];
    for (const file of files) {
      const fromRank = rankOf.get(unitOf(file))!;
      for (const imp of importsOf(file).relative) {
        if (imp.to.startsWith('..')) {
          violations.push(`${imp.from} imports ${imp.to}, outside src/`);
          continue;
        }
        const toRank = rankOf.get(unitOf(imp.to));
        if (toRank === undefined) violations.push(`${imp.from} imports ${imp.to}, which has no layer`);
        else if (toRank > fromRank) violations.push(`${imp.from} (layer ${fromRank}) imports ${imp.to} (layer ${toRank})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it(`lets only ${ORT_IMPORTER} import onnxruntime-node`, () => {
    const importers = files.filter((file) => importsOf(file).packages.some((p) => p === 'onnxruntime-node' || p.startsWith('onnxruntime-node/')));
    expect(importers).toEqual([path.normalize(ORT_IMPORTER)]);
  });
});
