#!/usr/bin/env node
// Package bin for the operator CLI: `face-liveness <command> [--options]` = `npm run cli -- <command> …`.
import { runTsx } from './run-tsx.mjs';

runTsx('scripts/cli.ts');
