import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, decideMatch, decideVideo, DEFAULT_MATCH_FACE_RULES, DEFAULT_VERIFY_VIDEO_RULES, parseRules, type DecisionRules, videoDecisionInput } from './decision.js';
import type { LivenessOutcome, LivenessVerdict, Verdict } from './types.js';

const yes = (confidence: 'high' | 'low' = 'high'): Verdict => ({ value: true, score: 0.9, confidence });
const no = (confidence: 'high' | 'low' = 'high'): Verdict => ({ value: false, score: 0.1, confidence });
/** A liveFace verdict with neutral signals and no limitations. */
const live = (v: Verdict, limitations: LivenessVerdict['limitations'] = []): LivenessVerdict => ({
  ...v,
  signals: { humanLiveness: v.score, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 },
  limitations,
});
const outcome = (o: Partial<Omit<LivenessOutcome, 'liveFace'>> & { liveFace?: Verdict | LivenessVerdict } = {}): LivenessOutcome => {
  const { liveFace, ...rest } = o;
  const verdict = liveFace ?? yes();
  return { qualityChecks: {}, ...rest, liveFace: 'signals' in verdict ? (verdict as LivenessVerdict) : live(verdict) };
};
const defaults = parseRules(readFileSync(path.resolve('rules/decision-rules.json'), 'utf8'), 'rules/decision-rules.json');

describe('decide with the default rules (HyperVerge-style)', () => {
  it('live, high confidence, no failing check → pass', () => {
    expect(decide(defaults, outcome({ qualityChecks: { blur: no(), hat: no() } }))).toEqual({ action: 'pass', details: [] });
  });

  it('not live with high confidence → fail, whatever else', () => {
    const s = decide(defaults, outcome({ liveFace: no('high'), qualityChecks: { blur: yes() } }));
    expect(s.action).toBe('fail');
    expect(s.details[0]).toEqual({ code: 'LIVENESS_FAILED', message: 'Selfie is not of a live person' });
  });

  it('not live with low confidence (the uncertain band) → manualReview, not fail', () => {
    const s = decide(defaults, outcome({ liveFace: no('low') }));
    expect(s.action).toBe('manualReview');
    expect(s.details.map((d) => d.code)).toEqual(['LIVENESS_UNCERTAIN']);
  });

  it('a tight face crop → manualReview with its own detail, on top of the low confidence', () => {
    const s = decide(defaults, outcome({ liveFace: live(yes('low'), ['tightFaceCrop']) }));
    expect(s.action).toBe('manualReview');
    expect(s.details.map((d) => d.code)).toEqual(['LIVENESS_LOW_CONFIDENCE', 'LIVENESS_TIGHT_CROP']);
    // The missing pack is reported on liveFace, not turned into a review by the default rules.
    expect(decide(defaults, outcome({ liveFace: live(yes(), ['antiSpoofingPackMissing']) }))).toEqual({ action: 'pass', details: [] });
  });

  it('`limitation` is accepted on liveFace only, and matches the answer\'s limitations', () => {
    const rule = (when: object) => JSON.stringify({ rules: [{ when, action: 'manualReview', code: 'X', message: 'm' }] });
    expect(() => parseRules(rule({ result: 'qualityChecks.blur', limitation: 'tightFaceCrop' }), 'test')).toThrow(/`limitation` applies to `liveFace` only/);
    expect(() => parseRules(rule({ result: 'liveFace', limitation: 'sideways' }), 'test')).toThrow(/limitation/);
    const rules = parseRules(rule({ result: 'liveFace', limitation: 'antiSpoofingPackMissing' }), 'test');
    expect(decide(rules, outcome({ liveFace: live(yes(), ['antiSpoofingPackMissing']) })).action).toBe('manualReview');
    expect(decide(rules, outcome({ liveFace: live(yes(), []) })).action).toBe('pass');
  });

  it('live with low confidence → manualReview', () => {
    expect(decide(defaults, outcome({ liveFace: yes('low') }))).toEqual({
      action: 'manualReview',
      details: [{ code: 'LIVENESS_LOW_CONFIDENCE', message: 'Live face detected with low confidence' }],
    });
  });

  it('a failing quality check → manualReview with its code; nudity → fail', () => {
    expect(decide(defaults, outcome({ qualityChecks: { occlusion: yes() } }))).toEqual({
      action: 'manualReview',
      details: [{ code: 'FACE_OCCLUDED', message: 'Face is partly covered in the selfie' }],
    });
    expect(decide(defaults, outcome({ qualityChecks: { nudity: yes(), eyesClosed: yes() } })).action).toBe('fail');
  });

  it('a low-confidence check → manualReview naming the check', () => {
    expect(decide(defaults, outcome({ qualityChecks: { headTurned: no('low') } }))).toEqual({
      action: 'manualReview',
      details: [{ code: 'QUALITY_CHECK_LOW_CONFIDENCE', message: 'Quality check headTurned answered with low confidence' }],
    });
  });

  it('every quality check has a rule for "yes"', () => {
    for (const check of ['blur', 'eyesClosed', 'occlusion', 'multipleFaces', 'headTurned', 'hat', 'eyewear', 'readingGlasses', 'sunglasses', 'dull', 'bright', 'nonWhiteBackground', 'nudity', 'lowQuality'] as const) {
      expect(decide(defaults, outcome({ qualityChecks: { [check]: yes() } })).action, check).not.toBe('pass');
    }
  });
});

