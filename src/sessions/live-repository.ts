/**
 * Live agent mode's durable state (README "Live agent mode"): the app's agents, each live_agent session's place in the
 * queue, the calls and the agents' snapshots. The rules live in live-calls.ts; this file only reads and writes rows.
 *
 * One repository over two databases: the statements are written once with `$n` parameters and run by a `LiveSql`
 * runner, the embedded SQLite file's (`sqliteLiveSql`, below) or PostgreSQL's (./live-repository-postgres.ts), each with
 * its own append-only migrations. Writes that must commit together (a call and the queue entry it takes, a decision
 * and its session update) run in one `transaction` of the sessions' database and pass its `tx`.
 *
 * Limits the database itself keeps: an agent has at most one call in progress (a unique index over the calls not yet
 * ended: two replicas taking two people for one agent cannot both insert); the per-app limit is counted under the
 * app's lock (`lockApp`: SQLite's single writer; a PostgreSQL advisory lock).
 */
import type Database from 'better-sqlite3';
import { migrate, type Db } from '../store/database.js';
import { sqliteGate } from '../store/sqlite-gate.js';
import type { StoreTransaction, TransactionRunner } from '../store/transaction.js';

/** An agent of an app (Verilock's "Dashboard > Video KYC > Agents"). */
export interface LiveAgent {
  /** `agent_<uuid>`. */
  id: string;
  appId: string;
  name: string;
  /** ms since the epoch. */
  createdAt: number;
}

/** Where a live session's person is: not in the queue (never joined, left, or dropped), waiting, in a call, or done. */
export type LiveState = 'not_joined' | 'waiting' | 'in_call' | 'ended';
/** Why a call (or the wait) ended: the agent decided, the call dropped (hang-up, leave, lost stream), no agent in time, the call ran too long. */
export type LiveEndReason = 'decided' | 'dropped' | 'expired' | 'timeout';

/** A live session's place in the queue. Absent row = not_joined. */
export interface LiveEntry {
  sessionId: string;
  appId: string;
  state: LiveState;
  /** 1 after a dropped call (back at the head of the queue), else 0; the queue is ordered by priority, then queuedAt. */
  priority: number;
  /** When the person (re)joined the queue, ms since the epoch. */
  queuedAt: number | null;
  /** While waiting: when the session expires if no agent takes it, ms since the epoch. */
  waitExpiresAt: number | null;
  /** The call in progress (in_call) or the last one. */
  callId: string | null;
  agentId: string | null;
  /** Why the last call or wait ended; null before any. */
  lastEndReason: LiveEndReason | null;
}

/** The automatic checks the agent sees (0–100, Verilock's scale; null when they could not be computed). */
export interface LiveChecks {
  faceMatchScore: number | null;
  livenessScore: number | null;
}

export interface LiveCall {
  /** `call_<uuid>`. */
  id: string;
  appId: string;
  sessionId: string;
  agentId: string;
  /** ms since the epoch. */
  startedAt: number;
  /** startedAt + LIVE_CALL_MAX_SECONDS. */
  expiresAt: number;
  endedAt: number | null;
  endReason: LiveEndReason | null;
  checks: LiveChecks;
}

export interface LiveSnapshot {
  /** `snp_<uuid>`. */
  id: string;
  callId: string;
  sessionId: string;
  appId: string;
  /** The image in the media store (the app's evidence retention). */
  mediaId: string;
  createdAt: number;
  /** The automatic checks of this snapshot (its liveness, its match with the session's photos). */
  checks: LiveChecks;
}

/** Runs one statement written with `$1…$n` parameters; `changes`: rows written. */
export interface LiveSql extends TransactionRunner {
  query<T>(tx: StoreTransaction | undefined, sql: string, params?: readonly unknown[]): Promise<{ rows: T[]; changes: number }>;
  /** Serialises the per-app limit check with other takes of the same app until `tx` ends. */
  lockApp(tx: StoreTransaction, appId: string): Promise<void>;
}

