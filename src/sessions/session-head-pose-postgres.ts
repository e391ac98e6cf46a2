/** The head-pitch series of processed sessions on PostgreSQL (DATABASE_URL); see ./session-head-pose.ts. */
import type { AngleSample } from '../pipeline/nod.js';
import type { PostgresDatabase } from '../store/postgres.js';
import type { StoreTransaction } from '../store/transaction.js';
import { decodePitch, encodePitch, type SessionHeadPoseStore } from './session-head-pose.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_HEAD_POSE_MIGRATIONS = [
  `CREATE TABLE session_head_pose (
    session_id TEXT PRIMARY KEY,
    pitch TEXT NOT NULL
  )`,
];

export class PostgresSessionHeadPoseStore implements SessionHeadPoseStore {
  private constructor(private readonly db: PostgresDatabase) {}

  static async open(db: PostgresDatabase): Promise<PostgresSessionHeadPoseStore> {
    await db.migrate('session_head_pose', POSTGRES_HEAD_POSE_MIGRATIONS);
    return new PostgresSessionHeadPoseStore(db);
  }

  async record(sessionId: string, pitch: readonly AngleSample[], tx?: StoreTransaction): Promise<void> {
    await this.db.query(tx, 'INSERT INTO session_head_pose (session_id, pitch) VALUES ($1, $2) ON CONFLICT (session_id) DO UPDATE SET pitch = excluded.pitch', [sessionId, encodePitch(pitch)]);
  }

  async pitch(sessionId: string): Promise<AngleSample[] | undefined> {
    const { rows } = await this.db.query<{ pitch: string }>(undefined, 'SELECT pitch FROM session_head_pose WHERE session_id = $1', [sessionId]);
    return rows[0] ? decodePitch(rows[0].pitch) : undefined;
  }
}
