/**
 * Dynamic batching (issue #8): single-item runs of one model, made by concurrent requests, are queued and
 * run as one batch when `maxBatch` items are waiting or `maxDelayMs` has passed since the first of them,
 * whichever comes first (the scheme of NVIDIA Triton's dynamic batcher, "max_queue_delay_microseconds",
 * docs.nvidia.com/deeplearning/triton-inference-server/user-guide/docs/user_guide/model_configuration.html).
 *
 * Opt-in: `maxBatch` 1 (BATCH_MAX_SIZE's default) passes every run straight to the session, no timer, so
 * behaviour is exactly that of the unbatched session. On CPU a batch mostly trades latency for nothing
 * (ORT already uses every core on one item): see bench/RESULTS.md "Dynamic batching on CPU (issue #8)".
 */
import { AppError } from '../errors.js';
import type { ModelSession, Tensor } from './session.js';

/** The part of a ModelSession the batcher uses (a test can wrap a session to count runs). */
export type BatchableSession = Pick<ModelSession, 'label' | 'inputs' | 'run'>;

export interface BatcherOptions {
  /** Items run together at most; 1 = no batching (every run goes straight to the session). */
  maxBatch: number;
  /** Longest wait for more items after the first one queued, milliseconds. */
  maxDelayMs: number;
}

interface PendingItem {
  feeds: Record<string, Tensor>;
  /** Rows this item contributes along dim 0 (its feeds' first dim). */
  rows: number;
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (error: unknown) => void;
}

interface PendingBatch {
  /** Items can share a batch only when their feeds agree on every dim but the first, and on the outputs asked for. */
  key: string;
  outputNames: readonly string[] | undefined;
  items: PendingItem[];
  timer: NodeJS.Timeout | undefined;
}

/** True when the declared dim is fixed (a positive number): then the model cannot take a batch. */
const isFixed = (dim: number | string | undefined) => typeof dim === 'number' && dim > 0;

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

export class DynamicBatcher {
  private pending: PendingBatch | undefined;

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
    const fixed = session.inputs.filter((input) => input.shape.length === 0 || isFixed(input.shape[0]));
    if (fixed.length > 0) {
      throw new AppError(
        'MODEL_INVALID',
        `model ${session.label}: dynamic batching needs a dynamic first (batch) dim on every input, got ${fixed.map((i) => `${i.name} [${i.shape.join(', ')}]`).join('; ')}`,
      );
    }
  }

  get label(): string {
    return this.session.label;
  }

  /**
   * Runs one item (usually batch 1; any first dim works) and resolves with that item's rows of every
   * output. Items queue until the batch is full or the deadline passes; a failed batch rejects every item in it.
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
      // An item that cannot join the waiting batch (other shape or outputs) sends that batch off first.
      if (this.pending && this.pending.key !== key) this.flush();
      if (!this.pending) {
        const batch: PendingBatch = { key, outputNames, items: [], timer: undefined };
        batch.timer = setTimeout(() => {
          if (this.pending === batch) this.flush();
        }, this.options.maxDelayMs);
        this.pending = batch;
      }
      this.pending.items.push({ feeds, rows, resolve, reject });
      if (this.pending.items.reduce((s, i) => s + i.rows, 0) >= this.options.maxBatch) this.flush();
    });
  }

  /** Sends the waiting batch (if any) to the session now. */
  flush(): void {
    const batch = this.pending;
    if (!batch) return;
    this.pending = undefined;
    clearTimeout(batch.timer);
    void this.execute(batch);
  }

  private itemRows(feeds: Record<string, Tensor>): number {
    const firstDims = Object.values(feeds).map((t) => t.dims[0]);
    const rows = firstDims[0];
    if (rows === undefined || rows < 1 || firstDims.some((d) => d !== rows)) {
      throw new AppError('MODEL_INPUT_INVALID', `model ${this.session.label}: a batched item's inputs must share a first dim ≥ 1, got ${firstDims.join(', ') || 'no inputs'}`);
    }
    return rows;
  }

  private async execute(batch: PendingBatch): Promise<void> {
    const { items } = batch;
    try {
      const names = Object.keys(items[0]!.feeds);
      const feeds = Object.fromEntries(names.map((name) => [name, concatBatch(items.map((i) => i.feeds[name]!))]));
      const outputs = await this.session.run(feeds, batch.outputNames);
      const rows = items.map((i) => i.rows);
      const split = Object.entries(outputs).map(([name, tensor]) => [name, splitBatch(tensor, rows, this.session.label, name)] as const);
      items.forEach((item, index) => item.resolve(Object.fromEntries(split.map(([name, pieces]) => [name, pieces[index]!]))));
    } catch (error) {
      for (const item of items) item.reject(error);
    }
  }
}
