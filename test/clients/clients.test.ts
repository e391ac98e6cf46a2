/**
 * The vendor clients are what a customer would write from the vendors' documents: they must not lean on this service's
 * code. Each may import Node built-ins and the vendor's own SDK, nothing else (no src/, scripts/ or test helpers).
 * Imports are read with TypeScript's pre-processor, as test/architecture.test.ts reads them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dir = path.dirname(fileURLToPath(import.meta.url));
const clients = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
const ALLOWED = [/^node:/, /^tencentcloud-sdk-nodejs\//];

describe('test/clients', () => {
  it('holds the three vendor clients', () => {
    expect(clients.sort()).toEqual(['advance-ai.ts', 'hyperverge.ts', 'tencent-ess.ts']);
  });

  it.each(clients)('%s imports only Node built-ins and the vendor SDK', (name) => {
    const imports = ts.preProcessFile(readFileSync(path.join(dir, name), 'utf8'), true, true).importedFiles.map((f) => f.fileName);
    // The Tencent client loads the SDK with require() (createRequire): that specifier counts too.
    const required = [...readFileSync(path.join(dir, name), 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]!);
    expect([...imports, ...required].filter((spec) => !ALLOWED.some((a) => a.test(spec)))).toEqual([]);
  });
});
