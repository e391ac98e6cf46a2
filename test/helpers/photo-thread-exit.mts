// A program that builds a liveness photo thread (with argument "start": started and waited for, as the service does)
// and, with argument "job", gives it one job; then it simply ends. For test/pipeline/liveness-photo-thread.test.ts: an
// idle photo thread (started or not) must not keep a program alive.
import { LivenessPhotoThread } from '../../src/pipeline/liveness-photo-thread.js';

const thread = process.argv[2] === 'start' ? await LivenessPhotoThread.start() : new LivenessPhotoThread();
if (process.argv[2] === 'start' && !thread.offThread) throw new Error('the photo thread did not start');
if (process.argv[2] === 'job') {
  const image = { data: new Uint8Array(4 * 4 * 3).fill(128), width: 4, height: 4 };
  await thread.netInput(image, 8);
  thread.release(image);
}
console.log(`finished (${process.argv[2] ?? 'no job'})`);
