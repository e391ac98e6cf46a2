/**
 * Active liveness challenges on PostgreSQL (DATABASE_URL): the same rows and rules as SqliteChallengeRepository
 * (./challenge-repository.ts). Single use is one conditional UPDATE … RETURNING; `IS NOT DISTINCT FROM` is SQLite's
 * `IS` (NULL equals NULL: a verifyVideo request matches only a challenge bound to no session).
 */
import type { ChallengeResult } from '../pipeline/challenge.js';
import type { PostgresDatabase } from '../store/postgres.js';
import type { StoreTransaction } from '../store/transaction.js';
import {
  CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS,
  challengeFromRow,
  checkedChallenge,
  consumeRefusal,
  drawStoredChallenge,
  type ChallengeIssue,
  type ChallengeRepository,
  type ChallengeRow,
  type StoredChallenge,
} from './challenge-repository.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_CHALLENGE_MIGRATIONS = [
  `CREATE TABLE challenges (
     id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     session_id TEXT,
     steps TEXT NOT NULL,
     recording_seconds DOUBLE PRECISION NOT NULL,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     used_at BIGINT,
     result TEXT
   );
   CREATE INDEX challenges_session ON challenges (session_id) WHERE session_id IS NOT NULL;
   CREATE INDEX challenges_caller_expiry ON challenges (expires_at) WHERE session_id IS NULL;`,
];

export class PostgresChallengeRepository implements ChallengeRepository {
  private constructor(
    private readonly db: PostgresDatabase,
    private readonly now: () => number,
  ) {}

  static async open(db: PostgresDatabase, now: () => number = Date.now): Promise<PostgresChallengeRepository> {
    await db.migrate('challenges', POSTGRES_CHALLENGE_MIGRATIONS);
    return new PostgresChallengeRepository(db, now);
  }

  async recordResult(id: string, result: ChallengeResult, tx?: StoreTransaction): Promise<void> {
    if (result.id !== id) throw new Error(`challenge ${id}: the result is for challenge ${result.id}`);
    const updated = await this.db.query(tx, 'UPDATE challenges SET result = $1 WHERE id = $2 AND used_at IS NOT NULL', [JSON.stringify(result), id]);
    if (updated.rowCount !== 1) throw new Error(`challenge ${id}: unknown or never used; no result recorded`);
  }

  async issue(fields: ChallengeIssue, tx?: StoreTransaction): Promise<StoredChallenge> {
    const now = this.now();
    const challenge = drawStoredChallenge(fields, now);
    await this.db.query(
      tx,
      'INSERT INTO challenges (id, app_id, session_id, steps, recording_seconds, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)',
      [challenge.id, challenge.appId, challenge.sessionId, JSON.stringify(challenge.steps), challenge.recordingSeconds, challenge.createdAt, challenge.expiresAt],
    );
    if (fields.sessionId === null) await this.db.query(tx, 'DELETE FROM challenges WHERE session_id IS NULL AND expires_at < $1', [now - CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS]);
    return challenge;
  }

  async get(id: string): Promise<StoredChallenge | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(undefined, 'SELECT * FROM challenges WHERE id = $1', [id]);
    return rows[0] ? challengeFromRow(rows[0]) : undefined;
  }

  async forSession(sessionId: string): Promise<StoredChallenge | undefined> {
    const { rows } = await this.db.query<ChallengeRow>(undefined, 'SELECT * FROM challenges WHERE session_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [sessionId]);
    return rows[0] ? challengeFromRow(rows[0]) : undefined;
  }

  async check(id: string, appId: string, sessionId?: string): Promise<StoredChallenge> {
    return checkedChallenge(id, await this.get(id), appId, sessionId, this.now());
  }

  async consume(id: string, appId: string, sessionId?: string, tx?: StoreTransaction): Promise<StoredChallenge> {
    const now = this.now();
    const { rows } = await this.db.query<ChallengeRow>(
      tx,
      'UPDATE challenges SET used_at = $1 WHERE id = $2 AND app_id = $3 AND session_id IS NOT DISTINCT FROM $4 AND used_at IS NULL AND expires_at > $1 RETURNING *',
      [now, id, appId, sessionId ?? null],
    );
    if (rows[0]) return challengeFromRow(rows[0]);
    const { rows: current } = await this.db.query<ChallengeRow>(tx, 'SELECT * FROM challenges WHERE id = $1', [id]);
    throw consumeRefusal(id, current[0] ? challengeFromRow(current[0]) : undefined, appId, sessionId, now);
  }
}
