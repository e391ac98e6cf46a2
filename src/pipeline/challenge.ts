/**
 * Active liveness, the verifying side (issue 14): did the recording perform the drawn challenge, each step inside its
 * window and in the drawn order? Pure: it reads the per-frame motion series (src/pipeline/motion-series.ts measures it
 * from the video) and the challenge, and answers the shape issue 14 specifies. No I/O, no models.
 *
 * Every action is measured against the person's own resting state, the BASELINE: the median over the frames before the
 * first window (the challenge's lead-in, when the person faces the camera and reads the first prompt), or over the
 * whole recording when the lead-in holds fewer than BASELINE_MIN_FRAMES faces. Faces differ (tranvanluyt's eyes measure
 * 0.24 open at rest, Lin-Manuel Miranda's 0.40; a phone held low gives a resting pitch of −12°), so fixed absolute levels
 * would not do.
 *
 * Directions are the person's own, in the recording as the capture page records it (not mirrored; its preview is):
 * turning to one's LEFT turns the face towards the image's RIGHT, which FaceMesh's yaw reports as negative
 * (quality/head-turned.ts headAngles). Looking UP brings the chin towards the camera: pitch grows. Both checked on
 * videos/liveness_tranvanluyt/real.mp4, frame by frame (2.0–5.8 s: the face turns to the image's right, yaw −40° to
 * −50°; 14.5–16.1 s: chin up, nostrils in view, pitch +30°; 11.3–13.9 s: the top of the head in view, pitch −42°).
 *
 * The constants were measured with the tracked series at 10 fps (motion-series.ts) on the dev videos, each frame
 * compared with its clip's rest (real.mp4 0–1.8 s, fake.mp4 0–4.4 s, the Hamilton clip 6.4–7.0 s); `npm run bench --
 * challenge` prints the per-action results (bench/RESULTS.md, "active liveness challenge, the verifier").
 */
import { median3 } from './video-signals.js';

/**
 * The actions a step can ask for; each is what the pipeline measures reliably in every frame: head yaw (turns) and
 * pitch (look up / down) from FaceMesh, eye openness from the iris model, mouth opening from FaceMesh's lips.
 * `blink` means blink twice (BLINKS_REQUIRED).
 */
export const CHALLENGE_ACTIONS = ['turnLeft', 'turnRight', 'lookUp', 'lookDown', 'blink', 'openMouth'] as const;
export type ChallengeAction = (typeof CHALLENGE_ACTIONS)[number];

export interface ChallengeStep {
  action: ChallengeAction;
  /** [start, end], seconds from the start of the recording, start < end: the step must be performed inside it. */
  windowSeconds: [number, number];
}

/** A drawn challenge: its steps, in the order they must be performed. */
export interface Challenge {
  id: string;
  steps: ChallengeStep[];
}

/** What one frame of the recording showed; the measured fields are absent when no face was found in it. */
export interface MotionSample {
  /** Seconds from the start of the recording. */
  timeSeconds: number;
  /** Head yaw, degrees; negative = turned to the person's left (quality/head-turned.ts headAngles). */
  yawDeg?: number;
  /** Head pitch, degrees; positive = looking up (chin towards the camera). */
  pitchDeg?: number;
  /** Mean eye openness of the two eyes: lid gap ÷ eye width, ≈ 0.05 closed to ≈ 0.45 wide open (quality/eyes-closed.ts). */
  eyeOpenness?: number;
  /** Inner-lip gap ÷ face height (forehead to chin), ≈ 0.01 closed (motion-series.ts mouthOpenness). */
  mouthOpenness?: number;
}

/** The unit of a step's `amplitude`. */
export type AmplitudeUnit =
  /** Degrees of yaw or pitch away from the baseline, in the asked direction. */
  | 'degrees'
  /** How far the eyes closed: 1 − openness ÷ baseline openness, 0 (open as at rest) to 1 (shut). */
  | 'eyeClosure'
  /** Mouth opening above the baseline, as a fraction of the face's height. */
  | 'faceHeight';

