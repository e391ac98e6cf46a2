/**
 * The verifyVideo use case: is the person in the video live, and the same person as in the selfie (and
 * the ID photo, when given)? Selfie and ID are described while the video is probed, checked and sampled (src/video/:
 * ffprobe and ffmpeg run as processes of their own; a bad image is still refused whatever the video) → the face of
 * every sampled frame is found, by the detector cascade or followed from the frame before (video-face-tracker.ts), and
 * analysed once (landmarks, descriptor, passive liveness, head pose, eye openness; sharpness for the best frame) →
 * the series become temporal signals (video-signals.ts) → scores. With an active liveness challenge, the same decode
 * also samples the recording at CHALLENGE_MIN_FPS for the challenge's motion series (motion-series.ts). Knows nothing
 * of HTTP.
 */
import { AppError } from '../errors.js';
import { type Challenge, CHALLENGE_MIN_FPS, type ChallengeResult, checkWindowIdentity, eyesNeededFor, verifyChallenge } from './challenge.js';
import { MotionSeriesMeasurer } from './motion-series.js';
import { fingerprintRecording, type RecordingFingerprint } from './recording-fingerprint.js';
import { encodeJpeg } from '../imaging/decode.js';
import type { ModelRegistry } from '../inference/registry.js';
import { measureSharpness } from '../quality/blur.js';
import { eyeOpenness } from '../quality/eyes-closed.js';
import { IrisRunner } from '../inference/human-iris.js';
import { headTurnExcess } from '../quality/head-turned.js';
import type { VideoFrame } from '../video/frames.js';
import type { VideoInfo } from '../video/probe.js';
import type { VideoReader } from '../video/read-video.js';
import { CROPPED_FACE_JPEG_QUALITY } from './check-liveness.js';
import { FaceEmbedder, euclideanDistance } from './face-embedding.js';
import { LIVENESS_CALIBRATION } from './liveness-calibration.js';
import { LivenessEstimator } from './liveness.js';
import { mapLimited } from './map-limited.js';
import type { AngleSample } from './nod.js';
import { MATCH_DISTANCE_THRESHOLD, MatchFaceDescriber, matchScore } from './match-face.js';
import type { FaceAnalysis } from './types.js';
import { type TrackedFace, VideoFaceTracker } from './video-face-tracker.js';
import { VIDEO_DETECTION_MIN_CONFIDENCE } from './face-tracking.js';
import {
  blinkSignal,
  combineLiveness,
  headMotionSignal,
  identitySignal,
  passiveSignal,
  type FrameObservation,
  type VideoLivenessSignals,
} from './video-signals.js';

export interface VideoMatch {
  /** 0–100 (matchFace's scale: 50 at the same-person threshold), from the median frame distance. */
  score: number;
  /** Median descriptor distance of the video's face frames to the image (face-api euclidean scale). */
  distance: number;
}

export interface VideoVerification {
  /** Seconds, from the container. */
  durationSeconds: number;
  /** Frames sampled from the video and frames among them with a face. */
  framesSampled: number;
  framesWithFace: number;
  /** Video vs selfie. */
  faceMatch: VideoMatch;
  /** Video vs ID photo, when one was given. */
  idMatch?: VideoMatch;
  /** 0–100, see combineLiveness. */
  livenessScore: number;
  signals: VideoLivenessSignals;
  /** Head pitch of every frame with a face, degrees over seconds (src/quality/head-turned.ts): kept for nod checks (src/pipeline/nod.ts). */
  pitchSeries?: AngleSample[];
  /** Sharpest frontal frame: its time and the aligned face crop (JPEG). */
  bestFrame: { timeSeconds: number; jpeg: Uint8Array };
  /** The active liveness challenge's answer (issue #14), when the input had one; a failed one sets livenessScore to 0. */
  challenge?: ChallengeResult;
  /** The recording's perceptual fingerprint (replayed recordings, recording-fingerprint.ts), when the input asked for it. */
  fingerprint?: RecordingFingerprint;
}

