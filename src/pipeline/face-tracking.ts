/**
 * Following one face from frame to frame of a decoded video, the way Human follows it between detector runs (human
 * src/face/facemesh.ts predict: the face found on one frame places the next frame's crop; the detector runs again after
 * `skipFrames` / `skipTime`, or when FaceMesh's face score says the crop lost the face). The rules shared by the two
 * trackers: the challenge's motion series (motion-series.ts, FaceMesh on a crop moved with the previous mesh, 10 fps)
 * and verifyVideo's passive analysis (video-face-tracker.ts, ≤ 4 fps: the SSD's box moved with the 68 landmarks, where
 * BlazeFace cannot answer a frame alone).
 */

/**
 * Seconds between two runs of the full detector while the track holds. Human re-detects after 2.5 s
 * (config.face.detector.skipTime 2500 ms); 1 s keeps the crop's size in step with a face that moves towards or away
 * from the camera (the tracked crop keeps the size of the last detection) and costs ≈ 10 cascade runs per 10 s clip
 * (`npm run bench -- challenge` reports detector frames and the time). Fewer is not cheaper enough to matter: every 2 s
 * halved the detector frames of the 10 s clips (10 → 5, 13 → 7) and left the measurement's time within noise (1391 vs
 * 1410 ms, 1595 vs 1580 ms, 7 alternating runs; FaceMesh and the iris model on every frame are ≈ 80 % of it), and
 * every 3 s let real.mp4's turn right pass as a look up too (bench/RESULTS.md "active liveness challenge, the verifier").
 * verifyVideo's passive analysis follows an SSD face for as long (4 frames at its 4 fps): in a group (the Hamilton clip at
 * 7.8–9.8 s, 4–5 faces) the SSD's largest face changes from one person to another within a second or two, and with 2 s
 * the follow kept a face in profile (yaw 52°) at 9.8 s where the SSD's largest face is frontal (yaw 9°), and followed 12
 * frames instead of 10 (bench/RESULTS.md "verifyVideo: following the face").
 */
export const DETECT_EVERY_SECONDS = 1;

/**
 * FaceMesh face-presence score (0–1) below which the tracked crop has lost the face: Human's own floor for a mesh to
 * count (config.face.detector.minConfidence 0.2, applied to the mesh's faceScore in src/face/facemesh.ts predict).
 * Measured on the dev clips with the full cascade on every frame (15 fps): faces FaceMesh fits score 0.93–1.00, down
 * to 0.24–0.3 for a head bowed far down (tranvanluyt real.mp4 at 12.3 s) or a profile (short_hamilton_clip.mp4 at 9 s),
 * while crops with no face in them (the Hamilton clip's scene change at 1.5–3.5 s) score 0.00–0.04.
 */
export const TRACK_MIN_FACE_SCORE = 0.2;

/**
 * A tracked frame whose yaw or pitch differs from the previous frame's by more than this, degrees, is measured again from
 * a fresh detection. FaceMesh's face score does not catch a crop that the face has moved out of: on a recording cut
 * inside a downward look (test/helpers/challenge-recordings.ts, lookDown), the crop left behind by the cut gave a mesh
 * scored 1.00 whose pitch jumped from −43° to −25° and yaw to −28° for seven frames, while the detector's crop on the
 * same frames gives pitch −39° to −42° and yaw within 2° of 0°. At rest the angles move by ≈ 1° from frame to frame
 * (FaceMesh jitter: median 0.95°, at most 3.4°, real.mp4 0–1.8 s at 10 fps), the fastest deliberate moves of real.mp4 by
 * up to 15° (coming back from a look up at 16.3 s): 12° never fires on a resting head, and where it fires on a fast
 * real movement it costs one detector run, not a wrong value.
 */
export const TRACK_MAX_JUMP_DEG = 12;

/** A head pose, degrees (quality/head-turned.ts headAngles); fields absent = not measured. */
export interface HeadPose {
  yawDeg?: number;
  pitchDeg?: number;
}

/** The head turned or tilted by more than TRACK_MAX_JUMP_DEG between two measured poses. */
export function headJumped(previous: HeadPose, current: HeadPose): boolean {
  return Math.abs(current.yawDeg! - previous.yawDeg!) > TRACK_MAX_JUMP_DEG || Math.abs(current.pitchDeg! - previous.pitchDeg!) > TRACK_MAX_JUMP_DEG;
}

/**
 * SSD confidence for a face in a video frame, 0–1: lower than the photo APIs' 0.5 because frames are
 * motion-blurred and, for a replayed video, screen-blurred: at 0.5 the detector misses 86 % of the replay
 * frames of videos/liveness_tranvanluyt/fake.mp4 (bench/RESULTS.md "Liveness calibration"), so the clip would
 * be judged on its few sharpest frames. At 0.2 it finds 21 of 40 sampled frames there, and 39 of 40 of
 * real.mp4; every detection still has to yield landmarks, and the primary face is the largest.
 */
export const VIDEO_DETECTION_MIN_CONFIDENCE = 0.2;
