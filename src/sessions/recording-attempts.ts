/**
 * HyperVerge session-recording attempts (`RecordingAttempts`; `SqliteRecordingAttempts` in the embedded SQLite store,
 * store/database.ts, module "hv-recording" with its own append-only migrations; `PostgresRecordingAttempts` in
 * ./recording-attempts-postgres.ts). One row per uploaded recording; the attempts of one
 * (app, transactionId) are numbered 1, 2, … in upload order: the highest is the current recording, the
 * others are its `previousAttempts` (http/contracts/hyperverge-recording.ts).
 */
import { migrate, type Db } from '../store/database.js';
import { sqliteGate, type SqliteGate } from '../store/sqlite-gate.js';

const MIGRATIONS = [
  `CREATE TABLE hv_recording_attempts (
    app_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    module_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, transaction_id, attempt)
  )`,
];

export interface RecordingAttempt {
  appId: string;
  transactionId: string;
  /** 1-based, in upload order within (appId, transactionId). */
  attempt: number;
  /** The workflow module the recording belongs to (the upload's `moduleId` field). */
  moduleId: string;
  /** The stored video (MediaStore id); it may be gone once its retention passed. */
  mediaId: string;
  /** metadata.requestId of the upload that created the attempt. */
  requestId: string;
  /** ms since the epoch. */
  createdAt: number;
}

export interface RecordingAttemptRow {
  app_id: string;
  transaction_id: string;
  attempt: number;
  module_id: string;
  media_id: string;
  request_id: string;
  created_at: number;
}

export const recordingAttemptFromRow = (row: RecordingAttemptRow): RecordingAttempt => ({
  appId: row.app_id,
  transactionId: row.transaction_id,
  attempt: row.attempt,
  moduleId: row.module_id,
  mediaId: row.media_id,
  requestId: row.request_id,
  createdAt: row.created_at,
});

export interface RecordingAttempts {
  /** Records a new attempt (the current one from now on) and returns it. */
  add(fields: Omit<RecordingAttempt, 'attempt' | 'createdAt'>): Promise<RecordingAttempt>;
  /** Every attempt of (appId, transactionId), oldest first; empty when there is none. */
  list(appId: string, transactionId: string): Promise<RecordingAttempt[]>;
}

export class SqliteRecordingAttempts implements RecordingAttempts {
  private readonly gate: SqliteGate;
  private readonly insertStatement;
  private readonly listStatement;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'hv-recording', MIGRATIONS);
    this.gate = sqliteGate(db);
    // The next number is computed in the INSERT itself: one statement, so two uploads cannot take the same one.
    this.insertStatement = db.prepare(
      `INSERT INTO hv_recording_attempts (app_id, transaction_id, attempt, module_id, media_id, request_id, created_at)
       SELECT @appId, @transactionId, COALESCE(MAX(attempt), 0) + 1, @moduleId, @mediaId, @requestId, @createdAt
       FROM hv_recording_attempts WHERE app_id = @appId AND transaction_id = @transactionId
       RETURNING *`,
    );
    this.listStatement = db.prepare('SELECT * FROM hv_recording_attempts WHERE app_id = ? AND transaction_id = ? ORDER BY attempt');
  }

  add(fields: Omit<RecordingAttempt, 'attempt' | 'createdAt'>): Promise<RecordingAttempt> {
    return this.gate.run(undefined, () => recordingAttemptFromRow(this.insertStatement.get({ ...fields, createdAt: this.now() }) as RecordingAttemptRow));
  }

  list(appId: string, transactionId: string): Promise<RecordingAttempt[]> {
    return this.gate.run(undefined, () => (this.listStatement.all(appId, transactionId) as RecordingAttemptRow[]).map(recordingAttemptFromRow));
  }
}
