/**
 * The challenge measurement (issue 14): a decoded recording → one MotionSample per frame (head yaw and pitch, eye
 * openness, mouth opening), at the frame rate the frames were sampled at (≥ 10 fps for blinks, src/pipeline/challenge.ts
 * CHALLENGE_MIN_FPS). verifyChallenge (challenge.ts) then decides, from the series alone, which steps were performed.
 *
 * Cost: at 10 fps a 10 s clip is 100 frames, and the detector cascade with its two landmark runs (pipeline/analyze.ts)
 * on every one would double the work. The face is therefore tracked the way Human tracks it between detector runs
 * (human src/face/facemesh.ts predict: the cached box is re-centred on the previous frame's mesh, the detector runs again
 * after `skipFrames` / `skipTime` or when FaceMesh's face score falls below `minConfidence`):
 *
 * - the full cascade (BlazeFace or the SSD, then the 68 landmarks) runs on the first frame, then once every
 *   DETECT_EVERY_SECONDS, and on any frame where the tracked crop lost the face (FaceMesh's score below
 *   TRACK_MIN_FACE_SCORE) or gave a pose that jumped by more than TRACK_MAX_JUMP_DEG since the frame before;
 * - on the frames between, FaceMesh runs on the crop placed from the previous frame's mesh (same size as at the last
 *   detection, centre moved with the mesh), and the iris model on the eyes that mesh places;
 * - a frame whose FaceMesh face score stays below TRACK_MIN_FACE_SCORE even after a fresh detection has no face, and
 *   after a frame without a face the detector waits NO_FACE_RETRY_SECONDS before it tries again.
 *
 * Angles (quality/head-turned.ts headAngles) and eye openness (quality/eyes-closed.ts eyeOpenness, mean of the two
 * eyes as verifyVideo's blink signal uses it) are the very functions the photo checks and verifyVideo use, on the same
 * crops: the tracked crop is placed as the detected one is (Human's crop around the 68 landmarks' extent, turned upright
 * by the face's roll: human-facemesh.ts FaceMeshRunner.run), only moved, and turned by the roll the previous frame's mesh
 * measured (meshRoll).
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { landmarkExtent, turnedLandmarkBox } from '../inference/human-face-crop.js';
import { FaceMeshRunner, meshPointsInImage, meshRoll, type FaceMesh } from '../inference/human-facemesh.js';
import { IrisRunner } from '../inference/human-iris.js';
import type { ModelRegistry } from '../inference/registry.js';
import { eyeOpenness } from '../quality/eyes-closed.js';
import { headAngles } from '../quality/head-turned.js';
import type { VideoFrame } from '../video/frames.js';
import { FaceAnalyzer } from './analyze.js';
import type { MotionSample } from './challenge.js';
import type { FaceAnalysis, Point } from './types.js';
import { DETECT_EVERY_SECONDS, headJumped, TRACK_MAX_JUMP_DEG, TRACK_MIN_FACE_SCORE, VIDEO_DETECTION_MIN_CONFIDENCE } from './face-tracking.js';

// The tracking rules verifyVideo's passive analysis shares (face-tracking.ts); exported here too, where they were first.
export { DETECT_EVERY_SECONDS, TRACK_MAX_JUMP_DEG, TRACK_MIN_FACE_SCORE };

/**
 * After a frame where the detector found no face, it runs again only this many seconds later (the frames between have no
 * face): a recording without a face would otherwise cost the SSD (≈ 33 ms on 2 cores, bench/RESULTS.md) on every frame,
 * more than the whole tracked measurement of a frame with a face (≈ 12 ms). 0.3 s is 3 frames at 10 fps: the face
 * lost on a recording's turns and looks comes back within a frame or two (real.mp4 12.6–12.7 s, looking far down).
 */
export const NO_FACE_RETRY_SECONDS = 0.3;

