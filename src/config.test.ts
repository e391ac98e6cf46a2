import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

describe('parseConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = parseConfig({});
    expect(c.port).toBe(3000);
    expect(c.executionProvider).toBe('cpu');
    expect(c.intraOpThreads).toBe(0);
    expect(c.modelsDir.endsWith('models')).toBe(true);
    expect(c.modelPacksDir).toBe(`${c.modelsDir}/packs`);
    expect(c.shutdownGraceMs).toBe(10_000);
  });

  it('reads numbers and the provider from strings', () => {
    const c = parseConfig({ PORT: '8080', EXECUTION_PROVIDER: 'cuda', ORT_INTRA_OP_THREADS: '2', SHUTDOWN_GRACE_SECONDS: '3' });
    expect(c).toMatchObject({ port: 8080, executionProvider: 'cuda', intraOpThreads: 2, shutdownGraceMs: 3000 });
  });

  it('rejects bad values naming the variable', () => {
    expect(() => parseConfig({ EXECUTION_PROVIDER: 'tpu' })).toThrow(/EXECUTION_PROVIDER/);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ ORT_INTRA_OP_THREADS: '-1' })).toThrow(/ORT_INTRA_OP_THREADS/);
  });
});
