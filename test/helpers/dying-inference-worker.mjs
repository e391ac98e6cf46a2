// An inference thread that dies on its first model run, for src/inference/inference-thread.test.ts: the real
// worker (inference-worker.ts) plus a second listener that ends the thread with exit code 3 when a run arrives.
// It exits in the same message dispatch, before the real handler's queued run can reach ORT: terminating a
// thread from outside during a native run can abort the whole process (see inference-worker.ts).
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import('../../src/inference/inference-worker.ts');
parentPort.on('message', (request) => {
  if (request.op === 'run') process.exit(3);
});
