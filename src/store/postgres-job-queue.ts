/**
 * JobQueue on PostgreSQL (DATABASE_URL), shared by every replica: a job is a row, claimed by one replica at a time.
 *
 * Why our own table and not pg-boss: `enqueue` must join the caller's transaction (a session marked recorded commits
 * with its `session.process` job, or neither does), and it does so here by being one INSERT on the caller's `tx`
 * client. pg-boss sends from its own pool connection, so the job could commit without the session or the session
 * without its job; it would also bring a second schema, its own retry and archive policies and a second migration
 * mechanism for what are a few statements here. The SQLite queue's rules (attempts, backoff, give-up) are the same
 * code: the shared JobRunner (job-runner.ts) runs the loop and the bookkeeping; this file is the SQL and the lease.
 *
 * Claiming: one UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING
 * (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE): concurrent claimers skip a row
 * another is taking instead of waiting for it, so no two replicas take one job. The claim counts the attempt, sets a
 * lease (`lease_until`, now + leaseMs) and a fresh fencing token (`lease_token`). While the handler runs, a heartbeat
 * moves the lease forward every leaseMs / 3.
 *
 * A replica that dies: its heartbeat stops, the lease passes, and the job becomes claimable again by the same claim
 * statement (`running` with an expired lease): exactly one other replica takes it (SKIP LOCKED), with a new token.
 * The interrupted attempt counts, as on SQLite; a job out of attempts is given up (onGiveUp, then `failed`) by one
 * replica, holding the row lock. Every later write of the old holder (done, retry, heartbeat) names its token and
 * matches nothing once another replica has taken the job, so a replica that was only slow cannot overwrite the new
 * attempt's outcome. Handlers still run at least once (a crash after the work and before `done` repeats it), so they
 * stay idempotent; session.process's completion is a compare-and-set, so its effects land once.
 *
 * Wake-up: `enqueue` also sends NOTIFY jobs_enqueued in the caller's transaction; PostgreSQL delivers it at the commit
 * to every replica, whose runner then claims at once instead of at its next poll (JOB_POLL_INTERVAL_MS). The poll
 * stays: it finds retries coming due, expired leases, and jobs whose notification was lost with the listening
 * connection.
 */
import { randomUUID } from 'node:crypto';
import type { Job, JobHandler, JobQueue } from './job-queue.js';
import { JobRunner, toJob, type JobBackend, type JobRow, type JobRunnerOptions, type JobSettlement } from './job-runner.js';
import type { PostgresDatabase } from './postgres.js';
import type { StoreTransaction } from './transaction.js';

/** Append-only (PostgresDatabase `migrate`). */
export const POSTGRES_JOB_MIGRATIONS = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     payload TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT,
     run_after BIGINT NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     lease_until BIGINT,
     lease_token TEXT
   );
   CREATE INDEX jobs_due ON jobs (state, run_after);
   CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running';`,
];

/** The NOTIFY channel of new jobs; the payload is the job type (tens of bytes, far under NOTIFY's 8000-byte limit). */
export const JOBS_CHANNEL = 'jobs_enqueued';

/** Default lease, ms: a replica that stops heartbeating loses its job after this long. */
export const DEFAULT_JOB_LEASE_MS = 30_000;

export interface PostgresJobQueueOptions extends JobRunnerOptions {
  db: PostgresDatabase;
  /** How long a claim holds a job without a heartbeat, ms (the heartbeat renews it every third of it). */
  leaseMs?: number;
}

/** A claim: the job and the fencing token every later write of this holder names. */
interface LeasedJob {
  job: Job;
  token: string;
}

type LeasedRow = JobRow & { lease_token: string | null };

/** An outcome's SET clause and its values; $1–$3 are the row, its token and the time, so the outcome's own start at $4. */
function settleClause(settlement: JobSettlement): [string, unknown[]] {
  switch (settlement.state) {
    case 'done':
      return ["state = 'done', last_error = NULL", []];
    case 'failed':
      return ["state = 'failed', last_error = $4", [settlement.error]];
    case 'queued':
      return ["state = 'queued', last_error = $4, run_after = $5", [settlement.error, settlement.runAfter]];
  }
}

export class PostgresJobQueue implements JobQueue {
  private readonly db: PostgresDatabase;
  private readonly leaseMs: number;
  private readonly runner: JobRunner<LeasedJob>;
  private counted = { queued: 0, running: 0 };

  private constructor(options: PostgresJobQueueOptions) {
    this.db = options.db;
    this.leaseMs = options.leaseMs ?? DEFAULT_JOB_LEASE_MS;
    this.runner = new JobRunner('PostgresJobQueue', options, this.backend());
    if (!(this.leaseMs >= 100)) throw new RangeError('PostgresJobQueue: leaseMs must be ≥ 100');
  }

  /** Applies the module's migrations and listens for other replicas' new jobs, then answers the queue (not started). */
  static async open(options: PostgresJobQueueOptions): Promise<PostgresJobQueue> {
    await options.db.migrate('jobs', POSTGRES_JOB_MIGRATIONS);
    const queue = new PostgresJobQueue(options);
    // A job enqueued on any replica (this one too: its wake-up after commit is then a second, harmless one).
    await options.db.listen(JOBS_CHANNEL, () => queue.runner.wake(), () => queue.runner.wake());
    return queue;
  }

