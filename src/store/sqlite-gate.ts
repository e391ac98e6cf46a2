/**
 * How the async store interfaces (./transaction.ts) run on better-sqlite3, which is synchronous and has one
 * connection per process: every store on one database file shares that connection, so an open transaction sees (and
 * would commit or roll back) any statement run on it, whoever runs it.
 *
 * The rule that keeps today's behaviour: one gate per connection (`sqliteGate(db)`), and while a transaction holds it
 * no other statement runs on the connection. `transaction(work)` waits for the gate, opens `BEGIN IMMEDIATE` (the
 * write lock at once, so another process's writer cannot slip in between our read and our write), runs `work` and
 * commits or rolls back, then lets the next one in. A store call made with the `tx` runs at once (it is the holder's
 * own work); a call without one waits until the transaction ends, so another request can neither write into an open
 * transaction nor read what it has not committed. When no transaction is open, a call runs synchronously at once, as
 * the stores always did. Waiters go first in, first out.
 *
 * A call without `tx` made from inside the transaction's own callback would wait for itself for ever; it is refused
 * (TX_MISSING) instead, found with AsyncLocalStorage. Background work that a transaction schedules (the job queue's
 * and the dispatcher's wake-ups) is started with `detachFromTransaction`, so it is not taken for the holder.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './database.js';
import { StoreTransactionError, type StoreTransaction, type TransactionRunner } from './transaction.js';

class SqliteTransaction implements StoreTransaction {
  readonly database = 'sqlite' as const;
  open = true;
  constructor(readonly gate: SqliteGate) {}
}

/** The transaction whose callback is running (and everything it awaits), for the TX_MISSING check. */
const current = new AsyncLocalStorage<SqliteTransaction>();

/** Runs `work` outside any transaction's async context: for timers a store call inside a transaction sets up. */
export function detachFromTransaction<T>(work: () => T): T {
  return current.exit(work);
}

/** `work()` as a promise: its throw becomes a rejection, like an async store's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

export class SqliteGate implements TransactionRunner {
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly db: Db) {}

  /**
   * Runs a synchronous statement (or several) for a store method: at once inside `tx`; without one, at once when no
   * transaction is open, else after it.
   */
  run<T>(tx: StoreTransaction | undefined, work: () => T): Promise<T> {
    if (tx !== undefined) {
      const problem = this.refusal(tx);
      return problem ? Promise.reject(problem) : settle(work);
    }
    const inside = current.getStore();
    if (inside?.open && inside.gate === this) {
      return Promise.reject(new StoreTransactionError('TX_MISSING', 'a store call inside a transaction did not pass its tx (it would wait for its own transaction)'));
    }
    if (!this.locked) return settle(work);
    return this.acquire().then(() => {
      try {
        return work();
      } finally {
        this.release();
      }
    });
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    if (current.getStore()?.open) throw new StoreTransactionError('TX_MISSING', 'transactions do not nest: pass the open tx down instead');
    await this.acquire();
    const tx = new SqliteTransaction(this);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await current.run(tx, () => work(tx));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      tx.open = false;
      this.release();
    }
  }

  private refusal(tx: StoreTransaction): StoreTransactionError | undefined {
    if (!(tx instanceof SqliteTransaction) || tx.gate !== this) return new StoreTransactionError('TX_FOREIGN', `a ${tx.database} transaction was handed to a store on another SQLite database`);
    if (!tx.open) return new StoreTransactionError('TX_CLOSED', 'the transaction has already committed or rolled back');
    return undefined;
  }

  private acquire(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }
}

const gates = new WeakMap<Db, SqliteGate>();

/** The one gate of `db` (every store on the connection must share it). */
export function sqliteGate(db: Db): SqliteGate {
  let gate = gates.get(db);
  if (!gate) gates.set(db, (gate = new SqliteGate(db)));
  return gate;
}
