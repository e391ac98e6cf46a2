/**
 * verifyVideo's passive analysis finds the face of each sampled frame (≤ 4 fps) with the detector cascade
 * (pipeline/analyze.ts), but does not run the cascade's SSD on every frame that BlazeFace cannot answer alone: while the
 * SSD's last face is recent, it follows that face instead, by the rules the challenge's motion series follows its face
 * by (face-tracking.ts, after Human's facemesh predict):
 *
 * - BlazeFace runs on every frame; where its rules let it answer alone (blazeFaceVerdict), the frame is answered as the
 *   cascade answers it, and the track starts again from that face;
 * - where they send the frame to the SSD and the SSD found the face less than DETECT_EVERY_SECONDS ago, the SSD's box
 *   is moved with the face instead (its size kept, as motion-series.ts keeps its crop's): the 68 landmarks found in the
 *   previous frame's box say where the face went, and the landmarks from the moved box are the frame's (the landmark box
 *   of one frame is the next frame's search region). FaceMesh, which verifyVideo runs on every face for pose and eyes
 *   anyway, checks the result: a face score below TRACK_MIN_FACE_SCORE (the box lost the face) or a yaw or pitch more
 *   than TRACK_MAX_JUMP_DEG from the previous frame's (the box slid off it) sends the frame to the whole cascade;
 * - every other frame (the first, those after a frame without a face, the scheduled re-detections) gets the whole
 *   cascade, as before; with the YuNet pack installed, YuNet runs before the SSD there (analyze.ts
 *   VIDEO_SECOND_STAGE_MIN_SCORE). YuNet's faces are not followed: a follow (two landmark runs and FaceMesh) saves
 *   only YuNet's ≈ 11 ms where it holds, and on the Hamilton clip 14 of 20 follows of YuNet's faces failed (the
 *   audience and profile faces BlazeFace declines), each then paying for the cascade too; the clip took ≈ 0.15 s
 *   longer than without following (bench/RESULTS.md "verifyVideo: YuNet before the SSD").
 *
 * Why: the SSD (≈ 33 ms a frame on 2 cores, bench/RESULTS.md) ran on 23 of the Hamilton clip's 40 frames (small faces
 * and groups that BlazeFace's rules hand to it), the largest single cost of a 10 s clip; it now runs on 13
 * (bench/RESULTS.md "verifyVideo: following the face"). Following a face costs two landmark runs (≈ 1.2 ms each, issue
 * #17's measurement). Only an SSD face is followed: where BlazeFace answered the frame before and cannot answer this
 * one, the scene changed (a face entered, shrank or turned away), and the cascade decides again which face is the
 * largest. A frame the cascade answers is answered exactly as before, so the detector's frames keep their results.
 */
import { AppError } from '../errors.js';
import { type Box, clampBox } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { landmarkExtent } from '../inference/human-face-crop.js';
import { FaceMeshRunner, type FaceMesh } from '../inference/human-facemesh.js';
import type { ModelRegistry } from '../inference/registry.js';
import { type HeadAngles, headAngles } from '../quality/head-turned.js';
import type { FrameStream } from '../video/frames.js';
import { FaceAnalyzer } from './analyze.js';
import { DETECT_EVERY_SECONDS, headJumped, TRACK_MIN_FACE_SCORE } from './face-tracking.js';
import type { FaceAnalysis, FaceDetector, Point } from './types.js';

/** A frame's face: its analysis, its FaceMesh (the crop around the 68 landmarks' extent) and the head angles from it. */
export interface TrackedFace {
  analysis: FaceAnalysis;
  mesh: FaceMesh;
  angles: HeadAngles;
  /**
   * `detector`: the cascade found it on this frame (BlazeFace alone, or the SSD); `tracked`: the SSD's face followed from
   * the frame before (FaceAnalyzer.analyzeAt on the moved box).
   */
  source: 'detector' | 'tracked';
}

export interface FrameFaces {
  /** One entry per frame given, in the frames' order; undefined = no face on that frame. */
  faces: (TrackedFace | undefined)[];
  /**
   * Frames the whole cascade answered (BlazeFace, then the SSD where its rules say): the first, those after a frame
   * without a face, the scheduled re-detections and the lost tracks. The others ran BlazeFace, and where it could not
   * answer alone were followed instead of going to the SSD.
   */
  cascadeFrames: number;
  /** Frames whose face was followed from the frame before (analyzeAt) instead of the SSD's. */
  followedFrames: number;
  /** Frames where following failed and the cascade ran (FaceMesh score < TRACK_MIN_FACE_SCORE, or a jump > TRACK_MAX_JUMP_DEG). */
  trackLosses: number;
}

export interface VideoFaceTrackerOptions {
  /** Detector confidence (0–1) for the cascade's SSD on a video frame: verify-video.ts VIDEO_DETECTION_MIN_CONFIDENCE. */
  minConfidence: number;
  /**
   * Seconds after an SSD detection during which its face is followed where BlazeFace cannot answer alone; default
   * DETECT_EVERY_SECONDS. 0 = never followed: the whole cascade on every frame, as verifyVideo ran it before.
   */
  detectEverySeconds?: number;
  /**
   * Where BlazeFace cannot answer alone, YuNet before the SSD (where its pack is installed; analyze.ts
   * VIDEO_SECOND_STAGE_MIN_SCORE). Default true; false: the SSD, as verifyVideo searched before (the tests'
   * comparison).
   */
  yunetBeforeSsd?: boolean;
}