export interface VerifyVideoInput {
  video: Uint8Array;
  selfie: Uint8Array;
  id?: Uint8Array;
  /**
   * The active liveness challenge this recording answers (issue #14), already consumed by the caller: its steps, in
   * order, each to be found inside its window (seconds from the start of the recording). Absent = no challenge was
   * issued; the video is judged by the passive and temporal signals alone.
   */
  challenge?: Challenge;
  /**
   * Also answer the recording's perceptual fingerprint, from the frames the passive analysis decoded (≈ 1.2 ms a frame:
   * bench/RESULTS.md "replayed recordings"): self-record sessions keep it to find replayed recordings.
   */
  fingerprint?: boolean;
}

/** Throws AppError VIDEO_INVALID (the video), UNSUPPORTED_FILE_TYPE / IMAGE_TOO_LARGE (an image), NO_FACE_DETECTED. */
export type VerifyVideo = (input: VerifyVideoInput) => Promise<VideoVerification>;

export interface VerifyVideoOptions {
  /** Largest accepted selfie / ID image, width × height pixels. */
  maxImagePixels: number;
  /**
   * Reads the video with the passive analysis' sampling (VIDEO_SAMPLE_FPS, VIDEO_MAX_FRAMES, VIDEO_FRAME_MAX_SIDE); for
   * an active liveness challenge it is asked for CHALLENGE_SAMPLING too, from the same decode.
   */
  readVideo: VideoReader;
}

/**
 * Longest recording a challenge is verified on, seconds: the longest challenge the issuer draws is 15 s
 * (src/sessions/challenge-draw.ts: 4 steps), plus 5 s for a recorder stopped late. Longer clips cannot be read at
 * CHALLENGE_MIN_FPS within the frame budget (0.7 MB a frame at 640 px) and are refused.
 */
export const CHALLENGE_MAX_RECORDING_SECONDS = 20;

/**
 * The challenge's sampling, read beside the passive analysis' from the same decode (readVideo's extraSampling; the
 * frame size is the reader's): CHALLENGE_MIN_FPS for blinks, over at most CHALLENGE_MAX_RECORDING_SECONDS.
 */
export const CHALLENGE_SAMPLING = Object.freeze({ fps: CHALLENGE_MIN_FPS, maxFrames: CHALLENGE_MAX_RECORDING_SECONDS * CHALLENGE_MIN_FPS });

/** The frames verifyVideo analyses, from one decode of the recording. */
export interface RecordingFrames {
  info: VideoInfo;
  /** The passive frames' rate, frames per second (frame i at i ÷ fps seconds). */
  fps: number;
  /**
   * The frames of the passive analysis (readVideo's own sampling): every per-frame signal, the matches and the best
   * frame are computed from these, and they are the same frames whether or not a challenge came with the recording.
   */
  passive: VideoFrame[];
  /** The challenge's frames (CHALLENGE_SAMPLING), when the input has a challenge. */
  challenge?: VideoFrame[];
}

interface FrameDetail extends FrameObservation {
  frontal?: boolean;
  /** The frame's face analysis (its aligned crop is the best frame's candidate). */
  analysis?: FaceAnalysis;
}