describe('decideMatch with the default rules', () => {
  it('same person with high confidence → pass; different → fail; low confidence either way → manualReview', () => {
    expect(decideMatch(defaults, yes())).toEqual({ action: 'pass', details: [] });
    expect(decideMatch(defaults, no())).toEqual({ action: 'fail', details: [{ code: 'FACE_MISMATCH', message: 'Selfie and ID photo are of different people' }] });
    expect(decideMatch(defaults, no('low')).action).toBe('manualReview');
    expect(decideMatch(defaults, yes('low')).details.map((d) => d.code)).toEqual(['FACE_MATCH_LOW_CONFIDENCE']);
  });

  it('the built-in defaults equal the committed file, and apply when a file has no matchFace section', () => {
    expect(defaults.matchFace).toEqual(DEFAULT_MATCH_FACE_RULES);
    expect(defaults.verifyVideo).toEqual(DEFAULT_VERIFY_VIDEO_RULES);
    const bare = parseRules(JSON.stringify({ rules: [] }), 'bare.json');
    expect(decideMatch(bare, no()).action).toBe('fail');
  });
});

describe('videoDecisionInput (the verifyVideo route and the sessions share it)', () => {
  it('takes the scores from an outcome, the ID match only when there was an ID photo', () => {
    expect(videoDecisionInput({ faceMatch: { score: 81 }, livenessScore: 64 })).toEqual({ faceMatchScore: 81, livenessScore: 64 });
    expect(videoDecisionInput({ faceMatch: { score: 81 }, idMatch: { score: 39 }, livenessScore: 64 })).toEqual({ faceMatchScore: 81, idMatchScore: 39, livenessScore: 64 });
  });

  it('names the challenge steps not passed, with their windows', () => {
    const steps = [
      { action: 'turnLeft', window_s: [2, 5] as [number, number], passed: true },
      { action: 'blink', window_s: [5, 8] as [number, number], passed: false },
    ];
    expect(videoDecisionInput({ faceMatch: { score: 81 }, livenessScore: 0, challenge: { passed: false, steps } }).challenge).toEqual({ passed: false, failedSteps: ['blink (5–8 s)'] });
  });
});

describe('decideVideo: a challenge not performed, a replayed recording (issue #14)', () => {
  const failed = { passed: false, failedSteps: ['lookUp (5–8 s)'] };
  it('a failed challenge declines by its own rule, not by the liveness score it zeroed', () => {
    expect(decideVideo(defaults, { faceMatchScore: 90, livenessScore: 0, challenge: failed })).toEqual({
      result: 'declined',
      details: [{ code: 'VIDEO_CHALLENGE_FAILED', message: 'The active liveness challenge was not performed: lookUp (5–8 s)' }],
    });
    expect(decideVideo(defaults, { faceMatchScore: 90, livenessScore: 90, challenge: { passed: true, failedSteps: [] } })).toEqual({ result: 'approved', details: [] });
  });

  it('an operator can send a failed challenge to review instead; other scores still count', () => {
    const review = parseRules(
      JSON.stringify({ ...defaults, verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, challengeFailed: { ...DEFAULT_VERIFY_VIDEO_RULES.challengeFailed, action: 'review' } } }),
      'r.json',
    );
    expect(decideVideo(review, { faceMatchScore: 90, livenessScore: 0, challenge: failed }).result).toBe('needs_review');
    expect(decideVideo(review, { faceMatchScore: 20, livenessScore: 0, challenge: failed }).result).toBe('declined');
  });

  it('a replayed recording is never approved, whatever its scores and whichever action', () => {
    expect(decideVideo(defaults, { faceMatchScore: 99, livenessScore: 99, replayOf: { sessionId: 'ses_1' } })).toEqual({
      result: 'declined',
      details: [{ code: 'VIDEO_REPLAYED_RECORDING', message: 'The video is a recording already uploaded to session ses_1' }],
    });
    const review = parseRules(
      JSON.stringify({ ...defaults, verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, replayedRecording: { ...DEFAULT_VERIFY_VIDEO_RULES.replayedRecording, action: 'review' } } }),
      'r.json',
    );
    expect(decideVideo(review, { faceMatchScore: 99, livenessScore: 99, replayOf: { sessionId: 'ses_1' } }).result).toBe('needs_review');
  });

  it('a rules file written before the findings existed gets the default findings', () => {
    const { challengeFailed: _c, replayedRecording: _r, ...older } = DEFAULT_VERIFY_VIDEO_RULES;
    const rules = parseRules(JSON.stringify({ ...defaults, verifyVideo: older }), 'older.json');
    expect(decideVideo(rules, { faceMatchScore: 90, livenessScore: 0, challenge: failed }).details[0]!.code).toBe('VIDEO_CHALLENGE_FAILED');
    expect(() => parseRules(JSON.stringify({ ...defaults, verifyVideo: { ...older, replayedRecording: { action: 'approve', code: 'X', message: 'm' } } }), 'bad.json')).toThrow(
      /verifyVideo\.replayedRecording\.action/,
    );
  });
});

