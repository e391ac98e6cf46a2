/**
 * Recording fingerprints on PostgreSQL (DATABASE_URL): the same rows as SqliteRecordingFingerprintRepository
 * (./recording-fingerprints.ts), the fingerprint as BYTEA. The replay search reads the app's fingerprints newest first
 * in pages (keyset on created_at, session_id) and stops at the first match, as the SQLite one stops its iterator.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import type { StoreTransaction } from '../store/transaction.js';
import { fingerprintFromRow, type FingerprintMatcher, type FingerprintRow, type RecordingFingerprintRepository, type ReplayOf, type StoredFingerprint } from './recording-fingerprints.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_FINGERPRINT_MIGRATIONS = [
  `CREATE TABLE recording_fingerprints (
     session_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     created_at BIGINT NOT NULL,
     fingerprint BYTEA NOT NULL,
     replay_of_session_id TEXT,
     similarity DOUBLE PRECISION
   );
   CREATE INDEX recording_fingerprints_app ON recording_fingerprints (app_id, created_at);`,
];

/** Rows per page of the replay search: a few hundred bytes each, so a page is well under a megabyte. */
const PAGE_ROWS = 500;

export class PostgresRecordingFingerprintRepository implements RecordingFingerprintRepository {
  private constructor(
    private readonly db: PostgresDatabase,
    private readonly now: () => number,
  ) {}

  static async open(db: PostgresDatabase, now: () => number = Date.now): Promise<PostgresRecordingFingerprintRepository> {
    await db.migrate('recording_fingerprints', POSTGRES_FINGERPRINT_MIGRATIONS);
    return new PostgresRecordingFingerprintRepository(db, now);
  }

  async findReplayed(appId: string, sessionId: string, matches: FingerprintMatcher): Promise<ReplayOf | null> {
    let after: { createdAt: number; sessionId: string } | undefined;
    for (;;) {
      const { rows } = await this.db.query<FingerprintRow>(
        undefined,
        `SELECT * FROM recording_fingerprints WHERE app_id = $1 AND session_id <> $2
         ${after ? 'AND (created_at, session_id) < ($4, $5)' : ''}
         ORDER BY created_at DESC, session_id DESC LIMIT $3`,
        after ? [appId, sessionId, PAGE_ROWS, after.createdAt, after.sessionId] : [appId, sessionId, PAGE_ROWS],
      );
      for (const row of rows) {
        const match = matches(new Uint8Array(row.fingerprint));
        if (match) return { sessionId: row.session_id, similarity: match.similarity };
      }
      if (rows.length < PAGE_ROWS) return null;
      const last = rows[rows.length - 1]!;
      after = { createdAt: last.created_at, sessionId: last.session_id };
    }
  }

  async record(sessionId: string, appId: string, fingerprint: Uint8Array, replayOf: ReplayOf | null, tx?: StoreTransaction): Promise<void> {
    // A re-processed video (a retried job) replaces its own row.
    await this.db.query(
      tx,
      `INSERT INTO recording_fingerprints (session_id, app_id, created_at, fingerprint, replay_of_session_id, similarity) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (session_id) DO UPDATE SET fingerprint = excluded.fingerprint, replay_of_session_id = excluded.replay_of_session_id, similarity = excluded.similarity`,
      [sessionId, appId, this.now(), Buffer.from(fingerprint.buffer, fingerprint.byteOffset, fingerprint.byteLength), replayOf?.sessionId ?? null, replayOf?.similarity ?? null],
    );
  }

  async forSession(sessionId: string): Promise<StoredFingerprint | undefined> {
    const { rows } = await this.db.query<FingerprintRow>(undefined, 'SELECT * FROM recording_fingerprints WHERE session_id = $1', [sessionId]);
    return rows[0] ? fingerprintFromRow(rows[0]) : undefined;
  }
}
