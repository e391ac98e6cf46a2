/**
 * A small progress bar on stderr for long bench runs, with no dependencies. On a TTY it redraws one line
 * (`label [#####.....] 12/40 30% 0:42 eta 1:38`); when stderr is not a TTY (CI logs, pipes) it prints
 * nothing until `done()`, which writes one final line, so logs stay readable.
 */

export interface ProgressOptions {
  /** Where to write; process.stderr by default. */
  stream?: NodeJS.WriteStream;
  /** Bar width, characters. */
  width?: number;
  /** Smallest interval between redraws, ms (redrawing every tick would cost more than some ticks). */
  minIntervalMs?: number;
}

/** m:ss for a duration in seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?:??';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The text of one progress line (pure, for tests). */
export function progressLine(label: string, done: number, total: number, elapsedSeconds: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  const eta = done > 0 ? (elapsedSeconds / done) * (total - done) : Number.NaN;
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${Math.round(fraction * 100)}% ${formatDuration(elapsedSeconds)} eta ${formatDuration(eta)}`;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly stream: NodeJS.WriteStream;
  private readonly width: number;
  private readonly minIntervalMs: number;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.width = options.width ?? 24;
    this.minIntervalMs = options.minIntervalMs ?? 100;
  }

  private get tty(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Advances by `by` steps and redraws (TTY only, throttled). */
  tick(by = 1): void {
    this.done = Math.min(this.total, this.done + by);
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < this.minIntervalMs && this.done < this.total) return;
    this.lastDraw = now;
    this.stream.write(`\r${progressLine(this.label, this.done, this.total, (now - this.started) / 1000, this.width)}\x1b[K`);
  }

  /** Ends the bar with one final line (also when stderr is not a TTY). Idempotent. */
  finish(note = ''): void {
    if (this.finished) return;
    this.finished = true;
    const line = progressLine(this.label, this.done, this.total, (Date.now() - this.started) / 1000, this.width);
    this.stream.write(`${this.tty ? '\r' : ''}${line}${note ? ` ${note}` : ''}${this.tty ? '\x1b[K' : ''}\n`);
  }
}