/** One step's answer; the keys are issue 14's answer shape (`challenge.steps[]`). */
export interface ChallengeStepResult {
  action: ChallengeAction;
  window_s: [number, number];
  /** When the step was seen performed, seconds from the start of the recording; null when it was not. */
  detected_at_s: number | null;
  /**
   * How much of the action the search interval showed, in `amplitude_unit`: the largest movement in the asked direction
   * (pose, mouth), or for blink the closure of the weaker of the two blinks, or, with fewer than two, the deepest closure
   * seen. null when the interval held no face frame.
   */
  amplitude: number | null;
  amplitude_unit: AmplitudeUnit;
  /** The least `amplitude` that counts (the action's constant below). */
  min_amplitude: number;
  /**
   * The recording's person was seen in the window: its closest face frame is within the same-person distance of the
   * recording's identity (checkWindowIdentity). Set by verifyVideo; a step by someone else is not passed.
   */
  same_person?: boolean;
  passed: boolean;
}

/** issue 14's `challenge` answer. */
export interface ChallengeResult {
  id: string;
  /** Every step passed, each inside its window and after the step before it. */
  passed: boolean;
  steps: ChallengeStepResult[];
}

/**
 * Frames per second the series needs: a blink closes the eyes for 0.1–0.4 s, and at 10 fps every closure of ≥ 0.1 s
 * (3 frames at 30 fps) has a frame inside it whatever the phase: both blinks of tranvanluyt real.mp4 (16.4 s, 17.7 s)
 * stay below BLINK_CLOSED_RATIO for 4 and 3 frames of its 30 fps. Slower series are refused.
 */
export const CHALLENGE_MIN_FPS = 10;

/** Face frames the lead-in must hold to be the baseline (half a second at CHALLENGE_MIN_FPS); else the whole recording is. */
export const BASELINE_MIN_FRAMES = 5;

/**
 * Yaw away from the baseline, degrees, for a turn. Deliberate turns in the dev videos reach −47° (to the left,
 * tranvanluyt real.mp4) and −52° (its replay fake.mp4), and +28° and +30° (to the right, the same clips); at rest the
 * head drifts by ≤ 4.5° (real.mp4 0–1.8, 5.9–7.2, 10.8–11.2 and 18.3–20.7 s, and the same stretches of fake.mp4) and
 * FaceMesh's yaw moves by ≈ 1° from frame to frame (median, ≤ 3.4°). 20° is ≥ 4× the drift and ≤ 0.7× the smallest
 * deliberate turn. Lin-Manuel Miranda, rapping (short_hamilton_clip.mp4 3.6–7.8 s), turns by up to 37° unasked: a turn
 * proves life by coming on cue, in its window and order, not by being a movement no one makes unasked.
 */
export const TURN_MIN_DEG = 20;

/**
 * Pitch away from the baseline, degrees, to look up or down. Deliberate looks: down −31° (real.mp4; fake.mp4 loses the
 * face while looking down and reaches −15° before it does), up +46° and +44°; at rest the pitch drifts by up to 10°
 * (real.mp4 5.9 s, the chin lowered after turning back; fake.mp4 8.9°), more than the yaw does. 20° keeps 2× that drift
 * and 0.65× the smallest deliberate look.
 */
export const LOOK_MIN_DEG = 20;

/**
 * An eye counts as closed below this fraction of the baseline openness. The two blinks of real.mp4 reach 0.28 and 0.40
 * at 10 fps; its replay fake.mp4 0.54 for one and 0.76 for the other (the phone screen in between blurs the lids). With
 * the head facing the camera (see findBlinks), no other frame of the two goes below 0.67 (real.mp4 16.3 s: the lids still
 * low as the head comes back from looking up). Lin-Manuel Miranda narrows his eyes to 0.46 mid-rap (Hamilton clip 5.6 s,
 * motion-blurred, a hand waving before his face: a blink or a squint). Soukupová & Čech ("Real-Time Eye Blink Detection
 * using Facial Landmarks", CVWW 2016) call an eye aspect ratio of 0.2 closed against ≈ 0.3 open, about the same 2/3.
 */
