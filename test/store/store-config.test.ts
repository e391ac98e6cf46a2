import path from 'node:path';
import { inspect } from 'node:util';
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

  it('DATABASE_URL: PostgreSQL for replicas, needs S3_BUCKET, and never prints its password', () => {
    const s3 = { S3_BUCKET: 'kyc-media' };
    expect(parseConfig({}).database).toBeUndefined();
    const c = parseConfig({ ...s3, DATABASE_URL: 'postgres://kyc:s3cret@db:5432/kyc' });
    expect(c.database!.url.connectionString()).toBe('postgres://kyc:s3cret@db:5432/kyc');
    expect(c.database).toMatchObject({ maxConnections: 10, jobLeaseMs: 30_000 });
    expect(JSON.stringify(c.database)).not.toContain('s3cret');
    expect(String(c.database!.url)).toBe('postgres://kyc:[redacted]@db:5432/kyc');
    expect(inspect(c.database)).not.toContain('s3cret');
    expect(parseConfig({ ...s3, DATABASE_URL: 'postgresql://db/kyc', DATABASE_MAX_CONNECTIONS: '4', JOB_LEASE_SECONDS: '90' }).database).toMatchObject({ maxConnections: 4, jobLeaseMs: 90_000 });
    expect(parseConfig({ DATABASE_URL: '' }).database).toBeUndefined();
    expect(() => parseConfig({ ...s3, DATABASE_URL: 'mysql://db/kyc' })).toThrow(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(() => parseConfig({ DATABASE_URL: 'postgres://db/kyc' })).toThrow(/DATABASE_URL needs S3_BUCKET/);
    expect(() => parseConfig({ ...s3, DATABASE_URL: 'postgres://db/kyc', JOB_LEASE_SECONDS: '0' })).toThrow(/JOB_LEASE_SECONDS/);
  });
});
