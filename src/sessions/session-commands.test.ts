/**
 * The sessions API's commands on a real in-memory store: what is written together, and what a lost race does.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import type { WebhookEventData, WebhookEventName } from '../store/webhooks.js';
import { ChallengeRefusedError, ChallengeRepository } from './challenge-repository.js';
import { attachUpload, createSession, reviewSession, SessionConflictError, UPLOAD_WRITE_ATTEMPTS, videoUploadChallenge } from './session-commands.js';
import { SessionRepository, type StoredSession } from './session-repository.js';
import { applyCompletion, TransitionError } from './session-state.js';

const T0 = 1_773_828_000_000;
const CONSENT = { givenAt: '2026-03-18T10:01:00Z', textVersion: 'v1', ip: '203.0.113.7', userAgent: 'ua' };

function setup() {
  const db = openDatabase(':memory:');
  const sessions = new SessionRepository(db, () => T0);
  const events: { event: WebhookEventName; data: WebhookEventData }[] = [];
  const jobs: string[] = [];
  const deleted: string[] = [];
  const deps = {
    sessions,
    media: { delete: (id: string) => (deleted.push(id), true) },
    jobs: { enqueue: <T>(type: string, _payload: T) => (jobs.push(type), `job_${jobs.length}`) },
    webhooks: { emit: (_appId: string, event: WebhookEventName, data: WebhookEventData) => (events.push({ event, data }), 'whk_1') },
    now: () => T0,
  };
  const create = () => sessions.create({ appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 });
  return { db, sessions, events, jobs, deleted, deps, create };
}

describe('attachUpload', () => {
  it('stores a photo, and a re-taken photo deletes the one it replaces', () => {
    const { deps, create, deleted, jobs, sessions } = setup();
    const created = create();
    expect(attachUpload(deps, created, 'selfie', 'med_1').stored.media.selfie).toBe('med_1');
    expect(attachUpload(deps, sessions.get(created.id)!, 'selfie', 'med_2').stored.media.selfie).toBe('med_2');
    expect(deleted).toEqual(['med_1']);
    expect(jobs).toEqual([]);
  });

  it('stores the video with its consent and enqueues session.process in the same write', () => {
    const { deps, create, sessions, jobs } = setup();
    const created = create();
    attachUpload(deps, created, 'selfie', 'med_selfie');
    const { stored, jobId } = attachUpload(deps, sessions.get(created.id)!, 'video', 'med_video', CONSENT);
    expect(jobId).toBe('job_1');
    expect(jobs).toEqual(['session.process']);
    expect(stored.media.video).toBe('med_video');
    expect(sessions.get(created.id)!.media.video).toBe('med_video');
  });

  it('re-checks against the new state when a concurrent upload won the first write', () => {
    const { deps, create, sessions } = setup();
    const stale = create();
    // Another request stores the selfie after `stale` was read.
    attachUpload(deps, stale, 'selfie', 'med_other');
    const { stored } = attachUpload(deps, stale, 'selfie', 'med_mine');
    expect(stored.media.selfie).toBe('med_mine');
    expect(sessions.get(stale.id)!.media.selfie).toBe('med_mine');
  });

  it('gives up with SessionConflictError after UPLOAD_WRITE_ATTEMPTS lost writes, and deletes the new file', () => {
    const { deps, create, deleted } = setup();
    const created = create();
    let writes = 0;
    const losing = { ...deps, sessions: Object.assign(Object.create(deps.sessions), { update: () => (writes++, false) }) };
    expect(() => attachUpload(losing, created, 'selfie', 'med_new')).toThrow(SessionConflictError);
    expect(writes).toBe(UPLOAD_WRITE_ATTEMPTS);
    expect(deleted).toEqual(['med_new']);
  });

  it('a refused transition (video without consent) deletes the new file too', () => {
    const { deps, create, sessions, deleted } = setup();
    const created = create();
    attachUpload(deps, created, 'selfie', 'med_selfie');
    expect(() => attachUpload(deps, sessions.get(created.id)!, 'video', 'med_video')).toThrow(TransitionError);
    expect(deleted).toEqual(['med_video']);
  });
});

describe('reviewSession', () => {
  function completed(s: ReturnType<typeof setup>): StoredSession {
    const created = s.create();
    attachUpload(s.deps, created, 'selfie', 'med_selfie');
    attachUpload(s.deps, s.sessions.get(created.id)!, 'video', 'med_video', CONSENT);
    const current = s.sessions.get(created.id)!;
    expect(s.sessions.update(current, applyCompletion(current, { result: 'needs_review', scores: null, resultReason: null }, T0))).toBe(true);
    return s.sessions.get(created.id)!;
  }

  it('stores the decision and its video.reviewed event together', () => {
    const s = setup();
    const session = completed(s);
    const next = reviewSession(s.deps, session, { decision: 'approved', reviewerId: 'rev-1', notes: 'ok' });
    expect(next.review).toMatchObject({ decision: 'approved', reviewerId: 'rev-1' });
    expect(s.sessions.get(session.id)!.review?.decision).toBe('approved');
    expect(s.events).toEqual([{ event: 'video.reviewed', data: { session_id: session.id, video_mode: 'self_record', status: 'approved', duration_seconds: null } }]);
  });

  it('a second reviewer who read the session before the first wrote gets already_reviewed, and no second event', () => {
    const s = setup();
    const session = completed(s);
    reviewSession(s.deps, session, { decision: 'approved', reviewerId: 'rev-1', notes: null });
    expect(() => reviewSession(s.deps, session, { decision: 'declined', reviewerId: 'rev-2', notes: null })).toThrow(expect.objectContaining({ reason: 'already_reviewed' }));
    expect(s.events).toHaveLength(1);
  });

  it('an event that cannot be recorded rolls the decision back', () => {
    const s = setup();
    const session = completed(s);
    const failing = { ...s.deps, webhooks: { emit: () => { throw new Error('disk full'); } } };
    expect(() => reviewSession(failing, session, { decision: 'approved', reviewerId: 'rev-1', notes: null })).toThrow('disk full');
    expect(s.sessions.get(session.id)!.review ?? null).toBeNull();
  });
});

describe('active liveness challenges', () => {
  function withChallenges() {
    const base = setup();
    const challenges = new ChallengeRepository(base.db, () => T0);
    const deps = { ...base.deps, challenges };
    const fields = { appId: 'kyc', externalId: null, redirectUrl: null, steps: ['selfie', 'video'] as ('selfie' | 'video')[], videoMaxDuration: 60, videoLanguage: 'en', expiresAt: T0 + 3_600_000 };
    return { ...base, deps, challenges, fields };
  }

  it('createSession stores the session and its challenge together; too short a recording gets none', () => {
    const { deps, challenges, fields, sessions } = withChallenges();
    const { session, challenge } = createSession(deps, fields);
    expect(challenge).toMatchObject({ appId: 'kyc', sessionId: session.id, expiresAt: session.expiresAt, usedAt: null });
    expect(challenges.forSession(session.id)).toEqual(challenge);
    expect(createSession(deps, { ...fields, videoMaxDuration: 11 }).challenge).toBeNull();
    expect(createSession({ sessions }, fields).challenge).toBeNull();
    // A failed draw rolls the session back with it.
    const failing = { sessions, challenges: { issue: () => { throw new Error('disk full'); } } as unknown as ChallengeRepository };
    const before = (deps.sessions.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    expect(() => createSession(failing, fields)).toThrow('disk full');
    expect((deps.sessions.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n).toBe(before);
  });

  it("videoUploadChallenge: the named id, else the session's own, checked without using it", () => {
    const { deps, fields, challenges } = withChallenges();
    const { session, challenge } = createSession(deps, fields);
    expect(videoUploadChallenge(deps, session, undefined)).toBe(challenge!.id);
    expect(videoUploadChallenge(deps, session, challenge!.id)).toBe(challenge!.id);
    expect(challenges.get(challenge!.id)!.usedAt).toBeNull();
    const other = createSession(deps, fields);
    expect(() => videoUploadChallenge(deps, session, other.challenge!.id)).toThrow(ChallengeRefusedError);
    expect(videoUploadChallenge(deps, createSession(deps, { ...fields, videoMaxDuration: 5 }).session, undefined)).toBeUndefined();
  });

  it('attachUpload uses the challenge up with the video; a refusal in that write leaves the session, the job queue and the media as they were', () => {
    const { deps, fields, challenges, sessions, jobs, deleted } = withChallenges();
    const { session, challenge } = createSession(deps, fields);
    attachUpload(deps, session, 'selfie', 'med_selfie');
    // Used up by a concurrent request between the route's check and this write.
    challenges.consume(challenge!.id, 'kyc', session.id);
    expect(() => attachUpload(deps, sessions.get(session.id)!, 'video', 'med_video', CONSENT, challenge!.id)).toThrow(ChallengeRefusedError);
    expect(sessions.get(session.id)!.media.video).toBeUndefined();
    expect(jobs).toEqual([]);
    expect(deleted).toEqual(['med_video']);

    const next = createSession(deps, fields);
    attachUpload(deps, next.session, 'selfie', 'med_selfie_2');
    const { jobId } = attachUpload(deps, sessions.get(next.session.id)!, 'video', 'med_video_2', CONSENT, next.challenge!.id);
    expect(jobId).toBe('job_1');
    expect(challenges.get(next.challenge!.id)!.usedAt).toBe(T0);
  });
});