const pose = (angles: HeadAngles) => ({ yawDeg: angles.yaw, pitchDeg: angles.pitch });

/** Built once per process (model wrappers from the registry); `locate` may run for several videos at once. */
export class VideoFaceTracker {
  private readonly analyzer: FaceAnalyzer;
  private readonly faceMesh: FaceMeshRunner;

  constructor(registry: ModelRegistry, private readonly options: VideoFaceTrackerOptions) {
    this.analyzer = new FaceAnalyzer(registry);
    this.faceMesh = new FaceMeshRunner(registry.get('human-facemesh').runner);
  }

  /** `analysis` with its FaceMesh and head angles. */
  private async withMesh(analysis: FaceAnalysis, source: TrackedFace['source']): Promise<TrackedFace> {
    const mesh = await this.faceMesh.run(analysis);
    return { analysis, mesh, angles: headAngles(mesh), source };
  }

  /** The cascade's primary face on `image` with its mesh, or undefined when the cascade finds none. */
  private async detect(image: RgbImage): Promise<TrackedFace | undefined> {
    let analysis: FaceAnalysis;
    try {
      analysis = await this.analyzer.analyze(image, { minConfidence: this.options.minConfidence, yunetBeforeSsd: this.options.yunetBeforeSsd ?? true });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return undefined;
      throw error;
    }
    return this.withMesh(analysis, 'detector');
  }

  /**
   * The face of each of `frames` (in time order); see the module comment. Frames still being decoded are taken as they
   * arrive (src/video/frames.ts FrameStream), so the search runs while ffmpeg decodes the rest; a decode that fails
   * throws its VIDEO_INVALID from here. `onFace` hears each frame's face (undefined: none) as soon as it is known, so
   * that the caller's per-face work can start before the search has ended.
   */
  async locate(frames: FrameStream, onFace?: (index: number, timeSeconds: number, face: TrackedFace | undefined) => void): Promise<FrameFaces> {
    const detectEvery = this.options.detectEverySeconds ?? DETECT_EVERY_SECONDS;
    const faces: (TrackedFace | undefined)[] = [];
    let cascadeFrames = 0;
    let followedFrames = 0;
    let trackLosses = 0;
    let track: Track | undefined;

    for await (const { timeSeconds, image } of frames) {
      let face: TrackedFace | undefined;
      // 1 µs: the fps filter's frame times are index ÷ fps, so a whole period may land a rounding error short of it.
      if (track && track.found.detector === 'ssd' && timeSeconds - track.detectedAt < detectEvery - 1e-6) {
        const alone = await this.analyzer.analyzeWithoutSsd(image);
        if (alone) face = await this.withMesh(alone, 'detector');
        else {
          face = await this.follow(image, track);
          if (face) followedFrames += 1;
          else trackLosses += 1;
        }
      }
      if (!face) {
        cascadeFrames += 1;
        face = await this.detect(image);
      }
      faces.push(face);
      onFace?.(faces.length - 1, timeSeconds, face);
      if (!face) track = undefined;
      else if (face.source === 'detector') track = startTrack(face, timeSeconds);
      else track = { ...track!, previous: face };
    }
    return { faces, cascadeFrames, followedFrames, trackLosses };
  }

  /**
   * The tracked face on `image`, or undefined when the track lost it: the landmarks in the previous frame's box say where
   * the face went; the detection's box, moved there, is this frame's box and gives the landmarks (analyzeAt), as the
   * detector's box did on the detection's frame.
   */
  private async follow(image: RgbImage, track: Track): Promise<TrackedFace | undefined> {
    const previousBox = track.previous.analysis.primary.box;
    const moved = await this.analyzer.analyzeAt(image, previousBox, track.found);
    const centre = extentCentre(moved.landmarks68);
    const { width, height } = track.found.box;
    const box = { x: centre.x + track.offset.x - width / 2, y: centre.y + track.offset.y - height / 2, width, height };
    // A face leaving the picture moves the box off it: no pixel of it left to read landmarks from, so the track is lost.
    const inside = clampBox(box, image.width, image.height);
    if (inside.width < 1 || inside.height < 1) return undefined;
    const analysis = await this.analyzer.analyzeAt(image, box, track.found);
    const mesh = await this.faceMesh.run(analysis);
    const angles = headAngles(mesh);
    if (!(mesh.faceScore >= TRACK_MIN_FACE_SCORE) || headJumped(pose(track.previous.angles), pose(angles))) return undefined;
    return { analysis, mesh, angles, source: 'tracked' };
  }
}

/**
 * A face followed from frame to frame: the detection it started from (its detector, score and box), where that box's
 * centre sat relative to the centre of its landmarks' extent (pixels), when it ran (seconds) and the last frame's face.
 */
interface Track {
  found: { detector: FaceDetector; score: number; box: Box };
  offset: Point;
  detectedAt: number;
  previous: TrackedFace;
}

function startTrack(face: TrackedFace, timeSeconds: number): Track {
  const { box, score } = face.analysis.primary;
  const centre = extentCentre(face.analysis.landmarks68);
  return {
    found: { detector: face.analysis.detector, score, box },
    offset: { x: box.x + box.width / 2 - centre.x, y: box.y + box.height / 2 - centre.y },
    detectedAt: timeSeconds,
    previous: face,
  };
}

/** Centre of the extent of a set of points (as motion-series.ts places its crop: Human's findFaceCenter). */
function extentCentre(points: readonly Point[]): Point {
  const box = landmarkExtent(points);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}
