/**
 * A real S3-compatible server for the store tests: s3rver (https://github.com/jamhall/s3rver), an S3 API
 * implementation on plain files that speaks signature V4, multipart upload, Range and DeleteObjects, started
 * in-process on a free port by the test that needs it and stopped by it. Not a production store: the code under
 * test uses only the S3 API, so MinIO and AWS S3 take the same requests.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3Credentials } from '../../src/config.js';
import { createS3Client } from '../../src/store/s3-media-store.js';

/** s3rver's built-in account (its README, "Supported methods / authentication"). */
const ACCOUNT_KEY = 'S3RVER';
const ACCOUNT = new S3Credentials(ACCOUNT_KEY, ACCOUNT_KEY);

export interface TestS3Env {
  S3_BUCKET: string;
  S3_ENDPOINT: string;
  S3_FORCE_PATH_STYLE: 'true';
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
}

export interface TestS3Server {
  endpoint: string;
  /** A client as the service builds it (path-style, static keys); `commands` collects the name of every command it sends. */
  client(commands?: string[]): S3Client;
  /** Creates an empty bucket with a fresh name. */
  newBucket(): Promise<string>;
  /** Creates an empty bucket and answers the service's S3_* variables for it (path-style, s3rver's account). */
  newBucketEnv(): Promise<TestS3Env>;
  /** Keys in `bucket`, sorted. */
  keys(bucket: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startTestS3Server(): Promise<TestS3Server> {
  const directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (commands?: string[]) => {
    const created = createS3Client({ bucket: 'unused', endpoint, region: 'us-east-1', forcePathStyle: true, credentials: ACCOUNT, keyPrefix: '' });
    if (commands) {
      created.middlewareStack.add(
        (next, context) => async (args) => {
          commands.push(context.commandName ?? 'unknown');
          return next(args);
        },
        { step: 'initialize', name: 'recordCommandNames' },
      );
    }
    return created;
  };
  const admin = client();
  const newBucket = async () => {
    const bucket = `test-${randomUUID()}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  };
  return {
    endpoint,
    client,
    newBucket,
    async newBucketEnv() {
      return {
        S3_BUCKET: await newBucket(),
        S3_ENDPOINT: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: ACCOUNT_KEY,
        S3_SECRET_ACCESS_KEY: ACCOUNT_KEY,
      };
    },
    async keys(bucket) {
      const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async stop() {
      admin.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
