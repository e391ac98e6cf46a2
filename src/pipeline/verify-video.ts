/**
 * The verifyVideo use case: is the person in the video live, and the same person as in the selfie (and
 * the ID photo, when given)? Selfie and ID are described while the video is probed, checked and sampled (src/video/:
 * ffprobe and ffmpeg run as processes of their own; a bad image is still refused whatever the video) → the face of
 * every sampled frame is found as ffmpeg hands the frame over, by the detector cascade or followed from the frame
 * before (video-face-tracker.ts), and analysed once while the search goes on (landmarks, descriptor, passive liveness,
 * head pose, eye openness; sharpness for the best frame's candidates) →
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
import type { FrameStream, VideoFrame } from '../video/frames.js';
import type { VideoInfo } from '../video/probe.js';
import { openVideo, type VideoReader } from '../video/read-video.js';
import { CROPPED_FACE_JPEG_QUALITY } from './check-liveness.js';
import { FaceEmbedder, euclideanDistance } from './face-embedding.js';
import { LIVENESS_CALIBRATION } from './liveness-calibration.js';
import { LivenessEstimator } from './liveness.js';
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

/** The recording while ffmpeg decodes it: the passive frames as they come, and all of RecordingFrames at the end. */
interface DecodingRecording {
  passive: FrameStream;
  /** Settles once ffmpeg has ended and its temp files are gone: the whole recording, or VIDEO_INVALID. */
  done: Promise<RecordingFrames>;
  /** Stops the decode and waits until ffmpeg and the temp files are gone (a request that fails before the end). */
  stop(): Promise<void>;
}

