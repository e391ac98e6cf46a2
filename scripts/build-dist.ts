/**
 * `npm run build`: src/ → dist/ as plain JavaScript, file for file (same layout, so that paths computed from a module's
 * own URL, such as config.ts's repoRoot, main.ts's ../package.json and the capture page's assets, resolve the same), so
 * that `npm start` runs with no TypeScript loader. Then it copies the files that are not TypeScript (the capture page's
 * static assets) and stamps the build (src/build-info.ts: the service warns when src/ is newer than dist/).
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

/** Files under src/ that are not TypeScript and that the service reads at run time, relative to src/. */
const ASSETS = ['capture/page'];

/** Every TypeScript source under `dir`, tests left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const started = Date.now();
rmSync(out, { recursive: true, force: true });
const entryPoints = sources(srcDir);
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
for (const asset of ASSETS) {
  mkdirSync(path.dirname(path.join(out, asset)), { recursive: true });
  cpSync(path.join(srcDir, asset), path.join(out, asset), { recursive: true });
}
if (!existsSync(path.join(out, 'main.js'))) throw new Error(`build: ${out}/main.js missing after the build`);
writeFileSync(path.join(out, BUILD_INFO_FILE), `${JSON.stringify({ builtAt: new Date().toISOString(), newestSourceMtimeMs: newestSourceMtimeMs(srcDir) })}\n`);
console.log(`build: ${entryPoints.length} files, src/ → ${path.relative(root, out)}/ in ${Date.now() - started} ms`);
