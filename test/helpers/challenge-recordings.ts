/**
 * Test recordings for the active liveness challenge (issue 14): pieces of one real recording, cut and joined with ffmpeg
 * so that the person performs a known sequence of actions, one per window, laid out as the issuing side lays out a
 * challenge (a lead-in at rest, then one 3 s window per step, then a tail at rest). Built at test time into a temp
 * directory from ../shared/data (nothing of the data set is committed).
 *
 * The source is videos/liveness_tranvanluyt/real.mp4 (368×656, 30 fps, 20.7 s; labels/videos.csv: a live recording
 * of one person): the only dev clip in which a person performs head turns, looks up and down and blinks on purpose.
 * Every piece below was found by measuring (src/pipeline/motion-series.ts at 10 fps, tracked; the times checked frame by
 * frame at 30 fps) and is given with what was measured in it; "rest" is the pose of 0–1.8 s (yaw −2.5°, pitch −12°, eye
 * openness 0.24, mouth 0.01). Pieces of one step add up to its 3 s window: where the source holds a pose for longer, the
 * window is cut inside the hold (a jump of a few degrees, the head staying turned).
 *
 * The other dev clips do not serve here: short_hamilton_clip.mp4 shows Lin-Manuel Miranda rapping, head and hands moving
 * all the time (yaw swings of ±29° unprompted), then other people; faceapi/video.mp4 is 0.2 s long; fake.mp4 is a replay
 * of real.mp4 (the same performance through a phone screen). No dev clip opens the mouth on purpose, so no recording
 * performs openMouth: every challenge with an openMouth step must fail on all of them.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CHALLENGE_ACTIONS, type Challenge, type ChallengeAction } from '../../src/pipeline/challenge.js';
import { seededRandom } from './random.js';
import { sharedData } from './reference.js';

/** The recording the pieces are cut from (under ../shared/data). */
export const CHALLENGE_SOURCE = 'videos/liveness_tranvanluyt/real.mp4';

/** A stretch of CHALLENGE_SOURCE, seconds. */
export interface Piece {
  start: number;
  end: number;
}

/** Seconds at rest before the first window: real.mp4 0–1.8 s (the turn to the left starts at 1.9 s). */
export const LEAD_IN: readonly Piece[] = [{ start: 0, end: 1.8 }];
/** One window per step, seconds (as the issuing side draws them). */
export const WINDOW_SECONDS = 3;
/** At rest after the last window: real.mp4 19.7–20.7 s (yaw −1.5°, pitch −12°, eyes open, no blink). */
export const TAIL: readonly Piece[] = [{ start: 19.7, end: 20.7 }];

/** The pieces that perform each action in one WINDOW_SECONDS window (openMouth: none exists, see the module comment). */
export const ACTION_PIECES: Readonly<Partial<Record<ChallengeAction, readonly Piece[]>>> = {
  // Rest → turned to the left (yaw −19° at 2.0 s, −40° from 2.7 s) | cut inside the hold (−49°) → back to rest (−8° at
  // 5.8 s, −6° at 6.0–6.6 s).
  turnLeft: [{ start: 1.8, end: 3.2 }, { start: 5.0, end: 6.6 }],
  // Rest (yaw −4.5°) → turned to the right (+20° at 7.5 s, +26° at 7.7–7.8 s, +14–18° at 8.0–8.9 s) | cut inside the
  // hold (+25° at 9.8 s) → back to rest (+1.4° at 10.7 s, −1° at 11.0 s).
  turnRight: [{ start: 7.1, end: 8.9 }, { start: 9.8, end: 11.0 }],
  // Rest (pitch −11°) → looking down (−30° at 11.7 s, −42° at 12.1–12.5 s) | the two frames at 12.6–12.7 s where no face
  // is found are left out → still down (−43°), back to rest (−12° at 14.0 s, −5° at 14.3 s).
  lookDown: [{ start: 11.0, end: 12.5 }, { start: 12.8, end: 14.3 }],
  // Rest (pitch −8°) → looking up (+17° at 14.5 s, +31–34° at 14.7–15.2 s) → coming back (+7° at 16.2 s) | rest from
  // the end of the recording (18.3–19.3 s: pitch −12° to −17°, eyes open).
  lookUp: [{ start: 14.2, end: 16.2 }, { start: 18.3, end: 19.3 }],
  // Two blinks: eyes at 0.17 (pitch +4°, the head just back from looking up) → shut at 16.40–16.50 s (0.06–0.11) → open
  // (0.23 at 16.57 s) → shut at 17.73–17.80 s (0.06–0.11) → open (0.24 at 17.90 s) | rest (19.3–20.3 s, no blink).
  blink: [{ start: 16.3, end: 18.3 }, { start: 19.3, end: 20.3 }],
};

/**
 * The sequences the tests build and check, each as the issuing side could draw it (3–4 steps, no action right after
 * itself), together covering every action the source performs at least twice, in different places and orders.
 */
