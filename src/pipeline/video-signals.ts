/**
 * Temporal liveness evidence from a video's sampled frames (pure functions, no models): blinks, head
 * motion, identity consistency across frames, and the per-frame passive liveness scores, plus the rule
 * that combines them into one liveness score. The pipeline (verify-video.ts) measures each frame; this
 * file decides what the series mean.
 *
 * Why more than averaging: a per-frame anti-spoofing model looks at texture (moiré, print grain, screen
 * glare). It says nothing about whether the face moves like a person: a sharp printed photo or a still
 * screen can pass it frame after frame. A live person blinks (every 2–10 s at rest) and moves the head;
 * a photo does neither; and a video whose face changes identity half-way (a face swap, or two people
 * taking turns) is not one live person, whatever each frame looks like.
 */
import { EYE_OPENNESS_MARGIN, EYE_OPENNESS_THRESHOLD } from '../quality/eyes-closed.js';
import { detectNods, findExcursions, type AngleSample } from './nod.js';
import { logit, sigmoid } from './liveness.js';

/** What one sampled frame contributed; absent fields = no face found in that frame. */
export interface FrameObservation {
  timeSeconds: number;
  /** Fused per-frame liveness probability 0–1 (src/pipeline/liveness.ts), when a face was found. */
  liveness?: number;
  /** Mean eye openness of the two eyes (lid gap ÷ eye width, src/quality/eyes-closed.ts). */
  eyeOpenness?: number;
  /** Head yaw and pitch, degrees (src/quality/head-turned.ts). */
  yawDeg?: number;
  pitchDeg?: number;
  /** 128-d face descriptor (face-api recogniser), when a face was found. */
  descriptor?: Float32Array;
}

/** An eye is closed below this openness: the eyesClosed check's threshold (measured on labelled photos). */
export const BLINK_CLOSED_BELOW = EYE_OPENNESS_THRESHOLD;
/** …and open again above this (threshold + the check's own uncertainty margin): hysteresis against squints. */
export const BLINK_OPEN_ABOVE = EYE_OPENNESS_THRESHOLD + EYE_OPENNESS_MARGIN;

export interface BlinkSignal {
  /** Closed → open transitions (a frame below BLINK_CLOSED_BELOW followed by one above BLINK_OPEN_ABOVE). */
  count: number;
  /** Smallest and largest eye openness seen (0 when no frame was measured). */
  minOpenness: number;
  maxOpenness: number;
}

/** Counts blinks in an eye-openness series (in time order). */
export function blinkSignal(openness: readonly number[]): BlinkSignal {
  let count = 0;
  let closed = false;
  for (const value of openness) {
    if (value < BLINK_CLOSED_BELOW) closed = true;
    else if (closed && value > BLINK_OPEN_ABOVE) {
      count += 1;
      closed = false;
    }
  }
  return { count, minOpenness: openness.length ? Math.min(...openness) : 0, maxOpenness: openness.length ? Math.max(...openness) : 0 };
}

/**
 * A head turn (left-and-back or right-and-back) must swing the yaw by this much each way, degrees. Same
 * figure as a nod (src/pipeline/nod.ts NOD_DEFAULTS): above FaceMesh's frame-to-frame jitter.
 */
export const TURN_MIN_AMPLITUDE_DEG = 10;
/**
 * The head counts as moving when yaw or pitch spans at least this many degrees over the clip, even
 * without a clean out-and-back swing (a slow look to one side). 8°: above the spread measured on a held
 * still head (bench/RESULTS.md "verifyVideo").
 */
export const MOTION_MIN_RANGE_DEG = 8;

export interface HeadMotionSignal {
  /** max − min over the clip, degrees. */
  yawRangeDeg: number;
  pitchRangeDeg: number;
  /** Nods (pitch down and back, src/pipeline/nod.ts) and turns (yaw out and back). */
  nods: number;
  turns: number;
  /** A nod, a turn, or a yaw/pitch range ≥ MOTION_MIN_RANGE_DEG. */
  moved: boolean;
}

const range = (values: number[]) => (values.length ? Math.max(...values) - Math.min(...values) : 0);

/** Median of each value with its two neighbours: removes single-frame pose glitches before taking ranges. */
export function median3(values: readonly number[]): number[] {
  return values.map((v, i) => {
    if (i === 0 || i === values.length - 1) return v;
    return [values[i - 1]!, v, values[i + 1]!].sort((a, b) => a - b)[1]!;
  });
}

/**
 * The series in time order with each angle replaced by the median of it and its neighbours (median3): one-frame
 * pose glitches (a mis-fitted mesh on a blurred frame) must count neither as range nor as a swing.
 */
export function smoothAngles(series: readonly AngleSample[]): AngleSample[] {
  const sorted = [...series].sort((a, b) => a.timeSeconds - b.timeSeconds);
  const angles = median3(sorted.map((s) => s.angleDeg));
  return sorted.map((s, i) => ({ timeSeconds: s.timeSeconds, angleDeg: angles[i]! }));
}

