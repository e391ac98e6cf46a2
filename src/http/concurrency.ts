/**
 * Process-wide bound on inference work: at most `concurrency` jobs run, at most `queueSize` wait;
 * past that a job is refused at once with BUSY (503), so a burst costs callers a fast retry instead of
 * piling up memory and latency (DESIGN.md "Bounded work"). Used around the pipeline call only, after
 * the body is read, so slow uploads never hold a slot.
 */
import { AppError } from '../errors.js';

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
    if (!Number.isInteger(queueSize) || queueSize < 0) throw new RangeError(`queueSize must be an integer ≥ 0, got ${queueSize}`);
  }

  /** Jobs running / waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `job` when a slot is free; throws BUSY at once when all slots and the queue are taken. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueSize) {
        throw new AppError('BUSY', `server at capacity: ${this.running} running, ${this.waiting.length} queued`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await job();
    } finally {
      const nextJob = this.waiting.shift();
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      if (nextJob) nextJob();
      else this.running -= 1;
    }
  }
}
