/**
 * Live agent mode on PostgreSQL (DATABASE_URL), two replicas sharing one database: each replica its own LiveCalls (its
 * own in-process event hub) over the same rows. What must hold across replicas: an agent taking from both at once gets
 * one call (the other 409 agent_busy), an app at LIVE_MAX_CALLS_PER_APP refuses a take on either, a person is taken by
 * one agent only, and the decision commits the session, the call and both webhook events together.
 */
import { describe, expect, it } from 'vitest';
import { endpointsFromApps } from '../../src/app/create-webhooks.js';
import { LiveCalls, LiveError } from '../../src/sessions/live-calls.js';
import { LiveEventHub } from '../../src/sessions/live-events.js';
import { openPostgresLiveRepository } from '../../src/sessions/live-repository-postgres.js';
import { PostgresSessionRepository } from '../../src/sessions/session-repository-postgres.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { PostgresWebhookStore } from '../../src/store/postgres-webhooks.js';
import { WebhookDispatcher } from '../../src/webhooks/dispatcher.js';
import { memoryStore, testApps } from '../helpers/contract.js';
import { useStoreBackends } from '../helpers/store-backends.js';

const apps = testApps([{ appId: 'kyc', appKey: 'kyc-key', allowedApis: ['sessions'], webhookUrl: 'https://kyc.example/hooks', webhookSecret: 'kyc-webhook-secret-0123456789abcdef0123' }]);
const CONSENT = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'test' };

const backends = useStoreBackends();

/** Two replicas on one new database. */
async function replicas(maxCallsPerApp = 10) {
  const { media, close } = memoryStore();
  backends.afterTest(close);
  const [poolA, poolB] = await backends.postgresPools(2, { maxConnections: 4 });
  const make = async (db: PostgresDatabase) => {
    const sessions = await PostgresSessionRepository.open(db);
    const webhooks = new WebhookDispatcher({ store: await PostgresWebhookStore.open(db), endpointFor: endpointsFromApps(apps), log: () => {} });
    const live = new LiveCalls({
      sessions,
      live: await openPostgresLiveRepository(db),
      media,
      webhooks,
      hub: new LiveEventHub(),
      limits: { queueWaitMs: 60_000, callMaxMs: 120_000, maxCallsPerApp, dropGraceMs: 10_000, recordingUploadMs: 1_800_000 },
      iceServers: [],
      now: Date.now,
      log: () => {},
    });
    return { sessions, webhooks, live };
  };
  const first = await make(poolA!);
  return [first, await make(poolB!)] as const;
}

type Replica = Awaited<ReturnType<typeof replicas>>[0];

/** A live session with its photos recorded (media ids only: the checks are not part of this test), joined to the queue. */
async function waitingPerson(replica: Replica) {
  const created = await replica.sessions.create({ appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'], videoMode: 'live_agent', videoMaxDuration: 60, videoLanguage: 'en', expiresAt: Date.now() + 3_600_000 });
  const withSelfie = { ...created, status: 'in_progress' as const, media: { selfie: 'med_selfie' } };
  expect(await replica.sessions.update(created, withSelfie)).toBe(true);
  await replica.live.join((await replica.sessions.get(created.id))!, CONSENT);
  return created.id;
}

const codeOf = (result: PromiseSettledResult<unknown>) => (result.status === 'fulfilled' ? 'taken' : result.reason instanceof LiveError ? result.reason.code : String(result.reason));

describe('live agent mode on PostgreSQL, two replicas', () => {
  it('gives an agent taking on both replicas at once one call (agent_busy on the other), each person to one agent', async () => {
    const [a, b] = await replicas();
    const { agent } = await a.live.createAgent('kyc', 'Ana');
    for (let i = 0; i < 3; i++) await waitingPerson(a);
    const results = await Promise.allSettled([a.live.takeNext(agent), b.live.takeNext(agent)]);
    expect(results.map(codeOf).sort()).toEqual(['agent_busy', 'taken']);
    const { agent: ben } = await b.live.createAgent('kyc', 'Ben');
    const taken = await b.live.takeNext(ben);
    const sessions = (await a.live.listAgents('kyc')).map((x) => x.activeCallId);
    expect(sessions.every((id) => id !== null)).toBe(true);
    const first = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<LiveCalls['takeNext']>>>;
    expect(taken.session.id).not.toBe(first.value.session.id);
  });

  it('holds LIVE_MAX_CALLS_PER_APP across replicas taking at once', async () => {
    const [a, b] = await replicas(1);
    const ana = (await a.live.createAgent('kyc', 'Ana')).agent;
    const ben = (await b.live.createAgent('kyc', 'Ben')).agent;
    for (let i = 0; i < 2; i++) await waitingPerson(a);
    const results = await Promise.allSettled([a.live.takeNext(ana), b.live.takeNext(ben)]);
    expect(results.map(codeOf).sort()).toEqual(['app_call_limit', 'taken']);
  });

  it('commits the decision with the session, the call and both webhook events; the other replica sees it at once', async () => {
    const [a, b] = await replicas();
    const { agent } = await a.live.createAgent('kyc', 'Ana');
    const id = await waitingPerson(b);
    const { call } = await a.live.takeNext(agent);
    const decided = await a.live.decide(agent, call.id, { result: 'declined', notes: 'the document was not shown' });
    expect(decided).toMatchObject({ status: 'completed', result: 'declined', review: { reviewerId: agent.id, notes: 'the document was not shown' } });
    expect(await b.sessions.get(id)).toMatchObject({ status: 'completed', result: 'declined' });
    expect((await b.live.view((await b.sessions.get(id))!)).live).toMatchObject({ state: 'ended', lastEndReason: 'decided', agentId: agent.id });
    expect((await b.webhooks.list('kyc', { sessionId: id, limit: 10 })).map((w) => w.event).sort()).toEqual(['video.completed', 'video.reviewed']);
    // Deciding again, from either replica, is refused.
    await expect(b.live.decide(agent, call.id, { result: 'approved', notes: '' })).rejects.toMatchObject({ code: 'call_ended' });
  });
});