/** SQLite's migrations (database.ts `migrate`, module "live"); times are ms since the epoch. */
export const SQLITE_LIVE_MIGRATIONS = [
  `CREATE TABLE live_agents (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  )`,
  'CREATE INDEX live_agents_app ON live_agents (app_id)',
  `CREATE TABLE live_entries (
    session_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    state TEXT NOT NULL,
    priority INTEGER NOT NULL,
    queued_at INTEGER,
    wait_expires_at INTEGER,
    call_id TEXT,
    agent_id TEXT,
    last_end_reason TEXT
  )`,
  'CREATE INDEX live_entries_waiting ON live_entries (app_id, state, priority, queued_at)',
  `CREATE TABLE live_calls (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    end_reason TEXT,
    face_match_score REAL,
    liveness_score REAL
  )`,
  'CREATE UNIQUE INDEX live_calls_one_per_agent ON live_calls (agent_id) WHERE ended_at IS NULL',
  'CREATE INDEX live_calls_active ON live_calls (app_id) WHERE ended_at IS NULL',
  `CREATE TABLE live_snapshots (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`,
  'CREATE INDEX live_snapshots_session ON live_snapshots (session_id)',
  // Each snapshot keeps its own checks: they no longer replace the call's (the selfie's), which the agent keeps seeing.
  'ALTER TABLE live_snapshots ADD COLUMN face_match_score REAL',
  'ALTER TABLE live_snapshots ADD COLUMN liveness_score REAL',
];

/** An agent already has a call in progress (the unique index refused the second). */
export class AgentBusyError extends Error {
  constructor(agentId: string) {
    super(`agent ${agentId} already has a call in progress (one call per agent)`);
    this.name = 'AgentBusyError';
  }
}

interface EntryRow {
  session_id: string;
  app_id: string;
  state: string;
  priority: number;
  queued_at: number | null;
  wait_expires_at: number | null;
  call_id: string | null;
  agent_id: string | null;
  last_end_reason: string | null;
}

interface CallRow {
  id: string;
  app_id: string;
  session_id: string;
  agent_id: string;
  started_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
  face_match_score: number | null;
  liveness_score: number | null;
}

const entryFromRow = (r: EntryRow): LiveEntry => ({
  sessionId: r.session_id,
  appId: r.app_id,
  state: r.state as LiveState,
  priority: r.priority,
  queuedAt: r.queued_at,
  waitExpiresAt: r.wait_expires_at,
  callId: r.call_id,
  agentId: r.agent_id,
  lastEndReason: r.last_end_reason as LiveEndReason | null,
});

const callFromRow = (r: CallRow): LiveCall => ({
  id: r.id,
  appId: r.app_id,
  sessionId: r.session_id,
  agentId: r.agent_id,
  startedAt: r.started_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endReason: r.end_reason as LiveEndReason | null,
  checks: { faceMatchScore: r.face_match_score, livenessScore: r.liveness_score },
});

/** The waiting order: people back from a dropped call first, then first come first served. */
const QUEUE_ORDER = 'ORDER BY priority DESC, queued_at ASC, session_id ASC';

/** Whether an error is a unique-constraint violation (SQLite's SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's 23505). */
const isUniqueViolation = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
};

export class LiveRepository implements TransactionRunner {
  constructor(private readonly sql: LiveSql) {}

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  lockApp(tx: StoreTransaction, appId: string): Promise<void> {
    return this.sql.lockApp(tx, appId);
  }

  async createAgent(agent: LiveAgent, tokenSha256: string): Promise<void> {
    await this.sql.query(undefined, 'INSERT INTO live_agents (id, app_id, name, token_sha256, created_at) VALUES ($1, $2, $3, $4, $5)', [agent.id, agent.appId, agent.name, tokenSha256, agent.createdAt]);
  }

  /** The app's agents, oldest first, each with its call in progress (or null). */
  async agents(appId: string): Promise<(LiveAgent & { activeCallId: string | null })[]> {
    const { rows } = await this.sql.query<{ id: string; app_id: string; name: string; created_at: number; active_call_id: string | null }>(
      undefined,
      `SELECT a.id, a.app_id, a.name, a.created_at, c.id AS active_call_id FROM live_agents a
       LEFT JOIN live_calls c ON c.agent_id = a.id AND c.ended_at IS NULL
       WHERE a.app_id = $1 ORDER BY a.created_at ASC, a.id ASC`,
      [appId],
    );
    return rows.map((r) => ({ id: r.id, appId: r.app_id, name: r.name, createdAt: r.created_at, activeCallId: r.active_call_id }));
  }

