// One contender for test/sessions/challenge-concurrency.test.ts: a thread with its own connection to the store file
// that waits for the start signal all contenders share, then tries to use the challenge up. Plain JavaScript with
// tsx's ESM API registered, as src/inference/inference-worker-entry.mjs (a worker does not inherit vitest's loader).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { openDatabase } = await import('../../src/store/database.ts');
const { SqliteChallengeRepository } = await import('../../src/sessions/challenge-repository.ts');

const db = openDatabase(workerData.file);
const repository = new SqliteChallengeRepository(db);
const gate = new Int32Array(workerData.gate);
// Slot 1 counts the contenders ready; slot 0 turns to 1 when all may go.
Atomics.add(gate, 1, 1);
Atomics.wait(gate, 0, 0);
try {
  const used = await repository.consume(workerData.id, workerData.appId);
  parentPort.postMessage({ won: true, usedAt: used.usedAt });
} catch (error) {
  parentPort.postMessage({ won: false, reason: error.reason ?? String(error) });
} finally {
  db.close();
}
