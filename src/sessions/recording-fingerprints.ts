/**
 * Replayed recordings (issue #14, item 4): the perceptual fingerprint of every processed self-record video, kept per
 * app (`RecordingFingerprintRepository`; `SqliteRecordingFingerprintRepository` in the embedded SQLite store,
 * store/database.ts, module "recording_fingerprints", append-only migrations; `PostgresRecordingFingerprintRepository`
 * in ./recording-fingerprints-postgres.ts). A new
 * video whose fingerprint matches one kept for another session of the same app is a recording uploaded before, not a
 * person performing now: the session is flagged `replayed_recording` and the rules file's
 * `verifyVideo.replayedRecording` keeps it from being approved.
 *
 * The fingerprint and its comparison are the pipeline's (src/pipeline/recording-fingerprint.ts); this module keeps the
 * encoded bytes and looks through them. The search reads every fingerprint of the app, newest first, and stops at the
 * first match: a fingerprint is a few hundred bytes and a comparison well under a millisecond, so 10,000 earlier
 * sessions cost a few seconds of one job at most. Apps far beyond that would want an index (e.g. locality-sensitive
 * hashing of the frame hashes); none is built.
 *
 * Kept as long as the session: sessions are not deleted (src/sessions/session-repository.ts), and a fingerprint is
 * not a picture of the person (a few bits per frame of a downscaled image), so it outlives media retention on
 * purpose: a replay of a session whose video is gone is still a replay.
 */
import { migrate, type Db } from '../store/database.js';
import { sqliteGate, type SqliteGate } from '../store/sqlite-gate.js';
import type { StoreTransaction } from '../store/transaction.js';

/** Append-only (database.ts `migrate`). */
const MIGRATIONS = [
  `CREATE TABLE recording_fingerprints (
     session_id TEXT PRIMARY KEY,
     app_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     fingerprint BLOB NOT NULL,
     replay_of_session_id TEXT,
     similarity REAL
   );
   CREATE INDEX recording_fingerprints_app ON recording_fingerprints (app_id, created_at);`,
];

/** What a session's recording was found to replay: the earlier session, and how alike the two are (0–1). */
export interface ReplayOf {
  sessionId: string;
  similarity: number;
}

/** A kept fingerprint. Times in ms since the epoch. */
export interface StoredFingerprint {
  sessionId: string;
  appId: string;
  createdAt: number;
  fingerprint: Uint8Array;
  /** The earlier recording this one matched when it was processed; null when none. */
  replayOf: ReplayOf | null;
}

/** Whether a kept (encoded) fingerprint matches the new recording's: its similarity (0–1), or null when they differ. */
export type FingerprintMatcher = (stored: Uint8Array) => { similarity: number } | null;

export interface FingerprintRow {
  session_id: string;
  app_id: string;
  created_at: number;
  fingerprint: Buffer;
  replay_of_session_id: string | null;
  similarity: number | null;
}

export const fingerprintFromRow = (row: FingerprintRow): StoredFingerprint => ({
  sessionId: row.session_id,
  appId: row.app_id,
  createdAt: row.created_at,
  fingerprint: new Uint8Array(row.fingerprint),
  replayOf: row.replay_of_session_id === null ? null : { sessionId: row.replay_of_session_id, similarity: row.similarity ?? 0 },
});

export interface RecordingFingerprintRepository {
  /** The newest recording of another session of `appId` than `sessionId` that `matches` the new one, or null. */
  findReplayed(appId: string, sessionId: string, matches: FingerprintMatcher): Promise<ReplayOf | null>;
  /** Keeps the session's fingerprint (called inside the session's completion transaction); a re-processed video replaces its own. */
  record(sessionId: string, appId: string, fingerprint: Uint8Array, replayOf: ReplayOf | null, tx?: StoreTransaction): Promise<void>;
  forSession(sessionId: string): Promise<StoredFingerprint | undefined>;
}

export class SqliteRecordingFingerprintRepository implements RecordingFingerprintRepository {
  private readonly gate: SqliteGate;
  private readonly ofAppStatement;
  private readonly upsertStatement;
  private readonly getStatement;

  constructor(
    readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, 'recording_fingerprints', MIGRATIONS);
    this.gate = sqliteGate(db);
    this.ofAppStatement = db.prepare('SELECT * FROM recording_fingerprints WHERE app_id = ? AND session_id != ? ORDER BY created_at DESC, session_id DESC');
    // A re-processed video (a retried job) replaces its own row.
    this.upsertStatement = db.prepare(
      `INSERT INTO recording_fingerprints (session_id, app_id, created_at, fingerprint, replay_of_session_id, similarity)
       VALUES (@session_id, @app_id, @created_at, @fingerprint, @replay_of_session_id, @similarity)
       ON CONFLICT (session_id) DO UPDATE SET fingerprint = excluded.fingerprint, replay_of_session_id = excluded.replay_of_session_id,
         similarity = excluded.similarity`,
    );
    this.getStatement = db.prepare('SELECT * FROM recording_fingerprints WHERE session_id = ?');
  }

  /** Reads row by row (better-sqlite3 `iterate`) and stops at the first match. */
  findReplayed(appId: string, sessionId: string, matches: FingerprintMatcher): Promise<ReplayOf | null> {
    return this.gate.run(undefined, () => {
      for (const row of this.ofAppStatement.iterate(appId, sessionId) as IterableIterator<FingerprintRow>) {
        const match = matches(new Uint8Array(row.fingerprint));
        if (match) return { sessionId: row.session_id, similarity: match.similarity };
      }
      return null;
    });
  }

  record(sessionId: string, appId: string, fingerprint: Uint8Array, replayOf: ReplayOf | null, tx?: StoreTransaction): Promise<void> {
    return this.gate.run(tx, () => {
      this.upsertStatement.run({
        session_id: sessionId,
        app_id: appId,
        created_at: this.now(),
        fingerprint: Buffer.from(fingerprint.buffer, fingerprint.byteOffset, fingerprint.byteLength),
        replay_of_session_id: replayOf?.sessionId ?? null,
        similarity: replayOf?.similarity ?? null,
      });
    });
  }

  forSession(sessionId: string): Promise<StoredFingerprint | undefined> {
    return this.gate.run(undefined, () => {
      const row = this.getStatement.get(sessionId) as FingerprintRow | undefined;
      return row ? fingerprintFromRow(row) : undefined;
    });
  }
}
