/**
 * The challenge draw's rules, over many draws with node:crypto's randomness and on chosen random sequences.
 */
import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_ACTIONS,
  CHALLENGE_LEAD_IN_SECONDS,
  CHALLENGE_MAX_STEPS,
  CHALLENGE_MIN_RECORDING_SECONDS,
  CHALLENGE_MIN_STEPS,
  CHALLENGE_STEP_WINDOW_SECONDS,
  CHALLENGE_TAIL_SECONDS,
  challengeRecordingSeconds,
  drawChallenge,
  type ChallengeAction,
  type RandomInt,
} from './challenge-draw.js';

const DRAWS = 6000;

/** A random source that replays `values` (each must be in the range asked for). */
function replay(values: number[]): RandomInt {
  let i = 0;
  return (min, max) => {
    const value = values[i++];
    if (value === undefined || value < min || value >= max) throw new Error(`replay: ${value} is not in [${min}, ${max})`);
    return value;
  };
}

describe('drawChallenge', () => {
  it('keeps every rule over many draws: 3–4 steps, no action twice in a row, back-to-back windows after the lead-in, length = last end + tail', () => {
    const counts = new Map<number, number>();
    const firstActions = new Map<ChallengeAction, number>();
    const pairs = new Set<string>();
    for (let n = 0; n < DRAWS; n++) {
      const { steps, recordingSeconds } = drawChallenge(60);
      expect(steps.length).toBeGreaterThanOrEqual(CHALLENGE_MIN_STEPS);
      expect(steps.length).toBeLessThanOrEqual(CHALLENGE_MAX_STEPS);
      counts.set(steps.length, (counts.get(steps.length) ?? 0) + 1);
      firstActions.set(steps[0]!.action, (firstActions.get(steps[0]!.action) ?? 0) + 1);
      steps.forEach((step, i) => {
        expect(CHALLENGE_ACTIONS).toContain(step.action);
        if (i > 0) {
          expect(step.action).not.toBe(steps[i - 1]!.action);
          pairs.add(`${steps[i - 1]!.action}→${step.action}`);
          expect(step.windowSeconds[0]).toBe(steps[i - 1]!.windowSeconds[1]);
        }
        expect(step.windowSeconds).toEqual([CHALLENGE_LEAD_IN_SECONDS + i * CHALLENGE_STEP_WINDOW_SECONDS, CHALLENGE_LEAD_IN_SECONDS + (i + 1) * CHALLENGE_STEP_WINDOW_SECONDS]);
      });
      expect(recordingSeconds).toBe(steps.at(-1)!.windowSeconds[1] + CHALLENGE_TAIL_SECONDS);
    }
    // Both lengths, about equally often (expected 3000 each, sd ≈ 39: ±300 is over 7 sd).
    expect([...counts.keys()].sort()).toEqual([3, 4]);
    for (const count of counts.values()) expect(Math.abs(count - DRAWS / 2)).toBeLessThan(300);
    // Every action opens a challenge about 1 in 6 times (expected 1000, sd ≈ 29: ±200 is about 7 sd).
    expect(firstActions.size).toBe(CHALLENGE_ACTIONS.length);
    for (const count of firstActions.values()) expect(Math.abs(count - DRAWS / 6)).toBeLessThan(200);
    // Every ordered pair of different actions follows each other somewhere: 6 × 5 = 30.
    expect(pairs.size).toBe(CHALLENGE_ACTIONS.length * (CHALLENGE_ACTIONS.length - 1));
  });

  it('never asks for a longer recording than the limit: 12 s holds 3 steps only, 15 s holds 4', () => {
    expect(CHALLENGE_MIN_RECORDING_SECONDS).toBe(12);
    expect(challengeRecordingSeconds(4)).toBe(15);
    for (let n = 0; n < 500; n++) {
      expect(drawChallenge(12).steps).toHaveLength(3);
      expect(drawChallenge(14.9).recordingSeconds).toBe(12);
      expect(drawChallenge(15).recordingSeconds).toBeLessThanOrEqual(15);
    }
  });

  it('refuses a limit shorter than any challenge', () => {
    expect(() => drawChallenge(11.9)).toThrow(RangeError);
    expect(() => drawChallenge(5)).toThrow(/at least 12 s; the limit is 5 s/);
  });

  it('draws the count from [3, 4] and each action from the six minus the previous one', () => {
    // 4 steps; then index 0 of all six (turnLeft), index 0 of the five others (turnRight), index 4 of the five others
    // than turnRight (openMouth), index 0 of the five others than openMouth (turnLeft).
    const calls: [number, number][] = [];
    const values = [4, 0, 0, 4, 0];
    let i = 0;
    const random: RandomInt = (min, max) => (calls.push([min, max]), values[i++]!);
    const drawn = drawChallenge(60, random);
    expect(calls).toEqual([
      [3, 5],
      [0, 6],
      [0, 5],
      [0, 5],
      [0, 5],
    ]);
    expect(drawn).toEqual({
      steps: [
        { action: 'turnLeft', windowSeconds: [2, 5] },
        { action: 'turnRight', windowSeconds: [5, 8] },
        { action: 'openMouth', windowSeconds: [8, 11] },
        { action: 'turnLeft', windowSeconds: [11, 14] },
      ],
      recordingSeconds: 15,
    });
    expect(drawChallenge(13, replay([3, 5, 4, 4])).steps.map((s) => s.action)).toEqual(['openMouth', 'blink', 'openMouth']);
  });
});
