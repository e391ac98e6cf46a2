#!/usr/bin/env node
// Package bin for the operator CLI: `face-liveness <command> [--options]` = `npm run cli -- <command> …`.
// Runs scripts/cli.ts with the package's own tsx, from the package root (it finds models/, rules/ and the config
// defaults relative to it), and exits with its status.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsxCli = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
const result = spawnSync(process.execPath, [tsxCli, path.join(root, 'scripts', 'cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
if (result.error) {
  console.error(result.error.message);
  process.exit(1);
}
process.exit(result.status ?? (result.signal ? 1 : 0));
