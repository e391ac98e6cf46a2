/**
 * `npm run build`: src/ → dist/ as plain JavaScript, file for file (same layout, so that paths computed from a module's
 * own URL, such as config.ts's repoRoot, main.ts's ../package.json and the capture page's assets, resolve the same), so
 * that `npm start` runs with no TypeScript loader. Then it copies the files that are not TypeScript (the capture page's
 * and the agent console's static assets) and stamps the build (src/build-info.ts: the service warns when src/ is newer than dist/).
 *
 * esbuild transpiles (type annotations removed, nothing bundled or minified): it is a production dependency (tsx runs on
 * it), so a production install (`npm ci --omit=dev`) can build too. It does not type-check; `npm test` runs `tsc
 * --noEmit` over the same sources. Runs at install (package.json postinstall), after the models.
 *
 * Flag: --out=DIR (default dist; a directory beside src/, as the layout requires).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUILD_INFO_FILE, newestSourceMtimeMs } from '../src/build-info.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'src');
const out = path.resolve(root, process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? 'dist');
if (path.dirname(out) !== root) throw new Error(`build: --out must be a directory beside src/ (in ${root}), got ${out}`);

/**
 * The worker threads' entries for running from source (they register tsx, then load the TypeScript worker): the only
 * files under src/ that are neither TypeScript nor read by the service at run time, so not copied. Every other file that
 * is not TypeScript (the capture page's and the agent console's static assets) is copied as it is.
 */
const SOURCE_ONLY = /-worker-entry\.mjs$/;
/**
 * What `node dist/main.js` loads by path rather than by import, relative to the output: the entry, and the worker
 * threads' scripts (a compiled module starts its worker's compiled .js; from source, a .mjs entry that registers tsx).
 */
const ENTRY_FILES = ['main.js', 'inference/inference-worker.js', 'pipeline/liveness-photo-worker.js'];

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}
const isTypeScript = (file: string) => file.endsWith('.ts');

const started = Date.now();
rmSync(out, { recursive: true, force: true });
const files = filesUnder(srcDir);
// Every TypeScript source, tests left out.
const entryPoints = files.filter((file) => isTypeScript(file) && !file.endsWith('.test.ts'));
const assets = files.filter((file) => !isTypeScript(file) && !SOURCE_ONLY.test(file));
await build({
  entryPoints,
  outdir: out,
  outbase: srcDir,
  bundle: false,
  format: 'esm',
  platform: 'node',
  // package.json engines / the Node this project runs on (README "Requirements").
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
for (const asset of assets) {
  const target = path.join(out, path.relative(srcDir, asset));
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(asset, target);
}
for (const file of ENTRY_FILES) if (!existsSync(path.join(out, file))) throw new Error(`build: ${out}/${file} missing after the build`);
writeFileSync(path.join(out, BUILD_INFO_FILE), `${JSON.stringify({ builtAt: new Date().toISOString(), newestSourceMtimeMs: newestSourceMtimeMs(srcDir) })}\n`);
console.log(`build: ${entryPoints.length} files compiled and ${assets.length} copied, src/ → ${path.relative(root, out)}/ in ${Date.now() - started} ms`);