  /**
   * Inserts a queued job on the caller's `tx` client (it commits with the caller's writes); wakes this replica's poll
   * after the commit, and every replica's through NOTIFY (delivered at the commit).
   */
  async enqueue<P>(type: string, payload: P, tx?: StoreTransaction, options?: { runAfter?: number }): Promise<string> {
    const id = `job_${randomUUID()}`;
    const now = this.runner.clock();
    await this.db.query(
      tx,
      "INSERT INTO jobs (id, type, payload, state, attempts, run_after, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $5)",
      [id, type, JSON.stringify(payload ?? null), options?.runAfter ?? now, now],
    );
    await this.db.notify(tx, JOBS_CHANNEL, type);
    this.db.afterCommit(tx, () => this.runner.wake());
    return id;
  }

  handle<P>(type: string, handler: JobHandler<P>): void {
    this.runner.handle(type, handler);
  }

  /** Starts polling. Nothing to re-queue: a job a dead process held is claimable again once its lease has passed. */
  async start(): Promise<void> {
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  async get(id: string): Promise<Job | undefined> {
    const { rows } = await this.db.query<JobRow>(undefined, 'SELECT * FROM jobs WHERE id = $1', [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  depth(): { queued: number; running: number } {
    return { ...this.counted };
  }

  /** Gives up expired jobs out of attempts, claims and runs the jobs due now, and waits; answers how many ran. */
  runDue(): Promise<number> {
    return this.runner.runDue();
  }

  /** The SQL and the lease the shared runner calls. */
  private backend(): JobBackend<LeasedJob> {
    return {
      claim: (types) => this.claim(types),
      settle: (claimed, settlement) => this.settle(claimed, settlement),
      beforeClaims: (types) => this.giveUpExpired(types),
      afterPoll: () => this.count(),
      hold: (claimed) => {
        const heartbeat = setInterval(() => void this.renew(claimed), Math.max(50, Math.floor(this.leaseMs / 3)));
        heartbeat.unref();
        return () => clearInterval(heartbeat);
      },
    };
  }

  /**
   * Takes one due job: queued and due, or running with an expired lease and attempts left (its replica died).
   * SKIP LOCKED: a row another claimer is taking is passed over, never waited for.
   */
  private async claim(types: readonly string[]): Promise<LeasedJob | undefined> {
    const now = this.runner.clock();
    const token = randomUUID();
    const { rows } = await this.db.query<LeasedRow>(
      undefined,
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, lease_token = $3, updated_at = $1
       WHERE id = (SELECT id FROM jobs
                   WHERE type = ANY($4) AND ((state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until < $1 AND attempts < $5))
                   ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, now + this.leaseMs, token, types, this.runner.settings.maxAttempts],
    );
    return rows[0] ? { job: toJob(rows[0]), token } : undefined;
  }

  /**
   * Jobs whose holder died on their last attempt: given up by one replica (the row stays locked while onGiveUp runs,
   * so another replica's sweep skips it), then `failed`.
   */
  private async giveUpExpired(types: readonly string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const now = this.runner.clock();
      const { rows } = await this.db.query<LeasedRow>(
        tx,
        `SELECT * FROM jobs WHERE state = 'running' AND lease_until < $1 AND attempts >= $2 AND type = ANY($3)
         ORDER BY lease_until LIMIT 10 FOR UPDATE SKIP LOCKED`,
        [now, this.runner.settings.maxAttempts, types],
      );
      const interrupted = 'interrupted: the replica holding it stopped (its lease expired)';
      for (const row of rows) {
        await this.runner.giveUp({ ...toJob(row), state: 'failed', lastError: interrupted });
        await this.db.query(tx, "UPDATE jobs SET state = 'failed', last_error = $1, lease_until = NULL, lease_token = NULL, updated_at = $2 WHERE id = $3", [
          interrupted,
          this.runner.clock(),
          row.id,
        ]);
      }
      if (rows.length > 0) this.runner.log(`job queue: ${rows.length} job(s) failed (their replica stopped on the last attempt)`);
    });
  }

  /** Records an attempt's outcome if this claim still holds the job (its token); false (and said) when it lost it. */
  private async settle({ job, token }: LeasedJob, settlement: JobSettlement): Promise<boolean> {
    const [set, values] = settleClause(settlement);
    const result = await this.db.query(
      undefined,
      `UPDATE jobs SET ${set}, lease_until = NULL, lease_token = NULL, updated_at = $3 WHERE id = $1 AND lease_token = $2 AND state = 'running'`,
      [job.id, token, this.runner.clock(), ...values],
    );
    if (result.rowCount === 1) return true;
    this.runner.log(`job ${job.id} (${job.type}): its lease passed while attempt ${job.attempts} ran, and another replica took it; this outcome is not recorded`);
    return false;
  }

  private async renew({ job, token }: LeasedJob): Promise<void> {
    const now = this.runner.clock();
    try {
      const result = await this.db.query(undefined, "UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND lease_token = $4 AND state = 'running'", [
        now + this.leaseMs,
        now,
        job.id,
        token,
      ]);
      if (result.rowCount !== 1) this.runner.log(`job ${job.id} (${job.type}): lease lost (another replica took the job)`);
    } catch (error) {
      this.runner.log(`job ${job.id} (${job.type}): lease renewal failed: ${String(error)}`);
    }
  }

  /** Counts for depth(), once a poll (a scrape reads the latest count synchronously). */
  private async count(): Promise<void> {
    const { rows } = await this.db.query<{ state: 'queued' | 'running'; n: number }>(undefined, "SELECT state, count(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state");
    this.counted = { queued: rows.find((r) => r.state === 'queued')?.n ?? 0, running: rows.find((r) => r.state === 'running')?.n ?? 0 };
  }
}
