/**
 * verifyChallenge on synthetic motion series (10 fps, a resting face with FaceMesh-sized jitter): the rules, the
 * windows, the order and the refusals. The real-video checks are in test/pipeline/challenge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import {
  BLINK_CLOSED_RATIO,
  checkWindowIdentity,
  LOOK_MIN_DEG,
  MOUTH_OPEN_MIN,
  TURN_MIN_DEG,
  verifyChallenge,
  type Challenge,
  type ChallengeAction,
  type ChallengeResult,
  type MotionSample,
} from './challenge.js';

const FPS = 10;
/** A resting face: yaw and pitch in degrees (a phone held low: pitch −10°), eyes and mouth as tranvanluyt's. */
const REST = { yawDeg: 2, pitchDeg: -10, eyeOpenness: 0.25, mouthOpenness: 0.01 };

type Motion = (t: number) => Partial<Omit<MotionSample, 'timeSeconds'>> | 'noFace';

/** `seconds` of 10 fps samples: REST plus ±1° / ±0.01 jitter (seeded), with `motion` laid over it. */
function series(seconds: number, motion: Motion = () => ({}), seed = 1): MotionSample[] {
  const random = seededRandom(seed);
  const jitter = (size: number) => (random() * 2 - 1) * size;
  return Array.from({ length: Math.round(seconds * FPS) }, (_, i) => {
    const timeSeconds = i / FPS;
    const sample = {
      timeSeconds,
      yawDeg: REST.yawDeg + jitter(1),
      pitchDeg: REST.pitchDeg + jitter(1),
      eyeOpenness: REST.eyeOpenness + jitter(0.01),
      mouthOpenness: REST.mouthOpenness + jitter(0.002),
    };
    const over = motion(timeSeconds);
    return over === 'noFace' ? { timeSeconds } : { ...sample, ...over };
  });
}

/** A bump from 0 to `peak` and back over [start, end] (sine-shaped, as a head turns out and back). */
const bump = (t: number, start: number, end: number, peak: number) => (t < start || t > end ? 0 : peak * Math.sin((Math.PI * (t - start)) / (end - start)));
const within = (t: number, start: number, end: number) => t >= start - 1e-9 && t <= end + 1e-9;

/** Back-to-back 3 s windows after a 2 s lead-in, as the issuing side lays them out. */
function challenge(actions: ChallengeAction[], id = actions.join('-')): Challenge {
  return { id, steps: actions.map((action, k) => ({ action, windowSeconds: [2 + 3 * k, 5 + 3 * k] as [number, number] })) };
}

/** The person turns left in 2–5 s, blinks twice in 5–8 s, opens the mouth in 8–11 s and looks up in 11–14 s. */
const performed: Motion = (t) => {
  const over: Partial<MotionSample> = {};
  if (within(t, 2.5, 4)) over.yawDeg = REST.yawDeg - bump(t, 2.5, 4, 35);
  if (within(t, 5.8, 5.8) || within(t, 6.9, 7.0)) over.eyeOpenness = 0.07;
  if (within(t, 8.8, 9.6)) over.mouthOpenness = 0.12;
  if (within(t, 11.5, 13)) over.pitchDeg = REST.pitchDeg + bump(t, 11.5, 13, 30);
  return over;
};

