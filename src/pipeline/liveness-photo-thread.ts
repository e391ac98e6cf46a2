/**
 * checkLiveness's pixel work that needs no model, on a thread of its own: face-api's 512² detector input for the SSD
 * (inference/faceapi-net-input.ts), the framing-edges context signal (attack-signals/framing-edges.ts: the
 * line-segment detector on the ≤ 640 px context view) and the quality checks' whole-image measurements
 * (quality/whole-image.ts: luma statistics, background white share, nsfwjs's input). Why: together they were ≈ 42 ms
 * of the ≈ 136 ms of event-loop time of a request with every check, in a CPU profile on the 2-core Xeon (framing edges
 * ≈ 26, the SSD's input ≈ 7.5, the whole-image passes ≈ 8.5; bench/RESULTS.md "Photo path speed (issue #17)"). On
 * this thread they run while the event loop serves other requests, cuts the models' other inputs and measures the
 * face's statistics. Same functions, same arguments, same answers: only where they run
 * changes. If it cannot start, or dies, the work is done on the calling thread, as before, and `offThread` says so.
 *
 * The service starts it with the models (`LivenessPhotoThread.start`, src/app/service.ts), so that no request waits for
 * it and its module loads before the first request: from source that load is tsx's, whose esbuild helper process then
 * starts with the service, not in the middle of serving; the compiled build (dist/) loads the worker's own JavaScript,
 * with no loader. A thread built with `new` (the benches and tests that build checkLiveness alone) starts with its
 * first job instead.
 *
 * The photo is copied to the thread once, with the first job that reads it (6 MB at 1920 × 1080), and kept there until
 * `release` (checkLiveness releases it when its answer is made) or until MAX_HELD_PHOTOS newer photos were sent. The
 * context view (≈ 0.7 MB) is copied with its job. Results come back as plain data, tensors moved (not copied).
 */
import { Worker } from 'node:worker_threads';
import { FRAMING_RULES, type FramingEvidence, framingEdges } from '../attack-signals/framing-edges.js';
import type { ContextView, SignalResult } from '../attack-signals/types.js';
import type { FaceDetection } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import { LineSegmentScratch } from '../imaging/line-segments.js';
import { type FaceApiNetInput, toFaceApiNetInput } from '../inference/faceapi-net-input.js';
import { type WholeImageMeasurements, type WholeImageNeeds, measureWholeImage } from '../quality/whole-image.js';

/** One job, with the photo it reads. */
export type PhotoJob =
  | { op: 'framingEdges'; view: ContextView }
  | { op: 'netInput'; image: RgbImage; inputSize: number }
  | { op: 'wholeImage'; image: RgbImage; primary: FaceDetection; needs: WholeImageNeeds };
export type PhotoResult = SignalResult<FramingEvidence> | FaceApiNetInput | WholeImageMeasurements;

/** A photo as it crosses to the thread: its number, and its pixels the first time only. */
export interface PhotoRef {
  id: number;
  image?: RgbImage;
}
/** A job as it crosses to the thread: the photo by reference. */
export type WireJob = { op: 'framingEdges'; view: ContextView } | { op: 'netInput'; photo: PhotoRef; inputSize: number } | { op: 'wholeImage'; photo: PhotoRef; primary: FaceDetection; needs: WholeImageNeeds };
export type PhotoRequest = { id: number; job: WireJob } | { id: 0; forget: number };
/** `ready`: sent once, when the worker's modules have loaded (what `start` waits for). */
export type PhotoReply = { id: number; ok: true; result: PhotoResult } | { id: number; ok: false; message: string } | { id: 0; ready: true };

/**
 * Photos the thread holds at most. checkLiveness releases its photo when its answer is made; this bounds what a caller
 * that does not (or a request that failed before releasing) can leave behind: the concurrency limit's worth of 1080p
 * photos is ≈ 6 MB each.
 */
export const MAX_HELD_PHOTOS = 16;

/** Compiled (dist/): the worker module itself. From source (tsx, the tests, the benches): an entry that registers tsx first. */
const WORKER_ENTRY = import.meta.url.endsWith('.js') ? new URL('./liveness-photo-worker.js', import.meta.url) : new URL('./liveness-photo-worker-entry.mjs', import.meta.url);

/** One job, done on the calling thread (the worker runs this same function). `scratch`: the line-segment detector's memory. */
export function runPhotoJob(job: PhotoJob, scratch: LineSegmentScratch): PhotoResult {
  switch (job.op) {
    case 'framingEdges':
      return framingEdges(job.view, FRAMING_RULES, scratch);
    case 'netInput':
      return toFaceApiNetInput(job.image, job.inputSize);
    case 'wholeImage':
      return measureWholeImage(job.image, job.primary, job.needs);
  }
}

/** The arrays of a result made for the caller alone, to be moved rather than copied. */
export function transferablesOf(result: PhotoResult): ArrayBuffer[] {
  if ('tensor' in result) return [result.tensor.buffer as ArrayBuffer];
  if ('nsfwInput' in result && result.nsfwInput) return [result.nsfwInput.buffer as ArrayBuffer];
  return [];
}

/** A typed array that owns exactly its buffer clones compactly; a view into a larger buffer (sharp's output pool) is copied first. */
const compactImage = (image: RgbImage): RgbImage =>
  image.data.byteOffset === 0 && image.data.byteLength === image.data.buffer.byteLength ? image : { data: image.data.slice(), width: image.width, height: image.height };