export const BLINK_CLOSED_RATIO = 0.6;

/**
 * …and open again at this fraction: a blink ends when the eye is back near its resting openness, not at a half-open
 * flicker around BLINK_CLOSED_RATIO (hysteresis, as video-signals.ts blinkSignal's EYE_OPENNESS_MARGIN). At 30 fps,
 * real.mp4's eyes are back above 0.85 of rest 0.07 s after each blink's last closed frame.
 */
export const BLINK_REOPEN_RATIO = 0.8;

/**
 * Blinks the `blink` step needs inside its window. People blink by themselves every 3–4 s at rest (Bentivoglio et al.
 * 1997, "Analysis of blink rate patterns in normal subjects", Movement Disorders 12(6): 17 a minute), about once per 3 s
 * window, so one blink proves little; two on cue do.
 */
export const BLINKS_REQUIRED = 2;

/**
 * Mouth opening above the baseline, fraction of the face's height, to count as an open mouth. On photos (FaceMesh on
 * the detected face): surprised.jpg 0.155 and fearful.jpg 0.107 (attributes/faceapi), smiles with parted lips
 * 0.077–0.094 (obama-*.jpg, emotion_happy.png); closed mouths 0.000–0.024, up to 0.043 on profiles (pose_right_face.png,
 * pose_lower_face.jpeg: the mesh's lips part as the head turns). In the videos, above each clip's rest: turning the head
 * adds up to 0.025 (real.mp4 7.5–7.9 s, yaw +23° to +28°; fake.mp4 0.018); the one open mouth, Lin-Manuel Miranda's
 * while rapping (Hamilton clip 6.0–6.2 s), measures 0.062–0.066. 0.05 lies between. Since FaceMesh runs on a crop turned
 * upright (2026-12-02, human-facemesh.ts FaceMeshRunner.run) the openMouth amplitude of his wide opening is 0.080 (0.071
 * on the tilted crop), and of his talking just before it 0.054 (at 4.8 s, lips visibly apart, head tilted ≈ 14°; 0.022
 * on the tilted crop): talking that parts the lips can count as an open mouth, so the step's protection is its window
 * (drawn at random), not the amplitude alone.
 */
export const MOUTH_OPEN_MIN = 0.05;

interface Baseline {
  yawDeg: number;
  pitchDeg: number;
  eyeOpenness: number;
  mouthOpenness: number;
}

/** A face frame, with yaw, pitch and mouth smoothed (median of each value and its two neighbours) and eyes as measured. */
interface FaceFrame {
  timeSeconds: number;
  yawDeg: number;
  pitchDeg: number;
  mouthOpenness: number;
  eyeOpenness: number;
}

