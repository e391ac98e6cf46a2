/**
 * One inference thread (worker_threads) that owns every ORT session, and the main-thread proxies for them.
 *
 * Why: onnxruntime-node 1.29 runs a model synchronously on the thread that calls `run` (its backend.js only
 * defers the native call with setImmediate), so with sessions on the main thread every model run blocks HTTP,
 * decoding callbacks and the other requests' pre-processing. Here the main thread posts a run and goes on;
 * the inference thread runs models back to back. Measured in bench/RESULTS.md "Where the time goes (issue #8)".
 *
 * Inputs are copied to the thread (structured clone: callers may reuse their arrays), except those already in
 * shared memory (SharedArrayBuffer), which are shared and copied by the thread itself (session.ts); outputs are transferred
 * back (no copy). A run's errors keep their stable code. If the thread dies, every pending and later run
 * fails with INFERENCE_FAILED and `onExit` is told, so the service can stop instead of hanging.
 */
import { rmSync } from 'node:fs';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors.js';
import type { LoadedSession, SessionHost } from './session-host.js';
import { type ExecutionProvider, type NodePlacement, placementRoot, type SessionOptions, type Tensor, type ValueInfo } from './session.js';

/** An error as it crosses the thread boundary. */
export interface WireError {
  code: ErrorCode;
  message: string;
  subject?: string;
}

export type ThreadRequest =
  | { op: 'create'; id: number; label: string; model: Uint8Array; options: SessionOptions }
  | { op: 'run'; id: number; sessionId: number; feeds: Record<string, Tensor>; outputNames: readonly string[] | undefined }
  | { op: 'release'; id: number; sessionId: number }
  | { op: 'close'; id: number };

export type ThreadReply =
  | {
      id: number;
      ok: true;
      ready?: true;
      sessionId?: number;
      inputs?: readonly ValueInfo[];
      outputs?: Record<string, Tensor> | readonly ValueInfo[];
      placement?: NodePlacement;
      placementProblem?: string;
    }
  | { id: number; ok: false; error: WireError };

type Ok = Extract<ThreadReply, { ok: true }>;

/**
 * How long close() waits for the thread to finish what it was sent and exit, ms, before terminating it anyway.
 * One model run takes ≤ ~0.1 s on CPU (bench/RESULTS.md, bench models), so even hundreds of queued runs finish
 * well within it; a thread still busy after 30 s is stuck in a native call, and terminating it then (which may
 * abort the process, see inference-worker.ts) is the lesser harm than never exiting. The service's own
 * SHUTDOWN_GRACE_SECONDS timer (default 10 s, src/main.ts) usually ends the process first.
 */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * The worker script. Compiled (dist/, `npm start`): inference-worker.js itself. From source (tsx: `npm run dev`, the
 * tests, the benches): inference-worker-entry.mjs, which registers tsx and then loads inference-worker.ts, because a
 * worker does not inherit the parent's loader hooks.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.js') ? new URL('./inference-worker.js', import.meta.url) : new URL('./inference-worker-entry.mjs', import.meta.url);

/** A typed array that owns exactly its buffer clones compactly; a view into a larger buffer is copied first. */
const compact = (t: Tensor): Tensor => (t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength ? t : { data: t.data.slice(), dims: t.dims });

export class InferenceThread implements SessionHost {
  readonly mode = 'worker' as const;
  private readonly pending = new Map<number, { resolve: (reply: Ok) => void; reject: (error: unknown) => void }>();
  private nextId = 1;
  private failure: AppError | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private ready = false;

  private constructor(
    private readonly worker: Worker,
    onExit: ((error: AppError) => void) | undefined,
  ) {
    worker.on('message', (reply: ThreadReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      this.refWhileBusy();
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(new AppError(reply.error.code, reply.error.message, reply.error.subject !== undefined ? { subject: reply.error.subject } : undefined));
    });
    const fail = (why: string, cause?: unknown) => {
      if (this.failure) return;
      this.failure = new AppError('INFERENCE_FAILED', `inference thread ${why}`, cause !== undefined ? { cause } : undefined);
      for (const waiter of this.pending.values()) waiter.reject(this.failure);
      this.pending.clear();
      if (this.ready && !this.closing) onExit?.(this.failure);
    };
    worker.on('error', (error) => fail(`failed: ${error instanceof Error ? error.message : String(error)}`, error));
    worker.on('exit', (code) => fail(this.closing ? 'closed' : `exited unexpectedly (exit code ${code})`));
  }

