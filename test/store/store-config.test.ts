import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

describe('parseConfig: store, media and job settings', () => {
  it('applies the documented defaults', () => {
    const c = parseConfig({});
    expect(c.dataDir).toBe(path.resolve(import.meta.dirname, '../../data'));
    expect(c.media).toEqual({ evidenceRetentionMs: 3 * 24 * 3600 * 1000, maxBytes: 64 * 1024 * 1024, sweepIntervalMs: 60_000 });
    expect(c.jobs).toEqual({ pollIntervalMs: 1000, concurrency: 1, maxAttempts: 3, backoffBaseMs: 1000 });
  });

  it('reads the variables and rejects bad values naming them', () => {
    const c = parseConfig({ DATA_DIR: 'var/store', EVIDENCE_RETENTION_DAYS: '30', MEDIA_MAX_BYTES: '2048', JOB_MAX_ATTEMPTS: '5', JOB_BACKOFF_BASE_MS: '250', JOB_CONCURRENCY: '2' });
    expect(c.dataDir).toBe(path.resolve('var/store'));
    expect(c.media.evidenceRetentionMs).toBe(30 * 86_400_000);
    expect(c.media.maxBytes).toBe(2048);
    expect(c.jobs).toMatchObject({ maxAttempts: 5, backoffBaseMs: 250, concurrency: 2 });
    expect(() => parseConfig({ EVIDENCE_RETENTION_DAYS: '0' })).toThrow(/EVIDENCE_RETENTION_DAYS/);
    expect(() => parseConfig({ JOB_MAX_ATTEMPTS: '0' })).toThrow(/JOB_MAX_ATTEMPTS/);
    expect(() => parseConfig({ MEDIA_MAX_BYTES: 'lots' })).toThrow(/MEDIA_MAX_BYTES/);
  });
});
