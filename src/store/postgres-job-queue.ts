/**
 * JobQueue on PostgreSQL (DATABASE_URL), shared by every replica: a job is a row, claimed by one replica at a time.
 *
 * Why our own table and not pg-boss: `enqueue` must join the caller's transaction (a session marked recorded commits
 * with its `session.process` job, or neither does), and it does so here by being one INSERT on the caller's `tx`
 * client. pg-boss sends from its own pool connection, so the job could commit without the session or the session
 * without its job; it would also bring a second schema, its own retry and archive policies and a second migration
 * mechanism for what are a few statements here. The SQLite queue's rules (attempts, backoff, give-up) are kept as they
 * are.
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
 */
import { randomUUID } from 'node:crypto';
import type { Job, JobAttemptOutcome, JobHandler, JobQueue } from './job-queue.js';
import type { PostgresDatabase } from './postgres.js';
import { JOB_QUEUE_DEFAULTS, toJob, type JobRow } from './sqlite-job-queue.js';
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

/** Default lease, ms: a replica that stops heartbeating loses its job after this long. */
export const DEFAULT_JOB_LEASE_MS = 30_000;

export interface PostgresJobQueueOptions {
  db: PostgresDatabase;
  clock?: () => number;
  pollIntervalMs?: number;
  concurrency?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  /** How long a claim holds a job without a heartbeat, ms (the heartbeat renews it every third of it). */
  leaseMs?: number;
  log?: (message: string) => void;
  /** As SqliteJobQueueOptions.onGiveUp: awaited before the job is marked `failed`; must be idempotent. */
  onGiveUp?: (job: Job) => void | Promise<void>;
  onAttempt?: (type: string, outcome: JobAttemptOutcome) => void;
}

interface Claimed {
  job: Job;
  token: string;
}

type LeasedRow = JobRow & { lease_token: string | null };

export class PostgresJobQueue implements JobQueue {
  private readonly db: PostgresDatabase;
  private readonly clock: () => number;
  private readonly settings: { pollIntervalMs: number; concurrency: number; maxAttempts: number; backoffBaseMs: number; leaseMs: number };
  private readonly log: (message: string) => void;
  private readonly onGiveUp: ((job: Job) => void | Promise<void>) | undefined;
  private readonly onAttempt: ((type: string, outcome: JobAttemptOutcome) => void) | undefined;
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private ticking = false;
  private tickAgain = false;
  private counted = { queued: 0, running: 0 };

