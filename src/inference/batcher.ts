/**
 * Dynamic batching (issue #8): single-item runs of one model, made by concurrent requests (or by the frames
 * of one video), are queued and run as one batch.
 *
 * Policy, per model, with at most one batch running at a time:
 * - the model is idle: a batch goes as soon as `maxBatch` rows wait, or when `maxDelayMs` has passed since
 *   the first of them (NVIDIA Triton's dynamic batcher, "max_queue_delay_microseconds",
 *   docs.nvidia.com/deeplearning/triton-inference-server/user-guide/docs/user_guide/model_configuration.html).
 *   With `maxDelayMs` 0 (the default) it goes at once, so a lone request never waits;
 * - a batch is running: new items gather, and go together the moment it ends (up to `maxBatch` rows). Under
 *   load batches therefore form by themselves, sized by how many items arrive during one run, and at low load
 *   nothing waits (the "greedy" policy of continuous-batching servers).
 *
 * Opt-in: `maxBatch` 1 (BATCH_MAX_SIZE's default) passes every run straight to the session, no queue, so
 * behaviour is exactly that of the unbatched session. Measured on CPU in bench/RESULTS.md "Dynamic batching on
 * CPU (issue #8)".
 */
import { AppError } from '../errors.js';
import type { ModelSession, Tensor } from './session.js';

/** What the per-model wrappers need from a model: a session, or a batcher in front of one. */
export type ModelRunner = Pick<ModelSession, 'label' | 'inputs' | 'outputs' | 'run'>;

/** The part of a ModelSession the batcher uses (a test can wrap a session to count runs). */
export type BatchableSession = ModelRunner;

export interface BatcherOptions {
  /** Rows (faces) run together at most; 1 = no batching (every run goes straight to the session). */
  maxBatch: number;
  /** Longest wait for more items after the first one queued while the model is idle, milliseconds; 0 = go at once. */
  maxDelayMs: number;
}

/** Counters since start-up, for /health and the bench. */
export interface BatcherStats {
  /** Session runs made. */
  batches: number;
  /** Rows (faces) run in them. */
  rows: number;
  /** Largest batch run, rows. */
  largestBatch: number;
  /** Total time items spent queued before their batch started, milliseconds. */
  queuedMs: number;
  /** Items (calls of run) served. */
  items: number;
}

interface PendingItem {
  feeds: Record<string, Tensor>;
  outputNames: readonly string[] | undefined;
  /** Items can share a batch only when their feeds agree on every dim but the first, and on the outputs asked for. */
  key: string;
  /** Rows this item contributes along dim 0 (its feeds' first dim). */
  rows: number;
  queuedAt: number;
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (error: unknown) => void;
}

/** True when the declared dim is fixed (a positive number): then the model cannot take a batch. */
const isFixed = (dim: number | string | undefined) => typeof dim === 'number' && dim > 0;

/** The inputs whose first dim is fixed (or that have no dims), each as `name [dims]`: why a model cannot take a batch. */
export function fixedBatchInputs(runner: Pick<ModelRunner, 'inputs'>): string[] {
  return runner.inputs.filter((input) => input.shape.length === 0 || isFixed(input.shape[0])).map((i) => `${i.name} [${i.shape.join(', ')}]`);
}

/** True when every input of the model starts with a dynamic (batch) dim, i.e. the model can run a batch. */
export function acceptsBatch(runner: Pick<ModelRunner, 'inputs'>): boolean {
  return fixedBatchInputs(runner).length === 0;
}

/** Concatenates same-shaped (except dim 0) tensors along dim 0. */
export function concatBatch(tensors: readonly Tensor[]): Tensor {
  const first = tensors[0];
  if (!first) throw new AppError('MODEL_INPUT_INVALID', 'batch: nothing to concatenate');
  if (tensors.length === 1) return first;
  const total = tensors.reduce((s, t) => s + t.data.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    data.set(t.data, offset);
    offset += t.data.length;
  }
  return { data, dims: [tensors.reduce((s, t) => s + t.dims[0]!, 0), ...first.dims.slice(1)] };
}

/** Splits a batched tensor along dim 0 into pieces of `rows[i]` rows (copies, so callers own their data). */
export function splitBatch(tensor: Tensor, rows: readonly number[], label: string, name: string): Tensor[] {
  const total = rows.reduce((s, r) => s + r, 0);
  if (tensor.dims[0] !== total) {
    throw new AppError('INFERENCE_FAILED', `model ${label}: output ${name} expected ${total} rows along dim 0 for the batch, got dims [${tensor.dims.join(', ')}]`);
  }
  const rowSize = total === 0 ? 0 : tensor.data.length / total;
  const pieces: Tensor[] = [];
  let offset = 0;
  for (const r of rows) {
    pieces.push({ data: tensor.data.slice(offset * rowSize, (offset + r) * rowSize), dims: [r, ...tensor.dims.slice(1)] });
    offset += r;
  }
  return pieces;
}