  async agentByTokenSha256(tokenSha256: string): Promise<LiveAgent | undefined> {
    const { rows } = await this.sql.query<{ id: string; app_id: string; name: string; created_at: number }>(undefined, 'SELECT id, app_id, name, created_at FROM live_agents WHERE token_sha256 = $1', [tokenSha256]);
    const r = rows[0];
    return r ? { id: r.id, appId: r.app_id, name: r.name, createdAt: r.created_at } : undefined;
  }

  async agent(appId: string, id: string): Promise<LiveAgent | undefined> {
    const { rows } = await this.sql.query<{ id: string; app_id: string; name: string; created_at: number }>(undefined, 'SELECT id, app_id, name, created_at FROM live_agents WHERE id = $1 AND app_id = $2', [id, appId]);
    const r = rows[0];
    return r ? { id: r.id, appId: r.app_id, name: r.name, createdAt: r.created_at } : undefined;
  }

  async deleteAgent(appId: string, id: string, tx?: StoreTransaction): Promise<boolean> {
    return (await this.sql.query(tx, 'DELETE FROM live_agents WHERE id = $1 AND app_id = $2', [id, appId])).changes === 1;
  }

  async entry(sessionId: string, tx?: StoreTransaction): Promise<LiveEntry | undefined> {
    const { rows } = await this.sql.query<EntryRow>(tx, 'SELECT * FROM live_entries WHERE session_id = $1', [sessionId]);
    return rows[0] ? entryFromRow(rows[0]) : undefined;
  }

  async saveEntry(e: LiveEntry, tx?: StoreTransaction): Promise<void> {
    await this.sql.query(
      tx,
      `INSERT INTO live_entries (session_id, app_id, state, priority, queued_at, wait_expires_at, call_id, agent_id, last_end_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, priority = excluded.priority, queued_at = excluded.queued_at,
         wait_expires_at = excluded.wait_expires_at, call_id = excluded.call_id, agent_id = excluded.agent_id, last_end_reason = excluded.last_end_reason`,
      [e.sessionId, e.appId, e.state, e.priority, e.queuedAt, e.waitExpiresAt, e.callId, e.agentId, e.lastEndReason],
    );
  }

  /** The app's queue, head first. */
  async waiting(appId: string, tx?: StoreTransaction): Promise<LiveEntry[]> {
    const { rows } = await this.sql.query<EntryRow>(tx, `SELECT * FROM live_entries WHERE app_id = $1 AND state = 'waiting' ${QUEUE_ORDER}`, [appId]);
    return rows.map(entryFromRow);
  }

  /** Waiting entries of every app whose wait ended at or before `now`. */
  async waitingPastExpiry(now: number): Promise<LiveEntry[]> {
    const { rows } = await this.sql.query<EntryRow>(undefined, "SELECT * FROM live_entries WHERE state = 'waiting' AND wait_expires_at <= $1", [now]);
    return rows.map(entryFromRow);
  }