describe('verifyChallenge', () => {
  const recording = series(15, performed);

  it('passes the performed sequence, each step inside its window and after the one before', () => {
    const result = verifyChallenge(recording, challenge(['turnLeft', 'blink', 'openMouth', 'lookUp'], 'chl_1'));
    expect(result.id).toBe('chl_1');
    expect(result.passed).toBe(true);
    let previous = -Infinity;
    for (const step of result.steps) {
      expect(step.passed, step.action).toBe(true);
      expect(step.detected_at_s).toBeGreaterThanOrEqual(step.window_s[0]);
      expect(step.detected_at_s).toBeLessThanOrEqual(step.window_s[1]);
      expect(step.detected_at_s).toBeGreaterThan(previous);
      expect(step.amplitude).toBeGreaterThanOrEqual(step.min_amplitude);
      previous = step.detected_at_s!;
    }
    const [turn, blink, mouth, look] = result.steps;
    expect(turn!.amplitude).toBeCloseTo(35, -1);
    expect(turn!.amplitude_unit).toBe('degrees');
    expect(blink!.detected_at_s).toBeCloseTo(6.9, 5); // the second blink's closed frame
    expect(blink!.amplitude).toBeCloseTo(1 - 0.07 / 0.25, 1);
    expect(blink!.amplitude_unit).toBe('eyeClosure');
    expect(mouth!.amplitude).toBeCloseTo(0.11, 2);
    expect(mouth!.amplitude_unit).toBe('faceHeight');
    expect(look!.amplitude).toBeCloseTo(30, -1);
  });

  it('fails every other sequence of the same windows (all 749 of them)', () => {
    const actions = ['turnLeft', 'turnRight', 'lookUp', 'lookDown', 'blink', 'openMouth'] as const;
    let sequences: ChallengeAction[][] = [[]];
    for (let k = 0; k < 4; k++) sequences = sequences.flatMap((s) => actions.filter((a) => a !== s[s.length - 1]).map((a) => [...s, a]));
    const passing = sequences.filter((s) => verifyChallenge(recording, challenge(s)).passed).map((s) => s.join('-'));
    expect(sequences).toHaveLength(750);
    expect(passing).toEqual(['turnLeft-blink-openMouth-lookUp']);
  });

  it('fails a step performed in another window, and one performed out of order', () => {
    const early = verifyChallenge(recording, challenge(['blink', 'turnLeft', 'openMouth', 'lookUp']));
    expect(early.passed).toBe(false);
    expect(early.steps.map((s) => s.passed)).toEqual([false, false, true, true]);
    // Overlapping windows: the turn happened at ≈ 2.6 s, before the blinks, so "blink, then turn left" is not performed.
    const overlapping: Challenge = {
      id: 'overlap',
      steps: [
        { action: 'blink', windowSeconds: [2, 8] },
        { action: 'turnLeft', windowSeconds: [2, 8] },
      ],
    };
    const result = verifyChallenge(recording, overlapping);
    expect(result.steps[0]!.passed).toBe(true);
    expect(result.steps[1]!.passed).toBe(false);
    expect(result.passed).toBe(false);
  });

  it('needs each movement to reach its threshold from the baseline, in the asked direction', () => {
    const small = series(8, (t) => (within(t, 2.5, 4) ? { yawDeg: REST.yawDeg + bump(t, 2.5, 4, TURN_MIN_DEG - 4) } : {}));
    const turn = verifyChallenge(small, challenge(['turnRight'])).steps[0]!;
    expect(turn.passed).toBe(false);
    expect(turn.amplitude).toBeGreaterThan(TURN_MIN_DEG - 6);
    expect(turn.amplitude).toBeLessThan(TURN_MIN_DEG);
    const left = verifyChallenge(small, challenge(['turnLeft'])).steps[0]!;
    expect(left.passed).toBe(false);
    expect(left.amplitude).toBeLessThan(2); // it turned the other way
    // The resting pitch is −10°: a look down must reach −10 − LOOK_MIN_DEG, not −LOOK_MIN_DEG.
    const down = series(8, (t) => (within(t, 2.5, 4) ? { pitchDeg: -LOOK_MIN_DEG - 2 } : {}));
    expect(verifyChallenge(down, challenge(['lookDown'])).passed).toBe(false);
    const mouth = series(8, (t) => (within(t, 2.5, 3.5) ? { mouthOpenness: REST.mouthOpenness + MOUTH_OPEN_MIN * 0.8 } : {}));
    expect(verifyChallenge(mouth, challenge(['openMouth'])).passed).toBe(false);
  });

  it('takes the larger axis: a turn with the chin raised is a turn, not a look up', () => {
    const diagonal = series(8, (t) => (within(t, 2.5, 4) ? { yawDeg: REST.yawDeg + bump(t, 2.5, 4, 32), pitchDeg: REST.pitchDeg + bump(t, 2.5, 4, 24) } : {}));
    expect(verifyChallenge(diagonal, challenge(['turnRight'])).passed).toBe(true);
    expect(verifyChallenge(diagonal, challenge(['lookUp'])).passed).toBe(false);
  });

  it('ignores a one-frame pose or mouth glitch, but not a held pose', () => {
    const glitch = series(8, (t) => (within(t, 3, 3) ? { yawDeg: 45, mouthOpenness: 0.2 } : {}));
    expect(verifyChallenge(glitch, challenge(['turnRight'])).passed).toBe(false);
    expect(verifyChallenge(glitch, challenge(['openMouth'])).passed).toBe(false);
    const held = series(8, (t) => (within(t, 3, 3.1) ? { yawDeg: 45, mouthOpenness: 0.2 } : {}));
    expect(verifyChallenge(held, challenge(['turnRight'])).passed).toBe(true);
    expect(verifyChallenge(held, challenge(['openMouth'])).passed).toBe(true);
  });

  describe('blink', () => {
    const closed = REST.eyeOpenness * BLINK_CLOSED_RATIO * 0.8;
    it('needs two blinks, each closed then open again', () => {
      const once = series(8, (t) => (within(t, 3, 3) ? { eyeOpenness: closed } : {}));
      const step = verifyChallenge(once, challenge(['blink'])).steps[0]!;
      expect(step.passed).toBe(false);
      expect(step.amplitude).toBeCloseTo(1 - BLINK_CLOSED_RATIO * 0.8, 1);
      // Eyes shut for 1 s in one go are one closure, not two blinks.
      const shut = series(8, (t) => (within(t, 3, 4) ? { eyeOpenness: closed } : {}));
      expect(verifyChallenge(shut, challenge(['blink'])).passed).toBe(false);
      const twice = series(8, (t) => (within(t, 3, 3) || within(t, 3.6, 3.7) ? { eyeOpenness: closed } : {}));
      expect(verifyChallenge(twice, challenge(['blink'])).passed).toBe(true);
    });

    it('does not count a half-open flicker as reopening between two closures', () => {
      const flicker = series(8, (t) => (within(t, 3, 3) || within(t, 3.2, 3.2) ? { eyeOpenness: closed } : within(t, 3.1, 3.1) ? { eyeOpenness: REST.eyeOpenness * 0.7 } : {}));
      expect(verifyChallenge(flicker, challenge(['blink'])).passed).toBe(false);
    });

    it('does not count a closure the window starts with', () => {
      // Closed at 1.9–2.0 s and open from 2.1 s, then one blink: the window [2, 5] holds one blink, not two.
      const startsShut = series(8, (t) => (within(t, 1.9, 2.0) || within(t, 3.5, 3.5) ? { eyeOpenness: closed } : {}));
      expect(verifyChallenge(startsShut, challenge(['blink'])).passed).toBe(false);
    });

    it('ignores eyes narrowed while the head is turned or tilted', () => {
      // Two "closures" while the head looks up by more than LOOK_MIN_DEG: the lids narrow, it is not a blink.
      const lookingUp = series(8, (t) =>
        within(t, 2.5, 4.5) ? { pitchDeg: REST.pitchDeg + LOOK_MIN_DEG + 10, eyeOpenness: within(t, 3, 3) || within(t, 3.6, 3.6) ? closed : REST.eyeOpenness } : {},
      );
      expect(verifyChallenge(lookingUp, challenge(['blink'])).passed).toBe(false);
    });
  });

  describe('baseline', () => {
    it('is the lead-in: a head held turned through the lead-in makes the return to the front a turn', () => {
      // Turned right (yaw +30°) until 2 s, frontal after: measured from the lead-in, coming back is a 30° turn left.
      const turnedFirst = series(8, (t) => (t < 2 ? { yawDeg: 30 } : {}));
      expect(verifyChallenge(turnedFirst, challenge(['turnLeft'])).passed).toBe(true);
    });

    it('is the whole recording when the lead-in has too few face frames', () => {
      const noLeadIn = series(8, (t) => (t < 1.7 ? 'noFace' : within(t, 2.5, 4) ? { yawDeg: REST.yawDeg - bump(t, 2.5, 4, 35) } : {}));
      expect(verifyChallenge(noLeadIn, challenge(['turnLeft'])).passed).toBe(true);
    });
  });

  it('fails the steps whose window has no face, with no amplitude', () => {
    const gone = series(8, (t) => (within(t, 2, 5) ? 'noFace' : {}));
    const result = verifyChallenge(gone, challenge(['turnLeft', 'blink']));
    expect(result.steps[0]).toMatchObject({ passed: false, detected_at_s: null, amplitude: null });
    expect(verifyChallenge([], challenge(['turnLeft'])).passed).toBe(false);
  });

  it('refuses a series sampled below 10 fps, and a challenge with an empty or reversed window', () => {
    const fourFps = series(8).filter((_, i) => i % 3 === 0);
    expect(() => verifyChallenge(fourFps, challenge(['blink']))).toThrow(/3\.3 fps; the challenge needs ≥ 10 fps/);
    expect(() => verifyChallenge(recording, { id: 'x', steps: [] })).toThrow(RangeError);
    expect(() => verifyChallenge(recording, { id: 'x', steps: [{ action: 'blink', windowSeconds: [5, 5] }] })).toThrow(/expected 0 ≤ start < end/);
    expect(() => verifyChallenge(recording, { id: 'x', steps: [{ action: 'wink' as ChallengeAction, windowSeconds: [2, 5] }] })).toThrow(/unknown action wink/);
  });
});

