/**
 * The liveness photo thread's side (started by liveness-photo-thread.ts): keeps the photos it is sent until told to
 * forget them, and runs each job (runPhotoJob: the decode, the SSD's input, the aligned crop, the framing edges, the whole-image quality
 * measurements) one after another (a decode's pixels are made on libuv's pool meanwhile), with one reused line-segment scratch.
 */
import { parentPort } from 'node:worker_threads';
import type { RgbImage } from '../imaging/image.js';
import { LineSegmentScratch } from '../imaging/line-segments.js';
import type { DecodedImage } from '../imaging/decode.js';
import { type PhotoJob, type PhotoReply, type PhotoRef, type PhotoRequest, type PhotoResult, type WireJob, runPhotoJob, sharedCopy, sharedResult, transferablesOf, wireError } from './liveness-photo-thread.js';

if (!parentPort) throw new Error('liveness-photo-worker.ts must run as a worker thread (src/pipeline/liveness-photo-thread.ts)');
const port = parentPort;
const scratch = new LineSegmentScratch();
const photos = new Map<number, RgbImage>();

function photo(ref: PhotoRef): RgbImage {
  if (ref.image) photos.set(ref.id, ref.image);
  const image = photos.get(ref.id);
  if (!image) throw new Error(`photo ${ref.id} is not held (released before its job?)`);
  return image;
}

function unwire(job: WireJob): PhotoJob {
  switch (job.op) {
    case 'decode':
      return { op: job.op, bytes: job.bytes, options: job.options };
    case 'framingEdges':
      return job;
    case 'netInput':
      return { op: job.op, image: photo(job.photo), inputSize: job.inputSize };
    case 'alignFace':
      return { op: job.op, image: photo(job.photo), landmarks: job.landmarks, roll: job.roll };
    case 'wholeImage':
      return { op: job.op, image: photo(job.photo), primary: job.primary, needs: job.needs };
  }
}

/** Runs one job; a decoded photo goes to shared memory and is kept under the number the caller gave it. */
async function run(job: WireJob): Promise<PhotoResult> {
  const result = await runPhotoJob(unwire(job), scratch);
  if (job.op !== 'decode') return sharedResult(result);
  const decoded = result as DecodedImage;
  const image: DecodedImage = { data: sharedCopy(decoded.data), width: decoded.width, height: decoded.height, format: decoded.format };
  photos.set(job.photoId, image);
  return image;
}

port.on('message', (request: PhotoRequest) => {
  if ('forget' in request) {
    photos.delete(request.forget);
    return;
  }
  // The model inputs and the photo are shared; the aligned crop is moved.
  run(request.job).then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies PhotoReply, transferablesOf(result)),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, ...wireError(error) } satisfies PhotoReply),
  );
});

// Every module has loaded: LivenessPhotoThread.start waits for this.
port.postMessage({ id: 0, ready: true } satisfies PhotoReply);