  /** Inserts a call; AgentBusyError when its agent already has one in progress. */
  async insertCall(call: LiveCall, tx: StoreTransaction): Promise<void> {
    try {
      await this.sql.query(
        tx,
        'INSERT INTO live_calls (id, app_id, session_id, agent_id, started_at, expires_at, ended_at, end_reason, face_match_score, liveness_score) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL)',
        [call.id, call.appId, call.sessionId, call.agentId, call.startedAt, call.expiresAt],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new AgentBusyError(call.agentId);
      throw error;
    }
  }

  async call(id: string, tx?: StoreTransaction): Promise<LiveCall | undefined> {
    const { rows } = await this.sql.query<CallRow>(tx, 'SELECT * FROM live_calls WHERE id = $1', [id]);
    return rows[0] ? callFromRow(rows[0]) : undefined;
  }

  async activeCallOfAgent(agentId: string, tx?: StoreTransaction): Promise<LiveCall | undefined> {
    const { rows } = await this.sql.query<CallRow>(tx, 'SELECT * FROM live_calls WHERE agent_id = $1 AND ended_at IS NULL', [agentId]);
    return rows[0] ? callFromRow(rows[0]) : undefined;
  }

  async activeCallCount(appId: string, tx?: StoreTransaction): Promise<number> {
    const { rows } = await this.sql.query<{ n: number | string }>(tx, 'SELECT COUNT(*) AS n FROM live_calls WHERE app_id = $1 AND ended_at IS NULL', [appId]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Every call in progress, all apps (for the timeout and drop sweeps). */
  async activeCalls(): Promise<LiveCall[]> {
    const { rows } = await this.sql.query<CallRow>(undefined, 'SELECT * FROM live_calls WHERE ended_at IS NULL');
    return rows.map(callFromRow);
  }

  /** Ends the call if it is still in progress; false when it had already ended (another writer got there first). */
  async endCall(id: string, reason: LiveEndReason, now: number, tx: StoreTransaction): Promise<boolean> {
    return (await this.sql.query(tx, 'UPDATE live_calls SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL', [now, reason, id])).changes === 1;
  }

  async setCallChecks(id: string, checks: LiveChecks): Promise<void> {
    await this.sql.query(undefined, 'UPDATE live_calls SET face_match_score = $1, liveness_score = $2 WHERE id = $3', [checks.faceMatchScore, checks.livenessScore, id]);
  }

  async addSnapshot(s: LiveSnapshot): Promise<void> {
    await this.sql.query(
      undefined,
      'INSERT INTO live_snapshots (id, call_id, session_id, app_id, media_id, created_at, face_match_score, liveness_score) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [s.id, s.callId, s.sessionId, s.appId, s.mediaId, s.createdAt, s.checks.faceMatchScore, s.checks.livenessScore],
    );
  }

  async snapshots(sessionId: string): Promise<LiveSnapshot[]> {
    const { rows } = await this.sql.query<SnapshotRow>(undefined, 'SELECT * FROM live_snapshots WHERE session_id = $1 ORDER BY created_at ASC, id ASC', [sessionId]);
    return rows.map(snapshotFromRow);
  }

  /** The snapshots of one call, oldest first. */
  async callSnapshots(callId: string): Promise<LiveSnapshot[]> {
    const { rows } = await this.sql.query<SnapshotRow>(undefined, 'SELECT * FROM live_snapshots WHERE call_id = $1 ORDER BY created_at ASC, id ASC', [callId]);
    return rows.map(snapshotFromRow);
  }
}

interface SnapshotRow {
  id: string;
  call_id: string;
  session_id: string;
  app_id: string;
  media_id: string;
  created_at: number | string;
  face_match_score: number | null;
  liveness_score: number | null;
}

const snapshotFromRow = (r: SnapshotRow): LiveSnapshot => ({
  id: r.id,
  callId: r.call_id,
  sessionId: r.session_id,
  appId: r.app_id,
  mediaId: r.media_id,
  // PostgreSQL answers BIGINT as a string.
  createdAt: Number(r.created_at),
  checks: { faceMatchScore: r.face_match_score, livenessScore: r.liveness_score },
});

/** `$n` placeholders → SQLite's `?`, with the parameters in the order they appear (a `$n` may appear twice). */
function positional(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    values.push(params[Number(n) - 1]);
    return '?';
  });
  return { text, values };
}

/** The embedded SQLite file's runner: statements prepared once, run through the database's gate (store/sqlite-gate.ts). */
export function sqliteLiveSql(db: Db): LiveSql {
  migrate(db, 'live', SQLITE_LIVE_MIGRATIONS);
  const gate = sqliteGate(db);
  const prepared = new Map<string, Database.Statement<unknown[]>>();
  const statement = (text: string) => {
    let s = prepared.get(text);
    if (!s) prepared.set(text, (s = db.prepare<unknown[]>(text)));
    return s;
  };
  return {
    transaction: (work) => gate.transaction(work),
    // BEGIN IMMEDIATE holds SQLite's one write lock for the whole transaction: takes are serialised already.
    lockApp: async () => undefined,
    query: <T>(tx: StoreTransaction | undefined, sql: string, params: readonly unknown[] = []) =>
      gate.run(tx, () => {
        const { text, values } = positional(sql, params);
        const s = statement(text);
        if (s.reader) return { rows: s.all(...values) as T[], changes: 0 };
        return { rows: [] as T[], changes: s.run(...values).changes };
      }),
  };
}
