/**
 * Active liveness, the issuing side (issue #14): the server draws a random sequence of 3–4 actions, each with a time
 * window counted from the start of the recording; the person performs them on camera, and the video pipeline checks
 * them in order (the verifier, src/pipeline/). A replayed or pre-made video shows some other sequence, or the right
 * actions at the wrong times. This module only draws: pure functions, the random source passed in (node:crypto's
 * randomInt by default, so the sequence cannot be predicted from earlier ones).
 *
 * The types are the verifier's (src/pipeline/challenge.ts), so a stored challenge is handed to it as it is.
 */
import { randomInt } from 'node:crypto';
import { CHALLENGE_ACTIONS, type Challenge, type ChallengeAction, type ChallengeStep } from '../pipeline/challenge.js';

/*
 * The actions and the challenge's shape are the verifier's (src/pipeline/challenge.ts: what it can measure in every
 * frame, and what it checks a recording against), so a stored challenge is handed to it as it is. Directions are the
 * person's own, as a prompt says them ("turn to your left"), not the mirrored preview's. `blink` means blink twice:
 * people blink by themselves about 17 times a minute at rest (Bentivoglio et al. 1997, "Analysis of blink rate
 * patterns in normal subjects", Movement Disorders 12(6)), one every 3–4 s, so a single blink in a 3 s window proves little.
 */
export { CHALLENGE_ACTIONS, type Challenge, type ChallengeAction, type ChallengeStep } from '../pipeline/challenge.js';

/**
 * Fewest steps, 3: with 6 actions and no action twice in a row there are 6 × 5 × 5 = 150 three-step sequences
 * (6 × 5³ = 750 four-step ones), so a video made in advance for one sequence fits a new draw with probability at most
 * 1 in 150. Two steps would leave 30 sequences: a stock of 30 pre-made clips would pass every time.
 */
export const CHALLENGE_MIN_STEPS = 3;

/**
 * Most steps, 4: the recording stays at 15 s (see the constants below). The verifier reads it at 10 fps
 * (src/pipeline/challenge.ts CHALLENGE_MIN_FPS, for blinks), so 150 frames; a 10 s stretch of them costs verifyVideo
 * 1.0–1.5 s on 2 cores (the tracked measurement, the iris model only in the lead-in and blink windows, plus the frames'
 * share of the one decode: bench/RESULTS.md "active liveness challenge, the verifier", "The iris model only where the
 * challenge reads the eyes"); more steps make the clip and its
 * analysis longer, and a person has to remember or read more prompts while moving.
 */
export const CHALLENGE_MAX_STEPS = 4;

/**
 * Seconds before the first window, 2: the verifier measures every action against the person's own resting pose
 * (yaw, pitch, eye and mouth openness differ from face to face), so the clip must start with a still, frontal stretch;
 * 2 s is also the time the phone camera's auto-exposure needs to settle after the recording starts and for the person
 * to read the first prompt.
 */
export const CHALLENGE_LEAD_IN_SECONDS = 2;

/**
 * Length of one step's window, seconds, 3: reacting to a new prompt (a visual reaction takes about 0.2–0.3 s, reading a
 * two-word prompt more), turning the head out and back at a comfortable pace (about 1–1.5 s) or blinking twice (a blink
 * lasts about 0.1–0.4 s, the range usually quoted) fit in it with room for a slow performer. These are estimates; the verifier's recordings are the
 * data to revise them with.
 */
export const CHALLENGE_STEP_WINDOW_SECONDS = 3;

/**
 * Seconds after the last window, 1: the capture page stops its recorder 0.3 s before the limit it was given, and a
 * recorder's last chunk can be cut short; 1 s keeps the last window whole and lets the head come back to rest.
 */
export const CHALLENGE_TAIL_SECONDS = 1;

/** The recording length a challenge of `stepCount` steps needs, seconds: lead-in + one window per step + tail. */
export function challengeRecordingSeconds(stepCount: number): number {
  return CHALLENGE_LEAD_IN_SECONDS + stepCount * CHALLENGE_STEP_WINDOW_SECONDS + CHALLENGE_TAIL_SECONDS;
}

/** The shortest recording any challenge needs, seconds (12): a recording limit below it cannot hold a challenge. */
export const CHALLENGE_MIN_RECORDING_SECONDS = challengeRecordingSeconds(CHALLENGE_MIN_STEPS);

/** A uniformly random integer in [min, max), like node:crypto's randomInt. */
export type RandomInt = (min: number, max: number) => number;

const cryptoRandomInt: RandomInt = (min, max) => randomInt(min, max);

/** A drawn sequence, before it is stored (and given its id). */
export interface DrawnChallenge {
  steps: ChallengeStep[];
  /** How long the capture client must record, seconds: the last window's end plus the tail. */
  recordingSeconds: number;
}

/**
 * Draws a challenge whose recording fits in `maxRecordingSeconds` (the longest video the route will accept).
 *
 * Rules: 3 or 4 steps, each count equally likely among those that fit; every step an action drawn uniformly from the
 * six, except that no action follows itself (two equal steps in a row could be met by one long pose held across both
 * windows, so each window must show a change); so every valid sequence of the drawn length is equally likely.
 * Windows are back to back, CHALLENGE_STEP_WINDOW_SECONDS each, after CHALLENGE_LEAD_IN_SECONDS.
 *
 * Throws RangeError when even the shortest challenge (CHALLENGE_MIN_RECORDING_SECONDS) does not fit: callers check first.
 */
export function drawChallenge(maxRecordingSeconds: number, random: RandomInt = cryptoRandomInt): DrawnChallenge {
  let mostSteps = CHALLENGE_MAX_STEPS;
  while (mostSteps >= CHALLENGE_MIN_STEPS && challengeRecordingSeconds(mostSteps) > maxRecordingSeconds) mostSteps--;
  if (mostSteps < CHALLENGE_MIN_STEPS) {
    throw new RangeError(`a challenge needs a recording of at least ${CHALLENGE_MIN_RECORDING_SECONDS} s; the limit is ${maxRecordingSeconds} s`);
  }
  const stepCount = random(CHALLENGE_MIN_STEPS, mostSteps + 1);
  const steps: ChallengeStep[] = [];
  for (let i = 0; i < stepCount; i++) {
    const previous = steps[i - 1]?.action;
    const candidates = CHALLENGE_ACTIONS.filter((action) => action !== previous);
    const start = CHALLENGE_LEAD_IN_SECONDS + i * CHALLENGE_STEP_WINDOW_SECONDS;
    steps.push({ action: candidates[random(0, candidates.length)]!, windowSeconds: [start, start + CHALLENGE_STEP_WINDOW_SECONDS] });
  }
  return { steps, recordingSeconds: challengeRecordingSeconds(stepCount) };
}