export function headMotionSignal(yaw: readonly AngleSample[], pitch: readonly AngleSample[]): HeadMotionSignal {
  const [smoothYaw, smoothPitch] = [smoothAngles(yaw), smoothAngles(pitch)];
  const yawRangeDeg = range(smoothYaw.map((s) => s.angleDeg));
  const pitchRangeDeg = range(smoothPitch.map((s) => s.angleDeg));
  const nods = detectNods(smoothPitch).length;
  const turns = findExcursions(smoothYaw, { minAmplitudeDeg: TURN_MIN_AMPLITUDE_DEG, maxSeconds: 3, direction: 'both' }).length;
  return { yawRangeDeg, pitchRangeDeg, nods, turns, moved: nods > 0 || turns > 0 || Math.max(yawRangeDeg, pitchRangeDeg) >= MOTION_MIN_RANGE_DEG };
}

/**
 * Share of face frames that must be the same person as the clip's medoid face for the video to count as
 * one identity. 0.8 tolerates a few blurred or half-turned frames whose descriptor drifts, but not a
 * swap: a face replaced for a fifth of the clip or more fails.
 */
export const IDENTITY_MIN_SHARE = 0.8;

export interface IdentitySignal {
  /** Share of face frames (0–1) whose descriptor is within the same-person distance of the medoid face. */
  sameShare: number;
  /** Largest descriptor distance of any face frame from the medoid (face-api euclidean scale). */
  maxDistance: number;
  /** sameShare ≥ IDENTITY_MIN_SHARE. */
  consistent: boolean;
  /** Index (into the descriptors given) of the medoid: the frame closest to all others. */
  medoid: number;
}

/**
 * Identity consistency: the medoid descriptor (minimum total distance to the others) stands for "the"
 * face of the clip; every frame is compared with it at the matchFace same-person distance.
 */
export function identitySignal(descriptors: readonly Float32Array[], sameBelow: number, distance: (a: Float32Array, b: Float32Array) => number): IdentitySignal {
  if (descriptors.length === 0) return { sameShare: 0, maxDistance: 0, consistent: false, medoid: -1 };
  const d = descriptors.map((a) => descriptors.map((b) => distance(a, b)));
  let medoid = 0;
  let best = Infinity;
  d.forEach((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    if (total < best) [best, medoid] = [total, i];
  });
  const fromMedoid = d[medoid]!;
  const sameShare = fromMedoid.filter((v) => v < sameBelow).length / descriptors.length;
  return { sameShare, maxDistance: Math.max(...fromMedoid), consistent: sameShare >= IDENTITY_MIN_SHARE, medoid };
}

export interface PassiveSignal {
  /** 0–1: sigmoid of the mean per-frame logit margin over the fusion threshold (0.5 = at the threshold). */
  score: number;
  /** Frames scored (frames with a face). */
  frames: number;
  /** Share of scored frames (0–1) at or above the per-frame threshold. */
  liveShare: number;
}

/**
 * Per-frame passive scores → one clip score: the mean of logit(score) − logit(threshold) over frames, back
 * through the sigmoid. Averaging log-odds treats frames as independent pieces of evidence of one size
 * each and keeps one saturated frame from dominating (scores are clipped at 1e-4, liveness.ts).
 */
export function passiveSignal(frameScores: readonly number[], threshold: number): PassiveSignal {
  if (frameScores.length === 0) return { score: 0, frames: 0, liveShare: 0 };
  const margin = frameScores.reduce((s, p) => s + logit(p) - logit(threshold), 0) / frameScores.length;
  return { score: sigmoid(margin), frames: frameScores.length, liveShare: frameScores.filter((p) => p >= threshold).length / frameScores.length };
}

/**
 * Without any temporal sign of life (no blink, no head motion) the passive score is halved: a live passive
 * score then lands at most at 50, which the default verifyVideo rules send to review (40–70) rather than
 * approve. By construction, not fitted: no labelled still-photo video exists in ../shared/data.
 */
export const NO_MOTION_FACTOR = 0.5;

export interface VideoLivenessSignals {
  passive: PassiveSignal;
  blinks: BlinkSignal;
  headMotion: HeadMotionSignal;
  identity: IdentitySignal;
  /** Share of sampled frames (0–1) in which a face was found. */
  facePresence: number;
}

/**
 * The combination rule, liveness 0–100:
 *   100 × passive.score × (blink or head motion ? 1 : NO_MOTION_FACTOR) × (one identity ? 1 : 0).
 * Passive texture evidence sets the level (it is the only signal that separates a replay of a live person
 * from the person: a replay blinks and moves too); temporal evidence can only lower it (a still face is
 * photo-like); an identity change zeroes it (not one live person).
 */
export function combineLiveness(signals: Omit<VideoLivenessSignals, 'facePresence'>): number {
  const temporal = signals.blinks.count > 0 || signals.headMotion.moved ? 1 : NO_MOTION_FACTOR;
  const identity = signals.identity.consistent ? 1 : 0;
  return 100 * signals.passive.score * temporal * identity;
}
