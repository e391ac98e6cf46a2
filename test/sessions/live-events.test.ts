/**
 * The live calls' in-process event hub (src/sessions/live-events.ts): what a subscriber gets, what is kept for a
 * stream that is not connected yet, and the absence clock the drop grace is measured with.
 */
import { describe, expect, it } from 'vitest';
import { BACKLOG_EVENTS, LiveEventHub, type LiveEvent } from '../../src/sessions/live-events.js';
import { testClock } from '../helpers/contract.js';

describe('LiveEventHub', () => {
  it('keeps events for a channel nobody listens to and hands them to the first subscriber, in order', () => {
    const hub = new LiveEventHub();
    hub.publish('agent:call_1', 'signal', { type: 'offer' });
    hub.publish('agent:call_1', 'signal', { type: 'candidate' });
    const got: LiveEvent[] = [];
    hub.subscribe('agent:call_1', (e) => got.push(e));
    hub.publish('agent:call_1', 'signal', { type: 'candidate', n: 2 });
    expect(got.map((e) => e.data)).toEqual([{ type: 'offer' }, { type: 'candidate' }, { type: 'candidate', n: 2 }]);
    // Delivered once: a second subscriber gets only what comes after it.
    const late: LiveEvent[] = [];
    hub.subscribe('agent:call_1', (e) => late.push(e));
    expect(late).toEqual([]);
  });

  it('does not keep `live` events (the state replay covers them) and forgets a channel on a `final` one', () => {
    const hub = new LiveEventHub();
    hub.publish('person:ses_1', 'queue', { queue_position: 2 }, { live: true });
    hub.publish('person:ses_1', 'signal', { type: 'answer' });
    hub.publish('person:ses_1', 'ended', { reason: 'dropped' }, { final: true });
    const got: LiveEvent[] = [];
    hub.subscribe('person:ses_1', (e) => got.push(e));
    expect(got).toEqual([]);
  });

  it(`keeps at most ${BACKLOG_EVENTS} events per channel, the newest`, () => {
    const hub = new LiveEventHub();
    for (let i = 0; i < BACKLOG_EVENTS + 10; i++) hub.publish('c', 'signal', { i });
    const got: number[] = [];
    hub.subscribe('c', (e) => got.push((e.data as { i: number }).i));
    expect(got).toHaveLength(BACKLOG_EVENTS);
    expect(got[0]).toBe(10);
  });

  it('says since when a channel has had no subscriber: from the last unsubscribe, or from the latest `expect`', () => {
    const clock = testClock(1000);
    const hub = new LiveEventHub(clock.now);
    expect(hub.absentSince('c')).toBeUndefined();
    hub.expect('c');
    expect(hub.absentSince('c')).toBe(1000);
    clock.advance(500);
    const first = hub.subscribe('c', () => {});
    const second = hub.subscribe('c', () => {});
    expect(hub.connected('c')).toBe(true);
    expect(hub.absentSince('c')).toBeUndefined();
    clock.advance(500);
    first();
    first(); // idempotent
    expect(hub.absentSince('c')).toBeUndefined(); // one subscriber is still there
    clock.advance(500);
    second();
    expect(hub.absentSince('c')).toBe(2500);
    clock.advance(500);
    hub.expect('c'); // a new call: the clock starts again
    expect(hub.absentSince('c')).toBe(3000);
  });
});
