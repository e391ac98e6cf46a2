/**
 * Converts OpenCV's trained BRISQUE model (opencv_contrib modules/quality/samples/brisque_model_live.yml and
 * brisque_range_live.yml, Apache-2.0, as Debian's `opencv-data` package installs them under /usr/share/opencv4/quality/)
 * into the committed model-data file models/brisque/brisque-live.json, and writes its provenance record
 * models/brisque/provenance.json (sha256 and size of the JSON, sha256 of both source files, package version, licence).
 * The service reads only the JSON (src/quality/brisque.ts): it never needs the Debian package.
 *
 *   apt-get install opencv-data && npx tsx scripts/brisque-model.ts [--source-dir=/usr/share/opencv4/quality] [--check]
 *
 * `--check` writes nothing and fails when a fresh conversion differs from the committed files (as `npm run models`
 * does for the ONNX set). The YAML is OpenCV FileStorage output (`%YAML:1.0`, `!!opencv-matrix`), which general YAML
 * parsers refuse, so the few fields needed are read by name; the parse fails loudly on anything it does not expect.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRISQUE_FEATURE_COUNT, type BrisqueModelFile, parseBrisqueModel } from '../src/quality/brisque.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'models', 'brisque');
const modelOut = path.join(outDir, 'brisque-live.json');
const provenanceOut = path.join(outDir, 'provenance.json');
const MODEL_YAML = 'brisque_model_live.yml';
const RANGE_YAML = 'brisque_range_live.yml';

const sha256 = (bytes: string | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Numbers of a flow sequence `[ a, b, … ]` that starts right after `key:` (may span lines). */
function flowSequence(text: string, key: string, from = 0): { values: number[]; end: number } {
  const at = text.indexOf(`${key}:`, from);
  if (at < 0) throw new Error(`expected a "${key}:" field, got none`);
  const open = text.indexOf('[', at);
  const close = text.indexOf(']', open);
  if (open < 0 || close < 0) throw new Error(`expected "${key}: [ … ]", got no bracketed list`);
  return { values: numbers(text.slice(open + 1, close), key), end: close + 1 };
}

function numbers(list: string, what: string): number[] {
  return list.split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isFinite(v)) throw new Error(`${what}: expected a number, got "${s.trim()}"`);
    return v;
  });
}

function scalar(text: string, key: string): string {
  const match = new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text);
  if (!match) throw new Error(`expected a "${key}:" field, got none`);
  return match[1]!;
}

export function convertBrisqueYaml(modelYaml: string, rangeYaml: string): Omit<BrisqueModelFile, 'source'> {
  if (scalar(modelYaml, 'svmType') !== 'EPS_SVR') throw new Error(`svmType: expected EPS_SVR, got ${scalar(modelYaml, 'svmType')}`);
  if (scalar(modelYaml, 'type') !== 'RBF') throw new Error(`kernel type: expected RBF, got ${scalar(modelYaml, 'type')}`);
  const varCount = Number(scalar(modelYaml, 'var_count'));
  if (varCount !== BRISQUE_FEATURE_COUNT) throw new Error(`var_count: expected ${BRISQUE_FEATURE_COUNT}, got ${varCount}`);
  const total = Number(scalar(modelYaml, 'sv_total'));
  // support_vectors: a block sequence of flow sequences, up to decision_functions.
  const svStart = modelYaml.indexOf('support_vectors:');
  const svEnd = modelYaml.indexOf('decision_functions:');
  if (svStart < 0 || svEnd < svStart) throw new Error('expected support_vectors: before decision_functions:, got neither in that order');
  const supportVectors = [...modelYaml.slice(svStart, svEnd).matchAll(/-\s*\[([^\]]*)\]/g)].map((m, i) => numbers(m[1]!, `support vector ${i}`));
  if (supportVectors.length !== total) throw new Error(`support_vectors: expected ${total} (sv_total), got ${supportVectors.length}`);
  const decision = modelYaml.slice(svEnd);
  if (/^\s*index:/m.test(decision)) throw new Error('decision function with an index list: not a one-function regression model');
  const alpha = flowSequence(decision, 'alpha').values;
  if (Number(scalar(decision, 'sv_count')) !== total || alpha.length !== total) throw new Error(`alpha: expected ${total} coefficients, got ${alpha.length}`);
  const range = flowSequence(rangeYaml, 'data').values;
  if (scalar(rangeYaml, 'rows') !== '2' || Number(scalar(rangeYaml, 'cols')) !== BRISQUE_FEATURE_COUNT || range.length !== 2 * BRISQUE_FEATURE_COUNT) {
    throw new Error(`range: expected a 2 × ${BRISQUE_FEATURE_COUNT} matrix (row 0 min, row 1 max), got ${range.length} values`);
  }
  return {
    format: 'brisque-svr-1',
    svmType: 'EPS_SVR',
    kernel: { type: 'RBF', gamma: Number(scalar(modelYaml, 'gamma')) },
    rho: Number(scalar(decision, 'rho')),
    supportVectors,
    alpha,
    range: { min: range.slice(0, BRISQUE_FEATURE_COUNT), max: range.slice(BRISQUE_FEATURE_COUNT) },
  };
}

function debianPackageVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown (not installed through dpkg)';
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const sourceDir = args.find((a) => a.startsWith('--source-dir='))?.slice('--source-dir='.length) ?? '/usr/share/opencv4/quality';
  const check = args.includes('--check');
  const modelYaml = readFileSync(path.join(sourceDir, MODEL_YAML), 'utf8');
  const rangeYaml = readFileSync(path.join(sourceDir, RANGE_YAML), 'utf8');
  const { format, ...converted } = convertBrisqueYaml(modelYaml, rangeYaml);
  const file: BrisqueModelFile = {
    format,
    source: {
      package: 'opencv-data (Debian)',
      version: debianPackageVersion('opencv-data'),
      files: [MODEL_YAML, RANGE_YAML].map((name) => ({ path: `usr/share/opencv4/quality/${name}`, sha256: sha256(readFileSync(path.join(sourceDir, name))) })),
      upstream: 'https://github.com/opencv/opencv_contrib/tree/4.x/modules/quality (samples/brisque_model_live.yml, samples/brisque_range_live.yml)',
      license: 'Apache-2.0 (opencv_contrib LICENSE; Debian opencv-data copyright: Files: * Apache-2.0 AND BSD-3-Clause)',
    },
    ...converted,
  };
  const text = `${JSON.stringify(file)}\n`;
  parseBrisqueModel(JSON.parse(text), 'converted model');
  const provenance = {
    id: 'brisque-live',
    task: 'imageQuality',
    description:
      'BRISQUE no-reference image quality: ε-SVR (RBF kernel, 774 support vectors) over the 36 BRISQUE features, trained on the LIVE Release 2 database as in the original BRISQUE release (OpenCV QualityBRISQUE documentation); score 0–100, lower is better. Features and prediction: src/quality/brisque.ts.',
    file: 'brisque-live.json',
    sha256: sha256(text),
    bytes: Buffer.byteLength(text),
    source: file.source,
    converter: 'scripts/brisque-model.ts',
  };
  const provenanceText = `${JSON.stringify(provenance, null, 2)}\n`;
  if (check) {
    const same = (p: string, t: string) => {
      try {
        return readFileSync(p, 'utf8') === t;
      } catch {
        return false;
      }
    };
    if (!same(modelOut, text) || !same(provenanceOut, provenanceText)) {
      console.error(`brisque-model: a fresh conversion (sha256 ${provenance.sha256}) differs from the committed models/brisque/ files`);
      process.exit(1);
    }
    console.log(`brisque-model: committed files match a fresh conversion (sha256 ${provenance.sha256})`);
    return;
  }
  mkdirSync(outDir, { recursive: true });
  for (const [p, t] of [
    [modelOut, text],
    [provenanceOut, provenanceText],
  ] as const) {
    writeFileSync(`${p}.tmp`, t);
    renameSync(`${p}.tmp`, p);
  }
  console.log(`brisque-model: wrote ${path.relative(root, modelOut)} (${provenance.bytes} bytes, sha256 ${provenance.sha256}) and provenance.json`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
