/**
 * The embedded metadata store: one SQLite file (better-sqlite3) in WAL mode, shared by the store modules
 * (media, sessions, jobs, webhooks). Each module owns its tables and applies its own ordered migrations,
 * recorded per module, so modules evolve independently. The stores' async interfaces run on it through one gate per
 * connection (sqlite-gate.ts); with DATABASE_URL the PostgreSQL implementations (postgres.ts) replace it for replicas
 * (DESIGN.md "Scale-out").
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the database file. WAL lets readers run while one writer commits and
 * survives a crash without a half-written transaction (https://www.sqlite.org/wal.html);
 * synchronous=FULL makes every commit durable before it returns (an acknowledged upload is never lost);
 * busy_timeout waits 5000 ms for a lock instead of failing at once.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

/**
 * Applies `steps[version..]` of `module` in one transaction each; step i moves the module to version i+1.
 * Steps are append-only: never edit a released step, add a new one.
 */
export function migrate(db: Db, module: string, steps: readonly string[]): number {
  const row = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').get(module) as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (version > steps.length) throw new Error(`store module ${module}: database is at version ${version}, this build knows ${steps.length} (newer database?)`);
  const record = db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version');
  for (; version < steps.length; version++) {
    const step = steps[version]!;
    db.transaction(() => {
      db.exec(step);
      record.run(module, version + 1);
    })();
  }
  return version;
}
