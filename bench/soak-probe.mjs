// Memory probe preloaded into the service process by the soak bench (bench/soak.ts):
// `node --expose-gc --import tsx --import bench/soak-probe.mjs src/main.ts`. When the bench asks over the IPC
// channel ({ type: 'soak-sample', id }), it runs a full garbage collection and answers with
// { type: 'soak-sample', id, memory: process.memoryUsage() }, so every figure in the soak report is the server's
// own, taken in the server's process, with no load-generator garbage in it.
// Plain JavaScript because Node 20 also runs --import modules in worker threads (the inference thread), where
// tsx's hooks are not registered yet; there, and in a service started without an IPC channel, it does nothing.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && process.send) {
  const collect = globalThis.gc;
  if (!collect) throw new Error('bench/soak-probe.mjs needs node --expose-gc');
  const send = process.send.bind(process);
  process.on('message', (message) => {
    if (message?.type !== 'soak-sample' || typeof message.id !== 'number') return;
    void (async () => {
      collect();
      // A second pass after one turn of the event loop also frees what FinalizationRegistry and weak callbacks
      // released during the first (e.g. native buffers whose JS owners were just collected).
      await nextTurn();
      collect();
      send({ type: 'soak-sample', id: message.id, memory: process.memoryUsage() });
    })();
  });
  // The IPC channel alone must not keep the service alive: it exits on SIGTERM as it always does.
  process.channel?.unref();
}
