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
import { AppError, type ErrorCode } from '../errors.js';
import { FRAMING_RULES, type FramingEvidence, framingEdges } from '../attack-signals/framing-edges.js';
import type { ContextView, SignalResult } from '../attack-signals/types.js';
import type { FaceAnalysis, FaceDetection, Point } from '../face/types.js';
import { type DecodedImage, type DecodeOptions, decodeImage } from '../imaging/decode.js';
import type { RgbImage } from '../imaging/image.js';
import { LineSegmentScratch } from '../imaging/line-segments.js';
import { type FaceApiNetInput, toFaceApiNetInput } from '../inference/faceapi-net-input.js';
import { type WholeImageMeasurements, type WholeImageNeeds, measureWholeImage } from '../quality/whole-image.js';
import { alignFace } from './analyze.js';

/** The aligned face crop of FaceAnalysis (analyze.ts alignFace). */
export type AlignedFace = FaceAnalysis['alignedFace'];

/** One job, with the photo it reads. */
export type PhotoJob =
  | { op: 'decode'; bytes: Uint8Array; options: DecodeOptions }
  | { op: 'framingEdges'; view: ContextView }
  | { op: 'netInput'; image: RgbImage; inputSize: number }
  | { op: 'alignFace'; image: RgbImage; landmarks: Point[]; roll: number }
  | { op: 'wholeImage'; image: RgbImage; primary: FaceDetection; needs: WholeImageNeeds };
export type PhotoResult = AlignedFace | DecodedImage | SignalResult<FramingEvidence> | FaceApiNetInput | WholeImageMeasurements;

/** A photo as it crosses to the thread: its number, and its pixels the first time only. */
export interface PhotoRef {
  id: number;
  image?: RgbImage;
}
/** A job as it crosses to the thread: the photo by reference. */
export type WireJob =
  | { op: 'decode'; photoId: number; bytes: Uint8Array; options: DecodeOptions }
  | { op: 'framingEdges'; view: ContextView }
  | { op: 'netInput'; photo: PhotoRef; inputSize: number }
  | { op: 'alignFace'; photo: PhotoRef; landmarks: Point[]; roll: number }
  | { op: 'wholeImage'; photo: PhotoRef; primary: FaceDetection; needs: WholeImageNeeds };
export type PhotoRequest = { id: number; job: WireJob } | { id: 0; forget: number };
/** `ready`: sent once, when the worker's modules have loaded (what `start` waits for). */
export type PhotoReply = { id: number; ok: true; result: PhotoResult } | { id: number; ok: false; message: string; error?: WireAppError } | { id: 0; ready: true };

/** An AppError (the decode's IMAGE_TOO_LARGE, UNSUPPORTED_FILE_TYPE) as it crosses back: its code, formats and cause's message. */
export interface WireAppError {
  code: ErrorCode;
  acceptedFormats?: readonly string[];
  cause?: string;
}

/** The error a job failed with, as the caller sees it: an AppError keeps its code (the contract's 4xx), anything else is an Error. */
export function errorOf(reply: { message: string; error?: WireAppError }, op: PhotoJob['op']): Error {
  if (!reply.error) return new Error(`liveness photo thread, ${op}: ${reply.message}`);
  const { code, acceptedFormats, cause } = reply.error;
  return new AppError(code, reply.message, { ...(cause !== undefined ? { cause: new Error(cause) } : {}), ...(acceptedFormats ? { acceptedFormats } : {}) });
}

/** An error thrown by a job, as it crosses back (the worker's side of errorOf). */
export function wireError(error: unknown): { message: string; error?: WireAppError } {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof AppError)) return { message };
  const cause = error.cause instanceof Error ? error.cause.message : error.cause !== undefined ? String(error.cause) : undefined;
  return { message, error: { code: error.code, ...(error.acceptedFormats ? { acceptedFormats: error.acceptedFormats } : {}), ...(cause !== undefined ? { cause } : {}) } };
}

/**
 * Photos the thread holds at most. checkLiveness releases its photo when its answer is made; this bounds what a caller
 * that does not (or a request that failed before releasing) can leave behind: the concurrency limit's worth of 1080p
 * photos is ≈ 6 MB each.
 */
export const MAX_HELD_PHOTOS = 16;

/** Compiled (dist/): the worker module itself. From source (tsx, the tests, the benches): an entry that registers tsx first. */
const WORKER_ENTRY = import.meta.url.endsWith('.js') ? new URL('./liveness-photo-worker.js', import.meta.url) : new URL('./liveness-photo-worker-entry.mjs', import.meta.url);

/** One job, done on the calling thread (the worker runs this same function). `scratch`: the line-segment detector's memory. */
export function runPhotoJob(job: PhotoJob, scratch: LineSegmentScratch): PhotoResult | Promise<PhotoResult> {
  switch (job.op) {
    case 'decode':
      return decodeImage(job.bytes, job.options);
    case 'framingEdges':
      return framingEdges(job.view, FRAMING_RULES, scratch);
    case 'netInput':
      return toFaceApiNetInput(job.image, job.inputSize);
    case 'alignFace':
      return alignFace(job.image, job.landmarks, job.roll);
    case 'wholeImage':
      return measureWholeImage(job.image, job.primary, job.needs);
  }
}

