import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { CheckLiveness } from '../pipeline/types.js';
import { createLivenessApi } from './liveness-api.js';

const never: CheckLiveness = () => Promise.reject(new Error('not called'));

describe('createLivenessApi', () => {
  it('without APPS_FILE: prints the embedded app key once and warns that links die on restart', async () => {
    const logs: string[] = [];
    const config = parseConfig({ CROPPED_IMAGE_DIR: mkdtempSync(path.join(tmpdir(), 'crops-')) });
    const { deps, close } = createLivenessApi(config, never, (m) => logs.push(m));
    const key = logs.join('\n').match(/embedded app appId=default appKey=(\S+) \(new on every start\)/)?.[1];
    expect(key).toBeDefined();
    expect(deps.apps.authenticate('default', key)).toBeDefined();
    expect(logs.join('\n')).toMatch(/no SIGNING_SECRET: .*die on restart/);
    expect(deps.rules.current().rules.length).toBeGreaterThan(0);
    expect(deps.bodyLimitBytes).toBe(10_485_760);
    await close();
  });

  it('a broken APPS_FILE stops start-up naming the file', () => {
    expect(() => createLivenessApi(parseConfig({ APPS_FILE: '/nonexistent/apps.json' }), never, () => {})).toThrow(/APPS_FILE \/nonexistent\/apps\.json/);
  });
});
