/**
 * A persisted job queue: jobs survive a restart, are retried with backoff a bounded number of times, and a job
 * interrupted by a crash (left `running`) is picked up again: at the next start on the embedded SQLite store
 * (sqlite-job-queue.ts), by any replica once its lease expired on PostgreSQL (postgres-job-queue.ts).
 */
import type { StoreTransaction } from './transaction.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface Job<P = unknown> {
  /** `job_<uuid>`. */
  id: string;
  /** Handler name, e.g. "session.process". */
  type: string;
  payload: P;
  state: JobState;
  /** Attempts made so far. */
  attempts: number;
  /** Last error message, when an attempt failed. */
  lastError?: string;
  /** Earliest time the next attempt may run, ms since the epoch. */
  runAfter: number;
}

export type JobHandler<P = unknown> = (payload: P, job: Job<P>) => Promise<void>;

/** Where a job is added: the queue itself, or a test double that answers at once. */
export interface JobEnqueuer {
  /**
   * Adds a job; inside `tx` it commits or rolls back with the caller's writes (a session marked recorded with its
   * processing job). Answers the job's id.
   */
  enqueue<P>(type: string, payload: P, tx?: StoreTransaction): string | Promise<string>;
}

export interface JobQueue extends JobEnqueuer {
  enqueue<P>(type: string, payload: P, tx?: StoreTransaction, options?: { runAfter?: number }): Promise<string>;
  /** Registers the handler for a job type; jobs of unknown types stay queued. */
  handle<P>(type: string, handler: JobHandler<P>): void;
  /** Starts processing (and recovers the jobs a dead process left running). */
  start(): Promise<void>;
  /** Stops taking new jobs and waits for the running ones. */
  stop(): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Jobs waiting (`queued`, due or backing off) and `running`, for /metrics: read synchronously when scraped, so a
   * queue on a network database answers what it counted at its latest poll (at most one poll interval old).
   */
  depth(): { queued: number; running: number };
}

/** How one attempt of a job ended: done, failed and queued again, or failed for good (out of attempts). */
export type JobAttemptOutcome = 'succeeded' | 'retried' | 'failed';
