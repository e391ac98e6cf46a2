/**
 * The compiled build's stamp (dist/build-info.json, written by scripts/build-dist.ts): when the service runs from
 * dist/ in a checkout whose src/ changed since, it says so at start-up instead of silently serving old code.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const BUILD_INFO_FILE = 'build-info.json';

/** The newest modification time of the TypeScript sources under `dir`, ms since the epoch (0 when there are none). */
export function newestSourceMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtimeMs(full));
    else if (/\.(m?ts|mjs|html|css|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * For a service running from a compiled build directory `buildDir` (dist/): a warning when `srcDir` holds sources
 * newer than the build, else undefined. Nothing to say when running from src/ (no stamp) or without a src/ beside it
 * (an image that ships dist/ only).
 */
export function staleBuildWarning(buildDir: string, srcDir: string): string | undefined {
  const stampFile = path.join(buildDir, BUILD_INFO_FILE);
  if (!existsSync(stampFile) || !existsSync(srcDir)) return undefined;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { builtAt: string; newestSourceMtimeMs: number };
  const newest = newestSourceMtimeMs(srcDir);
  if (newest <= stamp.newestSourceMtimeMs) return undefined;
  return `dist/ was built ${stamp.builtAt} and src/ changed since (newest file ${new Date(newest).toISOString()}): run \`npm run build\`, or \`npm run dev\` to serve from src/`;
}