  /**
   * Starts the thread and waits until it is ready. `onExit` hears of a thread that dies while in use. `entry` is
   * the worker script (tests start one that dies on purpose).
   */
  static async start(onExit?: (error: AppError) => void, entry: URL = WORKER_ENTRY): Promise<InferenceThread> {
    const worker = new Worker(entry, { name: 'inference' });
    // The thread's sessions profile under this process's placement root; a terminated worker may not run its own
    // exit handler, so the main thread removes the root too.
    process.once('exit', () => rmSync(placementRoot(), { recursive: true, force: true }));
    const thread = new InferenceThread(worker, onExit);
    await new Promise<void>((resolve, reject) => {
      thread.pending.set(0, { resolve: () => resolve(), reject });
    });
    thread.ready = true;
    thread.refWhileBusy();
    return thread;
  }

  /** Keeps the process alive only while a reply is awaited: an idle thread never holds a finished program open. */
  private refWhileBusy(): void {
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private request(message: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<Ok> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new AppError('INFERENCE_FAILED', 'inference thread closed'));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.refWhileBusy();
      try {
        this.worker.postMessage(message, transfer);
      } catch (error) {
        this.pending.delete(message.id);
        this.refWhileBusy();
        reject(new AppError('INFERENCE_FAILED', `inference thread: could not send ${message.op}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      }
    });
  }

  async create(label: string, model: Uint8Array, options: SessionOptions): Promise<LoadedSession> {
    const reply = await this.request({ op: 'create', id: this.nextId++, label, model, options });
    return new ThreadModelSession(this, reply.sessionId!, label, options.executionProvider, reply.inputs as readonly ValueInfo[], (reply.outputs ?? []) as readonly ValueInfo[]);
  }

  /** @internal used by ThreadModelSession */
  async runOn(session: ThreadModelSession, feeds: Record<string, Tensor>, outputNames: readonly string[] | undefined): Promise<Record<string, Tensor>> {
    const reply = await this.request({
      op: 'run',
      id: this.nextId++,
      sessionId: session.sessionId,
      feeds: Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, compact(t)])),
      outputNames,
    });
    if (reply.placement || reply.placementProblem) session.notePlacement(reply.placement, reply.placementProblem);
    return reply.outputs as Record<string, Tensor>;
  }

  /** @internal used by ThreadModelSession */
  async releaseOn(sessionId: number): Promise<void> {
    if (this.failure || this.closing) return; // the thread is gone or going, and its sessions with it
    await this.request({ op: 'release', id: this.nextId++, sessionId });
  }

  /** The inference thread's event-loop utilisation (busy = running models), as performance.eventLoopUtilization. */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization {
    return since ? this.worker.performance.eventLoopUtilization(since) : this.worker.performance.eventLoopUtilization();
  }

  /**
   * Ends the thread: what was sent before is answered first (runs in flight finish), later requests fail with
   * "inference thread closed". The thread exits by itself; it is terminated from outside only if it is already
   * dead or still busy after CLOSE_TIMEOUT_MS.
   */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    const alive = !this.failure;
    this.closing = true;
    if (!alive) {
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // until it has exited
    this.worker.postMessage({ op: 'close', id: this.nextId++ } satisfies ThreadRequest);
    const stuck = setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS);
    stuck.unref(); // the ref'd worker keeps the process alive meanwhile; the timer alone must not
    await exited;
    clearTimeout(stuck);
  }
}

/** A model on the inference thread, as the rest of the code sees a ModelSession. */
export class ThreadModelSession implements LoadedSession {
  private measuredPlacement: NodePlacement | undefined;
  private placementError: string | undefined;

  constructor(
    private readonly thread: InferenceThread,
    readonly sessionId: number,
    readonly label: string,
    readonly executionProvider: ExecutionProvider,
    readonly inputs: readonly ValueInfo[],
    readonly outputs: readonly ValueInfo[],
  ) {}

  get placement(): NodePlacement | undefined {
    return this.measuredPlacement;
  }

  get placementProblem(): string | undefined {
    return this.placementError;
  }

  /** @internal set from the thread's reply to the first run */
  notePlacement(placement: NodePlacement | undefined, problem: string | undefined): void {
    this.measuredPlacement = placement;
    this.placementError = problem;
  }

  run(feeds: Record<string, Tensor>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    return this.thread.runOn(this, feeds, outputNames);
  }

  release(): Promise<void> {
    return this.thread.releaseOn(this.sessionId);
  }
}
