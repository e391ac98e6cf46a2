// Shared by the package bins (bin/face-liveness.mjs, bench/bin.mjs): runs one of the package's TypeScript entry points
// with the package's own tsx, from the package root (they find models/, rules/ and ../shared/data relative to it), with
// the caller's arguments, and exits with its status.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function runTsx(script) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const require = createRequire(import.meta.url);
  const tsxCli = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  const result = spawnSync(process.execPath, [tsxCli, path.join(root, script), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
  if (result.error) {
    console.error(result.error.message);
    process.exit(1);
  }
  process.exit(result.status ?? (result.signal ? 1 : 0));
}
