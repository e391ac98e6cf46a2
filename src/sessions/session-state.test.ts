import { describe, expect, it } from 'vitest';
import { promptsFor, VIDEO_LANGUAGES } from './prompts.js';
import { applyCompletion, applyReview, applyUpload, checkUpload, effectiveStatus, type Consent, type Session, TransitionError } from './session-state.js';

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
