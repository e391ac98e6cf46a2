/**
 * JobQueue on the embedded SQLite database: a job is a row, so it survives a restart. Every statement goes through
 * the connection's gate (sqlite-gate.ts), so an enqueue inside a caller's transaction commits with it.
 *
 * A poll loop (setTimeout, `pollIntervalMs`) claims due jobs of registered types, at most `concurrency`
 * at once, with one UPDATE … RETURNING (atomic in SQLite, so one job never runs twice from one claim).
 * Claiming counts the attempt. A failed attempt is retried after exponential backoff,
 * backoffBaseMs × 2^(attempt − 1) (1 s, 2 s, … with the defaults), until `maxAttempts` attempts were
 * made; then the job is `failed` with the last error. `start()` re-queues jobs a dead process left
 * `running`; the interrupted attempt counts, so a job that crashes the process every time still ends
 * `failed` after maxAttempts starts instead of looping forever.
 *
 * Delivery is at least once: a handler interrupted by a crash runs again, so handlers must be
 * idempotent. One process per database (the embedded default runs one process per node).
 *
 * Giving up: `onGiveUp(job)` is called whenever a job is about to be marked `failed` — after its last
 * attempt threw, and also at `start()` for a job whose last attempt was interrupted by a crash (its handler
 * never got the chance to give up gracefully). It runs before the `failed` write, so a crash in between
 * calls it again at the next start: like handlers, it must be idempotent. An error it throws is logged and
 * the job is still marked failed (a broken give-up must not make the job loop).
 */
import { randomUUID } from 'node:crypto';
import { migrate, type Db } from './database.js';
import type { Job, JobAttemptOutcome, JobHandler, JobQueue, JobState } from './job-queue.js';
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

/** Defaults (also the config defaults, src/config.ts JOB_*). */
export const JOB_QUEUE_DEFAULTS = {
  /** How often the queue looks for due jobs when idle, ms. */
  pollIntervalMs: 1000,
  /** Jobs running at once. */
  concurrency: 1,
  /** Attempts before a job is `failed` (the first run included). */
  maxAttempts: 3,
  /** Delay before the first retry, ms; doubles with each further retry. */
  backoffBaseMs: 1000,
} as const;

export interface SqliteJobQueueOptions {
  db: Db;
  /** Clock, ms since the epoch (run_after, backoff). Default Date.now. */
  clock?: () => number;
  pollIntervalMs?: number;
  concurrency?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  /** Where failed attempts and re-queued jobs are reported. Default console. */
  log?: (message: string) => void;
  /**
   * Called (and awaited, before the job is marked `failed`, state already `failed` in the argument) when
   * a job has used all its attempts — also at start() for a job whose last attempt a crash interrupted.
   * Lets the owner of the job's work record the final failure (e.g. complete a session as needs_review).
   */
  onGiveUp?: (job: Job) => void | Promise<void>;
  /** Called after each attempt is recorded, with how it ended (for /metrics). */
  onAttempt?: (type: string, outcome: JobAttemptOutcome) => void;
}

export interface JobRow {
  id: string;
  type: string;
  payload: string;
  state: JobState;
  attempts: number;
  last_error: string | null;
  run_after: number;
}

export const toJob = (row: JobRow): Job => ({
  id: row.id,
  type: row.type,
  payload: JSON.parse(row.payload) as unknown,
  state: row.state,
  attempts: row.attempts,
  ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  runAfter: row.run_after,
});

export class SqliteJobQueue implements JobQueue {
  private readonly db: Db;
  private readonly gate: SqliteGate;
  private readonly clock: () => number;
  private readonly settings: { pollIntervalMs: number; concurrency: number; maxAttempts: number; backoffBaseMs: number };
  private readonly log: (message: string) => void;
  private readonly onGiveUp: ((job: Job) => void | Promise<void>) | undefined;
  private readonly onAttempt: ((type: string, outcome: JobAttemptOutcome) => void) | undefined;
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private ticking = false;
  private tickAgain = false;