/** FaceMesh indices (MediaPipe canonical face mesh): inner lip centres, forehead top and chin. */
const MESH = { upperLipInner: 13, lowerLipInner: 14, foreheadTop: 10, chin: 152 } as const;

/**
 * Mouth opening: the gap between the inner lips at their centres (FaceMesh 13, 14) ÷ the face's height from forehead
 * top to chin (10, 152), ≥ 0 (≈ 0.01 closed). Human's "mouth N% open" gesture uses the same points
 * (human src/gesture/gesture.ts: 500 × |y₁₃ − y₁₄| ÷ |y₁₀ − y₁₅₂|, reported above 10 %, i.e. a ratio of 0.02); distances
 * instead of vertical offsets keep the ratio when the head is tilted.
 */
export function mouthOpenness(mesh: FaceMesh): number {
  const p = mesh.points;
  const distance = (a: number, b: number) => Math.hypot(p[a]![0] - p[b]![0], p[a]![1] - p[b]![1]);
  const height = distance(MESH.foreheadTop, MESH.chin);
  return height > 0 ? distance(MESH.upperLipInner, MESH.lowerLipInner) / height : 0;
}

/** Centre of the extent of a set of points (Human's findFaceCenter: the "absolute center" of the mesh, src/face/facemeshutil.ts). */
function extentCentre(points: readonly Point[]): Point {
  const box = landmarkExtent(points);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

export interface MotionMeasurementOptions {
  /** Seconds between two full detections while the track holds; default DETECT_EVERY_SECONDS. */
  detectEverySeconds?: number;
  /**
   * Called with every frame the full cascade analysed and FaceMesh confirmed, in time order, before the next frame is
   * measured: where a caller does its per-face work on the same analyses (a face descriptor for identity consistency).
   */
  onDetection?: (timeSeconds: number, analysis: FaceAnalysis) => Promise<void> | void;
  /**
   * Whether the frame at `timeSeconds` needs its eye openness; default every frame. The iris model is ≈ 60 % of the
   * measurement (bench/RESULTS.md "Decoding once; where the analysis' time goes"), and a challenge reads the eyes only
   * in its lead-in (the baseline) and its blink windows (challenge.ts eyesNeededFor): elsewhere it is skipped and the
   * sample has no eyeOpenness.
   */
  eyesNeeded?: (timeSeconds: number) => boolean;
}

export interface MotionMeasurement {
  /** One sample per frame given, in the frames' order. */
  series: MotionSample[];
  /** Frames on which the full detector cascade ran (the first, the scheduled re-detections and the lost tracks). */
  detectorFrames: number;
  /** Tracked frames measured again from the detector (FaceMesh score < TRACK_MIN_FACE_SCORE, or a jump > TRACK_MAX_JUMP_DEG). */
  trackLosses: number;
}

interface FaceOnBox {
  mesh: FaceMesh;
  sample: MotionSample;
  /** The mesh's points, image pixels. */
  points: Point[];
}

/** Built once per process (model wrappers from the registry); `measure` may run for several recordings at once. */
export class MotionSeriesMeasurer {
  private readonly analyzer: FaceAnalyzer;
  private readonly faceMesh: FaceMeshRunner;
  private readonly iris: IrisRunner;

  constructor(registry: ModelRegistry) {
    this.analyzer = new FaceAnalyzer(registry);
    this.faceMesh = new FaceMeshRunner(registry.get('human-facemesh').runner);
    this.iris = new IrisRunner(registry.get('human-iris').runner);
  }

  /**
   * FaceMesh and iris on the crop around `box` (the stand-in detector box); undefined when FaceMesh sees no face there,
   * or, given the previous frame's sample, when the head jumped (headJumped: checked before the iris model runs).
   */
  private async measureOnBox(timeSeconds: number, image: RgbImage, box: Box, angle: number, previous: MotionSample | undefined, eyes: boolean): Promise<FaceOnBox | undefined> {
    const mesh = await this.faceMesh.runOnBox(image, box, angle);
    if (!(mesh.faceScore >= TRACK_MIN_FACE_SCORE)) return undefined;
    const angles = headAngles(mesh);
    const pose = { timeSeconds, yawDeg: angles.yaw, pitchDeg: angles.pitch };
    if (previous && headJumped(previous, pose)) return undefined;
    const sample: MotionSample = { ...pose, mouthOpenness: mouthOpenness(mesh) };
    if (eyes) {
      const irises = await this.iris.runOnImage(image, mesh);
      sample.eyeOpenness = (eyeOpenness(irises.left) + eyeOpenness(irises.right)) / 2;
    }
    return { mesh, sample, points: meshPointsInImage(mesh) };
  }

  /** The cascade's primary face on `image`, or undefined when it finds none. */
  private async detect(image: RgbImage): Promise<FaceAnalysis | undefined> {
    try {
      return await this.analyzer.analyze(image, { minConfidence: VIDEO_DETECTION_MIN_CONFIDENCE });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return undefined;
      throw error;
    }
  }

  /** The series of `frames` (in time order); see the module comment for how the face is found on each. */
  async measure(frames: readonly VideoFrame[], options: MotionMeasurementOptions = {}): Promise<MotionMeasurement> {
    const detectEvery = options.detectEverySeconds ?? DETECT_EVERY_SECONDS;
    const series: MotionSample[] = [];
    let detectorFrames = 0;
    let trackLosses = 0;
    let lastDetection = -Infinity;
    let lastMiss = -Infinity;
    // The tracked crop: the stand-in detector box (in the face's own frame) and where its centre sits relative to the
    // mesh's centre (pixels), both as at the last detection, and the angle its crop is turned by (the roll of the
    // previous frame's mesh); the mesh moves and turns it between detections.
    let track: { box: Box; angle: number; offset: Point; meshCentre: Point } | undefined;
    let previous: MotionSample | undefined;

    for (const { timeSeconds, image } of frames) {
      const eyes = options.eyesNeeded?.(timeSeconds) ?? true;
      let found: FaceOnBox | undefined;
      let box: Box | undefined;
      if (track && timeSeconds - lastDetection < detectEvery - 1e-6) {
        const centre = { x: track.meshCentre.x + track.offset.x, y: track.meshCentre.y + track.offset.y };
        box = { x: centre.x - track.box.width / 2, y: centre.y - track.box.height / 2, width: track.box.width, height: track.box.height };
        found = await this.measureOnBox(timeSeconds, image, box, track.angle, previous, eyes);
        if (!found) trackLosses += 1;
      }
      let detectedNow = false;
      if (!found && (track || timeSeconds - lastMiss >= NO_FACE_RETRY_SECONDS - 1e-6)) {
        detectorFrames += 1;
        lastDetection = timeSeconds;
        const analysis = await this.detect(image);
        if (analysis) {
          const roll = analysis.roll;
          box = turnedLandmarkBox(analysis.landmarks68, roll);
          found = await this.measureOnBox(timeSeconds, image, box, roll, undefined, eyes);
          if (found) {
            detectedNow = true;
            await options.onDetection?.(timeSeconds, analysis);
          }
        }
        if (!found) lastMiss = timeSeconds;
      }
      if (!found || !box) {
        track = undefined;
        previous = undefined;
        series.push({ timeSeconds });
        continue;
      }
      const meshCentre = extentCentre(found.points);
      // The next tracked crop turns with the head: by the roll this frame's mesh measures.
      const angle = meshRoll(found.mesh);
      if (detectedNow || !track) {
        const boxCentre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
        track = { box, angle, offset: { x: boxCentre.x - meshCentre.x, y: boxCentre.y - meshCentre.y }, meshCentre };
      } else {
        track = { ...track, angle, meshCentre };
      }
      series.push(found.sample);
      previous = found.sample;
    }
    return { series, detectorFrames, trackLosses };
  }
}
