/**
 * The part of a JobQueue that does not depend on where jobs are stored: the poll loop, handler dispatch, and the
 * attempt bookkeeping (retry with exponential backoff, give up after maxAttempts, report each outcome). The SQLite
 * queue (sqlite-job-queue.ts) and the PostgreSQL one (postgres-job-queue.ts) each own a JobRunner and hand it their SQL
 * through a JobBackend: how to claim a due job, how to record an attempt's outcome, and what else a poll does there
 * (PostgreSQL: give up the jobs of dead replicas, count for depth(), renew the lease while a handler runs).
 *
 * Rules (kept identical on both backends; test/store/job-queue.contract.test.ts runs them on both):
 * - claiming counts the attempt, at most `concurrency` jobs run at once;
 * - a failed attempt is queued again after backoffBaseMs × 2^(attempt − 1) (1 s, 2 s, … with the defaults);
 * - after `maxAttempts` attempts the job is given up: onGiveUp(job) is awaited (an error it throws is logged, never
 *   rethrown, so a broken give-up cannot make the job loop), then the job is recorded `failed` with the last error.
 *   It runs before the `failed` write, so a crash in between calls it again: it must be idempotent.
 * - delivery is at least once: handlers must be idempotent.
 */
import type { Job, JobAttemptOutcome, JobHandler } from './job-queue.js';

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

/** What both queues are built with, besides their database. */
export interface JobRunnerOptions {
  /** Clock, ms since the epoch (run_after, backoff, leases). Default Date.now. */
  clock?: () => number;
  pollIntervalMs?: number;
  concurrency?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  /** Where failed attempts and recovered jobs are reported. Default console. */
  log?: (message: string) => void;
  /**
   * Called (and awaited, before the job is marked `failed`, state already `failed` in the argument) when a job has
   * used all its attempts, also for a job whose last attempt a crash interrupted. Lets the owner of the job's work
   * record the final failure (e.g. complete a session as needs_review). Must be idempotent.
   */
  onGiveUp?: (job: Job) => void | Promise<void>;
  /** Called after each attempt is recorded, with how it ended (for /metrics). */
  onAttempt?: (type: string, outcome: JobAttemptOutcome) => void;
}

/** A job a backend has claimed (PostgreSQL adds its lease's fencing token). */
export interface ClaimedJob {
  job: Job;
}

/** How an attempt is recorded: done, queued again at `runAfter` (ms since the epoch), or failed for good. */
export type JobSettlement = { state: 'done' } | { state: 'queued'; error: string; runAfter: number } | { state: 'failed'; error: string };

/** A queue's storage, as the runner uses it. */
export interface JobBackend<C extends ClaimedJob> {
  /** Takes one due job of one of `types` (attempt counted, state `running`); undefined when none is due. */
  claim(types: readonly string[]): Promise<C | undefined>;
  /** Records how the attempt ended; false when this claim no longer holds the job (nothing recorded). */
  settle(claimed: C, settlement: JobSettlement): Promise<boolean>;
  /** Work at the start of every poll, before claiming (PostgreSQL: give up jobs whose replica died on the last attempt). */
  beforeClaims?(types: readonly string[]): Promise<void>;
  /** Work at the end of every timed poll (PostgreSQL: count jobs for depth()). */
  afterPoll?(): Promise<void>;
  /** Starts what keeps the claim while its handler runs (PostgreSQL: the lease heartbeat); answers how to stop it. */
  hold?(claimed: C): () => void;
  /** Creates the poll timer (SQLite: outside the caller's transaction context). Default: as given. */
  timer?(create: () => NodeJS.Timeout): NodeJS.Timeout;
}

export type JobRunnerSettings = Required<Pick<JobRunnerOptions, 'pollIntervalMs' | 'concurrency' | 'maxAttempts' | 'backoffBaseMs'>>;

export class JobRunner<C extends ClaimedJob> {
  readonly clock: () => number;
  readonly settings: JobRunnerSettings;
  readonly log: (message: string) => void;
  private readonly onGiveUp: ((job: Job) => void | Promise<void>) | undefined;
  private readonly onAttempt: ((type: string, outcome: JobAttemptOutcome) => void) | undefined;
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private ticking = false;
  private tickAgain = false;

  constructor(
    name: string,
    options: JobRunnerOptions,
    private readonly backend: JobBackend<C>,
  ) {
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
    if (this.settings.concurrency < 1 || this.settings.maxAttempts < 1) throw new RangeError(`${name}: concurrency and maxAttempts must be ≥ 1`);
  }

  /** The job types with a handler (only those are claimed: jobs of unknown types stay queued). */
  types(): string[] {
    return [...this.handlers.keys()];
  }