  constructor(options: SqliteJobQueueOptions) {
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
    };
    if (this.settings.concurrency < 1 || this.settings.maxAttempts < 1) throw new RangeError('SqliteJobQueue: concurrency and maxAttempts must be ≥ 1');
    migrate(this.db, 'jobs', MIGRATIONS);
    this.gate = sqliteGate(this.db);
  }

  /** Inserts a queued job; inside `tx` (sqlite-gate.ts) it commits or rolls back with the caller's own writes. */
  enqueue<P>(type: string, payload: P, tx?: StoreTransaction, options?: { runAfter?: number }): Promise<string> {
    return this.gate.run(tx, () => {
      const id = `job_${randomUUID()}`;
      const now = this.clock();
      this.db
        .prepare("INSERT INTO jobs (id, type, payload, state, attempts, run_after, created_at, updated_at) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)")
        .run(id, type, JSON.stringify(payload ?? null), options?.runAfter ?? now, now, now);
      // Look soon: the poll waits for the gate, so it reads after the caller's transaction has committed.
      if (this.started) this.schedule(0);
      return id;
    });
  }

  handle<P>(type: string, handler: JobHandler<P>): void {
    this.handlers.set(type, handler as JobHandler<never>);
    if (this.started) this.schedule(0);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Jobs a dead process left running: their attempt counted; give up on those that used them all.
    const interrupted = 'interrupted: the process stopped while it ran';
    const exhausted = await this.gate.run(undefined, () => this.db.prepare("SELECT * FROM jobs WHERE state = 'running' AND attempts >= ?").all(this.settings.maxAttempts) as JobRow[]);
    for (const row of exhausted) await this.giveUp({ ...toJob(row), state: 'failed', lastError: interrupted });
    const { failed, requeued } = await this.gate.run(undefined, () => {
      const now = this.clock();
      return {
        failed: this.db
          .prepare("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE state = 'running' AND attempts >= ?")
          .run(interrupted, now, this.settings.maxAttempts).changes,
        requeued: this.db.prepare("UPDATE jobs SET state = 'queued', run_after = ?, updated_at = ? WHERE state = 'running'").run(now, now).changes,
      };
    });
    if (failed + requeued > 0) this.log(`job queue: ${requeued} interrupted job(s) re-queued, ${failed} failed (no attempts left)`);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
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

  /**
   * Claims and runs the jobs due now (up to the free concurrency slots) and waits for them; returns how
   * many ran. The poll loop calls it; tests call it directly with an injected clock instead of timers.
   */
  async runDue(): Promise<number> {
    const batch: Promise<void>[] = [];
    while (this.running.size < this.settings.concurrency) {
      const job = await this.claim();
      if (!job) break;
      batch.push(this.launch(job));
    }
    await Promise.all(batch);
    return batch.length;
  }

  private async claim(): Promise<Job | undefined> {
    const types = [...this.handlers.keys()];
    if (types.length === 0) return undefined;
    return this.gate.run(undefined, () => {
      const now = this.clock();
      const row = this.db
        .prepare(
          `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ?
           WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ? AND type IN (SELECT value FROM json_each(?))
                       ORDER BY run_after, created_at LIMIT 1)
           RETURNING *`,
        )
        .get(now, now, JSON.stringify(types)) as JobRow | undefined;
      return row ? toJob(row) : undefined;
    });
  }

  /** Runs a claimed job, tracked for stop(); when it ends, the loop looks for more at once. */
  private launch(job: Job): Promise<void> {
    const run = this.execute(job)
      .catch((error: unknown) => this.log(`job ${job.id}: could not record the outcome: ${String(error)}`))
      .finally(() => {
        this.running.delete(run);
        this.schedule(0);
      });
    this.running.add(run);
    return run;
  }

  private async execute(job: Job): Promise<void> {
    const handler = this.handlers.get(job.type)!;
    try {
      await handler(job.payload as never, job as Job<never>);
      await this.gate.run(undefined, () => this.db.prepare("UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?").run(this.clock(), job.id));
      this.onAttempt?.(job.type, 'succeeded');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const now = this.clock();
      if (job.attempts >= this.settings.maxAttempts) {
        await this.giveUp({ ...job, state: 'failed', lastError: message });
        await this.gate.run(undefined, () => this.db.prepare("UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?").run(message, now, job.id));
        this.log(`job ${job.id} (${job.type}) failed after ${job.attempts} attempt(s): ${message}`);
        this.onAttempt?.(job.type, 'failed');
      } else {
        const delay = this.settings.backoffBaseMs * 2 ** (job.attempts - 1);
        await this.gate.run(undefined, () => this.db.prepare("UPDATE jobs SET state = 'queued', last_error = ?, run_after = ?, updated_at = ? WHERE id = ?").run(message, now + delay, now, job.id));
        this.log(`job ${job.id} (${job.type}) attempt ${job.attempts} failed, retrying in ${delay} ms: ${message}`);
        this.onAttempt?.(job.type, 'retried');
      }
    }
  }

  /** Runs onGiveUp for a job out of attempts; its errors are logged, never rethrown (the job still fails). */
  private async giveUp(job: Job): Promise<void> {
    if (!this.onGiveUp) return;
    try {
      await this.onGiveUp(job);
    } catch (error) {
      this.log(`job ${job.id} (${job.type}): onGiveUp failed: ${String(error)}`);
    }
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    // Detached: an enqueue inside a transaction must not hand its context to the poll (sqlite-gate.ts).
    this.timer = detachFromTransaction(() => setTimeout(() => void this.tick(), delayMs));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.started) return;
    // One claiming loop at a time (a claim may wait for the gate): a wake-up meanwhile asks the loop to look again.
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      // Claim into free slots; when one finishes, look again at once (more may be due).
      do {
        this.tickAgain = false;
        while (this.started && this.running.size < this.settings.concurrency) {
          const job = await this.claim();
          if (!job) break;
          void this.launch(job);
        }
      } while (this.tickAgain && this.started);
    } catch (error) {
      this.log(`job queue poll failed: ${String(error)}`);
    } finally {
      this.ticking = false;
    }
    if (this.started && !this.timer) this.schedule(this.settings.pollIntervalMs);
  }
}
