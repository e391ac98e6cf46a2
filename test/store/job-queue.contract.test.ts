/**
 * The JobQueue contract on both backends (src/store/sqlite-job-queue.ts, src/store/postgres-job-queue.ts): attempts,
 * backoff and giving up (injected clock), and a job enqueued in a transaction. Then what only a queue shared by
 * replicas has (PostgreSQL): one claim per job however many replicas poll, a dead replica's job taken by exactly one
 * other once its lease has passed, and the dead one's late outcome not recorded (the fencing token).
 * The SQLite queue's restart recovery and poll loop: src/store/sqlite-job-queue.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/store/job-queue.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const T0 = 1_700_000_000_000;
const quiet = () => {};

const backends = useStoreBackends();

describe.each(backends.metadata)('JobQueue contract on $name', (backend) => {
  const setup = () => backend.setup(T0);

  it('retries a failing job with exponential backoff, then gives it up once and fails it after maxAttempts', async () => {
    const { stores, clock } = await setup();
    const gaveUp: Job[] = [];
    const queue = await stores.jobs({ log: quiet, onGiveUp: (job) => void gaveUp.push(job) });
    const seen: number[] = [];
    queue.handle<{ n: number }>('always.fails', async (payload, job) => {
      seen.push(job.attempts);
      expect(payload).toEqual({ n: 7 });
      throw new Error(`boom ${job.attempts}`);
    });
    const id = await queue.enqueue('always.fails', { n: 7 });
    expect(await queue.get(id)).toEqual({ id, type: 'always.fails', payload: { n: 7 }, state: 'queued', attempts: 0, runAfter: T0 });
    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 1, lastError: 'boom 1', runAfter: T0 + 1000 });
    clock.ms += 999;
    expect(await queue.runDue()).toBe(0);
    clock.ms += 1;
    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 2, lastError: 'boom 2', runAfter: clock.ms + 2000 });
    clock.ms += 2000;
    expect(await queue.runDue()).toBe(1);
    expect(await queue.get(id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'boom 3' });
    expect(gaveUp).toEqual([expect.objectContaining({ id, state: 'failed', attempts: 3, lastError: 'boom 3' })]);
    clock.ms += 3_600_000;
    expect(await queue.runDue()).toBe(0);
    expect(seen).toEqual([1, 2, 3]);
    expect(await queue.get('job_unknown')).toBeUndefined();
  });

  it('a job that fails once then succeeds ends done; jobs nobody handles stay queued', async () => {
    const { stores, clock } = await setup();
    const queue = await stores.jobs({ log: quiet, maxAttempts: 2, backoffBaseMs: 50 });
    let calls = 0;
    queue.handle('flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('transient');
    });
    const id = await queue.enqueue('flaky', null);
    const orphan = await queue.enqueue('nobody.handles.this', {});
    await queue.runDue();
    expect(await queue.get(id)).toMatchObject({ state: 'queued', runAfter: T0 + 50 });
    clock.ms += 50;
    await queue.runDue();
    expect(await queue.get(id)).toEqual({ id, type: 'flaky', payload: null, state: 'done', attempts: 2, runAfter: T0 + 50 });
    expect((await queue.get(orphan))!.state).toBe('queued');
  });

  it('enqueue inside a transaction that rolls back leaves no job; one that commits is run', async () => {
    const { stores } = await setup();
    const queue = await stores.jobs({ log: quiet });
    const ran: unknown[] = [];
    queue.handle('work', async (payload) => void ran.push(payload));
    await expect(
      stores.runner.transaction(async (tx) => {
        await queue.enqueue('work', 1, tx);
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    await stores.runner.transaction(async (tx) => void (await queue.enqueue('work', 2, tx)));
    expect(await queue.runDue()).toBe(1);
    expect(ran).toEqual([2]);
  });

  it('the poll loop runs queued jobs back to back: a job that ends while the loop is busy never waits for the next poll', async () => {
    const { stores } = await setup();
    // A poll interval far longer than the test: only the loop's own wake-ups can run these jobs in time.
    const queue = await stores.jobs({ log: quiet, pollIntervalMs: 600_000 });
    const ran: number[] = [];
    queue.handle<number>('instant', async (n) => void ran.push(n));
    await stores.runner.transaction(async (tx) => {
      for (let n = 0; n < 300; n++) await queue.enqueue('instant', n, tx);
    });
    await queue.start();
    backends.afterTest(() => queue.stop());
    await expect.poll(() => ran.length, { timeout: 20_000 }).toBe(300);
    expect(new Set(ran).size).toBe(300);
  });
});

describe('JobQueue on PostgreSQL, shared by replicas', () => {
  /** `count` replicas on one database with the test's clock, and one more whose clock stands still at T0 (a replica that hangs: its lease renewals never move the lease). */
  const replicas = async (count: number, clock: { ms: number }) => {
    const all = await backends.postgresReplicas([...Array.from({ length: count }, () => () => clock.ms), () => T0]);
    const hung = all.pop()!;
    return Object.assign(all, { hung });
  };

  it('each job runs once however many replicas poll at the same time', async () => {
    const clock = { ms: T0 };
    const stores = await replicas(3, clock);
    const runs = new Map<number, number>();
    const queues = await Promise.all(
      stores.map(async (s) => {
        const queue = await s.jobs({ log: quiet, concurrency: 4 });
        queue.handle<number>('work', async (n) => {
          runs.set(n, (runs.get(n) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 2));
        });
        return queue;
      }),
    );
    for (let n = 0; n < 40; n++) await queues[n % 3]!.enqueue('work', n);
    for (let round = 0; round < 20 && runs.size < 40; round++) await Promise.all(queues.map((q) => q.runDue()));
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((times) => times === 1)).toBe(true);
    expect(await stores[0]!.sql("SELECT count(*) AS n FROM jobs WHERE state = 'done'")).toEqual([{ n: 40 }]);
  });

  it("a dead replica's job is taken by exactly one other once its lease has passed; the dead one's late outcome is not recorded", async () => {
    const clock = { ms: T0 };
    const { hung: a, 0: b, 1: c } = await replicas(2, clock);
    const leaseMs = 10_000;
    const logs: string[] = [];
    // Replica A claims the job and stops answering (its handler does not return until the end of the test).
    const deadQueue = await a.jobs({ log: (m) => logs.push(m), leaseMs });
    let release!: () => void;
    deadQueue.handle('session.process', () => new Promise<void>((resolve) => (release = resolve)));
    const id = await deadQueue.enqueue('session.process', { sessionId: 's1' });
    const claimedByA = deadQueue.runDue();
    await expect.poll(async () => (await deadQueue.get(id))?.state).toBe('running');
    expect(await deadQueue.get(id)).toMatchObject({ attempts: 1 });

    const ran: string[] = [];
    const survivors = await Promise.all(
      [b!, c!].map(async (s, i) => {
        const queue = await s.jobs({ log: quiet, leaseMs });
        queue.handle('session.process', async () => void ran.push(i === 0 ? 'B' : 'C'));
        return queue;
      }),
    );
    // Within the lease nobody else takes it.
    clock.ms = T0 + leaseMs - 1;
    expect(await Promise.all(survivors.map((q) => q.runDue()))).toEqual([0, 0]);
    // Past it, exactly one of the two does, once.
    clock.ms = T0 + leaseMs + 1;
    const taken = await Promise.all(survivors.map((q) => q.runDue()));
    expect(taken.sort()).toEqual([0, 1]);
    expect(ran).toHaveLength(1);
    expect(await survivors[0]!.get(id)).toMatchObject({ state: 'done', attempts: 2 });
    expect(await Promise.all(survivors.map((q) => q.runDue()))).toEqual([0, 0]);

    // Replica A wakes up and finishes: its outcome does not overwrite the other's.
    release();
    await claimedByA;
    expect(await survivors[0]!.get(id)).toMatchObject({ state: 'done', attempts: 2 });
    expect(logs.some((m) => /another replica took it; this outcome is not recorded/.test(m))).toBe(true);
  });

  it('a replica that dies on the last attempt: the job is given up once (onGiveUp), not re-run', async () => {
    const clock = { ms: T0 };
    const { hung: a, 0: b, 1: c } = await replicas(2, clock);
    const dead = await a.jobs({ log: quiet, leaseMs: 1000, maxAttempts: 1 });
    dead.handle('session.process', () => new Promise<void>(() => {}));
    const id = await dead.enqueue('session.process', { sessionId: 's1' });
    void dead.runDue();
    await expect.poll(async () => (await dead.get(id))?.state).toBe('running');
    const gaveUp: string[] = [];
    const ran: string[] = [];
    const others = await Promise.all(
      [b!, c!].map(async (s) => {
        const queue = await s.jobs({ log: quiet, leaseMs: 1000, maxAttempts: 1, onGiveUp: async (job) => void gaveUp.push(job.id) });
        queue.handle('session.process', async () => void ran.push('ran'));
        return queue;
      }),
    );
    clock.ms = T0 + 1001;
    await Promise.all(others.map((q) => q.runDue()));
    await Promise.all(others.map((q) => q.runDue()));
    expect(gaveUp).toEqual([id]);
    expect(ran).toEqual([]);
    expect(await others[0]!.get(id)).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/lease expired/) });
  });

  it('the poll loop: a job enqueued in a committed transaction is picked up by a started replica, and depth() counts', async () => {
    const clock = { ms: T0 };
    const [a, b] = await replicas(2, clock);
    const producer = await a!.jobs({ log: quiet, pollIntervalMs: 20 });
    const consumer = await b!.jobs({ log: quiet, pollIntervalMs: 20 });
    const ran: unknown[] = [];
    consumer.handle('work', async (payload) => void ran.push(payload));
    await consumer.start();
    backends.afterTest(() => consumer.stop());
    await a!.runner.transaction(async (tx) => void (await producer.enqueue('work', { n: 1 }, tx)));
    await expect.poll(() => ran, { timeout: 5000 }).toEqual([{ n: 1 }]);
    await expect.poll(() => consumer.depth(), { timeout: 5000 }).toEqual({ queued: 0, running: 0 });
  });
});
