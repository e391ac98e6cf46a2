#!/usr/bin/env node
// Before `npm test`: the capture-page test drives Debian's Chromium through playwright-core (which never
// downloads a browser here). Installs it with apt when missing and we may (root + apt-get), otherwise
// stops with the command to run. Set SKIP_CHROMIUM_CHECK=1 to bypass (the browser test then fails loudly).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
if (process.env.SKIP_CHROMIUM_CHECK === '1' || existsSync(CHROMIUM)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`${CHROMIUM} is missing: the browser tests need Debian's chromium. Install it with: sudo apt-get install -y chromium`);
  process.exit(1);
}
console.log('pretest: installing Debian chromium for the browser tests (apt-get install chromium)…');
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