describe('decideVideo with the default rules (approve ≥ 70, decline < 40)', () => {
  it('approves when every score is at or above the approve threshold', () => {
    expect(decideVideo(defaults, { faceMatchScore: 70, livenessScore: 99 })).toEqual({ result: 'approved', details: [] });
    expect(decideVideo(defaults, { faceMatchScore: 80, idMatchScore: 75, livenessScore: 90 }).result).toBe('approved');
  });

  it('declines when any score is below the decline threshold, with that score\'s code', () => {
    const d = decideVideo(defaults, { faceMatchScore: 90, idMatchScore: 39.6, livenessScore: 55 });
    expect(d.result).toBe('declined');
    expect(d.details).toEqual([
      { code: 'VIDEO_ID_MISMATCH', message: 'Face in the video does not match the ID photo (score 40)' },
      { code: 'VIDEO_LIVENESS_LOW', message: 'Liveness in the video is uncertain (score 55)' },
    ]);
    expect(decideVideo(defaults, { faceMatchScore: Number.NaN, livenessScore: 90 }).result).toBe('declined');
  });

  it('sends the rest to review', () => {
    expect(decideVideo(defaults, { faceMatchScore: 40, livenessScore: 90 })).toEqual({
      result: 'needs_review',
      details: [{ code: 'VIDEO_FACE_MATCH_LOW', message: 'Face in the video matches the selfie only weakly (score 40)' }],
    });
  });

  it('uses the thresholds of the file in force', () => {
    const rules = parseRules(JSON.stringify({ ...defaults, verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, approveAtLeast: 95, declineBelow: 10 } }), 'r.json');
    expect(decideVideo(rules, { faceMatchScore: 90, livenessScore: 96 }).result).toBe('needs_review');
    expect(decideVideo(rules, { faceMatchScore: 11, livenessScore: 96 }).result).toBe('needs_review');
  });
});

describe('parseRules', () => {
  it('rejects invalid matchFace and verifyVideo sections naming the field', () => {
    const withSections = (extra: object) => () => parseRules(JSON.stringify({ rules: [], ...extra }), 'f.json');
    expect(withSections({ matchFace: { rules: [{ when: { result: 'liveFace', value: 'no' }, action: 'fail', code: 'A', message: 'm' }] } })).toThrow(/matchFace\.rules\[0\]\.when\.result/);
    expect(withSections({ verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, approveAtLeast: 101 } })).toThrow(/verifyVideo\.approveAtLeast/);
    expect(withSections({ verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, approveAtLeast: 30, declineBelow: 40 } })).toThrow(/declineBelow.*must be ≤/s);
    expect(withSections({ verifyVideo: { ...DEFAULT_VERIFY_VIDEO_RULES, scores: { faceMatch: DEFAULT_VERIFY_VIDEO_RULES.scores.faceMatch } } })).toThrow(/verifyVideo\.scores\.idMatch/);
  });

  it('rejects invalid rules naming the field', () => {
    const bad = (rules: unknown) => () => parseRules(JSON.stringify({ rules }), 'f.json');
    expect(bad([{ when: { result: 'liveFace', value: 'maybe' }, action: 'fail', code: 'A', message: 'm' }])).toThrow(/decision rules f\.json: .*rules\[0\]\.when\.value/s);
    expect(bad([{ when: { result: 'qualityChecks.blurr', value: 'yes' }, action: 'fail', code: 'A', message: 'm' }])).toThrow(/rules\[0\]\.when\.result/);
    expect(bad([{ when: { result: 'liveFace', value: 'no' }, action: 'pass', code: 'A', message: 'm' }])).toThrow(/rules\[0\]\.action/);
    expect(bad([{ when: { result: 'liveFace' }, action: 'fail', code: 'A', message: 'm' }])).toThrow(/give `value`, `confidence`, `limitation` or a combination/);
    expect(bad([{ when: { result: 'liveFace', value: 'no' }, action: 'fail', message: 'm' }])).toThrow(/rules\[0\]\.code/);
    expect(() => parseRules('{ nope', 'f.json')).toThrow(/decision rules f\.json: not valid JSON/);
  });
});