export class DynamicBatcher implements ModelRunner {
  private queue: PendingItem[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters: BatcherStats = { batches: 0, rows: 0, largestBatch: 0, queuedMs: 0, items: 0 };

  /**
   * Refuses a model whose inputs do not all start with a dynamic (batch) dim: such a model cannot run
   * more than one item at once, so batching it would fail at the first batch instead of at start-up.
   */
  constructor(
    private readonly session: BatchableSession,
    readonly options: BatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
      throw new AppError('CONFIG_INVALID', `batcher for model ${session.label}: maxBatch expected an integer ≥ 1, got ${options.maxBatch}`);
    }
    if (!Number.isFinite(options.maxDelayMs) || options.maxDelayMs < 0) {
      throw new AppError('CONFIG_INVALID', `batcher for model ${session.label}: maxDelayMs expected a number ≥ 0, got ${options.maxDelayMs}`);
    }
    const fixed = fixedBatchInputs(session);
    if (fixed.length > 0) {
      throw new AppError('MODEL_INVALID', `model ${session.label}: dynamic batching needs a dynamic first (batch) dim on every input, got ${fixed.join('; ')}`);
    }
  }

  get label(): string {
    return this.session.label;
  }

  get inputs(): ModelRunner['inputs'] {
    return this.session.inputs;
  }

  get outputs(): ModelRunner['outputs'] {
    return this.session.outputs;
  }

  /** Counters since creation (a copy). */
  stats(): BatcherStats {
    return { ...this.counters };
  }

  /**
   * Runs one item (usually batch 1; any first dim works) and resolves with that item's rows of every
   * output. A failed batch rejects every item in it; the batcher stays usable.
   */
  run(feeds: Record<string, Tensor>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    if (this.options.maxBatch === 1) return this.session.run(feeds, outputNames);
    let rows: number;
    try {
      rows = this.itemRows(feeds);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = JSON.stringify([Object.entries(feeds).map(([n, t]) => [n, t.dims.slice(1)]).sort(), outputNames ?? null]);
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds, outputNames, key, rows, queuedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Sends the waiting items now instead of waiting for the deadline (they still wait for a running batch). */
  flush(): void {
    this.clearTimer();
    if (!this.running && this.queue.length > 0) this.dispatch();
  }

  /** Decides whether the queue goes now, later (deadline) or when the running batch ends. */
  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const head = this.queue[0]!.key;
    const rowsReady = this.queue.reduce((s, i) => s + (i.key === head ? i.rows : 0), 0);
    if (rowsReady >= this.options.maxBatch || this.options.maxDelayMs === 0) {
      this.clearTimer();
      this.dispatch();
      return;
    }
    if (!this.timer) {
      const wait = Math.max(0, this.options.maxDelayMs - (performance.now() - this.queue[0]!.queuedAt));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.running && this.queue.length > 0) this.dispatch();
      }, wait);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes the head item and every queued item with its key, up to maxBatch rows (the head always goes), and runs them. */
  private dispatch(): void {
    const head = this.queue[0]!;
    const batch: PendingItem[] = [];
    const rest: PendingItem[] = [];
    let rows = 0;
    for (const item of this.queue) {
      if (item.key === head.key && (batch.length === 0 || rows + item.rows <= this.options.maxBatch)) {
        batch.push(item);
        rows += item.rows;
      } else {
        rest.push(item);
      }
    }
    this.queue = rest;
    this.running = true;
    const now = performance.now();
    this.counters.batches++;
    this.counters.items += batch.length;
    this.counters.rows += rows;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, rows);
    for (const item of batch) this.counters.queuedMs += now - item.queuedAt;
    void this.execute(batch);
  }

  /** Called when a batch ends, before its callers hear back (so a caller that runs again at once finds the model idle). */
  private batchEnded(): void {
    this.running = false;
    // Items that gathered while this batch ran have waited a whole run already: they go at once.
    if (this.queue.length > 0) {
      this.clearTimer();
      this.dispatch();
    }
  }

  private itemRows(feeds: Record<string, Tensor>): number {
    const firstDims = Object.values(feeds).map((t) => t.dims[0]);
    const rows = firstDims[0];
    if (rows === undefined || rows < 1 || firstDims.some((d) => d !== rows)) {
      throw new AppError('MODEL_INPUT_INVALID', `model ${this.session.label}: a batched item's inputs must share a first dim ≥ 1, got ${firstDims.join(', ') || 'no inputs'}`);
    }
    return rows;
  }

  private async execute(items: PendingItem[]): Promise<void> {
    let settle: () => void;
    try {
      const names = Object.keys(items[0]!.feeds);
      const feeds = Object.fromEntries(names.map((name) => [name, concatBatch(items.map((i) => i.feeds[name]!))]));
      const outputs = await this.session.run(feeds, items[0]!.outputNames);
      if (items.length === 1) {
        settle = () => items[0]!.resolve(outputs);
      } else {
        const rows = items.map((i) => i.rows);
        const split = Object.entries(outputs).map(([name, tensor]) => [name, splitBatch(tensor, rows, this.session.label, name)] as const);
        settle = () => items.forEach((item, index) => item.resolve(Object.fromEntries(split.map(([name, pieces]) => [name, pieces[index]!]))));
      }
    } catch (error) {
      settle = () => items.forEach((item) => item.reject(error));
    }
    this.batchEnded();
    settle();
  }
}
