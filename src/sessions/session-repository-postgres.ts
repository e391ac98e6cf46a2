/**
 * Sessions on PostgreSQL (DATABASE_URL): the same rows and compare-and-set as SqliteSessionRepository
 * (./session-repository.ts). Under READ COMMITTED a conditional UPDATE that waited for a concurrent writer of the row
 * re-checks its WHERE clause on the committed row (https://www.postgresql.org/docs/current/transaction-iso.html), so of
 * two writers from the same version exactly one matches, on one replica or several.
 */
import type { PostgresDatabase } from '../store/postgres.js';
import type { StoreTransaction } from '../store/transaction.js';
import { newSession, SESSION_COLUMNS, sessionFromRow, sessionToRow, type NewSession, type SessionRepository, type SessionRow, type StoredSession } from './session-repository.js';
import type { Session } from './session-state.js';

/** Append-only (PostgresDatabase `migrate`). Times are ms since the epoch (BIGINT); scores DOUBLE PRECISION. */
export const POSTGRES_SESSION_MIGRATIONS = [
  `CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    external_id TEXT,
    redirect_url TEXT,
    steps TEXT NOT NULL,
    video_mode TEXT NOT NULL,
    video_max_duration INTEGER NOT NULL,
    video_language TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    document_media_id TEXT,
    selfie_media_id TEXT,
    video_media_id TEXT,
    consent_given_at TEXT,
    consent_text_version TEXT,
    consent_ip TEXT,
    consent_user_agent TEXT,
    recorded_at BIGINT,
    duration_seconds DOUBLE PRECISION,
    face_match_score DOUBLE PRECISION,
    liveness_score DOUBLE PRECISION,
    result_reason TEXT,
    completed_at BIGINT,
    review_decision TEXT,
    reviewer_id TEXT,
    review_notes TEXT,
    reviewed_at BIGINT,
    version INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_app_external ON sessions (app_id, external_id);`,
  // Live agent mode (README "Live agent mode"): a live session's recording is processed after the agent's decision.
  'ALTER TABLE sessions ADD COLUMN recording_processed_at BIGINT',
];

const INSERT = `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')}, version) VALUES (${SESSION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}, 0)`;
const UPDATABLE = SESSION_COLUMNS.filter((c) => c !== 'id');
const UPDATE = `UPDATE sessions SET ${UPDATABLE.map((c, i) => `${c} = $${i + 2}`).join(', ')}, version = version + 1 WHERE id = $1 AND version = $${UPDATABLE.length + 2}`;

export class PostgresSessionRepository implements SessionRepository {
  private constructor(
    private readonly db: PostgresDatabase,
    private readonly now: () => number,
  ) {}

  /** Applies the module's migrations, then answers the repository. */
  static async open(db: PostgresDatabase, now: () => number = Date.now): Promise<PostgresSessionRepository> {
    await db.migrate('sessions', POSTGRES_SESSION_MIGRATIONS);
    return new PostgresSessionRepository(db, now);
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async latestByExternalId(appId: string, externalId: string): Promise<StoredSession | undefined> {
    const { rows } = await this.db.query<SessionRow>(undefined, 'SELECT * FROM sessions WHERE app_id = $1 AND external_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1', [appId, externalId]);
    return rows[0] ? sessionFromRow(rows[0]) : undefined;
  }

  async create(fields: NewSession, tx?: StoreTransaction): Promise<StoredSession> {
    const session = newSession(fields, this.now());
    const row = sessionToRow(session) as Record<string, unknown>;
    await this.db.query(tx, INSERT, SESSION_COLUMNS.map((c) => row[c]));
    return { ...session, version: 0 };
  }

  async get(id: string, tx?: StoreTransaction): Promise<StoredSession | undefined> {
    const { rows } = await this.db.query<SessionRow>(tx, 'SELECT * FROM sessions WHERE id = $1', [id]);
    return rows[0] ? sessionFromRow(rows[0]) : undefined;
  }

  async update(expected: StoredSession, next: Session, tx?: StoreTransaction): Promise<boolean> {
    const row = sessionToRow(next) as Record<string, unknown>;
    const result = await this.db.query(tx, UPDATE, [row.id, ...UPDATABLE.map((c) => row[c]), expected.version]);
    return result.rowCount === 1;
  }
}
