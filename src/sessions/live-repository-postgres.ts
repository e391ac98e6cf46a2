/**
 * Live agent mode's rows on PostgreSQL (DATABASE_URL): the same tables and statements as the SQLite runner
 * (./live-repository.ts), with BIGINT times and DOUBLE PRECISION scores. The per-app call limit is counted under a
 * transaction-scoped advisory lock on the app (pg_advisory_xact_lock, released at COMMIT or ROLLBACK:
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS), so two replicas taking calls for one
 * app at once cannot both pass the count; the one-call-per-agent rule is the unique partial index.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import type { StoreTransaction } from '../store/transaction.js';
import { LiveRepository, type LiveSql } from './live-repository.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_LIVE_MIGRATIONS = [
  `CREATE TABLE live_agents (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX live_agents_app ON live_agents (app_id);
  CREATE TABLE live_entries (
    session_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    queued_at BIGINT,
    wait_expires_at BIGINT,
    call_id TEXT,
    agent_id TEXT,
    last_end_reason TEXT
  );
  CREATE INDEX live_entries_waiting ON live_entries (app_id, state, priority, queued_at);
  CREATE TABLE live_calls (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT,
    end_reason TEXT,
    face_match_score DOUBLE PRECISION,
    liveness_score DOUBLE PRECISION
  );
  CREATE UNIQUE INDEX live_calls_one_per_agent ON live_calls (agent_id) WHERE ended_at IS NULL;
  CREATE INDEX live_calls_active ON live_calls (app_id) WHERE ended_at IS NULL;
  CREATE TABLE live_snapshots (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE INDEX live_snapshots_session ON live_snapshots (session_id);`,
  // Each snapshot keeps its own checks (live-repository.ts, the same migration for SQLite).
  `ALTER TABLE live_snapshots ADD COLUMN face_match_score DOUBLE PRECISION;
  ALTER TABLE live_snapshots ADD COLUMN liveness_score DOUBLE PRECISION;`,
];

/** The advisory lock's key space: hashtext of "live-app:<appId>" (a 32-bit key; a collision only serialises two apps). */
const APP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('live-app:' || $1))";

/** Applies the module's migrations, then answers the repository on `db`. */
export async function openPostgresLiveRepository(db: PostgresDatabase): Promise<LiveRepository> {
  await db.migrate('live', POSTGRES_LIVE_MIGRATIONS);
  const sql: LiveSql = {
    transaction: (work) => db.transaction(work),
    lockApp: async (tx: StoreTransaction, appId: string) => {
      await db.query(tx, APP_LOCK, [appId]);
    },
    query: async <T>(tx: StoreTransaction | undefined, text: string, params: readonly unknown[] = []) => {
      const result = await db.query(tx, text, [...params]);
      return { rows: result.rows as T[], changes: result.rowCount ?? 0 };
    },
  };
  return new LiveRepository(sql);
}
