/**
 * HyperVerge session-recording attempts on PostgreSQL (DATABASE_URL); see ./recording-attempts.ts. The next number is
 * computed in the INSERT itself; two replicas inserting the first attempt of one transactionId at once can both
 * compute the same number (neither sees the other's uncommitted row), and the primary key refuses the second: it
 * computes again (a few tries).
 */
import { isUniqueViolation, type PostgresDatabase } from '../store/postgres.js';
import { recordingAttemptFromRow, type RecordingAttempt, type RecordingAttemptRow, type RecordingAttempts } from './recording-attempts.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_RECORDING_ATTEMPT_MIGRATIONS = [
  `CREATE TABLE hv_recording_attempts (
    app_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    module_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, transaction_id, attempt)
  )`,
];

/** Inserts tried before a lost race on the attempt number is reported. */
const INSERT_TRIES = 5;

export class PostgresRecordingAttempts implements RecordingAttempts {
  private constructor(
    private readonly db: PostgresDatabase,
    private readonly now: () => number,
  ) {}

  static async open(db: PostgresDatabase, now: () => number = Date.now): Promise<PostgresRecordingAttempts> {
    await db.migrate('hv-recording', POSTGRES_RECORDING_ATTEMPT_MIGRATIONS);
    return new PostgresRecordingAttempts(db, now);
  }

  async add(fields: Omit<RecordingAttempt, 'attempt' | 'createdAt'>): Promise<RecordingAttempt> {
    for (let tries = 1; ; tries++) {
      try {
        const { rows } = await this.db.query<RecordingAttemptRow>(
          undefined,
          `INSERT INTO hv_recording_attempts (app_id, transaction_id, attempt, module_id, media_id, request_id, created_at)
           SELECT $1, $2, COALESCE(MAX(attempt), 0) + 1, $3, $4, $5, $6 FROM hv_recording_attempts WHERE app_id = $1 AND transaction_id = $2
           RETURNING *`,
          [fields.appId, fields.transactionId, fields.moduleId, fields.mediaId, fields.requestId, this.now()],
        );
        return recordingAttemptFromRow(rows[0]!);
      } catch (error) {
        if (!isUniqueViolation(error) || tries >= INSERT_TRIES) throw error;
      }
    }
  }

  async list(appId: string, transactionId: string): Promise<RecordingAttempt[]> {
    const { rows } = await this.db.query<RecordingAttemptRow>(undefined, 'SELECT * FROM hv_recording_attempts WHERE app_id = $1 AND transaction_id = $2 ORDER BY attempt', [appId, transactionId]);
    return rows.map(recordingAttemptFromRow);
  }
}