  handle<P>(type: string, handler: JobHandler<P>): void {
    this.handlers.set(type, handler as JobHandler<never>);
    this.wake();
  }

  /** Starts the poll loop (the backend has recovered what it must before). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops taking new jobs and waits for the running ones. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Looks for due jobs soon (a job was added or a handler registered), when started. */
  wake(): void {
    if (this.started) this.schedule(0);
  }

  /**
   * Claims and runs the jobs due now (up to the free concurrency slots) and waits for them; answers how many ran. The
   * poll loop does the same without waiting; tests call this directly with an injected clock instead of timers.
   */
  async runDue(): Promise<number> {
    const types = this.types();
    if (types.length === 0) return 0;
    // Only awaited where there is one: a claim then starts in the same turn as the call (a caller may read at once).
    if (this.backend.beforeClaims) await this.backend.beforeClaims(types);
    const batch: Promise<void>[] = [];
    while (this.running.size < this.settings.concurrency) {
      const claimed = await this.backend.claim(types);
      if (!claimed) break;
      batch.push(this.launch(claimed));
    }
    await Promise.all(batch);
    return batch.length;
  }

  /** Runs onGiveUp for a job out of attempts; its errors are logged, never rethrown (the job still fails). */
  async giveUp(job: Job): Promise<void> {
    if (!this.onGiveUp) return;
    try {
      await this.onGiveUp(job);
    } catch (error) {
      this.log(`job ${job.id} (${job.type}): onGiveUp failed: ${String(error)}`);
    }
  }

  /** Runs a claimed job, tracked for stop(); when it ends, the loop looks for more at once. */
  private launch(claimed: C): Promise<void> {
    const run = this.execute(claimed)
      .catch((error: unknown) => this.log(`job ${claimed.job.id}: could not record the outcome: ${String(error)}`))
      .finally(() => {
        this.running.delete(run);
        this.schedule(0);
      });
    this.running.add(run);
    return run;
  }

  private async execute(claimed: C): Promise<void> {
    const { job } = claimed;
    const handler = this.handlers.get(job.type)!;
    const release = this.backend.hold?.(claimed);
    let failure: string | undefined;
    try {
      await handler(job.payload as never, job as Job<never>);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      release?.();
    }
    if (failure === undefined) {
      if (await this.backend.settle(claimed, { state: 'done' })) this.onAttempt?.(job.type, 'succeeded');
      return;
    }
    if (job.attempts >= this.settings.maxAttempts) {
      await this.giveUp({ ...job, state: 'failed', lastError: failure });
      if (await this.backend.settle(claimed, { state: 'failed', error: failure })) {
        this.log(`job ${job.id} (${job.type}) failed after ${job.attempts} attempt(s): ${failure}`);
        this.onAttempt?.(job.type, 'failed');
      }
      return;
    }
    const delayMs = this.settings.backoffBaseMs * 2 ** (job.attempts - 1);
    if (await this.backend.settle(claimed, { state: 'queued', error: failure, runAfter: this.clock() + delayMs })) {
      this.log(`job ${job.id} (${job.type}) attempt ${job.attempts} failed, retrying in ${delayMs} ms: ${failure}`);
      this.onAttempt?.(job.type, 'retried');
    }
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    const create = () => setTimeout(() => void this.tick(), delayMs);
    this.timer = this.backend.timer ? this.backend.timer(create) : create();
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (!this.started) return;
    // One claiming loop at a time (a claim may wait for the database): a wake-up meanwhile asks the loop to look again.
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      const types = this.types();
      if (types.length > 0 && this.backend.beforeClaims) await this.backend.beforeClaims(types);
      // Claim into free slots; when one finishes, look again at once (more may be due).
      do {
        this.tickAgain = false;
        const current = this.types();
        while (current.length > 0 && this.started && this.running.size < this.settings.concurrency) {
          const claimed = await this.backend.claim(current);
          if (!claimed) break;
          void this.launch(claimed);
        }
      } while (this.tickAgain && this.started);
      await this.backend.afterPoll?.();
    } catch (error) {
      this.log(`job queue poll failed: ${String(error)}`);
    } finally {
      this.ticking = false;
    }
    // A wake-up that came while the poll was past its claiming loop (in afterPoll: a job finished meanwhile) looks
    // again at once; without it, that job's successor would wait a whole poll interval.
    if (this.started && !this.timer) this.schedule(this.tickAgain ? 0 : this.settings.pollIntervalMs);
  }
}

/** A `jobs` row as both databases store it (PostgreSQL adds its lease columns). */
export interface JobRow {
  id: string;
  type: string;
  payload: string;
  state: Job['state'];
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
