/**
 * The metadata stores of one backend, for the store contract suites (test/store/*.contract.test.ts): the embedded
 * SQLite file, or PostgreSQL (a fresh database on the file's test cluster, test/helpers/postgres.ts). The suites open
 * them through test/helpers/store-backends.ts, which also starts the servers and closes what a test opened. Both come with
 * their transaction runner and a way to open a second "replica" on the same data (PostgreSQL: another pool).
 */
import { openDatabase, type Db } from '../../src/store/database.js';
import type { JobQueue } from '../../src/store/job-queue.js';
import type { MediaRows } from '../../src/store/media-rows.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { PostgresJobQueue, type PostgresJobQueueOptions } from '../../src/store/postgres-job-queue.js';
import { PostgresMediaRows } from '../../src/store/postgres-media-rows.js';
import { PostgresWebhookStore } from '../../src/store/postgres-webhooks.js';
import { sqliteGate } from '../../src/store/sqlite-gate.js';
import { SqliteJobQueue } from '../../src/store/sqlite-job-queue.js';
import { SqliteMediaRows } from '../../src/store/sqlite-media-rows.js';
import { SqliteWebhookStore } from '../../src/store/sqlite-webhooks.js';
import type { TransactionRunner } from '../../src/store/transaction.js';
import type { WebhookStore } from '../../src/store/webhooks.js';
import { SqliteChallengeRepository, type ChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { PostgresChallengeRepository } from '../../src/sessions/challenge-repository-postgres.js';
import { SqliteRecordingAttempts, type RecordingAttempts } from '../../src/sessions/recording-attempts.js';
import { PostgresRecordingAttempts } from '../../src/sessions/recording-attempts-postgres.js';
import { SqliteRecordingFingerprintRepository, type RecordingFingerprintRepository } from '../../src/sessions/recording-fingerprints.js';
import { PostgresRecordingFingerprintRepository } from '../../src/sessions/recording-fingerprints-postgres.js';
import { SqliteSessionHeadPoseStore, type SessionHeadPoseStore } from '../../src/sessions/session-head-pose.js';
import { PostgresSessionHeadPoseStore } from '../../src/sessions/session-head-pose-postgres.js';
import { SqliteSessionRepository, type SessionRepository } from '../../src/sessions/session-repository.js';
import { PostgresSessionRepository } from '../../src/sessions/session-repository-postgres.js';

/** What a job queue is built with in these suites (the SQLite and PostgreSQL options share these). */
export type QueueOptions = Omit<PostgresJobQueueOptions, 'db'>;

export interface MetadataStores {
  kind: 'sqlite' | 'postgres';
  runner: TransactionRunner;
  sessions: SessionRepository;
  challenges: ChallengeRepository;
  fingerprints: RecordingFingerprintRepository;
  headPose: SessionHeadPoseStore;
  recordings: RecordingAttempts;
  webhooks: WebhookStore;
  mediaRows: MediaRows;
  jobs(options?: QueueOptions): Promise<JobQueue & { runDue(): Promise<number> }>;
  /** Runs one SQL statement on the backend (test set-up and inspection), `?` placeholders numbered for PostgreSQL. */
  sql<R = Record<string, unknown>>(text: string, ...values: unknown[]): Promise<R[]>;
  /** The same data from another process's point of view (PostgreSQL: a second pool, as a second replica has). */
  replica(): Promise<MetadataStores>;
  close(): Promise<void>;
}

export function sqliteStores(now: () => number, db: Db = openDatabase(':memory:'), owner = true): MetadataStores {
  return {
    kind: 'sqlite',
    runner: sqliteGate(db),
    sessions: new SqliteSessionRepository(db, now),
    challenges: new SqliteChallengeRepository(db, now),
    fingerprints: new SqliteRecordingFingerprintRepository(db, now),
    headPose: new SqliteSessionHeadPoseStore(db),
    recordings: new SqliteRecordingAttempts(db, now),
    webhooks: new SqliteWebhookStore(db),
    mediaRows: new SqliteMediaRows(db),
    jobs: async (options = {}) => {
      const { leaseMs: _leaseMs, ...rest } = options;
      return new SqliteJobQueue({ db, clock: now, ...rest });
    },
    sql: async <R,>(text: string, ...values: unknown[]) => {
      const statement = db.prepare(text);
      return (statement.reader ? statement.all(...values) : (statement.run(...values), [])) as R[];
    },
    // One process per SQLite file: a "replica" is the same connection (the embedded store is never shared).
    replica: async () => sqliteStores(now, db, false),
    close: async () => {
      if (owner) db.close();
    },
  };
}

export async function postgresStores(now: () => number, url: string): Promise<MetadataStores> {
  const db = new PostgresDatabase(url, { log: () => {} });
  return {
    kind: 'postgres',
    runner: db,
    sessions: await PostgresSessionRepository.open(db, now),
    challenges: await PostgresChallengeRepository.open(db, now),
    fingerprints: await PostgresRecordingFingerprintRepository.open(db, now),
    headPose: await PostgresSessionHeadPoseStore.open(db),
    recordings: await PostgresRecordingAttempts.open(db, now),
    webhooks: await PostgresWebhookStore.open(db),
    mediaRows: await PostgresMediaRows.open(db),
    jobs: (options = {}) => PostgresJobQueue.open({ db, clock: now, ...options }),
    sql: async <R,>(text: string, ...values: unknown[]) => {
      let n = 0;
      return (await db.query(undefined, text.replace(/\?/g, () => `$${++n}`), values)).rows as R[];
    },
    replica: () => postgresStores(now, url),
    close: () => db.close(),
  };
}
