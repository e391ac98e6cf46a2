/**
 * The challenge store on a real in-memory SQLite database: issue, the refusal rules and their order, single use, and
 * the pruning of old verifyVideo challenges. Concurrent use from several connections: test/sessions/.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.js';
import { CHALLENGE_MAX_STEPS, CHALLENGE_MIN_STEPS } from './challenge-draw.js';
import { CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS, ChallengeRefusedError, challengeRefusal, SqliteChallengeRepository, type ChallengeRefusal, type ChallengeRepository } from './challenge-repository.js';

const T0 = 1_773_828_000_000;
const TEN_MINUTES = 600_000;

function setup() {
  const clock = { ms: T0 };
  const repository: ChallengeRepository = new SqliteChallengeRepository(openDatabase(':memory:'), () => clock.ms);
  const issue = (appId = 'app-a', sessionId: string | null = null, expiresAt = T0 + TEN_MINUTES) => repository.issue({ appId, sessionId, expiresAt, maxRecordingSeconds: 60 });
  return { clock, repository, issue };
}

/** The refusal `run` rejects with, as [reason, code, status]. */
async function refusal(run: () => Promise<unknown>): Promise<[ChallengeRefusal, string, number]> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ChallengeRefusedError) return [error.reason, error.code, error.status];
    throw error;
  }
  throw new Error('not refused');
}

