/**
 * The PostgreSQL live event hub (src/sessions/live-events-postgres.ts) fans every event out to every replica with a
 * stream on the channel, as the in-process hub gives every event to every subscriber (test/sessions/live-events.test.ts):
 * a person's page that reconnected to replica B while its dead stream on replica A is still subscribed (A notices only
 * when a write fails) must still get every answer and ICE candidate on B. And a replica with neither a stream nor a
 * call in progress stays almost silent on the database, yet still sees a stopped replica's stream as absent once asked.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LiveEvent } from '../../src/sessions/live-events.js';
import { PostgresLiveEventHub, PRESENCE_HEARTBEAT_MS, PRESENCE_STALE_MS } from '../../src/sessions/live-events-postgres.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { testClock } from '../helpers/contract.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z

let postgres: TestPostgres;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await postgres?.stop();
});

/** Two replicas' hubs on one new database and one clock, each with its own pool; statements counted per replica. */
async function replicas() {
  const url = await postgres.newDatabase();
  const clock = testClock(T0);
  const open = async () => {
    const db = new PostgresDatabase(url, { maxConnections: 2, log: () => {} });
    const hub = await PostgresLiveEventHub.open(db, { now: clock.now, log: (m) => console.warn(m) });
    cleanups.push(async () => {
      await hub.close();
      await db.close();
    });
    const statements = { count: 0 };
    const query = db.query.bind(db);
    db.query = ((...args: Parameters<typeof query>) => {
      statements.count++;
      return query(...args);
    }) as typeof db.query;
    return { db, hub, statements };
  };
  const a = await open();
  return { a, b: await open(), clock };
}

function collector() {
  const got: LiveEvent[] = [];
  return { got, listener: (event: LiveEvent) => void got.push(event) };
}

/** Two replicas, each with one subscriber on `channel`, both settled (their presence and cursors written). */
async function subscribedOnBoth(channel: string) {
  const { a, b } = await replicas();
  const onA = collector();
  const onB = collector();
  a.hub.subscribe(channel, onA.listener);
  b.hub.subscribe(channel, onB.listener);
  await Promise.all([a.hub.settled(), b.hub.settled()]);
  return { a, b, onA, onB };
}

const eventCount = async (db: PostgresDatabase) => (await db.query<{ n: number }>(undefined, 'SELECT count(*)::int AS n FROM live_events')).rows[0]!.n;

describe('PostgresLiveEventHub: every replica with a stream gets every event', () => {
  it('delivers all N events, in order, to a subscriber on each replica; the rows go once both have them', async () => {
    const { a, b, onA, onB } = await subscribedOnBoth('person:ses_1');
    const N = 10;
    for (let n = 0; n < N; n++) a.hub.publish('person:ses_1', 'signal', { type: 'candidate', n });
    const sent = Array.from({ length: N }, (_, n) => ({ event: 'signal', data: { type: 'candidate', n } }));
    await expect.poll(() => [onA.got.length, onB.got.length], { timeout: 5000 }).toEqual([N, N]);
    expect(onA.got).toEqual(sent);
    expect(onB.got).toEqual(sent);
    await Promise.all([a.hub.settled(), b.hub.settled()]);
    await a.hub.sync();
    expect(await eventCount(a.db)).toBe(0);
  });

  it('gives both subscribers the same order when both replicas publish at once', async () => {
    const { a, b, onA, onB } = await subscribedOnBoth('agent:call_1');
    const N = 20;
    for (let n = 0; n < N; n++) {
      a.hub.publish('agent:call_1', 'signal', { from: 'A', n });
      b.hub.publish('agent:call_1', 'signal', { from: 'B', n });
    }
    await expect.poll(() => [onA.got.length, onB.got.length], { timeout: 5000 }).toEqual([2 * N, 2 * N]);
    expect(onB.got).toEqual(onA.got);
    const from = (side: string) => onA.got.map((e) => e.data as { from: string; n: number }).filter((d) => d.from === side).map((d) => d.n);
    expect(from('A')).toEqual([...Array(N).keys()]);
    expect(from('B')).toEqual([...Array(N).keys()]);
  });

  it('hands the backlog to the next stream only, and a second stream gets only what comes after it', async () => {
    const { a, b } = await replicas();
    a.hub.publish('agent:call_2', 'signal', { type: 'offer' });
    await a.hub.settled();
    const first = collector();
    b.hub.subscribe('agent:call_2', first.listener);
    await b.hub.settled();
    expect(first.got.map((e) => e.data)).toEqual([{ type: 'offer' }]);
    const second = collector();
    a.hub.subscribe('agent:call_2', second.listener);
    await a.hub.settled();
    a.hub.publish('agent:call_2', 'signal', { type: 'candidate' });
    await expect.poll(() => [first.got.length, second.got.length], { timeout: 5000 }).toEqual([2, 1]);
    expect(second.got.map((e) => e.data)).toEqual([{ type: 'candidate' }]);
  });

  it('keeps an idle replica quiet, and once asked it still counts a stopped replica absent since its last heartbeat', async () => {
    const { a, b, clock } = await replicas();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    a.hub.start();
    const heartbeats = async (count: number) => {
      for (let i = 0; i < count; i++) {
        clock.advance(PRESENCE_HEARTBEAT_MS);
        vi.advanceTimersByTime(PRESENCE_HEARTBEAT_MS);
        await a.hub.settled();
      }
    };
    // No stream and no call on A: ten heartbeats cost at most the expired rows' cleanup (about once a minute).
    const before = a.statements.count;
    await heartbeats(10);
    expect(a.statements.count - before).toBeLessThanOrEqual(1);

    // A stream opens on B, which then stops (killed: no more heartbeats, no close).
    b.hub.subscribe('person:ses_3', () => {});
    await b.hub.settled();
    const lastSeen = clock.ms;
    // A call on A asks (its sweep): the first answer may not know yet, the next heartbeat reads the database.
    a.hub.absentSince('person:ses_3');
    await a.hub.settled();
    expect(a.hub.connected('person:ses_3')).toBe(true);
    expect(a.hub.absentSince('person:ses_3')).toBeUndefined();
    // Stale after PRESENCE_STALE_MS, noticed by the heartbeat after that while the sweep keeps asking.
    for (let waited = 0; waited <= PRESENCE_STALE_MS; waited += PRESENCE_HEARTBEAT_MS) {
      a.hub.absentSince('person:ses_3');
      await heartbeats(1);
    }
    expect(a.hub.connected('person:ses_3')).toBe(false);
    expect(a.hub.absentSince('person:ses_3')).toBe(lastSeen);
  });
});