/** Defined with the other video tracking rules (face-tracking.ts), which the challenge's motion series shares. */
export { VIDEO_DETECTION_MIN_CONFIDENCE };
/** Frontal frames needed before identity and match use only frontal frames. */
export const MIN_FRONTAL_FRAMES = 3;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Builds the use case once per process (model wrappers from the registry). */
export function createVerifyVideo(registry: ModelRegistry, options: VerifyVideoOptions): VerifyVideo {
  const tracker = new VideoFaceTracker(registry, { minConfidence: VIDEO_DETECTION_MIN_CONFIDENCE });
  const embedder = new FaceEmbedder(registry);
  const liveness = new LivenessEstimator(registry);
  const iris = new IrisRunner(registry.get('human-iris').runner);
  const describer = new MatchFaceDescriber(registry);
  // Finding the face is sequential (each frame's search region is the previous frame's face); the per-face models
  // after it take frames in flight: with dynamic batching on, up to a batch of frames go through them together (the
  // batcher joins their runs); off, frames go one after the other, since every run already uses all of ORT's threads.
  const framesInFlight = registry.batching.maxBatch;

  /**
   * The per-face measurements of a frame whose face the tracker found. Sharpness (on the aligned crop, a rotated
   * resample) is left to the best-frame choice, which reads it for its candidates only.
   */
  async function observe(timeSeconds: number, face: TrackedFace): Promise<FrameDetail> {
    const { analysis, mesh, angles } = face;
    const verdict = await liveness.verdict(analysis);
    const eyes = await iris.run(analysis, mesh);
    return {
      timeSeconds,
      liveness: verdict.score,
      eyeOpenness: (eyeOpenness(eyes.left) + eyeOpenness(eyes.right)) / 2,
      yawDeg: angles.yaw,
      pitchDeg: angles.pitch,
      descriptor: await embedder.embed(analysis),
      frontal: headTurnExcess(angles) < 0,
      analysis,
    };
  }

  const motion = new MotionSeriesMeasurer(registry);

  /**
   * Decodes the recording once: the passive analysis' frames, and with a challenge its 10 fps frames beside them. Throws
   * VIDEO_INVALID for a challenge recording too long to be read at CHALLENGE_MIN_FPS, before any frame is analysed.
   */
  async function readRecording(bytes: Uint8Array, challenge: Challenge | undefined): Promise<RecordingFrames> {
    const video = await options.readVideo(bytes, challenge ? CHALLENGE_SAMPLING : undefined);
    if (!challenge) return { info: video.info, fps: video.plan.fps, passive: video.frames };
    if (!video.extra) throw new AppError('INTERNAL', 'readVideo ignored the challenge sampling (extraSampling)');
    if (video.extra.plan.fps < CHALLENGE_MIN_FPS) {
      throw new AppError(
        'VIDEO_INVALID',
        `a challenge recording may last at most ${CHALLENGE_MAX_RECORDING_SECONDS} s (this one lasts ${video.info.durationSeconds.toFixed(1)} s): record the challenge's recording_seconds`,
      );
    }
    return { info: video.info, fps: video.plan.fps, passive: video.frames, challenge: video.extra.frames };
  }

  /** The challenge's steps found (or not) in its frames (src/pipeline/challenge.ts). */
  async function checkChallenge(frames: readonly VideoFrame[], challenge: Challenge): Promise<ChallengeResult> {
    // The eyes only where the challenge reads them (its lead-in and blink windows): the iris model is most of the cost.
    const { series } = await motion.measure(frames, { eyesNeeded: eyesNeededFor(challenge) });
    return verifyChallenge(series, challenge);
  }

  return async function verifyVideo(input) {
    // ffprobe probes and scans the video in processes of its own while this thread describes the selfie and the ID
    // (ffmpeg starts too, but waits once its pipe, less than one frame, is full: bench/RESULTS.md "verifyVideo: following
    // the face"). A bad image is still the answer when the video is bad too, and is given only once the reader is done
    // (its ffmpeg ended, its temp files removed).
    const reading = readRecording(input.video, input.challenge);
    reading.catch(() => {}); // awaited below, on every path
    let selfie: Float32Array;
    let id: Float32Array | undefined;
    try {
      selfie = await describer.describeUpload(input.selfie, 'selfie', options.maxImagePixels);
      id = input.id ? await describer.describeUpload(input.id, 'id', options.maxImagePixels) : undefined;
    } catch (error) {
      await reading.catch(() => {});
      throw error;
    }
    const recording = await reading;

    const located = await tracker.locate(recording.passive);
    const frames = await mapLimited(recording.passive, framesInFlight, async ({ timeSeconds }, i): Promise<FrameDetail> => {
      const face = located.faces[i];
      return face ? observe(timeSeconds, face) : { timeSeconds };
    });
    const withFace = frames.filter((f) => f.descriptor !== undefined);
    if (withFace.length === 0) throw new AppError('NO_FACE_DETECTED', `no face detected in any of the ${frames.length} frames sampled from the video`);

    // Descriptors of profile faces drift (face-api's recogniser is trained on near-frontal faces): identity and
    // match use the frontal frames when there are at least three, else every face frame.
    const frontal = withFace.filter((f) => f.frontal);
    const identityFrames = frontal.length >= MIN_FRONTAL_FRAMES ? frontal : withFace;
    const descriptors = identityFrames.map((f) => f.descriptor!);
    const threshold = (liveness.usesMinifasnet ? LIVENESS_CALIBRATION.withMinifasnet : LIVENESS_CALIBRATION.embedded).threshold;
    const pitchSeries = withFace.map((f) => ({ timeSeconds: f.timeSeconds, angleDeg: f.pitchDeg! }));
    const signals: VideoLivenessSignals = {
      passive: passiveSignal(withFace.map((f) => f.liveness!), threshold),
      blinks: blinkSignal(withFace.map((f) => f.eyeOpenness!)),
      headMotion: headMotionSignal(
        withFace.map((f) => ({ timeSeconds: f.timeSeconds, angleDeg: f.yawDeg! })),
        pitchSeries,
      ),
      identity: identitySignal(descriptors, MATCH_DISTANCE_THRESHOLD, euclideanDistance),
      facePresence: withFace.length / frames.length,
    };
    const match = (reference: Float32Array): VideoMatch => {
      const distance = median(descriptors.map((d) => euclideanDistance(d, reference)));
      return { score: matchScore(distance), distance };
    };
    // Best frame: the sharpest frontal face; the sharpest of all when no frame is frontal.
    const candidates = frontal.length > 0 ? frontal : withFace;
    const sharpness = new Map<FrameDetail, number>();
    const sharpnessOf = (f: FrameDetail) => sharpness.get(f) ?? sharpness.set(f, measureSharpness(f.analysis!.alignedFace.image)).get(f)!;
    const best = candidates.reduce((a, b) => (sharpnessOf(b) > sharpnessOf(a) ? b : a));
    // The challenge's steps, each also by the recording's own person (issue #14: the same person in every window): the
    // identity signal's medoid is the reference, every face frame (turned ones too) a candidate.
    const performed = input.challenge && recording.challenge ? await checkChallenge(recording.challenge, input.challenge) : undefined;
    const identity = descriptors[signals.identity.medoid]!;
    const challenge = performed
      ? checkWindowIdentity(performed, withFace.map((f) => ({ timeSeconds: f.timeSeconds, distance: euclideanDistance(f.descriptor!, identity) })), MATCH_DISTANCE_THRESHOLD)
      : undefined;
    // A challenge not performed is no live answer, whatever the passive signals say (issue #14): the rules file's
    // verifyVideo.challengeFailed then decides (pipeline/decision.ts).
    const livenessScore = challenge && !challenge.passed ? 0 : combineLiveness(signals);
    return {
      durationSeconds: recording.info.durationSeconds,
      framesSampled: frames.length,
      framesWithFace: withFace.length,
      faceMatch: match(selfie),
      ...(id ? { idMatch: match(id) } : {}),
      livenessScore,
      signals,
      pitchSeries,
      bestFrame: { timeSeconds: best.timeSeconds, jpeg: await encodeJpeg(best.analysis!.alignedFace.image, CROPPED_FACE_JPEG_QUALITY) },
      ...(challenge ? { challenge } : {}),
      ...(input.fingerprint ? { fingerprint: fingerprintRecording(recording.passive, recording.fps) } : {}),
    };
  };
}