/** How a step went within its search interval. */
interface StepFinding {
  detectedAt: number | null;
  amplitude: number | null;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The face frames in time order, pose and mouth smoothed with median3 (video-signals.ts): a one-frame glitch (a mesh
 * fitted badly while the face is re-acquired, fake.mp4 16.0 s: mouth 0.08 for one frame between frames without a face) must not count as a movement,
 * while every deliberate pose or open mouth lasts several frames. Eyes are not smoothed: at 10 fps a blink may be one frame.
 */
function faceFrames(series: readonly MotionSample[]): FaceFrame[] {
  const faces = series.filter(
    (s): s is MotionSample & { yawDeg: number; pitchDeg: number; mouthOpenness: number } =>
      [s.yawDeg, s.pitchDeg, s.mouthOpenness].every((v) => typeof v === 'number' && Number.isFinite(v)),
  );
  const yaw = median3(faces.map((s) => s.yawDeg));
  const pitch = median3(faces.map((s) => s.pitchDeg));
  const mouth = median3(faces.map((s) => s.mouthOpenness));
  // Eye openness may be left out where no step reads it (eyesNeededFor): NaN there, and the eye rules skip such frames.
  const eyes = (s: MotionSample) => (typeof s.eyeOpenness === 'number' && Number.isFinite(s.eyeOpenness) ? s.eyeOpenness : Number.NaN);
  return faces.map((s, i) => ({ timeSeconds: s.timeSeconds, yawDeg: yaw[i]!, pitchDeg: pitch[i]!, mouthOpenness: mouth[i]!, eyeOpenness: eyes(s) }));
}

/**
 * Where `challenge` reads eye openness: the lead-in (its baseline) and the blink steps' windows. A measurer may skip the
 * eyes elsewhere (motion-series.ts `eyesNeeded`: the iris model is most of its cost) and verifyChallenge answers the
 * same: pose and mouth steps never read the eyes. (A recording whose lead-in holds too few faces takes its baseline from
 * all its frames; the eye baseline is then the median over the frames that were measured.)
 */
export function eyesNeededFor(challenge: Challenge): (timeSeconds: number) => boolean {
  const firstStart = Math.min(...challenge.steps.map((step) => step.windowSeconds[0]));
  const blinkWindows = challenge.steps.filter((step) => step.action === 'blink').map((step) => step.windowSeconds);
  return (t) => t < firstStart || blinkWindows.some(([start, end]) => t >= start && t <= end);
}

/** Head near the baseline pose: neither a turn nor a look (eye openness is only comparable with the baseline there). */
function facesCamera(frame: FaceFrame, baseline: Omit<Baseline, 'eyeOpenness'>): boolean {
  return Math.abs(frame.yawDeg - baseline.yawDeg) < TURN_MIN_DEG && Math.abs(frame.pitchDeg - baseline.pitchDeg) < LOOK_MIN_DEG;
}

/** The baseline from the lead-in (frames before `firstWindowStart`), or from all frames when the lead-in is too short. */
function challengeBaseline(frames: readonly FaceFrame[], firstWindowStart: number): Baseline | undefined {
  const leadIn = frames.filter((f) => f.timeSeconds < firstWindowStart);
  const source = leadIn.length >= BASELINE_MIN_FRAMES ? leadIn : frames;
  if (source.length === 0) return undefined;
  const pose = { yawDeg: median(source.map((f) => f.yawDeg)), pitchDeg: median(source.map((f) => f.pitchDeg)), mouthOpenness: median(source.map((f) => f.mouthOpenness)) };
  // Eyes look wider on a turned or lowered head (the eye's width foreshortens): only frames facing the camera count.
  const measured = source.filter((f) => Number.isFinite(f.eyeOpenness));
  const facing = measured.filter((f) => facesCamera(f, pose));
  return { ...pose, eyeOpenness: median((facing.length > 0 ? facing : measured).map((f) => f.eyeOpenness)) };
}

/** Which pose axis and direction a pose action moves, and the threshold. */
const POSE_RULES = {
  turnLeft: { axis: 'yawDeg', sign: -1, min: TURN_MIN_DEG },
  turnRight: { axis: 'yawDeg', sign: 1, min: TURN_MIN_DEG },
  lookUp: { axis: 'pitchDeg', sign: 1, min: LOOK_MIN_DEG },
  lookDown: { axis: 'pitchDeg', sign: -1, min: LOOK_MIN_DEG },
} as const;

/**
 * A pose step: the first frame where the head has moved by the threshold in the asked direction, and more along that
 * axis than along the other (a look up is not a turn with the chin raised: turning right in real.mp4 raises the pitch by
 * up to 18° while the yaw is at 28°).
 */
function findPose(frames: readonly FaceFrame[], baseline: Baseline, action: keyof typeof POSE_RULES): StepFinding {
  const rule = POSE_RULES[action];
  const other = rule.axis === 'yawDeg' ? 'pitchDeg' : 'yawDeg';
  let amplitude: number | null = null;
  let detectedAt: number | null = null;
  for (const f of frames) {
    const moved = rule.sign * (f[rule.axis] - baseline[rule.axis]);
    amplitude = amplitude === null ? moved : Math.max(amplitude, moved);
    if (detectedAt === null && moved >= rule.min && moved > Math.abs(f[other] - baseline[other])) detectedAt = f.timeSeconds;
  }
  return { detectedAt, amplitude };
}

/**
 * Blinks: a run of closed frames (below BLINK_CLOSED_RATIO of the baseline) after a frame that was not closed, ended by
 * an open one (above BLINK_REOPEN_RATIO); only frames facing the camera count (looking up narrows the lids, to 0.70 of
 * rest in fake.mp4 at +40°; a turned head widens them, to 1.4–1.8 in real.mp4 turned left), the others neither open nor
 * close. A window that starts with the eyes shut does not count that closure. The step passes at the
 * BLINKS_REQUIRED-th blink's closed frame, the deepest one of that closure.
 */
function findBlinks(frames: readonly FaceFrame[], baseline: Baseline): StepFinding {
  const closures: { timeSeconds: number; closure: number }[] = [];
  let seenNotClosed = false;
  let closed: { timeSeconds: number; closure: number } | undefined;
  let deepest: number | null = null;
  for (const f of frames) {
    if (!Number.isFinite(f.eyeOpenness) || !facesCamera(f, baseline)) continue;
    const closure = 1 - f.eyeOpenness / baseline.eyeOpenness;
    deepest = deepest === null ? closure : Math.max(deepest, closure);
    const ratio = f.eyeOpenness / baseline.eyeOpenness;
    if (ratio < BLINK_CLOSED_RATIO) {
      if (!seenNotClosed) continue;
      if (!closed || closure > closed.closure) closed = { timeSeconds: f.timeSeconds, closure };
      continue;
    }
    seenNotClosed = true;
    if (closed && ratio > BLINK_REOPEN_RATIO) {
      closures.push(closed);
      closed = undefined;
    }
  }
  if (closures.length >= BLINKS_REQUIRED) {
    const counted = closures.slice(0, BLINKS_REQUIRED);
    return { detectedAt: counted[BLINKS_REQUIRED - 1]!.timeSeconds, amplitude: Math.min(...counted.map((c) => c.closure)) };
  }
  return { detectedAt: null, amplitude: deepest };
}

/** An open mouth: the first frame at MOUTH_OPEN_MIN above the baseline. */
function findOpenMouth(frames: readonly FaceFrame[], baseline: Baseline): StepFinding {
  let amplitude: number | null = null;
  let detectedAt: number | null = null;
  for (const f of frames) {
    const opened = f.mouthOpenness - baseline.mouthOpenness;
    amplitude = amplitude === null ? opened : Math.max(amplitude, opened);
    if (detectedAt === null && opened >= MOUTH_OPEN_MIN) detectedAt = f.timeSeconds;
  }
  return { detectedAt, amplitude };
}

const UNITS: Record<ChallengeAction, { unit: AmplitudeUnit; min: number }> = {
  turnLeft: { unit: 'degrees', min: TURN_MIN_DEG },
  turnRight: { unit: 'degrees', min: TURN_MIN_DEG },
  lookUp: { unit: 'degrees', min: LOOK_MIN_DEG },
  lookDown: { unit: 'degrees', min: LOOK_MIN_DEG },
  // The blink step's amplitude is a closure, 1 − ratio: closed below BLINK_CLOSED_RATIO means closure above 1 − it.
  blink: { unit: 'eyeClosure', min: 1 - BLINK_CLOSED_RATIO },
  openMouth: { unit: 'faceHeight', min: MOUTH_OPEN_MIN },
};

/** Throws RangeError for a challenge no issuer should draw (no steps, an empty or reversed window, an unknown action). */
function checkChallenge(challenge: Challenge): void {
  if (challenge.steps.length === 0) throw new RangeError(`challenge ${challenge.id}: no steps`);
  for (const [i, step] of challenge.steps.entries()) {
    const [start, end] = step.windowSeconds;
    if (!(CHALLENGE_ACTIONS as readonly string[]).includes(step.action)) throw new RangeError(`challenge ${challenge.id}: step ${i} has unknown action ${String(step.action)}`);
    if (!(Number.isFinite(start) && Number.isFinite(end) && start >= 0 && start < end)) {
      throw new RangeError(`challenge ${challenge.id}: step ${i} has window [${start}, ${end}], expected 0 ≤ start < end seconds`);
    }
  }
}

/** Throws RangeError when the series is sampled more sparsely than CHALLENGE_MIN_FPS (the caller's mistake). */
function checkFrameRate(series: readonly MotionSample[]): void {
  if (series.length < 2) return;
  const intervals = series.slice(1).map((s, i) => s.timeSeconds - series[i]!.timeSeconds);
  if (intervals.some((d) => !(d > 0))) throw new RangeError('motion series: times must increase from frame to frame');
  // 2 % slack for the sampler's rounding (fps filter timestamps).
  if (median(intervals) > 1.02 / CHALLENGE_MIN_FPS) {
    throw new RangeError(`motion series sampled at ${(1 / median(intervals)).toFixed(1)} fps; the challenge needs ≥ ${CHALLENGE_MIN_FPS} fps (blinks)`);
  }
}

/**
 * Verifies `challenge` against the recording's motion series (frames in time order, ≥ CHALLENGE_MIN_FPS). Each step is
 * looked for among the face frames inside its window that come after the previous passed step's detection (the drawn
 * order); the challenge passes when every step does.
 */
export function verifyChallenge(series: readonly MotionSample[], challenge: Challenge): ChallengeResult {
  checkChallenge(challenge);
  checkFrameRate(series);
  const frames = faceFrames(series);
  const baseline = challengeBaseline(frames, Math.min(...challenge.steps.map((s) => s.windowSeconds[0])));
  let after = -Infinity;
  const steps = challenge.steps.map((step): ChallengeStepResult => {
    const [start, end] = step.windowSeconds;
    const { unit, min } = UNITS[step.action];
    const inWindow = frames.filter((f) => f.timeSeconds >= start && f.timeSeconds <= end && f.timeSeconds > after);
    let finding: StepFinding = { detectedAt: null, amplitude: null };
    if (baseline && inWindow.length > 0) {
      if (step.action === 'blink') finding = findBlinks(inWindow, baseline);
      else if (step.action === 'openMouth') finding = findOpenMouth(inWindow, baseline);
      else finding = findPose(inWindow, baseline, step.action);
    }
    if (finding.detectedAt !== null) after = finding.detectedAt;
    return {
      action: step.action,
      window_s: [start, end],
      detected_at_s: finding.detectedAt,
      amplitude: finding.amplitude,
      amplitude_unit: unit,
      min_amplitude: min,
      passed: finding.detectedAt !== null,
    };
  });
  return { id: challenge.id, passed: steps.every((s) => s.passed), steps };
}

/** A face frame of the recording and its distance to the recording's identity (face-api euclidean scale). */
export interface IdentityFrame {
  timeSeconds: number;
  distance: number;
}

/**
 * The same person in every window (issue #14): each step's window must hold at least one face frame within `sameBelow`
 * of the recording's identity (verifyVideo: the medoid of its frontal faces, the identity signal's reference). The
 * closest frame, not every frame: the recogniser's descriptors drift on a face turned 30–50° (face-api's recogniser is
 * trained on near-frontal faces), and every pose step ends back at the camera, so a window of the same person always
 * holds a near-frontal frame of them. A window performed by someone else (a spliced-in clip of another person) holds
 * none, and its step is not passed. Pure.
 */
export function checkWindowIdentity(result: ChallengeResult, faces: readonly IdentityFrame[], sameBelow: number): ChallengeResult {
  const steps = result.steps.map((step) => {
    const [start, end] = step.window_s;
    const inWindow = faces.filter((f) => f.timeSeconds >= start && f.timeSeconds < end);
    const closest = inWindow.length > 0 ? Math.min(...inWindow.map((f) => f.distance)) : Infinity;
    const samePerson = closest < sameBelow;
    return { ...step, same_person: samePerson, passed: step.passed && samePerson };
  });
  return { ...result, steps, passed: steps.every((step) => step.passed) };
}
