/**
 * The verifyVideo use case: is the person in the video live, and the same person as in the selfie (and
 * the ID photo, when given)? Selfie and ID are described first (cheap, and a bad image is refused before
 * any video decoding) → the video is probed, checked and sampled (src/video/) → every sampled frame is
 * analysed once (face, landmarks, descriptor, passive liveness, head pose, eye openness, sharpness) →
 * the series become temporal signals (video-signals.ts) → scores. With an active liveness challenge, the same decode
 * also samples the recording at CHALLENGE_MIN_FPS for the challenge's motion series (motion-series.ts). Knows nothing
 * of HTTP.
 */
import { AppError } from '../errors.js';
import { type Challenge, CHALLENGE_MIN_FPS, type ChallengeResult, checkWindowIdentity, eyesNeededFor, verifyChallenge } from './challenge.js';
import { MotionSeriesMeasurer } from './motion-series.js';
import { fingerprintRecording, type RecordingFingerprint } from './recording-fingerprint.js';
import { encodeJpeg } from '../imaging/decode.js';
import type { RgbImage } from '../imaging/image.js';
import type { ModelRegistry } from '../inference/registry.js';
import { measureSharpness } from '../quality/blur.js';
import { eyeOpenness } from '../quality/eyes-closed.js';
import { FaceMeshRunner } from '../inference/human-facemesh.js';
import { IrisRunner } from '../inference/human-iris.js';
import { headAngles, headTurnExcess } from '../quality/head-turned.js';
import type { VideoFrame } from '../video/frames.js';
import type { VideoInfo } from '../video/probe.js';
import type { VideoReader } from '../video/read-video.js';
import { FaceAnalyzer } from './analyze.js';
import { CROPPED_FACE_JPEG_QUALITY } from './check-liveness.js';
import { FaceEmbedder, euclideanDistance } from './face-embedding.js';
import { LIVENESS_CALIBRATION } from './liveness-calibration.js';
import { LivenessEstimator } from './liveness.js';
import { mapLimited } from './map-limited.js';
import type { AngleSample } from './nod.js';
import { MATCH_DISTANCE_THRESHOLD, MatchFaceDescriber, matchScore } from './match-face.js';
import type { FaceAnalysis } from './types.js';
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
  sharpness?: number;
  frontal?: boolean;
  alignedFace?: RgbImage;
}

/**
 * SSD confidence for a face in a video frame, 0–1: lower than the photo APIs' 0.5 because frames are
 * motion-blurred and, for a replayed video, screen-blurred: at 0.5 the detector misses 86 % of the replay
 * frames of videos/liveness_tranvanluyt/fake.mp4 (bench/RESULTS.md "Liveness calibration"), so the clip would
 * be judged on its few sharpest frames. At 0.2 it finds 21 of 40 sampled frames there, and 39 of 40 of
 * real.mp4; every detection still has to yield landmarks, and the primary face is the largest.
 */
export const VIDEO_DETECTION_MIN_CONFIDENCE = 0.2;
/** Frontal frames needed before identity and match use only frontal frames. */
export const MIN_FRONTAL_FRAMES = 3;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Builds the use case once per process (model wrappers from the registry). */
export function createVerifyVideo(registry: ModelRegistry, options: VerifyVideoOptions): VerifyVideo {
  const analyzer = new FaceAnalyzer(registry);
  const embedder = new FaceEmbedder(registry);
  const liveness = new LivenessEstimator(registry);
  const faceMesh = new FaceMeshRunner(registry.get('human-facemesh').runner);
  const iris = new IrisRunner(registry.get('human-iris').runner);
  const describer = new MatchFaceDescriber(registry);
  // With dynamic batching on, up to a batch of frames go through the models together (the batcher joins their
  // runs); off, frames go one after the other, since every run already uses all of ORT's threads.
  const framesInFlight = registry.batching.maxBatch;

  async function observe(timeSeconds: number, image: RgbImage): Promise<FrameDetail> {
    let analysis: FaceAnalysis;
    try {
      analysis = await analyzer.analyze(image, { minConfidence: VIDEO_DETECTION_MIN_CONFIDENCE });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return { timeSeconds };
      throw error;
    }
    const verdict = await liveness.verdict(analysis);
    const mesh = await faceMesh.run(analysis);
    const eyes = await iris.run(analysis, mesh);
    const angles = headAngles(mesh);
    return {
      timeSeconds,
      liveness: verdict.score,
      eyeOpenness: (eyeOpenness(eyes.left) + eyeOpenness(eyes.right)) / 2,
      yawDeg: angles.yaw,
      pitchDeg: angles.pitch,
      descriptor: await embedder.embed(analysis),
      sharpness: measureSharpness(analysis.alignedFace.image),
      frontal: headTurnExcess(angles) < 0,
      alignedFace: analysis.alignedFace.image,
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
    const selfie = await describer.describeUpload(input.selfie, 'selfie', options.maxImagePixels);
    const id = input.id ? await describer.describeUpload(input.id, 'id', options.maxImagePixels) : undefined;
    const recording = await readRecording(input.video, input.challenge);

    const frames = await mapLimited(recording.passive, framesInFlight, (frame) => observe(frame.timeSeconds, frame.image));
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
    const best = candidates.reduce((a, b) => (b.sharpness! > a.sharpness! ? b : a));
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
      bestFrame: { timeSeconds: best.timeSeconds, jpeg: await encodeJpeg(best.alignedFace!, CROPPED_FACE_JPEG_QUALITY) },
      ...(challenge ? { challenge } : {}),
      ...(input.fingerprint ? { fingerprint: fingerprintRecording(recording.passive, recording.fps) } : {}),
    };
  };
}
