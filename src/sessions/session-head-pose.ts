/**
 * The head-pitch series measured when a session's video was processed (one sample per sampled frame with a
 * face, src/pipeline/verify-video.ts), kept so "did the person nod?" can be answered later without decoding
 * the video again (Tencent ESS DescribeSignFaceVideo's IntentionActionResult, routes/tencent-ess.ts).
 * Its own table and migration module ("session_head_pose"), one row per processed session; the row is
 * written in the transaction that completes the session (process-session.ts).
 */
import type { AngleSample } from '../pipeline/nod.js';
import { migrate, type Db } from '../store/database.js';

const MIGRATIONS = [
  `CREATE TABLE session_head_pose (
    session_id TEXT PRIMARY KEY,
    pitch TEXT NOT NULL
  )`,
];

export class SessionHeadPoseStore {
  private readonly upsertStatement;
  private readonly getStatement;

  constructor(db: Db) {
    migrate(db, 'session_head_pose', MIGRATIONS);
    this.upsertStatement = db.prepare('INSERT INTO session_head_pose (session_id, pitch) VALUES (?, ?) ON CONFLICT (session_id) DO UPDATE SET pitch = excluded.pitch');
    this.getStatement = db.prepare('SELECT pitch FROM session_head_pose WHERE session_id = ?');
  }

  /** Records the pitch series (degrees over seconds) of a session. */
  record(sessionId: string, pitch: readonly AngleSample[]): void {
    this.upsertStatement.run(sessionId, JSON.stringify(pitch.map((s) => [s.timeSeconds, s.angleDeg])));
  }

  /** The recorded pitch series, or undefined when the session was not (successfully) processed. */
  pitch(sessionId: string): AngleSample[] | undefined {
    const row = this.getStatement.get(sessionId) as { pitch: string } | undefined;
    if (!row) return undefined;
    return (JSON.parse(row.pitch) as [number, number][]).map(([timeSeconds, angleDeg]) => ({ timeSeconds, angleDeg }));
  }
}
