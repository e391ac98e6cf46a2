#!/usr/bin/env node
// Package bin for the benchmarks: `face-liveness-bench <mode> [--options]` = `npm run bench -- <mode> …`.
import { runTsx } from '../bin/run-tsx.mjs';

runTsx('bench/cli.ts');