  private constructor(options: PostgresJobQueueOptions) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((message) => console.warn(message));
    this.onGiveUp = options.onGiveUp;
    this.onAttempt = options.onAttempt;
    this.settings = {
      pollIntervalMs: options.pollIntervalMs ?? JOB_QUEUE_DEFAULTS.pollIntervalMs,
      concurrency: options.concurrency ?? JOB_QUEUE_DEFAULTS.concurrency,
      maxAttempts: options.maxAttempts ?? JOB_QUEUE_DEFAULTS.maxAttempts,
      backoffBaseMs: options.backoffBaseMs ?? JOB_QUEUE_DEFAULTS.backoffBaseMs,
      leaseMs: options.leaseMs ?? DEFAULT_JOB_LEASE_MS,
    };
    if (this.settings.concurrency < 1 || this.settings.maxAttempts < 1) throw new RangeError('PostgresJobQueue: concurrency and maxAttempts must be ≥ 1');
    if (!(this.settings.leaseMs >= 100)) throw new RangeError('PostgresJobQueue: leaseMs must be ≥ 100');
  }

  /** Applies the module's migrations, then answers the queue (not started). */
  static async open(options: PostgresJobQueueOptions): Promise<PostgresJobQueue> {
    await options.db.migrate('jobs', POSTGRES_JOB_MIGRATIONS);
    return new PostgresJobQueue(options);
  }

  /** Inserts a queued job on the caller's `tx` client (it commits with the caller's writes); wakes the poll after the commit. */
  async enqueue<P>(type: string, payload: P, tx?: StoreTransaction, options?: { runAfter?: number }): Promise<string> {
    const id = `job_${randomUUID()}`;
    const now = this.clock();
    await this.db.query(
      tx,
      "INSERT INTO jobs (id, type, payload, state, attempts, run_after, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $5)",
      [id, type, JSON.stringify(payload ?? null), options?.runAfter ?? now, now],
    );
    this.db.afterCommit(tx, () => {
      if (this.started) this.schedule(0);
    });
    return id;
  }

  handle<P>(type: string, handler: JobHandler<P>): void {
    this.handlers.set(type, handler as JobHandler<never>);
    if (this.started) this.schedule(0);
  }

  /** Starts polling. Nothing to re-queue: a job a dead process held is claimable again once its lease has passed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async get(id: string): Promise<Job | undefined> {
    const { rows } = await this.db.query<JobRow>(undefined, 'SELECT * FROM jobs WHERE id = $1', [id]);
    return rows[0] ? toJob(rows[0]) : undefined;
  }

  depth(): { queued: number; running: number } {
    return { ...this.counted };
  }

  /** Claims and runs the jobs due now (up to the free slots), gives up expired ones out of attempts, and waits; answers how many ran. */
  async runDue(): Promise<number> {
    await this.giveUpExpired();
    const batch: Promise<void>[] = [];
    while (this.running.size < this.settings.concurrency) {
      const claimed = await this.claim();
      if (!claimed) break;
      batch.push(this.launch(claimed));
    }
    await Promise.all(batch);
    return batch.length;
  }

  /**
   * Takes one due job: queued and due, or running with an expired lease and attempts left (its replica died).
   * SKIP LOCKED: a row another claimer is taking is passed over, never waited for.
   */
  private async claim(): Promise<Claimed | undefined> {
    const types = [...this.handlers.keys()];
    if (types.length === 0) return undefined;
    const now = this.clock();
    const token = randomUUID();
    const { rows } = await this.db.query<LeasedRow>(
      undefined,
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, lease_token = $3, updated_at = $1
       WHERE id = (SELECT id FROM jobs
                   WHERE type = ANY($4) AND ((state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until < $1 AND attempts < $5))
                   ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, now + this.settings.leaseMs, token, types, this.settings.maxAttempts],
    );
    return rows[0] ? { job: toJob(rows[0]), token } : undefined;
  }

  /**
   * Jobs whose holder died on their last attempt: given up by one replica (the row stays locked while onGiveUp runs,
   * so another replica's sweep skips it), then `failed`.
   */
  private async giveUpExpired(): Promise<void> {
    const types = [...this.handlers.keys()];
    if (types.length === 0) return;
    await this.db.transaction(async (tx) => {
      const now = this.clock();
      const { rows } = await this.db.query<LeasedRow>(
        tx,
        `SELECT * FROM jobs WHERE state = 'running' AND lease_until < $1 AND attempts >= $2 AND type = ANY($3)
         ORDER BY lease_until LIMIT 10 FOR UPDATE SKIP LOCKED`,
        [now, this.settings.maxAttempts, types],
      );
      const interrupted = 'interrupted: the replica holding it stopped (its lease expired)';
      for (const row of rows) {
        await this.giveUp({ ...toJob(row), state: 'failed', lastError: interrupted });
        await this.db.query(tx, "UPDATE jobs SET state = 'failed', last_error = $1, lease_until = NULL, lease_token = NULL, updated_at = $2 WHERE id = $3", [interrupted, this.clock(), row.id]);
      }
      if (rows.length > 0) this.log(`job queue: ${rows.length} job(s) failed (their replica stopped on the last attempt)`);
    });
  }

  private launch(claimed: Claimed): Promise<void> {
    const run = this.execute(claimed)
      .catch((error: unknown) => this.log(`job ${claimed.job.id}: could not record the outcome: ${String(error)}`))
      .finally(() => {
        this.running.delete(run);
        this.schedule(0);
      });
    this.running.add(run);
    return run;
  }

  private async execute({ job, token }: Claimed): Promise<void> {
    const handler = this.handlers.get(job.type)!;
    const heartbeat = setInterval(() => void this.renew(job, token), Math.max(50, Math.floor(this.settings.leaseMs / 3)));
    heartbeat.unref();
    let failure: { message: string } | undefined;
    try {
      await handler(job.payload as never, job as Job<never>);
    } catch (error) {
      failure = { message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearInterval(heartbeat);
    }
    const now = this.clock();
    if (!failure) {
      if (await this.settle(job, token, "state = 'done', last_error = NULL", [])) this.onAttempt?.(job.type, 'succeeded');
      return;
    }
    if (job.attempts >= this.settings.maxAttempts) {
      await this.giveUp({ ...job, state: 'failed', lastError: failure.message });
      if (await this.settle(job, token, "state = 'failed', last_error = $4", [failure.message])) {
        this.log(`job ${job.id} (${job.type}) failed after ${job.attempts} attempt(s): ${failure.message}`);
        this.onAttempt?.(job.type, 'failed');
      }
      return;
    }
    const delay = this.settings.backoffBaseMs * 2 ** (job.attempts - 1);
    if (await this.settle(job, token, "state = 'queued', last_error = $4, run_after = $5", [failure.message, now + delay])) {
      this.log(`job ${job.id} (${job.type}) attempt ${job.attempts} failed, retrying in ${delay} ms: ${failure.message}`);
      this.onAttempt?.(job.type, 'retried');
    }
  }

  /** Records an attempt's outcome if this claim still holds the job (its token); false (and said) when it lost it. */
  private async settle(job: Job, token: string, set: string, values: unknown[]): Promise<boolean> {
    const result = await this.db.query(
      undefined,
      `UPDATE jobs SET ${set}, lease_until = NULL, lease_token = NULL, updated_at = $3 WHERE id = $1 AND lease_token = $2 AND state = 'running'`,
      [job.id, token, this.clock(), ...values],
    );
    if (result.rowCount === 1) return true;
    this.log(`job ${job.id} (${job.type}): its lease passed while attempt ${job.attempts} ran, and another replica took it; this outcome is not recorded`);
    return false;
  }

  private async renew(job: Job, token: string): Promise<void> {
    const now = this.clock();
    try {
      const result = await this.db.query(undefined, "UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND lease_token = $4 AND state = 'running'", [
        now + this.settings.leaseMs,
        now,
        job.id,
        token,
      ]);
      if (result.rowCount !== 1) this.log(`job ${job.id} (${job.type}): lease lost (another replica took the job)`);
    } catch (error) {
      this.log(`job ${job.id} (${job.type}): lease renewal failed: ${String(error)}`);
    }
  }

  private async giveUp(job: Job): Promise<void> {
    if (!this.onGiveUp) return;
    try {
      await this.onGiveUp(job);
    } catch (error) {
      this.log(`job ${job.id} (${job.type}): onGiveUp failed: ${String(error)}`);
    }
  }

  private async count(): Promise<void> {
    const { rows } = await this.db.query<{ state: 'queued' | 'running'; n: number }>(undefined, "SELECT state, count(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state");
    this.counted = { queued: rows.find((r) => r.state === 'queued')?.n ?? 0, running: rows.find((r) => r.state === 'running')?.n ?? 0 };
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.started) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      await this.giveUpExpired();
      do {
        this.tickAgain = false;
        while (this.started && this.running.size < this.settings.concurrency) {
          const claimed = await this.claim();
          if (!claimed) break;
          void this.launch(claimed);
        }
      } while (this.tickAgain && this.started);
      await this.count();
    } catch (error) {
      this.log(`job queue poll failed: ${String(error)}`);
    } finally {
      this.ticking = false;
    }
    if (this.started && !this.timer) this.schedule(this.settings.pollIntervalMs);
  }
}
