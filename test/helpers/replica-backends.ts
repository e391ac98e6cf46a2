/**
 * The service on shared backends, for the tests of several replicas (test/store/replicas.test.ts,
 * live-replicas.test.ts, replicas.e2e.test.ts) and of the S3 bucket (test/store/presigned-urls.test.ts): the file's
 * servers from useStoreBackends (./store-backends.ts: PostgreSQL, s3rver), plus, when asked, a webhook receiver on
 * 127.0.0.1 that records every delivery and checks its signature, and `sessionsApi()`: the sessions API as
 * createSessionsApi builds it from the service's own variables, one per replica.
 *
 * Cleaned up: each API is closed after its test (afterEach, with what else the test opened); the receiver is stopped
 * and the temp directories (DATA_DIR, crop directories) removed in afterAll, before the servers stop (their cluster,
 * with every database the file made, and their bucket directory are removed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createSessionsApi, type SessionsApiShared } from '../../src/app/sessions-api.js';
import { parseConfig } from '../../src/config.js';
import { AppRegistry, sha256Hex } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import type { VerifyVideo } from '../../src/pipeline/verify-video.js';
import { verifySignature } from '../../src/webhooks/sign.js';
import type { TestS3Env } from '../store/s3-test-server.js';
import { DEFAULT_RULES, testApp, type TestApp } from './contract.js';
import { useStoreBackends, type StoreBackends } from './store-backends.js';
import { videoVerification } from './video-verification.js';

/** The receiver's webhook secret (the app's webhookSecret, or the replica process's WEBHOOK_SECRET): src/http/apps.ts asks for 32 characters or more. */
export const RECEIVER_SECRET = 'receiver-secret-0123456789abcdef0123';
/** SIGNING_SECRET of every replica: shared, so a link one signs the other accepts (src/config.ts: at least 32 characters). */
const SHARED_SIGNING_SECRET = 'shared-signing-secret-of-at-least-32-chars';

/** One delivery as the receiver saw it: X-Webhook-Id, the body's event, and whether X-Webhook-Signature matched. */
export interface ReceivedWebhook {
  id: string;
  event: string;
  verified: boolean;
}

export type SharedEnv = TestS3Env & { SIGNING_SECRET: string; DATABASE_URL?: string };

export interface ReplicaBackends extends StoreBackends {
  /** Every delivery the receiver got in this file, in order. */
  received: ReceivedWebhook[];
  /** Where the receiver listens (POST; answers 200). Only with `{ webhookReceiver: true }`. */
  receiverUrl(): string;
  /** The app `kyc` (key `kyc-key`, every API); with `webhooks`, its events go to the receiver, signed with RECEIVER_SECRET. */
  apps(options?: { webhooks?: boolean }): AppRegistry;
  /** What every replica shares: a new database's DATABASE_URL (unless `{ postgres: false }`), a new bucket's S3_*, SIGNING_SECRET. */
  sharedEnv(): Promise<SharedEnv>;
  /** A new temp directory named after `name`, removed in afterAll. */
  tempDir(name: string): string;
  /**
   * The sessions API built by createSessionsApi from `env` and its own DATA_DIR, with an app around it for
   * app.request(); closed after the test. `verifyVideo` defaults to an approving double.
   */
  sessionsApi(name: string, env: Record<string, string>, shared: { apps: AppRegistry; verifyVideo?: VerifyVideo }): Promise<{ api: Awaited<ReturnType<typeof createSessionsApi>>; app: TestApp }>;
}

export function useReplicaBackends(options: { postgres?: boolean; s3: true; webhookReceiver?: boolean }): ReplicaBackends {
  const backends = useStoreBackends(options);
  const received: ReceivedWebhook[] = [];
  const directories: string[] = [];
  let receiver: Server | undefined;
  let receiverUrl: string | undefined;

  beforeAll(async () => {
    if (!options.webhookReceiver) return;
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({
          id: request.headers['x-webhook-id'] as string,
          event: (JSON.parse(body) as { event: string }).event,
          verified: verifySignature(RECEIVER_SECRET, body, request.headers['x-webhook-signature'] as string | undefined).ok,
        });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  });
  afterAll(async () => {
    receiver?.closeAllConnections();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  const tempDir = (name: string) => {
    const directory = mkdtempSync(path.join(tmpdir(), `${name}-`));
    directories.push(directory);
    return directory;
  };
  const url = () => {
    if (!receiverUrl) throw new Error('the webhook receiver is not running (useReplicaBackends starts it in beforeAll with { webhookReceiver: true })');
    return receiverUrl;
  };

  return {
    ...backends,
    received,
    receiverUrl: url,
    apps: ({ webhooks = false } = {}) =>
      new AppRegistry([{ appId: 'kyc', appKeySha256: sha256Hex('kyc-key'), allowedApis: ['*'], ...(webhooks ? { webhookUrl: url(), webhookSecret: RECEIVER_SECRET } : {}) }]),
    async sharedEnv() {
      const [databaseUrl, bucketEnv] = await Promise.all([options.postgres === false ? undefined : backends.postgres().newDatabase(), backends.s3().newBucketEnv()]);
      return { ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...bucketEnv, SIGNING_SECRET: SHARED_SIGNING_SECRET };
    },
    tempDir,
    async sessionsApi(name, env, { apps, verifyVideo = async () => videoVerification() }) {
      const shared: SessionsApiShared = {
        apps,
        rateLimiter: new RateLimiter(),
        concurrency: new ConcurrencyLimiter(1, 0),
        rules: { current: () => DEFAULT_RULES },
        verifyVideo,
      };
      const api = await createSessionsApi(parseConfig({ ...env, DATA_DIR: tempDir(`sessions-${name}`) }), shared, () => {});
      backends.afterTest(() => api.close());
      return { api, app: testApp({ sessions: api.deps }) };
    },
  };
}