describe('ChallengeRepository', () => {
  it('issues chl_<uuid> challenges with 3–4 drawn steps, stored as issued', async () => {
    const { repository, issue } = setup();
    const challenge = await issue('app-a', 'ses_1', T0 + 3_600_000);
    expect(challenge.id).toMatch(/^chl_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(challenge.steps.length).toBeGreaterThanOrEqual(CHALLENGE_MIN_STEPS);
    expect(challenge.steps.length).toBeLessThanOrEqual(CHALLENGE_MAX_STEPS);
    expect(challenge).toMatchObject({ appId: 'app-a', sessionId: 'ses_1', createdAt: T0, expiresAt: T0 + 3_600_000, usedAt: null });
    expect(challenge.recordingSeconds).toBe(challenge.steps.at(-1)!.windowSeconds[1] + 1);
    expect(await repository.get(challenge.id)).toEqual(challenge);
    expect(await repository.forSession('ses_1')).toEqual(challenge);
    expect(await repository.forSession('ses_2')).toBeUndefined();
    await expect(repository.issue({ appId: 'a', sessionId: null, expiresAt: T0 + 1, maxRecordingSeconds: 11 })).rejects.toThrow(RangeError);
  });

  it('consume marks the challenge used once; a second use is refused as already used (409)', async () => {
    const { repository, issue, clock } = setup();
    const challenge = await issue();
    clock.ms += 5000;
    expect((await repository.check(challenge.id, 'app-a')).usedAt).toBeNull();
    const used = await repository.consume(challenge.id, 'app-a');
    expect(used).toEqual({ ...challenge, usedAt: T0 + 5000 });
    expect((await repository.get(challenge.id))!.usedAt).toBe(T0 + 5000);
    expect(await refusal(() => repository.consume(challenge.id, 'app-a'))).toEqual(['already_used', 'CHALLENGE_USED', 409]);
    expect(await refusal(() => repository.check(challenge.id, 'app-a'))).toEqual(['already_used', 'CHALLENGE_USED', 409]);
    await expect(repository.consume(challenge.id, 'app-a')).rejects.toThrow(/already used at 2026-03-18T10:00:05.000Z.*POST \/v1\/challenges/);
  });

  it('refuses an expired challenge (410) from its expiry on, and leaves it unused', async () => {
    const { repository, issue, clock } = setup();
    const challenge = await issue();
    clock.ms = challenge.expiresAt - 1;
    expect((await repository.check(challenge.id, 'app-a')).id).toBe(challenge.id);
    clock.ms = challenge.expiresAt;
    expect(await refusal(() => repository.consume(challenge.id, 'app-a'))).toEqual(['expired', 'CHALLENGE_EXPIRED', 410]);
    expect((await repository.get(challenge.id))!.usedAt).toBeNull();
  });

  it("refuses unknown ids and another app's alike (400, same message), and binds to the session or to no session", async () => {
    const { repository, issue } = setup();
    const callers = await issue('app-a');
    const sessions = await issue('app-a', 'ses_1');
    const unknown = 'chl_00000000-0000-4000-8000-000000000000';
    expect(await refusal(() => repository.consume(unknown, 'app-a'))).toEqual(['unknown', 'CHALLENGE_INVALID', 400]);
    expect(await refusal(() => repository.consume(callers.id, 'app-b'))).toEqual(['another_app', 'CHALLENGE_INVALID', 400]);
    const messages: string[] = [];
    for (const id of [unknown, callers.id]) {
      await repository.consume(id, id === unknown ? 'app-a' : 'app-b').catch((error: Error) => messages.push(error.message.replace(id, '<id>')));
    }
    expect(messages).toHaveLength(2);
    expect(messages[0]).toBe(messages[1]);
    // A session's challenge: not for verifyVideo, not for another session; a verifyVideo one: not for a session.
    expect(await refusal(() => repository.consume(sessions.id, 'app-a'))).toEqual(['another_session', 'CHALLENGE_INVALID', 400]);
    await expect(repository.consume(sessions.id, 'app-a')).rejects.toThrow(/belongs to session ses_1/);
    expect(await refusal(() => repository.consume(sessions.id, 'app-a', 'ses_2'))).toEqual(['another_session', 'CHALLENGE_INVALID', 400]);
    expect(await refusal(() => repository.consume(callers.id, 'app-a', 'ses_1'))).toEqual(['another_session', 'CHALLENGE_INVALID', 400]);
    await expect(repository.consume(callers.id, 'app-a', 'ses_1')).rejects.toThrow(/issued for POST \/v1\/verifyVideo, not for session ses_1/);
    // None of those refusals used them up.
    expect((await repository.consume(sessions.id, 'app-a', 'ses_1')).usedAt).toBe(T0);
    expect((await repository.consume(callers.id, 'app-a')).usedAt).toBe(T0);
  });

  it('checks ownership first, then the binding, then use before expiry', () => {
    const base = { appId: 'a', sessionId: 's', usedAt: T0, expiresAt: T0 };
    expect(challengeRefusal(undefined, { appId: 'a' }, T0)).toBe('unknown');
    expect(challengeRefusal(base, { appId: 'b', sessionId: 's' }, T0)).toBe('another_app');
    expect(challengeRefusal(base, { appId: 'a', sessionId: 't' }, T0)).toBe('another_session');
    expect(challengeRefusal(base, { appId: 'a' }, T0)).toBe('another_session');
    expect(challengeRefusal(base, { appId: 'a', sessionId: 's' }, T0)).toBe('already_used');
    expect(challengeRefusal({ ...base, usedAt: null }, { appId: 'a', sessionId: 's' }, T0)).toBe('expired');
    expect(challengeRefusal({ ...base, usedAt: null }, { appId: 'a', sessionId: 's' }, T0 - 1)).toBeNull();
    expect(challengeRefusal({ ...base, sessionId: null, usedAt: null }, { appId: 'a' }, T0 - 1)).toBeNull();
  });

  it("deletes verifyVideo callers' challenges a day after they expired, never a session's", async () => {
    const { repository, issue, clock } = setup();
    const old = await issue('app-a', null, T0 + 1000);
    const session = await issue('app-a', 'ses_1', T0 + 1000);
    clock.ms = T0 + 1000 + CALLER_CHALLENGE_KEPT_AFTER_EXPIRY_MS;
    await issue();
    expect(await repository.get(old.id)).toBeDefined();
    expect(await refusal(() => repository.consume(old.id, 'app-a'))).toEqual(['expired', 'CHALLENGE_EXPIRED', 410]);
    clock.ms += 1;
    await issue();
    expect(await repository.get(old.id)).toBeUndefined();
    expect(await repository.get(session.id)).toBeDefined();
  });
});
