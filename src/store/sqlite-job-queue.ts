/**
 * JobQueue on the embedded SQLite database: a job is a row, so it survives a restart. Every statement goes through
 * the connection's gate (sqlite-gate.ts), so an enqueue inside a caller's transaction commits with it.
 *
 * The poll loop, retries with backoff and giving up are the shared JobRunner's (job-runner.ts); this file is the SQL.
 * A claim is one UPDATE … RETURNING (atomic in SQLite, so one job never runs twice from one claim) and counts the
 * attempt. `start()` re-queues jobs a dead process left `running`; the interrupted attempt counts, so a job that
 * crashes the process every time still ends `failed` after maxAttempts starts instead of looping forever.
 *
 * Delivery is at least once: a handler interrupted by a crash runs again, so handlers must be
 * idempotent. One process per database (the embedded default runs one process per node).
 *
 * Giving up: `onGiveUp(job)` is called whenever a job is about to be marked `failed`: after its last attempt threw
 * (job-runner.ts), and also at `start()` for a job whose last attempt was interrupted by a crash (its handler never
 * got the chance to give up gracefully).
 */
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from './database.js';
import type { Job, JobHandler, JobQueue, JobState } from './job-queue.js';
import { JobRunner, toJob, type ClaimedJob, type JobBackend, type JobRow, type JobRunnerOptions, type JobSettlement } from './job-runner.js';
import { detachFromTransaction, sqliteGate, type SqliteGate } from './sqlite-gate.js';
import type { StoreTransaction } from './transaction.js';

/** Append-only (database.ts `migrate`). */
const MIGRATIONS = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     run_after INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX jobs_due ON jobs (state, run_after);`,
];

export interface SqliteJobQueueOptions extends JobRunnerOptions {
  db: Db;
}

export class SqliteJobQueue implements JobQueue {
  private readonly db: Db;
  private readonly gate: SqliteGate;
  private readonly runner: JobRunner<ClaimedJob>;
  private starting: Promise<void> | undefined;

  constructor(options: SqliteJobQueueOptions) {
    this.db = options.db;
    this.runner = new JobRunner('SqliteJobQueue', options, this.backend());
    migrate(this.db, 'jobs', MIGRATIONS);
    this.gate = sqliteGate(this.db);
  }

  /** Inserts a queued job; inside `tx` (sqlite-gate.ts) it commits or rolls back with the caller's own writes. */
  enqueue<P>(type: string, payload: P, tx?: StoreTransaction, options?: { runAfter?: number }): Promise<string> {
    return this.gate.run(tx, () => {
      const id = `job_${randomUUID()}`;
      const now = this.runner.clock();
      this.db
        .prepare("INSERT INTO jobs (id, type, payload, state, attempts, run_after, created_at, updated_at) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)")
        .run(id, type, JSON.stringify(payload ?? null), options?.runAfter ?? now, now, now);
      // Look soon: the poll waits for the gate, so it reads after the caller's transaction has committed.
      this.runner.wake();
      return id;
    });
  }

  handle<P>(type: string, handler: JobHandler<P>): void {
    this.runner.handle(type, handler);
  }

  /** Recovers what a dead process left running, then starts the poll loop; a second call waits for the first. */
  start(): Promise<void> {
    this.starting ??= this.recoverAndStart().catch((error: unknown) => {
      this.starting = undefined; // a failed start may be tried again
      throw error;
    });
    return this.starting;
  }

  private async recoverAndStart(): Promise<void> {
    const { maxAttempts } = this.runner.settings;
    // Jobs a dead process left running: their attempt counted; give up on those that used them all.
    const interrupted = 'interrupted: the process stopped while it ran';
    const exhausted = await this.gate.run(undefined, () => this.db.prepare("SELECT * FROM jobs WHERE state = 'running' AND attempts >= ?").all(maxAttempts) as JobRow[]);
    for (const row of exhausted) await this.runner.giveUp({ ...toJob(row), state: 'failed', lastError: interrupted });
    const { failed, requeued } = await this.gate.run(undefined, () => {
      const now = this.runner.clock();
      return {
        failed: this.db.prepare("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE state = 'running' AND attempts >= ?").run(interrupted, now, maxAttempts).changes,
        requeued: this.db.prepare("UPDATE jobs SET state = 'queued', run_after = ?, updated_at = ? WHERE state = 'running'").run(now, now).changes,
      };
    });
    if (failed + requeued > 0) this.runner.log(`job queue: ${requeued} interrupted job(s) re-queued, ${failed} failed (no attempts left)`);
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.starting = undefined;
    await this.runner.stop();
  }

  get(id: string): Promise<Job | undefined> {
    return this.gate.run(undefined, () => {
      const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
      return row ? toJob(row) : undefined;
    });
  }

  depth(): { queued: number; running: number } {
    // Synchronous (a scrape): read at once, even while a transaction is open (a gauge may count a job a moment early).
    // Both states lead the jobs_due index (state, run_after): two index range counts, not a table scan.
    const rows = this.db.prepare("SELECT state, count(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state").all() as { state: JobState; n: number }[];
    const count = (state: JobState) => rows.find((r) => r.state === state)?.n ?? 0;
    return { queued: count('queued'), running: count('running') };
  }

  /** Claims and runs the jobs due now and waits for them; answers how many ran (JobRunner.runDue). */
  runDue(): Promise<number> {
    return this.runner.runDue();
  }

  /** The SQL the shared runner calls. */
  private backend(): JobBackend<ClaimedJob> {
    return {
      claim: (types) =>
        this.gate.run(undefined, () => {
          const now = this.runner.clock();
          const row = this.db
            .prepare(
              `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ?
               WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ? AND type IN (SELECT value FROM json_each(?))
                           ORDER BY run_after, created_at LIMIT 1)
               RETURNING *`,
            )
            .get(now, now, JSON.stringify(types)) as JobRow | undefined;
          return row ? { job: toJob(row) } : undefined;
        }),
      settle: ({ job }, settlement: JobSettlement) =>
        this.gate.run(undefined, () => {
          const now = this.runner.clock();
          if (settlement.state === 'done') this.db.prepare("UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?").run(now, job.id);
          else if (settlement.state === 'failed') this.db.prepare("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?").run(settlement.error, now, job.id);
          else this.db.prepare("UPDATE jobs SET state = 'queued', last_error = ?, run_after = ?, updated_at = ? WHERE id = ?").run(settlement.error, settlement.runAfter, now, job.id);
          // One process per database file: a claim is never taken away, so the outcome is always recorded.
          return true;
        }),
      // Detached: an enqueue inside a transaction must not hand its context to the poll (sqlite-gate.ts).
      timer: (create) => detachFromTransaction(create),
    };
  }
}
