/**
 * The liveness photo thread's side (started by liveness-photo-thread.ts): keeps the photos it is sent until told to
 * forget them, and runs each job (runPhotoJob: the SSD's input, the framing edges, the whole-image quality
 * measurements) one after another, with one reused line-segment scratch.
 */
import { parentPort } from 'node:worker_threads';
import type { RgbImage } from '../imaging/image.js';
import { LineSegmentScratch } from '../imaging/line-segments.js';
import { type PhotoJob, type PhotoReply, type PhotoRef, type PhotoRequest, type WireJob, runPhotoJob, transferablesOf } from './liveness-photo-thread.js';

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
    case 'framingEdges':
      return job;
    case 'netInput':
      return { op: job.op, image: photo(job.photo), inputSize: job.inputSize };
    case 'wholeImage':
      return { op: job.op, image: photo(job.photo), primary: job.primary, needs: job.needs };
  }
}

port.on('message', (request: PhotoRequest) => {
  if ('forget' in request) {
    photos.delete(request.forget);
    return;
  }
  let reply: PhotoReply;
  try {
    reply = { id: request.id, ok: true, result: runPhotoJob(unwire(request.job), scratch) };
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, reply.ok ? transferablesOf(reply.result) : []);
});

// Every module has loaded: LivenessPhotoThread.start waits for this.
port.postMessage({ id: 0, ready: true } satisfies PhotoReply);
