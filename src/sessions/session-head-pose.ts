/**
 * The head-pitch series measured when a session's video was processed (one sample per sampled frame with a
 * face, src/pipeline/verify-video.ts), kept so "did the person nod?" can be answered later without decoding
 * the video again (Tencent ESS DescribeSignFaceVideo's IntentionActionResult, routes/tencent-ess.ts).
 * Its own table and migration module ("session_head_pose"), one row per processed session; the row is
 * written in the transaction that completes the session (process-session.ts). `SessionHeadPoseStore` is the
 * contract, `SqliteSessionHeadPoseStore` the embedded store's, `PostgresSessionHeadPoseStore`
 * (./session-head-pose-postgres.ts) PostgreSQL's.
 */
import type { AngleSample } from '../pipeline/nod.js';
import { migrate, type Db } from '../store/database.js';
import { sqliteGate, type SqliteGate } from '../store/sqlite-gate.js';
import type { StoreTransaction } from '../store/transaction.js';

const MIGRATIONS = [
  `CREATE TABLE session_head_pose (
    session_id TEXT PRIMARY KEY,
    pitch TEXT NOT NULL
  )`,
];

export interface SessionHeadPoseStore {
  /** Records the pitch series (degrees over seconds) of a session. */
  record(sessionId: string, pitch: readonly AngleSample[], tx?: StoreTransaction): Promise<void>;
  /** The recorded pitch series, or undefined when the session was not (successfully) processed. */
  pitch(sessionId: string): Promise<AngleSample[] | undefined>;
}

/** The stored form: [[seconds, degrees], …] as JSON (both implementations). */
export const encodePitch = (pitch: readonly AngleSample[]) => JSON.stringify(pitch.map((s) => [s.timeSeconds, s.angleDeg]));
export const decodePitch = (text: string): AngleSample[] => (JSON.parse(text) as [number, number][]).map(([timeSeconds, angleDeg]) => ({ timeSeconds, angleDeg }));

export class SqliteSessionHeadPoseStore implements SessionHeadPoseStore {
  private readonly gate: SqliteGate;
  private readonly upsertStatement;
  private readonly getStatement;

  constructor(db: Db) {
    migrate(db, 'session_head_pose', MIGRATIONS);
    this.gate = sqliteGate(db);
    this.upsertStatement = db.prepare('INSERT INTO session_head_pose (session_id, pitch) VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET pitch = excluded.pitch');
    this.getStatement = db.prepare('SELECT pitch FROM session_head_pose WHERE session_id = ?');
  }

  record(sessionId: string, pitch: readonly AngleSample[], tx?: StoreTransaction): Promise<void> {
    return this.gate.run(tx, () => void this.upsertStatement.run(sessionId, encodePitch(pitch)));
  }

  pitch(sessionId: string): Promise<AngleSample[] | undefined> {
    return this.gate.run(undefined, () => {
      const row = this.getStatement.get(sessionId) as { pitch: string } | undefined;
      return row ? decodePitch(row.pitch) : undefined;
    });
  }
}
