import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from './database.js';
import { sqliteGate } from './sqlite-gate.js';
import { SqliteJobQueue } from './sqlite-job-queue.js';

const quiet = () => {};
const dbFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'jobs-')), 'store.sqlite');

describe('SqliteJobQueue', () => {
  it('retries a failing job with exponential backoff, then fails it after maxAttempts (injected clock)', async () => {
    const clock = { ms: 1_000_000 };
    const queue = new SqliteJobQueue({ db: openDatabase(':memory:'), clock: () => clock.ms, log: quiet });
    const seen: number[] = [];
    queue.handle<{ n: number }>('always.fails', async (payload, job) => {
      seen.push(job.attempts);
      expect(payload).toEqual({ n: 7 });
      throw new Error(`boom ${job.attempts}`);
    });
    const id = await queue.enqueue('always.fails', { n: 7 });
    expect(await queue.get(id)).toEqual({ id, type: 'always.fails', payload: { n: 7 }, state: 'queued', attempts: 0, runAfter: clock.ms });

    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 1, lastError: 'boom 1', runAfter: clock.ms + 1000 });
    clock.ms += 999; // default backoff base 1 s
    expect(await queue.runDue()).toBe(0);
    clock.ms += 1;
    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 2, lastError: 'boom 2', runAfter: clock.ms + 2000 });
    clock.ms += 2000;
    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'boom 3' });
    clock.ms += 3_600_000;
    expect(await queue.runDue()).toBe(0);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('a job that fails once then succeeds ends done; maxAttempts and backoff are configurable', async () => {
    const clock = { ms: 0 };
    const queue = new SqliteJobQueue({ db: openDatabase(':memory:'), clock: () => clock.ms, maxAttempts: 2, backoffBaseMs: 50, log: quiet });
    let calls = 0;
    queue.handle('flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('transient');
    });
    const id = await queue.enqueue('flaky', null);
    await queue.runDue();
    expect(await queue.get(id)).toMatchObject({ state: 'queued', runAfter: 50 });
    clock.ms = 50;
    await queue.runDue();
    expect(await queue.get(id)).toEqual({ id, type: 'flaky', payload: null, state: 'done', attempts: 2, runAfter: 50 });
  });

  it('restart-resume: a job left running by a dead process runs again in the next one', async () => {
    const file = dbFile();
    const first = new SqliteJobQueue({ db: openDatabase(file), log: quiet });
    let release!: () => void;
    first.handle('session.process', () => new Promise<void>((resolve) => (release = resolve)));
    const id = await first.enqueue('session.process', { sessionId: 's1' });
    void first.runDue(); // claims the job, then the process "dies" with the handler still running
    expect(await first.get(id)).toMatchObject({ state: 'running', attempts: 1 });

    const logs: string[] = [];
    const second = new SqliteJobQueue({ db: openDatabase(file), pollIntervalMs: 10, log: (m) => logs.push(m) });
    const payloads: unknown[] = [];
    second.handle('session.process', async (payload) => void payloads.push(payload));
    await second.start();
    await vi.waitFor(async () => expect(await second.get(id)).toMatchObject({ state: 'done', attempts: 2 }));
    expect(payloads).toEqual([{ sessionId: 's1' }]);
    expect(logs[0]).toMatch(/1 interrupted job\(s\) re-queued, 0 failed/);
    await second.stop();
    release();
  });

  it('a job interrupted on its last attempt is failed at start, not re-run forever', async () => {
    const db = openDatabase(':memory:');
    const queue = new SqliteJobQueue({ db, maxAttempts: 2, log: quiet });
    const id = await queue.enqueue('crashes.the.process', {});
    db.prepare("UPDATE jobs SET state = 'running', attempts = 2 WHERE id = ?").run(id);
    const ran = vi.fn(async () => {});
    queue.handle('crashes.the.process', ran);
    await queue.start();
    await queue.stop();
    expect(await queue.get(id)).toMatchObject({ state: 'failed', attempts: 2, lastError: expect.stringMatching(/interrupted/) });
    expect(await queue.runDue()).toBe(0);
    expect(ran).not.toHaveBeenCalled();
  });

  it('the poll loop runs one job at a time by default, leaves unknown types queued, and stop() waits for the running job', async () => {
    const queue = new SqliteJobQueue({ db: openDatabase(':memory:'), pollIntervalMs: 5, log: quiet });
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    queue.handle<number>('work', async (n) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(n);
      active -= 1;
    });
    const unknown = await queue.enqueue('nobody.handles.this', {});
    const ids = [await queue.enqueue('work', 1), await queue.enqueue('work', 2), await queue.enqueue('work', 3)];
    await queue.start();
    await vi.waitFor(() => expect(order).toHaveLength(3));
    expect(order).toEqual([1, 2, 3]);
    expect(maxActive).toBe(1);
    expect((await Promise.all(ids.map((id) => queue.get(id)))).map((job) => job?.state)).toEqual(['done', 'done', 'done']);
    expect((await queue.get(unknown))?.state).toBe('queued');

    // stop() resolves only after the running job has finished.
    let release!: () => void;
    queue.handle('slow', () => new Promise<void>((resolve) => (release = resolve)));
    const last = await queue.enqueue('slow', 4);
    await vi.waitFor(async () => expect((await queue.get(last))?.state).toBe('running'));
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await queue.get(last))?.state).toBe('done');
    // Stopped: new work is not taken.
    const later = await queue.enqueue('work', 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await queue.get(later))?.state).toBe('queued');
  });

  it('concurrency > 1 runs jobs side by side', async () => {
    const queue = new SqliteJobQueue({ db: openDatabase(':memory:'), concurrency: 2, log: quiet });
    let active = 0;
    let maxActive = 0;
    queue.handle('work', async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      active -= 1;
    });
    for (let i = 0; i < 4; i++) await queue.enqueue('work', i);
    expect(await queue.runDue()).toBe(2);
    expect(await queue.runDue()).toBe(2);
    expect(maxActive).toBe(2);
  });

  it('enqueue inside a transaction that rolls back leaves no job', async () => {
    const db = openDatabase(':memory:');
    const queue = new SqliteJobQueue({ db, log: quiet });
    await expect(
      sqliteGate(db).transaction(async (tx) => {
        await queue.enqueue('work', 1, tx);
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect(db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });
});