/** A copy of `array` in shared memory: posted to another thread, it is shared, not copied. */
export function sharedCopy<T extends Uint8Array | Float32Array>(array: T): T {
  const copy = (array instanceof Uint8Array ? new Uint8Array(new SharedArrayBuffer(array.byteLength)) : new Float32Array(new SharedArrayBuffer(array.byteLength))) as T;
  copy.set(array);
  return copy;
}

/**
 * A result as the thread sends it: the model inputs it made (the SSD's 512² input, 3 MB; nsfwjs's 224², 0.6 MB) in
 * shared memory, so that the event loop hands them on to the inference thread without copying them (a structured
 * clone of 3 MB costs the event loop ≈ 1–3 ms and the garbage collector a fresh 3 MB; the inference thread copies the
 * shared array itself, inference-worker.ts). The copy is made here, off the event loop. The values are the same.
 */
export function sharedResult(result: PhotoResult): PhotoResult {
  if ('tensor' in result) return { ...result, tensor: sharedCopy(result.tensor) };
  if ('nsfwInput' in result && result.nsfwInput) return { ...result, nsfwInput: sharedCopy(result.nsfwInput) };
  return result;
}

/** The arrays of a result made for the caller alone, moved rather than copied: the aligned crop's pixels. */
export function transferablesOf(result: PhotoResult): ArrayBuffer[] {
  return 'origin' in result && 'scale' in result ? [result.image.data.buffer as ArrayBuffer] : [];
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
      else waiter.reject(errorOf(reply, waiter.job.op));
    });
    const ended = () => {
      this.worker = undefined;
      this.gone = true;
      this.held.clear();
      // Whatever was sent and not answered is done here instead: the same answer, later.
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const w of waiting) Promise.resolve().then(() => runPhotoJob(w.job, this.localScratch)).then(w.resolve, w.reject);
    };
    worker.on('error', ended);
    worker.on('exit', ended);
    this.worker = worker;
    return worker;
  }

  /**
   * decodeImage(bytes, options) (imaging/decode.ts), done by the thread: sharp decodes on libuv's pool either way, but
   * the thread then copies the pixels into shared memory and keeps them, so that its later jobs on this photo need no
   * copy of it (a structured clone of a 1080p photo, 6 MB, cost the event loop ≈ 8 ms per request with the garbage it
   * leaves: bench/RESULTS.md "Photo path speed", main thread). The same pixels, in a SharedArrayBuffer; the same
   * errors (AppError codes and formats; the cause keeps its message only). When the thread is gone, decoded here.
   */
  async decode(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
    if (!this.thread()) return decodeImage(bytes, options);
    if (this.held.size >= MAX_HELD_PHOTOS) this.release(this.held.keys().next().value!);
    const photoId = this.nextPhotoId++;
    const image = (await this.run({ op: 'decode', bytes, options }, photoId)) as DecodedImage;
    // Decoded there (not here after the thread died): the thread holds it under photoId.
    if (image.data.buffer instanceof SharedArrayBuffer && !this.gone) this.held.set(image, photoId);
    return image;
  }

  /**
   * alignFace(image, landmarks, roll) (analyze.ts: the aligned face crop, a rotated resample of ≈ 4–9 ms of event-loop
   * time per request), on the thread. checkLiveness asks for it as soon as the face is analysed, when the request
   * reads the crop, so that it is cut before the framing edges' job and ready long before the quality checks read it.
   */
  alignFace(image: RgbImage, landmarks: Point[], roll: number): Promise<AlignedFace> {
    return this.run({ op: 'alignFace', image, landmarks, roll }) as Promise<AlignedFace>;
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

  private wire(job: PhotoJob, photoId: number): WireJob {
    switch (job.op) {
      case 'decode':
        // A view into a larger buffer (a pooled request body) would clone all of that buffer.
        return { op: job.op, photoId, bytes: job.bytes.byteLength === job.bytes.buffer.byteLength ? job.bytes : job.bytes.slice(), options: job.options };
      case 'framingEdges':
        return job;
      case 'netInput':
        return { op: job.op, photo: this.photoRef(job.image), inputSize: job.inputSize };
      case 'alignFace':
        return { op: job.op, photo: this.photoRef(job.image), landmarks: job.landmarks, roll: job.roll };
      case 'wholeImage':
        return { op: job.op, photo: this.photoRef(job.image), primary: job.primary, needs: job.needs };
    }
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

  /** `photoId`: for a decode, the number the thread keeps the photo under. */
  private run(job: PhotoJob, photoId = 0): Promise<PhotoResult> {
    const worker = this.thread();
    if (!worker) return Promise.resolve().then(() => runPhotoJob(job, this.localScratch));
    const wire = this.wire(job, photoId);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { job, resolve, reject });
      worker.ref();
      worker.postMessage({ id, job: wire } satisfies PhotoRequest);
    });
  }
}