export const TEST_SEQUENCES: readonly (readonly ChallengeAction[])[] = [
  ['turnLeft', 'lookUp', 'blink'],
  ['lookDown', 'turnRight', 'blink', 'turnLeft'],
  ['blink', 'turnRight', 'lookDown', 'lookUp'],
  ['turnRight', 'lookUp', 'turnLeft', 'lookDown'],
];

const secondsOf = (pieces: readonly Piece[]) => pieces.reduce((s, p) => s + (p.end - p.start), 0);

/** The windows of a recording of `steps` steps: back to back after the lead-in, seconds. */
export function recordingWindows(steps: number): [number, number][] {
  const leadIn = secondsOf(LEAD_IN);
  return Array.from({ length: steps }, (_, k) => [round(leadIn + k * WINDOW_SECONDS), round(leadIn + (k + 1) * WINDOW_SECONDS)]);
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

export interface ChallengeRecording {
  /** The recording, an H.264 MP4 at 30 fps without audio. */
  file: string;
  /** The challenge it performs (id = the sequence joined by '-'). */
  challenge: Challenge;
  durationSeconds: number;
}

/**
 * Cuts and joins the pieces of `sequence` (lead-in, one window per action, tail) into `dir`/<sequence>.mp4 with
 * `ffmpeg` (src/video/binaries.ts). Cuts are frame-exact: every piece boundary is a multiple of 0.1 s, i.e. of one
 * 30 fps frame, and each input is seeked exactly (ffmpeg decodes from the keyframe before and drops what precedes).
 */
export function buildChallengeRecording(dir: string, sequence: readonly ChallengeAction[], ffmpeg: string): ChallengeRecording {
  const pieces = [...LEAD_IN];
  for (const action of sequence) {
    const own = ACTION_PIECES[action];
    if (!own) throw new Error(`no piece of ${CHALLENGE_SOURCE} performs ${action}`);
    if (Math.abs(secondsOf(own) - WINDOW_SECONDS) > 1e-6) throw new Error(`the pieces of ${action} last ${secondsOf(own)} s, not ${WINDOW_SECONDS} s`);
    pieces.push(...own);
  }
  pieces.push(...TAIL);
  const source = sharedData(CHALLENGE_SOURCE);
  const name = sequence.join('-');
  const file = path.join(dir, `${name}.mp4`);
  const inputs = pieces.flatMap((p) => ['-ss', p.start.toFixed(3), '-t', (p.end - p.start).toFixed(3), '-i', source]);
  const chains = pieces.map((_, i) => `[${i}:v]setpts=PTS-STARTPTS,fps=30,setsar=1[v${i}]`);
  const concat = `${pieces.map((_, i) => `[v${i}]`).join('')}concat=n=${pieces.length}:v=1:a=0[out]`;
  execFileSync(ffmpeg, ['-v', 'error', '-y', ...inputs, '-filter_complex', [...chains, concat].join(';'), '-map', '[out]', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-pix_fmt', 'yuv420p', file]);
  const windows = recordingWindows(sequence.length);
  return {
    file,
    challenge: { id: name, steps: sequence.map((action, k) => ({ action, windowSeconds: windows[k]! })) },
    durationSeconds: round(secondsOf(pieces)),
  };
}

/**
 * `count` challenges drawn at random (seeded) as the issuing side draws them: the same number of steps as `own`, each
 * action uniform among the six except the one before it, on `own`'s windows, and never `own`'s sequence. Same length,
 * because a shorter draw that is a prefix of `own` is performed by the recording (it passes, rightly), and a longer one
 * has a window past its end (it fails, trivially). Draws may repeat: the test counts every one.
 */
export function drawOtherChallenges(own: Challenge, count: number, seed: number): Challenge[] {
  const random = seededRandom(seed);
  const ownKey = own.steps.map((s) => s.action).join('-');
  const drawn: Challenge[] = [];
  while (drawn.length < count) {
    const actions: ChallengeAction[] = [];
    for (let k = 0; k < own.steps.length; k++) {
      const candidates = CHALLENGE_ACTIONS.filter((a) => a !== actions[k - 1]);
      actions.push(candidates[Math.floor(random() * candidates.length)]!);
    }
    const key = actions.join('-');
    if (key === ownKey) continue;
    drawn.push({ id: `${own.id}/other-${drawn.length}:${key}`, steps: actions.map((action, k) => ({ action, windowSeconds: own.steps[k]!.windowSeconds })) });
  }
  return drawn;
}

/** Every sequence of `length` actions with no action right after itself (6 × 5^(length − 1) of them). */
export function allSequences(length: number): ChallengeAction[][] {
  let sequences: ChallengeAction[][] = [[]];
  for (let k = 0; k < length; k++) sequences = sequences.flatMap((s) => CHALLENGE_ACTIONS.filter((a) => a !== s[s.length - 1]).map((a) => [...s, a]));
  return sequences;
}
