/**
 * A persisted job queue (SQLite): jobs survive a restart, are retried with backoff a bounded number of
 * times, and a job interrupted by a crash (left `running`) is picked up again at the next start.
 */
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

export interface JobQueue {
  /** Adds a job (in the caller's transaction when given one by the implementation); returns its id. */
  enqueue<P>(type: string, payload: P): string;
  /** Registers the handler for a job type; jobs of unknown types stay queued. */
  handle<P>(type: string, handler: JobHandler<P>): void;
  /** Starts processing (and re-queues jobs a previous process left running). */
  start(): void;
  /** Stops taking new jobs and waits for the running ones. */
  stop(): Promise<void>;
  get(id: string): Job | undefined;
  /** Jobs waiting (`queued`, due or backing off) and `running` now, for /metrics. */
  depth(): { queued: number; running: number };
}

/** How one attempt of a job ended: done, failed and queued again, or failed for good (out of attempts). */
export type JobAttemptOutcome = 'succeeded' | 'retried' | 'failed';
