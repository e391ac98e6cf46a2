/**
 * The unit of work behind the store interfaces (issue #20): writes that must commit together (a session's upload and
 * its processing job, a completion and its webhook event) run in one `transaction(async (tx) => …)`, and every store
 * method that writes takes that `tx` as its last, optional argument. Without one a method commits on its own.
 *
 * `tx` is opaque to callers: the SQLite implementation (sqlite-gate.ts) uses it to know the caller holds the
 * connection; the PostgreSQL one (postgres.ts) carries the pool client the transaction runs on. A `tx` from one
 * database handed to another database's store is a wiring error and is refused (TX_FOREIGN).
 */

/** A transaction in progress; only valid inside the callback it was handed to. */
export interface StoreTransaction {
  /** Which implementation opened it (a store refuses another's). */
  readonly database: 'sqlite' | 'postgres';
}

export interface TransactionRunner {
  /**
   * Runs `work` in one transaction: committed when its promise resolves, rolled back when it rejects (the rejection is
   * passed on). Nested calls are not supported: inside `work`, pass `tx` down instead.
   */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

/** A store method called with a transaction it cannot use, or without one where it would deadlock. */
export class StoreTransactionError extends Error {
  constructor(
    readonly code: 'TX_FOREIGN' | 'TX_MISSING' | 'TX_CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'StoreTransactionError';
  }
}
