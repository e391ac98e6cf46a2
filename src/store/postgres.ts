/**
 * The shared metadata store for replicas (DESIGN.md "Scale-out"): one PostgreSQL database behind the same store
 * interfaces as the embedded SQLite file, selected by DATABASE_URL. Uses the maintained `pg` client with a connection
 * pool; every store module keeps its own ordered, append-only migrations in the repository (beside its SQLite ones)
 * and applies them at start.
 *
 * Migrations run under a transaction-scoped advisory lock (pg_advisory_xact_lock,
 * https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS): replicas starting at once
 * queue on it, the first applies the steps, the others then find the module at its version and apply nothing. The
 * version table is created under the same lock (CREATE TABLE IF NOT EXISTS races between sessions otherwise).
 *
 * Transactions: `transaction(work)` checks a client out of the pool, runs `work` between BEGIN and COMMIT (READ
 * COMMITTED: a compare-and-set UPDATE that waited for a concurrent writer re-reads the row and matches nothing) and
 * runs the `afterCommit` callbacks registered in it (a job queue's wake-up) once the rows are visible to others.
 * BIGINT columns (times in ms since the epoch, counts) are read as JS numbers: every value stored fits in 2^53.
 *
 * Wake-ups between replicas: `notify(tx, channel, payload)` sends a NOTIFY in the caller's transaction (delivered at
 * its commit, to every replica) and `listen(channel, …)` receives them on one dedicated connection (./postgres-notify.ts).
 */
import pg from 'pg';
import { PostgresNotifications } from './postgres-notify.js';
import { storeUnavailable } from './store-unavailable.js';
import { StoreTransactionError, type StoreTransaction, type TransactionRunner } from './transaction.js';

/** pg_advisory_xact_lock's key for schema migrations (any constant the application uses for nothing else). */
const MIGRATION_LOCK_KEY = 0x464c5301;

/** int8 (oid 20) as a number; every other type as `pg` parses it. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

class PostgresTransaction implements StoreTransaction {
  readonly database = 'postgres' as const;
  open = true;
  readonly afterCommit: (() => void)[] = [];
  constructor(
    readonly owner: PostgresDatabase,
    readonly client: pg.PoolClient,
  ) {}
}

export interface PostgresDatabaseOptions {
  /** Connections at most (pg.Pool `max`). Default 10. */
  maxConnections?: number;
  /** Where pool errors (a dropped idle connection) are reported. Default console. */
  log?: (message: string) => void;
}

export class PostgresDatabase implements TransactionRunner {
  readonly pool: pg.Pool;
  private readonly log: (message: string) => void;
  private notifications: PostgresNotifications | undefined;

  constructor(
    private readonly connectionString: string,
    options: PostgresDatabaseOptions = {},
  ) {
    const log = (this.log = options.log ?? ((message) => console.warn(message)));
    this.pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10, types });
    // An idle client whose connection dies emits on the pool; without a listener that would end the process.
    this.pool.on('error', (error) => log(`postgres: idle connection failed: ${error.message}`));
  }

  /** Runs one statement: on the transaction's client when given `tx`, else on any pooled connection. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(tx: StoreTransaction | undefined, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (tx === undefined) return this.pool.query<R>(text, values);
    return this.clientOf(tx).query<R>(text, values);
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new PostgresTransaction(this, client);
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      tx.open = false;
      // Committed: a failing callback is reported, never turned into the transaction's failure.
      for (const callback of tx.afterCommit) {
        try {
          callback();
        } catch (error) {
          this.log(`postgres: a callback after commit failed: ${String(error)}`);
        }
      }
      return result;
    } catch (error) {
      if (tx.open) await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      tx.open = false;
      // A connection whose ROLLBACK failed is in an unknown state: destroyed rather than pooled.
      client.release(broken);
    }
  }

  /** Runs `callback` once `tx` has committed (at once without one): wake-ups that must see the new rows. */
  afterCommit(tx: StoreTransaction | undefined, callback: () => void): void {
    if (tx === undefined) callback();
    else this.transactionOf(tx).afterCommit.push(callback);
  }

  /**
   * Applies `steps[version..]` of `module`, all in one transaction under the migration lock; step i moves the module to
   * version i+1. Steps are append-only: never edit a released step, add a new one. Answers the version reached.
   */
  async migrate(module: string, steps: readonly string[]): Promise<number> {
    return this.transaction(async (tx) => {
      await this.query(tx, 'SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await this.query(tx, 'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      const row = (await this.query<{ version: number }>(tx, 'SELECT version FROM schema_migrations WHERE module = $1', [module])).rows[0];
      let version = row?.version ?? 0;
      if (version > steps.length) throw new Error(`store module ${module}: database is at version ${version}, this build knows ${steps.length} (newer database?)`);
      for (; version < steps.length; version++) await this.query(tx, steps[version]!);
      await this.query(tx, 'INSERT INTO schema_migrations (module, version) VALUES ($1, $2) ON CONFLICT (module) DO UPDATE SET version = excluded.version', [module, version]);
      return version;
    });
  }

  /**
   * Sends a notification on `channel` (pg_notify): inside `tx` it is delivered when `tx` commits (never if it rolls
   * back), so a replica it wakes finds the committed rows; without `tx`, at once. `payload` must stay under 8000 bytes.
   */
  async notify(tx: StoreTransaction | undefined, channel: string, payload = ''): Promise<void> {
    await this.query(tx, 'SELECT pg_notify($1, $2)', [channel, payload]);
  }

  /**
   * Calls `onNotify` for each notification on `channel` from any replica (this one included), and `resync` after the
   * listening connection was lost and reopened (what was sent meanwhile is lost: look at the table once). The first
   * call opens this process's listening connection.
   */
  listen(channel: string, onNotify: (payload: string) => void, resync?: () => void): Promise<() => void> {
    this.notifications ??= new PostgresNotifications(this.connectionString, this.log);
    return this.notifications.listen(channel, onNotify, resync);
  }

  /** A readiness check: one round trip. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.notifications?.close();
    await this.pool.end();
  }

  private transactionOf(tx: StoreTransaction): PostgresTransaction {
    if (!(tx instanceof PostgresTransaction) || tx.owner !== this) throw new StoreTransactionError('TX_FOREIGN', `a ${tx.database} transaction was handed to a store on another PostgreSQL database`);
    if (!tx.open) throw new StoreTransactionError('TX_CLOSED', 'the transaction has already committed or rolled back');
    return tx;
  }

  private clientOf(tx: StoreTransaction): pg.PoolClient {
    return this.transactionOf(tx).client;
  }
}

/** SQLSTATE 23505: a unique or primary-key constraint refused the row (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const isUniqueViolation = (error: unknown) => (error as { code?: string } | null)?.code === '23505';

/**
 * The start-up failure for a PostgreSQL store that cannot be opened (connection refused, wrong password, unknown
 * database, a migration refused): STORE_UNAVAILABLE, naming the database (`target`: its URL without the password).
 */
export const postgresUnavailable = (target: string, error: unknown) =>
  storeUnavailable(`the PostgreSQL database at ${target}`, 'DATABASE_URL and that the server accepts connections', error);
