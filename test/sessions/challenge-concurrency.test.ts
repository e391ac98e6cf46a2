/**
 * "A challenge is consumed exactly once under concurrent use", with real concurrency: several threads, each with its
 * own SQLite connection to one store file (as several requests, or processes sharing DATA_DIR, would be), released
 * together by one shared flag, all try to use one challenge. Exactly one gets it; every other one is told it was
 * already used.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteChallengeRepository } from '../../src/sessions/challenge-repository.js';
import { openDatabase } from '../../src/store/database.js';

const CONTENDERS = 6;
const ROUNDS = 3;
const WORKER = new URL('../helpers/challenge-consume-worker.mjs', import.meta.url);

type Outcome = { won: true; usedAt: number } | { won: false; reason: string };

const file = path.join(mkdtempSync(path.join(tmpdir(), 'challenge-race-')), 'store.sqlite');
const db = openDatabase(file);
const repository = new SqliteChallengeRepository(db);
afterAll(() => db.close());

async function race(id: string): Promise<Outcome[]> {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const workers = Array.from({ length: CONTENDERS }, () => new Worker(WORKER, { workerData: { file, id, appId: 'app-a', gate: gate.buffer } }));
  const outcomes = workers.map(
    (worker) =>
      new Promise<Outcome>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`contender exited (${code}) without an answer`)));
      }),
  );
  // Release them only when every one holds its connection and waits at the gate.
  while (Atomics.load(gate, 1) < CONTENDERS) await new Promise((resolve) => setTimeout(resolve, 10));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  try {
    return await Promise.all(outcomes);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

describe('ChallengeRepository.consume under concurrent use', () => {
  it(`gives one challenge to exactly one of ${CONTENDERS} threads on their own connections (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const challenge = await repository.issue({ appId: 'app-a', sessionId: null, expiresAt: Date.now() + 600_000, maxRecordingSeconds: 60 });
      const outcomes = await race(challenge.id);
      const winners = outcomes.filter((o): o is Extract<Outcome, { won: true }> => o.won);
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => !o.won).map((o) => (o as { reason: string }).reason)).toEqual(Array(CONTENDERS - 1).fill('already_used'));
      expect((await repository.get(challenge.id))!.usedAt).toBe(winners[0]!.usedAt);
    }
  });
});