describe('checkWindowIdentity (the same person in every window)', () => {
  const result: ChallengeResult = {
    id: 'c',
    passed: true,
    steps: [
      { action: 'turnLeft', window_s: [2, 5], detected_at_s: 3, amplitude: 40, amplitude_unit: 'degrees', min_amplitude: 20, passed: true },
      { action: 'blink', window_s: [5, 8], detected_at_s: 6, amplitude: 0.7, amplitude_unit: 'eyeClosure', min_amplitude: 0.4, passed: true },
    ],
  };
  it('passes each window with one face frame of the recording\'s person, however far the turned frames drift', () => {
    const faces = [
      { timeSeconds: 2.5, distance: 0.71 },
      { timeSeconds: 4.5, distance: 0.38 },
      { timeSeconds: 6, distance: 0.3 },
    ];
    const checked = checkWindowIdentity(result, faces, 0.6);
    expect(checked.passed).toBe(true);
    expect(checked.steps.map((s) => s.same_person)).toEqual([true, true]);
  });
  it('fails a window performed by someone else, and one with no face at all', () => {
    const other = checkWindowIdentity(result, [{ timeSeconds: 3, distance: 0.3 }, { timeSeconds: 6, distance: 0.82 }, { timeSeconds: 7.5, distance: 0.75 }], 0.6);
    expect(other.passed).toBe(false);
    expect(other.steps.map((s) => [s.same_person, s.passed])).toEqual([[true, true], [false, false]]);
    expect(checkWindowIdentity(result, [{ timeSeconds: 3, distance: 0.3 }], 0.6).steps[1]).toMatchObject({ same_person: false, passed: false });
  });
  it('never passes a step the motion did not pass', () => {
    const missed = { ...result, passed: false, steps: [{ ...result.steps[0]!, passed: false, detected_at_s: null }, result.steps[1]!] };
    expect(checkWindowIdentity(missed, [{ timeSeconds: 3, distance: 0.1 }, { timeSeconds: 6, distance: 0.1 }], 0.6).passed).toBe(false);
  });
});
