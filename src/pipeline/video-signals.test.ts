import { describe, expect, it } from 'vitest';
import { euclideanDistance } from './face-embedding.js';
import { logit } from './liveness.js';
import {
  BLINK_CLOSED_BELOW,
  BLINK_OPEN_ABOVE,
  blinkSignal,
  combineLiveness,
  headMotionSignal,
  identitySignal,
  median3,
  NO_MOTION_FACTOR,
  passiveSignal,
} from './video-signals.js';

const at = (angles: number[], fps = 4) => angles.map((angleDeg, i) => ({ timeSeconds: i / fps, angleDeg }));
/** A 128-d descriptor pointing at `axis`, scaled so that two different axes are √2·r apart. */
const descriptor = (axis: number, r = 0.6, noise = 0) => Float32Array.from({ length: 128 }, (_, i) => (i === axis ? r : 0) + noise * Math.sin(i * 7 + axis));

describe('blinkSignal', () => {
  it('counts closed → open transitions with hysteresis', () => {
    expect(blinkSignal([0.3, 0.3, 0.05, 0.3, 0.3, 0.08, 0.09, 0.31]).count).toBe(2);
  });
  it('a squint between the thresholds is not a blink, nor a close that never reopens', () => {
    const squint = (BLINK_CLOSED_BELOW + BLINK_OPEN_ABOVE) / 2;
    expect(blinkSignal([0.3, BLINK_CLOSED_BELOW - 0.01, squint, 0.3]).count).toBe(1);
    expect(blinkSignal([0.3, squint, 0.3, squint, 0.3]).count).toBe(0);
    expect(blinkSignal([0.3, 0.3, 0.05, 0.05]).count).toBe(0);
  });
  it('reports the openness range; empty series → zeros', () => {
    expect(blinkSignal([0.2, 0.4, 0.1])).toMatchObject({ minOpenness: 0.1, maxOpenness: 0.4 });
    expect(blinkSignal([])).toEqual({ count: 0, minOpenness: 0, maxOpenness: 0 });
  });
});

describe('headMotionSignal', () => {
  it('a still head with a one-frame pose glitch does not move (median of 3)', () => {
    const still = at([1, 2, 1, 30, 2, 1, 2, 1]);
    const m = headMotionSignal(still, at([0, 1, 0, 1, 0, 1, 0, 1]));
    expect(m).toMatchObject({ moved: false, nods: 0, turns: 0 });
    expect(m.yawRangeDeg).toBeLessThan(2);
  });
  it('a turn left and back is a turn; a nod is a nod; a slow look to one side is motion', () => {
    expect(headMotionSignal(at([0, 10, 25, 10, 0, 0]), at([0, 0, 0, 0, 0, 0]))).toMatchObject({ turns: 1, moved: true });
    expect(headMotionSignal(at([0, 0, 0, 0, 0, 0]), at([0, -10, -20, -10, 0, 0]))).toMatchObject({ nods: 1, moved: true });
    expect(headMotionSignal(at([0, 3, 6, 9, 12, 12]), at([0, 0, 0, 0, 0, 0]))).toMatchObject({ turns: 0, nods: 0, moved: true });
  });
  it('median3 keeps the ends and removes single spikes', () => {
    expect(median3([1, 9, 1, 1, 5])).toEqual([1, 1, 1, 1, 5]);
  });
});

describe('identitySignal', () => {
  it('one person throughout (small descriptor noise) is consistent', () => {
    const frames = Array.from({ length: 10 }, (_, i) => descriptor(0, 0.6, 0.01 * (i % 3)));
    expect(identitySignal(frames, 0.55, euclideanDistance)).toMatchObject({ consistent: true, sameShare: 1 });
  });
  it('a face swapped half-way through is not', () => {
    const frames = [...Array.from({ length: 6 }, () => descriptor(0)), ...Array.from({ length: 6 }, () => descriptor(1))];
    const signal = identitySignal(frames, 0.55, euclideanDistance);
    expect(signal.consistent).toBe(false);
    expect(signal.sameShare).toBe(0.5);
    expect(signal.maxDistance).toBeCloseTo(0.6 * Math.SQRT2, 5);
  });
  it('one odd frame in ten is tolerated; three in ten are not', () => {
    const mix = (odd: number) => Array.from({ length: 10 }, (_, i) => descriptor(i < odd ? 1 : 0));
    expect(identitySignal(mix(1), 0.55, euclideanDistance).consistent).toBe(true);
    expect(identitySignal(mix(3), 0.55, euclideanDistance).consistent).toBe(false);
  });
  it('no frames → not consistent', () => {
    expect(identitySignal([], 0.55, euclideanDistance).consistent).toBe(false);
  });
});

describe('passiveSignal and combineLiveness', () => {
  it('averages log-odds margins: frames exactly at the threshold give 0.5; symmetric margins cancel', () => {
    expect(passiveSignal([0.4, 0.4], 0.4).score).toBeCloseTo(0.5, 10);
    const up = 1 / (1 + Math.exp(-(logit(0.4) + 2)));
    const down = 1 / (1 + Math.exp(-(logit(0.4) - 2)));
    expect(passiveSignal([up, down], 0.4)).toMatchObject({ frames: 2, liveShare: 0.5 });
    expect(passiveSignal([up, down], 0.4).score).toBeCloseTo(0.5, 10);
    expect(passiveSignal([], 0.4)).toEqual({ score: 0, frames: 0, liveShare: 0 });
  });
  const base = {
    passive: { score: 0.9, frames: 10, liveShare: 1 },
    blinks: { count: 1, minOpenness: 0.05, maxOpenness: 0.3 },
    headMotion: { yawRangeDeg: 2, pitchRangeDeg: 2, nods: 0, turns: 0, moved: false },
    identity: { sameShare: 1, maxDistance: 0.2, consistent: true, medoid: 0 },
  };
  it('passive level × temporal factor × identity gate', () => {
    expect(combineLiveness(base)).toBeCloseTo(90, 10);
    expect(combineLiveness({ ...base, blinks: { ...base.blinks, count: 0 } })).toBeCloseTo(90 * NO_MOTION_FACTOR, 10);
    expect(combineLiveness({ ...base, blinks: { ...base.blinks, count: 0 }, headMotion: { ...base.headMotion, moved: true } })).toBeCloseTo(90, 10);
    expect(combineLiveness({ ...base, identity: { ...base.identity, consistent: false } })).toBe(0);
  });
});