export class LivenessPhotoThread {
  private readonly pending = new Map<number, { job: PhotoJob; resolve: (result: PhotoResult) => void; reject: (error: unknown) => void }>();
  private nextId = 1;
  private nextPhotoId = 1;
  /** The photos the thread holds, oldest first, by the number it knows them by. */
  private readonly held = new Map<RgbImage, number>();
  private worker: Worker | undefined;
  /** The thread could not start, died or was closed: every job runs on the calling thread from now on. */
  private gone = false;
  /** The calling thread's working memory, used when the thread is gone. */
  private readonly localScratch = new LineSegmentScratch();

  /**
   * `entry`: the worker script (tests pass one that does not exist). The thread starts with the first job, not here: a
   * use case built and never called (the model registry's plan builds every use case once) costs no thread.
   */
  constructor(private readonly entry: URL = WORKER_ENTRY) {}

  /**
   * Starts the thread now and resolves once its modules have loaded (the service, at start). Never rejects: a thread
   * that cannot start is a thread whose jobs run on the calling thread, and `offThread` is then false.
   */
  static async start(entry: URL = WORKER_ENTRY): Promise<LivenessPhotoThread> {
    const photoThread = new LivenessPhotoThread(entry);
    const worker = photoThread.thread();
    if (!worker) return photoThread;
    await new Promise<void>((resolve) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('exit', done);
        worker.off('error', done);
        resolve();
      };
      const onMessage = (reply: PhotoReply) => {
        if ('ready' in reply) done();
      };
      worker.on('message', onMessage);
      worker.on('exit', done);
      worker.on('error', done);
    });
    // Idle until the first job: it must not keep a finished program alive.
    if (photoThread.pending.size === 0) photoThread.worker?.unref();
    return photoThread;
  }

  /** Whether the jobs run on their own thread (false once the thread failed to start, died or was closed). */
  get offThread(): boolean {
    return !this.gone;
  }

  /** The running thread, started on first use; undefined when it is gone. */
  private thread(): Worker | undefined {
    if (this.gone || this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = new Worker(this.entry, { name: 'liveness-photo' });
    } catch {
      this.gone = true;
      return undefined;
    }
    worker.on('message', (reply: PhotoReply) => {
      if ('ready' in reply) return;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      // Held open only while a job is out: an idle thread never keeps a finished program alive.
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`liveness photo thread, ${waiter.job.op}: ${reply.message}`));
    });
    const ended = () => {
      this.worker = undefined;
      this.gone = true;
      this.held.clear();
      // Whatever was sent and not answered is done here instead: the same answer, later.
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const w of waiting) {
        try {
          w.resolve(runPhotoJob(w.job, this.localScratch));
        } catch (error) {
          w.reject(error);
        }
      }
    };
    worker.on('error', ended);
    worker.on('exit', ended);
    this.worker = worker;
    return worker;
  }

  /** framingEdges(view, FRAMING_RULES). */
  framingEdges(view: ContextView): Promise<SignalResult<FramingEvidence>> {
    return this.run({ op: 'framingEdges', view }) as Promise<SignalResult<FramingEvidence>>;
  }

  /** toFaceApiNetInput(image, inputSize); fits FaceAnalyzer's NetInputMaker. */
  readonly netInput = (image: RgbImage, inputSize: number): Promise<FaceApiNetInput> => this.run({ op: 'netInput', image, inputSize }) as Promise<FaceApiNetInput>;

  /** measureWholeImage(image, primary, needs) (quality/whole-image.ts); fits QualityCheckerOptions.measureWholeImage. */
  readonly measureWholeImage = (image: RgbImage, primary: FaceDetection, needs: WholeImageNeeds): Promise<WholeImageMeasurements> =>
    this.run({ op: 'wholeImage', image, primary, needs }) as Promise<WholeImageMeasurements>;

  /** The caller is done with `image`: the thread lets its copy go. */
  release(image: RgbImage): void {
    const photoId = this.held.get(image);
    if (photoId === undefined) return;
    this.held.delete(image);
    this.worker?.postMessage({ id: 0, forget: photoId } satisfies PhotoRequest);
  }

  /** Stops the thread; later jobs run on the calling thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.gone = true;
    this.held.clear();
    if (worker) await worker.terminate();
  }

  /** The photo by reference: its pixels go with the first job that reads it. */
  private photoRef(image: RgbImage): PhotoRef {
    const known = this.held.get(image);
    if (known !== undefined) return { id: known };
    if (this.held.size >= MAX_HELD_PHOTOS) this.release(this.held.keys().next().value!);
    const id = this.nextPhotoId++;
    this.held.set(image, id);
    return { id, image: compactImage(image) };
  }

  private run(job: PhotoJob): Promise<PhotoResult> {
    const worker = this.thread();
    if (!worker) return Promise.resolve().then(() => runPhotoJob(job, this.localScratch));
    const wire: WireJob = job.op === 'framingEdges' ? job : job.op === 'netInput' ? { op: job.op, photo: this.photoRef(job.image), inputSize: job.inputSize } : { op: job.op, photo: this.photoRef(job.image), primary: job.primary, needs: job.needs };
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { job, resolve, reject });
      worker.ref();
      worker.postMessage({ id, job: wire } satisfies PhotoRequest);
    });
  }
}