interface FrameDetail extends FrameObservation {
  frontal?: boolean;
  /** Sharpness of the aligned crop (src/quality/blur.ts measureSharpness), measured for the frontal frames. */
  sharpness?: number;
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

/** Runs at most `limit` of the calls given to it at once; the others wait, and start in the order they were given. */
function limiter(limit: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (call) => {
    if (running < limit) running += 1;
    else await new Promise<void>((start) => waiting.push(start));
    try {
      return await call();
    } finally {
      // The slot goes to the next waiting call, if any.
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/** Builds the use case once per process (model wrappers from the registry). */
export function createVerifyVideo(registry: ModelRegistry, options: VerifyVideoOptions): VerifyVideo {
  const tracker = new VideoFaceTracker(registry, { minConfidence: VIDEO_DETECTION_MIN_CONFIDENCE });
  const embedder = new FaceEmbedder(registry);
  const liveness = new LivenessEstimator(registry);
  const iris = new IrisRunner(registry.get('human-iris').runner);
  const describer = new MatchFaceDescriber(registry);
  // Finding the face is sequential (each frame's search region is the previous frame's face); the per-face models
  // after it run beside the search, on frames in flight: with dynamic batching on, up to a batch of frames go through
  // them together (the batcher joins their runs); off, one frame at a time, since every run already uses all of ORT's
  // threads.
  const framesInFlight = registry.batching.maxBatch;

  /**
   * The per-face measurements of a frame whose face the tracker found. Sharpness (on the aligned crop, a rotated
   * resample) only for a frontal face: the best frame is the sharpest frontal one, and only a video without any
   * frontal face measures its other faces, when the best frame is chosen. Measured here, while the search goes on,
   * rather than all at the end (on the inference thread, the search's models run meanwhile).
   */
  async function observe(timeSeconds: number, face: TrackedFace): Promise<FrameDetail> {
    const { analysis, mesh, angles } = face;
    const verdict = await liveness.verdict(analysis);
    const eyes = await iris.run(analysis, mesh);
    const frontal = headTurnExcess(angles) < 0;
    return {
      timeSeconds,
      liveness: verdict.score,
      eyeOpenness: (eyeOpenness(eyes.left) + eyeOpenness(eyes.right)) / 2,
      yawDeg: angles.yaw,
      pitchDeg: angles.pitch,
      descriptor: await embedder.embed(analysis),
      frontal,
      ...(frontal ? { sharpness: measureSharpness(analysis.alignedFace.image) } : {}),
      analysis,
    };
  }

  const motion = new MotionSeriesMeasurer(registry);

  /**
   * Opens the recording for one decode: the passive analysis' frames, and with a challenge its 10 fps frames beside them.
   * Answers once the video is probed and checked, while ffmpeg decodes (src/video/read-video.ts openVideo). Throws
   * VIDEO_INVALID for a challenge recording too long to be read at CHALLENGE_MIN_FPS, before any frame is analysed.
   */
  async function openRecording(bytes: Uint8Array, challenge: Challenge | undefined): Promise<DecodingRecording> {
    const video = await openVideo(options.readVideo, bytes, challenge ? CHALLENGE_SAMPLING : undefined);
    const stop = async () => {
      video.cancel();
      await video.done.catch(() => {});
    };
    if (challenge && (!video.extra || video.extra.plan.fps < CHALLENGE_MIN_FPS)) {
      await stop();
      if (!video.extra) throw new AppError('INTERNAL', 'readVideo ignored the challenge sampling (extraSampling)');
      throw new AppError(
        'VIDEO_INVALID',
        `a challenge recording may last at most ${CHALLENGE_MAX_RECORDING_SECONDS} s (this one lasts ${video.info.durationSeconds.toFixed(1)} s): record the challenge's recording_seconds`,
      );
    }
    const done = video.done.then((read): RecordingFrames => ({
      info: read.info,
      fps: read.plan.fps,
      passive: read.frames,
      ...(challenge ? { challenge: read.extra!.frames } : {}),
    }));
    done.catch(() => {});
    return { passive: video.frames, done, stop };
  }

  /** The challenge's steps found (or not) in its frames (src/pipeline/challenge.ts). */
  async function checkChallenge(frames: readonly VideoFrame[], challenge: Challenge): Promise<ChallengeResult> {
    // The eyes only where the challenge reads them (its lead-in and blink windows): the iris model is most of the cost.
    const { series } = await motion.measure(frames, { eyesNeeded: eyesNeededFor(challenge) });
    return verifyChallenge(series, challenge);
  }

  return async function verifyVideo(input) {
    // ffprobe reads the video's header and packet list in a process of its own while this thread describes the selfie
    // and the ID, and ffmpeg starts decoding (ahead of what is read, bench/RESULTS.md "verifyVideo: decoding while
    // analysing"). A bad image is still the answer when the video is bad too, and is given only once the reader is
    // done (its ffmpeg ended, its temp files removed).
    const opening = openRecording(input.video, input.challenge);
    opening.catch(() => {}); // awaited below, on every path
    let selfie: Float32Array;
    let id: Float32Array | undefined;
    try {
      selfie = await describer.describeUpload(input.selfie, 'selfie', options.maxImagePixels);
      id = input.id ? await describer.describeUpload(input.id, 'id', options.maxImagePixels) : undefined;
    } catch (error) {
      await opening.then((decoding) => decoding.stop(), () => {});
      throw error;
    }
    const decoding = await opening;

    // The faces are searched frame by frame as ffmpeg hands the frames over, so the decode runs beside the search, and
    // the found faces are observed while the search goes on, a batch at a time (framesInFlight: one face at a time
    // with dynamic batching off, so that on the inference thread, INFERENCE_THREAD=worker, the models of one frame run
    // while this thread prepares the next frame's inputs; with it on, whole batches for the batcher to join). A video
    // that fails to decode is refused as when the search started after the decode: its VIDEO_INVALID comes before an
    // error of the search's or the observations' own (the decode is left to end, bounded by its timeout).
    const observations: Promise<FrameDetail>[] = [];
    const observing = limiter(framesInFlight);
    let found: { index: number; timeSeconds: number; face: TrackedFace }[] = [];
    const observeFound = () => {
      for (const { index, timeSeconds, face } of found) {
        observations[index] = observing(() => observe(timeSeconds, face));
        observations[index]!.catch(() => {}); // awaited below, on every path
      }
      found = [];
    };
    try {
      await tracker.locate(decoding.passive, (index, timeSeconds, face) => {
        if (!face) observations[index] = Promise.resolve({ timeSeconds });
        else if (found.push({ index, timeSeconds, face }) >= framesInFlight) observeFound();
      });
      observeFound();
      await Promise.allSettled(observations);
    } catch (error) {
      found = []; // not observed: the request has failed
      await Promise.allSettled(observations);
      await decoding.done;
      throw error;
    }
    const recording = await decoding.done;
    const frames = await Promise.all(observations);
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
    const sharpnessOf = (f: FrameDetail) => f.sharpness ?? sharpness.get(f) ?? sharpness.set(f, measureSharpness(f.analysis!.alignedFace.image)).get(f)!;
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
