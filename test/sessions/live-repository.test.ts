/**
 * Live agent mode's repository (src/sessions/live-repository.ts) on both databases it runs on: the embedded SQLite file
 * and PostgreSQL (a real cluster, test/helpers/postgres.ts). The same statements, the same answers: agents found by
 * their token's hash and scoped to their app, the queue order (back from a drop first, then first come), one call per
 * agent kept by the database itself, a call ended once, and the per-app lock serialising two takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentBusyError, LiveRepository, sqliteLiveSql, type LiveCall, type LiveEntry } from '../../src/sessions/live-repository.js';
import { openPostgresLiveRepository } from '../../src/sessions/live-repository-postgres.js';
import { openDatabase } from '../../src/store/database.js';
import { PostgresDatabase } from '../../src/store/postgres.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';

const T0 = 1_773_828_000_000;

const entry = (sessionId: string, fields: Partial<LiveEntry> = {}): LiveEntry => ({
  sessionId,
  appId: 'kyc',
  state: 'waiting',
  priority: 0,
  queuedAt: T0,
  waitExpiresAt: T0 + 60_000,
  callId: null,
  agentId: null,
  lastEndReason: null,
  ...fields,
});

const call = (id: string, agentId: string, sessionId: string): LiveCall => ({
  id,
  appId: 'kyc',
  sessionId,
  agentId,
  startedAt: T0,
  expiresAt: T0 + 120_000,
  endedAt: null,
  endReason: null,
  checks: { faceMatchScore: null, livenessScore: null },
});

let postgres: TestPostgres;
const databases: { close: () => Promise<void> }[] = [];
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  for (const db of databases) await db.close();
  await postgres?.stop();
});

const backends: [string, () => Promise<LiveRepository>][] = [
  ['SQLite', async () => new LiveRepository(sqliteLiveSql(openDatabase(':memory:')))],
  [
    'PostgreSQL',
    async () => {
      const db = new PostgresDatabase(await postgres.newDatabase(), { maxConnections: 4, log: () => {} });
      databases.push(db);
      return openPostgresLiveRepository(db);
    },
  ],
];

describe.each(backends)('LiveRepository on %s', (_name, open) => {
  it('keeps agents per app, found by the hash of their token', async () => {
    const repo = await open();
    await repo.createAgent({ id: 'agent_1', appId: 'kyc', name: 'Ana', createdAt: T0 }, 'hash-1');
    await repo.createAgent({ id: 'agent_2', appId: 'kyc', name: 'Ben', createdAt: T0 + 1 }, 'hash-2');
    await repo.createAgent({ id: 'agent_3', appId: 'other', name: 'Eve', createdAt: T0 }, 'hash-3');
    expect(await repo.agentByTokenSha256('hash-2')).toEqual({ id: 'agent_2', appId: 'kyc', name: 'Ben', createdAt: T0 + 1 });
    expect(await repo.agentByTokenSha256('nope')).toBeUndefined();
    expect((await repo.agents('kyc')).map((a) => [a.id, a.activeCallId])).toEqual([
      ['agent_1', null],
      ['agent_2', null],
    ]);
    expect(await repo.agent('other', 'agent_1')).toBeUndefined();
    expect(await repo.deleteAgent('other', 'agent_1')).toBe(false);
    expect(await repo.deleteAgent('kyc', 'agent_1')).toBe(true);
    expect(await repo.agentByTokenSha256('hash-1')).toBeUndefined();
  });

  it('orders the queue: back from a dropped call first, then first come; expired waits are found', async () => {
    const repo = await open();
    await repo.saveEntry(entry('ses_a', { queuedAt: T0 }));
    await repo.saveEntry(entry('ses_b', { queuedAt: T0 + 1000, waitExpiresAt: T0 + 30_000 }));
    await repo.saveEntry(entry('ses_c', { queuedAt: T0 + 2000, priority: 1, lastEndReason: 'dropped' }));
    await repo.saveEntry(entry('ses_d', { appId: 'other' }));
    await repo.saveEntry(entry('ses_e', { state: 'not_joined', waitExpiresAt: null }));
    expect((await repo.waiting('kyc')).map((e) => e.sessionId)).toEqual(['ses_c', 'ses_a', 'ses_b']);
    expect((await repo.waitingPastExpiry(T0 + 30_000)).map((e) => e.sessionId)).toEqual(['ses_b']);
    // An upsert replaces the row.
    await repo.saveEntry(entry('ses_a', { state: 'in_call', callId: 'call_1', agentId: 'agent_1', waitExpiresAt: null }));
    expect(await repo.entry('ses_a')).toEqual(entry('ses_a', { state: 'in_call', callId: 'call_1', agentId: 'agent_1', waitExpiresAt: null }));
    expect((await repo.waiting('kyc')).map((e) => e.sessionId)).toEqual(['ses_c', 'ses_b']);
  });

  it('allows one call in progress per agent (the database refuses a second), ends a call once, keeps checks and snapshots', async () => {
    const repo = await open();
    await repo.transaction((tx) => repo.insertCall(call('call_1', 'agent_1', 'ses_a'), tx));
    await expect(repo.transaction((tx) => repo.insertCall(call('call_2', 'agent_1', 'ses_b'), tx))).rejects.toBeInstanceOf(AgentBusyError);
    expect(await repo.activeCallCount('kyc')).toBe(1);
    expect((await repo.activeCallOfAgent('agent_1'))?.id).toBe('call_1');
    await repo.setCallChecks('call_1', { faceMatchScore: 81.5, livenessScore: 97.25 });
    expect((await repo.call('call_1'))?.checks).toEqual({ faceMatchScore: 81.5, livenessScore: 97.25 });
    expect(await repo.transaction((tx) => repo.endCall('call_1', 'dropped', T0 + 5000, tx))).toBe(true);
    expect(await repo.transaction((tx) => repo.endCall('call_1', 'decided', T0 + 6000, tx))).toBe(false);
    expect(await repo.call('call_1')).toMatchObject({ endedAt: T0 + 5000, endReason: 'dropped' });
    // Ended: the agent may take the next one.
    await repo.transaction((tx) => repo.insertCall(call('call_2', 'agent_1', 'ses_b'), tx));
    expect((await repo.activeCalls()).map((c) => c.id)).toEqual(['call_2']);
    await repo.addSnapshot({ id: 'snp_1', callId: 'call_2', sessionId: 'ses_b', appId: 'kyc', mediaId: 'med_1', createdAt: T0, checks: { faceMatchScore: 77.5, livenessScore: null } });
    await repo.addSnapshot({ id: 'snp_2', callId: 'call_2', sessionId: 'ses_b', appId: 'kyc', mediaId: 'med_2', createdAt: T0 + 1, checks: { faceMatchScore: 80, livenessScore: 66.25 } });
    const first = { id: 'snp_1', callId: 'call_2', sessionId: 'ses_b', appId: 'kyc', mediaId: 'med_1', createdAt: T0, checks: { faceMatchScore: 77.5, livenessScore: null } };
    expect((await repo.snapshots('ses_b'))[0]).toEqual(first);
    // Each snapshot keeps its own checks; the call's (the selfie's) are untouched by them.
    expect((await repo.callSnapshots('call_2')).map((s) => [s.id, s.checks])).toEqual([
      ['snp_1', { faceMatchScore: 77.5, livenessScore: null }],
      ['snp_2', { faceMatchScore: 80, livenessScore: 66.25 }],
    ]);
    expect(await repo.callSnapshots('call_1')).toEqual([]);
    expect((await repo.call('call_1'))?.checks).toEqual({ faceMatchScore: 81.5, livenessScore: 97.25 });
  });

  it('serialises two transactions that count an app’s calls under its lock: the second sees the first’s call', async () => {
    const repo = await open();
    const limit = 1;
    const takes = ['agent_1', 'agent_2'].map((agentId, i) =>
      repo.transaction(async (tx) => {
        await repo.lockApp(tx, 'kyc');
        if ((await repo.activeCallCount('kyc', tx)) >= limit) return 'refused';
        // Widen the window a racing take would slip through without the lock.
        await new Promise((resolve) => setTimeout(resolve, 50));
        await repo.insertCall(call(`call_${i}`, agentId, `ses_${i}`), tx);
        return 'taken';
      }),
    );
    expect((await Promise.all(takes)).sort()).toEqual(['refused', 'taken']);
    expect(await repo.activeCallCount('kyc')).toBe(1);
  });
});
