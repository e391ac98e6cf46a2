/**
 * The sessions API's commands on a real in-memory store: what is written together, and what a lost race does.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { sqliteGate } from '../store/sqlite-gate.js';
import type { WebhookEventData, WebhookEventName } from '../store/webhooks.js';
import { ChallengeRefusedError, SqliteChallengeRepository, type ChallengeRepository } from './challenge-repository.js';
import { attachUpload, createSession, reviewSession, SessionConflictError, UPLOAD_WRITE_ATTEMPTS, videoUploadChallenge } from './session-commands.js';
import { SqliteSessionRepository, type StoredSession } from './session-repository.js';
import { applyCompletion, TransitionError } from './session-state.js';

const T0 = 1_773_828_000_000;
const CONSENT = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'ua' };

function setup() {
  const db = openDatabase(':memory:');
  const sessions = new SqliteSessionRepository(db, () => T0);
  const events: { event: WebhookEventName; data: WebhookEventData }[] = [];
  const jobs: string[] = [];
  const deleted: string[] = [];
  const deps = {
    sessions,
    media: { delete: async (id: string) => (deleted.push(id), true) },
    jobs: { enqueue: <T>(type: string, _payload: T) => (jobs.push(type), `job_${jobs.length}`) },
    webhooks: { emit: (_appId: string, event: WebhookEventName, data: WebhookEventData) => (events.push({ event, data }), 'whk_1') },
    now: () => T0,
  };
  const create = () => sessions.create({ appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 });
  return { db, sessions, events, jobs, deleted, deps, create };
}

describe('attachUpload', () => {
  it('stores a photo, and a re-taken photo deletes the one it replaces', async () => {
    const { deps, create, deleted, jobs, sessions } = setup();
    const created = await create();
    expect((await attachUpload(deps, created, 'selfie', 'med_1')).stored.media.selfie).toBe('med_1');
    expect((await attachUpload(deps, (await sessions.get(created.id))!, 'selfie', 'med_2')).stored.media.selfie).toBe('med_2');
    expect(deleted).toEqual(['med_1']);
    expect(jobs).toEqual([]);
  });

  it('stores the video with its consent and enqueues session.process in the same write', async () => {
    const { deps, create, sessions, jobs } = setup();
    const created = await create();
    await attachUpload(deps, created, 'selfie', 'med_selfie');
    const { stored, jobId } = await attachUpload(deps, (await sessions.get(created.id))!, 'video', 'med_video', CONSENT);
    expect(jobId).toBe('job_1');
    expect(jobs).toEqual(['session.process']);
    expect(stored.media.video).toBe('med_video');
    expect((await sessions.get(created.id))!.media.video).toBe('med_video');
  });

  it('re-checks against the new state when a concurrent upload won the first write', async () => {
    const { deps, create, sessions } = setup();
    const stale = await create();
    // Another request stores the selfie after `stale` was read.
    await attachUpload(deps, stale, 'selfie', 'med_other');
    const { stored } = await attachUpload(deps, stale, 'selfie', 'med_mine');
    expect(stored.media.selfie).toBe('med_mine');
    expect((await sessions.get(stale.id))!.media.selfie).toBe('med_mine');
  });

  it('gives up with SessionConflictError after UPLOAD_WRITE_ATTEMPTS lost writes, and deletes the new file', async () => {
    const { deps, create, deleted } = setup();
    const created = await create();
    let writes = 0;
    const losing = { ...deps, sessions: Object.assign(Object.create(deps.sessions), { update: async () => (writes++, false) }) };
    await expect(attachUpload(losing, created, 'selfie', 'med_new')).rejects.toThrow(SessionConflictError);
    expect(writes).toBe(UPLOAD_WRITE_ATTEMPTS);
    expect(deleted).toEqual(['med_new']);
  });

  it('a refused transition (video without consent) deletes the new file too', async () => {
    const { deps, create, sessions, deleted } = setup();
    const created = await create();
    await attachUpload(deps, created, 'selfie', 'med_selfie');
    await expect(attachUpload(deps, (await sessions.get(created.id))!, 'video', 'med_video')).rejects.toThrow(TransitionError);
    expect(deleted).toEqual(['med_video']);
  });
});

describe('reviewSession', () => {
  async function completed(s: ReturnType<typeof setup>): Promise<StoredSession> {
    const created = await s.create();
    await attachUpload(s.deps, created, 'selfie', 'med_selfie');
    await attachUpload(s.deps, (await s.sessions.get(created.id))!, 'video', 'med_video', CONSENT);
    const current = (await s.sessions.get(created.id))!;
    expect(await s.sessions.update(current, applyCompletion(current, { result: 'needs_review', scores: null, resultReason: null }, T0))).toBe(true);
    return (await s.sessions.get(created.id))!;
  }

  it('stores the decision and its video.reviewed event together', async () => {
    const s = setup();
    const session = await completed(s);
    const next = await reviewSession(s.deps, session, { decision: 'approved', reviewerId: 'rev-1', notes: 'ok' });
    expect(next.review).toMatchObject({ decision: 'approved', reviewerId: 'rev-1' });
    expect((await s.sessions.get(session.id))!.review?.decision).toBe('approved');
    expect(s.events).toEqual([{ event: 'video.reviewed', data: { session_id: session.id, video_mode: 'self_record', status: 'approved', duration_seconds: null } }]);
  });

  it('a second reviewer who read the session before the first wrote gets already_reviewed, and no second event', async () => {
    const s = setup();
    const session = await completed(s);
    await reviewSession(s.deps, session, { decision: 'approved', reviewerId: 'rev-1', notes: null });
    await expect(reviewSession(s.deps, session, { decision: 'declined', reviewerId: 'rev-2', notes: null })).rejects.toThrow(expect.objectContaining({ reason: 'already_reviewed' }));
    expect(s.events).toHaveLength(1);
  });

  it('an event that cannot be recorded rolls the decision back', async () => {
    const s = setup();
    const session = await completed(s);
    const failing = { ...s.deps, webhooks: { emit: () => { throw new Error('disk full'); } } };
    await expect(reviewSession(failing, session, { decision: 'approved', reviewerId: 'rev-1', notes: null })).rejects.toThrow('disk full');
    expect((await s.sessions.get(session.id))!.review ?? null).toBeNull();
  });
});

describe('the SQLite transaction gate (store/sqlite-gate.ts)', () => {
  it("another request's write waits until an open transaction has committed, and never lands in one that rolls back", async () => {
    const s = setup();
    const first = await s.create();
    const second = await s.create();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const rolledBack = s.sessions.transaction(async (tx) => {
      await s.sessions.update(first, { ...first, externalId: 'in-tx' }, tx);
      order.push('tx wrote');
      await held;
      throw new Error('caller failed');
    });
    // Meanwhile another request writes another session (no tx): it must wait, not join the open transaction.
    const other = s.sessions.update(second, { ...second, externalId: 'outside' }).then((ok) => (order.push('other wrote'), ok));
    // And reads wait too: nothing uncommitted is seen.
    const read = s.sessions.get(first.id).then((session) => (order.push('other read'), session));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual(['tx wrote']);
    release();
    await expect(rolledBack).rejects.toThrow('caller failed');
    expect(await other).toBe(true);
    expect((await read)!.externalId).toBeNull();
    expect(order).toEqual(['tx wrote', 'other wrote', 'other read']);
    expect((await s.sessions.get(first.id))!.externalId).toBeNull();
    expect((await s.sessions.get(second.id))!.externalId).toBe('outside');
  });

  it('a store call inside a transaction without its tx is refused instead of waiting for itself', async () => {
    const s = setup();
    const created = await s.create();
    await expect(s.sessions.transaction(async () => s.sessions.get(created.id))).rejects.toMatchObject({ code: 'TX_MISSING' });
    // The gate is free again afterwards.
    expect((await s.sessions.get(created.id))!.id).toBe(created.id);
  });

  it('a tx is refused by a store on another database, and after it ended', async () => {
    const s = setup();
    const other = new SqliteSessionRepository(openDatabase(':memory:'), () => T0);
    let kept: Parameters<Parameters<typeof s.sessions.transaction>[0]>[0] | undefined;
    await expect(s.sessions.transaction(async (tx) => other.get('ses_x', tx))).rejects.toMatchObject({ code: 'TX_FOREIGN' });
    await sqliteGate(s.db).transaction(async (tx) => void (kept = tx));
    await expect(s.sessions.get('ses_x', kept)).rejects.toMatchObject({ code: 'TX_CLOSED' });
  });
});

describe('active liveness challenges', () => {
  function withChallenges() {
    const base = setup();
    const challenges = new SqliteChallengeRepository(base.db, () => T0);
    const deps = { ...base.deps, challenges };
    const fields = { appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'] as ('selfie' | 'video')[], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 };
    return { ...base, deps, challenges, fields };
  }

  it('createSession stores the session and its challenge together; too short a recording gets none', async () => {
    const { deps, challenges, fields, sessions, db } = withChallenges();
    const { session, challenge } = await createSession(deps, fields);
    expect(challenge).toMatchObject({ appId: 'kyc', sessionId: session.id, expiresAt: session.expiresAt, usedAt: null });
    expect(await challenges.forSession(session.id)).toEqual(challenge);
    expect((await createSession(deps, { ...fields, videoMaxDuration: 11 })).challenge).toBeNull();
    expect((await createSession({ sessions }, fields)).challenge).toBeNull();
    // A failed draw rolls the session back with it.
    const failing = { sessions, challenges: { issue: async () => { throw new Error('disk full'); } } as unknown as ChallengeRepository };
    const before = (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    await expect(createSession(failing, fields)).rejects.toThrow('disk full');
    expect((db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n).toBe(before);
  });

  it("videoUploadChallenge: the named id, else the session's own, checked without using it", async () => {
    const { deps, fields, challenges } = withChallenges();
    const { session, challenge } = await createSession(deps, fields);
    expect(await videoUploadChallenge(deps, session, undefined)).toBe(challenge!.id);
    expect(await videoUploadChallenge(deps, session, challenge!.id)).toBe(challenge!.id);
    expect((await challenges.get(challenge!.id))!.usedAt).toBeNull();
    const other = await createSession(deps, fields);
    await expect(videoUploadChallenge(deps, session, other.challenge!.id)).rejects.toThrow(ChallengeRefusedError);
    expect(await videoUploadChallenge(deps, (await createSession(deps, { ...fields, videoMaxDuration: 5 })).session, undefined)).toBeUndefined();
  });

  it('attachUpload uses the challenge up with the video; a refusal in that write leaves the session, the job queue and the media as they were', async () => {
    const { deps, fields, challenges, sessions, jobs, deleted } = withChallenges();
    const { session, challenge } = await createSession(deps, fields);
    await attachUpload(deps, session, 'selfie', 'med_selfie');
    // Used up by a concurrent request between the route's check and this write.
    await challenges.consume(challenge!.id, 'kyc', session.id);
    await expect(attachUpload(deps, (await sessions.get(session.id))!, 'video', 'med_video', CONSENT, challenge!.id)).rejects.toThrow(ChallengeRefusedError);
    expect((await sessions.get(session.id))!.media.video).toBeUndefined();
    expect(jobs).toEqual([]);
    expect(deleted).toEqual(['med_video']);

    const next = await createSession(deps, fields);
    await attachUpload(deps, next.session, 'selfie', 'med_selfie_2');
    const { jobId } = await attachUpload(deps, (await sessions.get(next.session.id))!, 'video', 'med_video_2', CONSENT, next.challenge!.id);
    expect(jobId).toBe('job_1');
    expect((await challenges.get(next.challenge!.id))!.usedAt).toBe(T0);
  });
});
