import { describe, expect, it } from 'vitest';
import { promptsFor, VIDEO_LANGUAGES } from './prompts.js';
import {
  applyCompletion,
  applyLiveDecision,
  applyLiveJoin,
  applyRecordingScores,
  applyReview,
  applyUpload,
  awaitsProcessing,
  checkUpload,
  effectiveStatus,
  type Consent,
  type Session,
  TransitionError,
} from './session-state.js';

const T0 = 1_700_000_000_000;
const consent: Consent = { givenAt: '2026-03-18T10:14:52Z', textVersion: 'v1', ip: '203.0.113.9', userAgent: 'test' };

function session(overrides: Partial<Session> = {}): Session {
  return {
    id: 'ses_1',
    appId: 'a',
    externalId: null,
    redirectUrl: null,
    steps: ['document', 'selfie', 'video'],
    videoMode: 'self_record',
    videoMaxDuration: 60,
    videoLanguage: 'en',
    status: 'pending',
    result: null,
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    media: {},
    consent: null,
    recordedAt: null,
    scores: null,
    resultReason: null,
    completedAt: null,
    review: null,
    recordingProcessedAt: null,
    ...overrides,
  };
}

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof TransitionError) return error.reason;
    throw error;
  }
  return 'no error';
};

describe('session state machine', () => {
  it('pending → in_progress on the first upload; images first, then the video with consent', () => {
    let s = applyUpload(session(), 'selfie', 'med_s', T0 + 1);
    expect(s.status).toBe('in_progress');
    expect(reason(() => applyUpload(s, 'video', 'med_v', T0 + 2, consent))).toBe('missing_previous_steps');
    s = applyUpload(s, 'document', 'med_d', T0 + 3);
    expect(reason(() => applyUpload(s, 'video', 'med_v', T0 + 4))).toBe('consent_required');
    s = applyUpload(s, 'video', 'med_v', T0 + 4, consent);
    expect(s).toMatchObject({ status: 'in_progress', recordedAt: T0 + 4, consent, media: { selfie: 'med_s', document: 'med_d', video: 'med_v' } });
  });

  it('lets photos be re-taken before the video, and nothing after it', () => {
    let s = applyUpload(session({ steps: ['selfie', 'video'] }), 'selfie', 'med_1', T0);
    s = applyUpload(s, 'selfie', 'med_2', T0 + 1);
    expect(s.media.selfie).toBe('med_2');
    s = applyUpload(s, 'video', 'med_v', T0 + 2, consent);
    expect(reason(() => checkUpload(s, 'selfie', T0 + 3))).toBe('already_uploaded');
    expect(reason(() => checkUpload(s, 'video', T0 + 3))).toBe('already_uploaded');
  });

  it('refuses steps outside the profile', () => {
    expect(reason(() => checkUpload(session({ steps: ['selfie', 'video'] }), 'document', T0))).toBe('step_not_in_profile');
  });

  it('expires a session still waiting for its video at expires_at, never one whose video arrived', () => {
    const waiting = session({ status: 'in_progress', media: { selfie: 'med_s' } });
    expect(effectiveStatus(waiting, waiting.expiresAt - 1)).toBe('in_progress');
    expect(effectiveStatus(waiting, waiting.expiresAt)).toBe('expired');
    expect(effectiveStatus(session(), session().expiresAt + 1)).toBe('expired');
    expect(reason(() => checkUpload(waiting, 'video', waiting.expiresAt))).toBe('expired');
    const recorded = session({ status: 'in_progress', media: { selfie: 'med_s', document: 'med_d', video: 'med_v' } });
    expect(effectiveStatus(recorded, recorded.expiresAt + 10)).toBe('in_progress');
  });

  it('completes with a result, then takes exactly one review', () => {
    const recorded = session({ status: 'in_progress', media: { selfie: 'med_s', document: 'med_d', video: 'med_v' } });
    expect(reason(() => applyReview(recorded, { decision: 'approved', reviewerId: 'r1', notes: null }, T0))).toBe('not_completed');
    const done = applyCompletion(recorded, { result: 'needs_review', scores: { durationSeconds: 10, faceMatchScore: 60, livenessScore: 55 }, resultReason: 'x' }, T0 + 5);
    expect(done).toMatchObject({ status: 'completed', result: 'needs_review', completedAt: T0 + 5 });
    const reviewed = applyReview(done, { decision: 'declined', reviewerId: 'r1', notes: 'mask' }, T0 + 9);
    expect(reviewed).toMatchObject({ status: 'completed', result: 'declined', review: { decision: 'declined', reviewerId: 'r1', notes: 'mask', at: T0 + 9 } });
    expect(reason(() => applyReview(reviewed, { decision: 'approved', reviewerId: 'r2', notes: null }, T0 + 10))).toBe('already_reviewed');
  });
});

