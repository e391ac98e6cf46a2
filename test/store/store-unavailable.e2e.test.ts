/**
 * A store out of reach stops start-up with STORE_UNAVAILABLE and a message that names the store and what to check: a
 * PostgreSQL server that refuses connections (the composition root, with the password kept out of the message), and
 * a bucket that does not exist (the real service, `tsx src/main.ts`, which must exit 1 before it listens).
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionsApi, type SessionsApiShared } from '../../src/app/sessions-api.js';
import { parseConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { startService } from '../helpers/server.js';
import { startTestS3Server, type TestS3Server } from './s3-test-server.js';

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startTestS3Server();
});
afterAll(async () => {
  await s3?.stop();
});

/** A loopback port nothing listens on (taken, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const s3Env = (bucket: string) => ({ S3_BUCKET: bucket, S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' });

describe('start-up with a store out of reach', () => {
  it('a PostgreSQL server that refuses connections: STORE_UNAVAILABLE naming DATABASE_URL, without the password', async () => {
    const port = await closedPort();
    const config = parseConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'store-down-')), ...s3Env(await s3.newBucket()), DATABASE_URL: `postgres://kyc:s3cret@127.0.0.1:${port}/kyc` });
    const failure = await createSessionsApi(config, {} as SessionsApiShared, () => {}).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
    const { message } = failure as AppError;
    expect(message).toMatch(new RegExp(`^the PostgreSQL database at postgres://kyc:\\[redacted\\]@127\\.0\\.0\\.1:${port}/kyc cannot be reached \\(check DATABASE_URL.*\\): .*ECONNREFUSED`));
    expect(message).not.toContain('s3cret');
  });

  it('a bucket that does not exist: the service says so and exits 1 without listening', async () => {
    const service = startService({ ...s3Env('no-such-bucket'), LOG_LEVEL: 'info' });
    try {
      // Start-up takes seconds (models load first); a process still running after a minute is serving.
      const stillRunning = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000).unref());
      expect(await Promise.race([service.exited, stillRunning])).toBe(1);
      expect(service.output()).toMatch(/start-up failed: the S3 bucket no-such-bucket cannot be reached \(check S3_ENDPOINT, S3_BUCKET, S3_REGION and the credentials\): NoSuchBucket/);
      expect(service.output()).not.toMatch(/listening on/);
    } finally {
      // A process that started serving after all (the check missing) must not outlive the test.
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });
});