describe('live_agent sessions', () => {
  const reason = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return (error as TransitionError).reason;
    }
    return 'none';
  };
  const live = (overrides: Partial<Session> = {}) => session({ videoMode: 'live_agent', ...overrides });

  it('joins only a live session, after its photos, while it is neither expired nor decided', () => {
    expect(reason(() => applyLiveJoin(session(), consent, T0))).toBe('live_only');
    expect(reason(() => applyLiveJoin(live({ media: { selfie: 'med_s' } }), consent, T0))).toBe('missing_previous_steps');
    const ready = live({ status: 'in_progress', media: { selfie: 'med_s', document: 'med_d' } });
    expect(applyLiveJoin(ready, consent, T0)).toMatchObject({ status: 'in_progress', consent });
    expect(reason(() => applyLiveJoin(ready, consent, T0 + 3_600_000))).toBe('expired');
    expect(reason(() => applyLiveJoin({ ...ready, status: 'completed' }, consent, T0))).toBe('completed');
  });

  it("completes on the agent's decision, once, with the agent as reviewer; the recording comes after and only adds scores", () => {
    const joined = applyLiveJoin(live({ status: 'in_progress', media: { selfie: 'med_s', document: 'med_d' } }), consent, T0);
    expect(reason(() => checkUpload(joined, 'video', T0))).toBe('live_not_decided');
    const decided = applyLiveDecision(joined, { agentId: 'agent_1', result: 'approved', notes: 'ok' }, T0 + 10);
    expect(decided).toMatchObject({ status: 'completed', result: 'approved', completedAt: T0 + 10, review: { decision: 'approved', reviewerId: 'agent_1', notes: 'ok', at: T0 + 10 } });
    expect(reason(() => applyLiveDecision(decided, { agentId: 'agent_2', result: 'declined', notes: null }, T0 + 11))).toBe('completed');
    expect(reason(() => checkUpload(decided, 'selfie', T0 + 11))).toBe('completed');
    // A decided session whose expires_at passed still takes its recording: it is completed, not expired.
    const recorded = applyUpload(decided, 'video', 'med_v', T0 + 3_600_000, consent);
    expect(recorded).toMatchObject({ status: 'completed', result: 'approved', media: { video: 'med_v' } });
    expect(awaitsProcessing(recorded)).toBe(true);
    const scored = applyRecordingScores(recorded, { scores: { durationSeconds: 40, faceMatchScore: 30, livenessScore: 20 }, findings: 'liveness too low' }, T0 + 3_600_100);
    expect(scored).toMatchObject({ status: 'completed', result: 'approved', scores: { livenessScore: 20 }, resultReason: 'automatic checks of the recording: liveness too low', recordingProcessedAt: T0 + 3_600_100 });
    expect(awaitsProcessing(scored)).toBe(false);
  });

  it('a self_record session awaits processing until it completes', () => {
    const recorded = session({ status: 'in_progress', media: { selfie: 'med_s', document: 'med_d', video: 'med_v' } });
    expect(awaitsProcessing(recorded)).toBe(true);
    expect(awaitsProcessing(applyCompletion(recorded, { result: 'approved', scores: null, resultReason: null }, T0))).toBe(false);
  });
});

describe('prompts', () => {
  it('has the same prompt ids, with distinct texts, in every language; English starts with Verilock\'s example', () => {
    expect(promptsFor('en')[0]).toEqual({ id: 'state_name_date', text: "State your full name and today's date" });
    const ids = promptsFor('en').map((p) => p.id);
    for (const language of VIDEO_LANGUAGES) {
      expect(promptsFor(language).map((p) => p.id)).toEqual(ids);
      if (language !== 'en') expect(promptsFor(language)[0]!.text).not.toBe(promptsFor('en')[0]!.text);
    }
  });
});
