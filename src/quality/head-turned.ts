/**
 * `headTurned`: is the head turned away from the camera (yaw: looking left/right, or pitch: looking up/down)?
 * Roll (head tilted in the image plane) is not counted: the pipeline rotates the face upright, so roll does
 * not hurt matching, and HyperVerge's "head turned" is about facing the camera.
 *
 * Angles come from FaceMesh's 3-D points (x, y in pixels of its crop, z relative depth on the same scale):
 * yaw = atan(Δz / Δx) across the two outer eye corners (33, 263), as Human's "facing left/right" gesture
 * (src/gesture/gesture.ts: facing centre when |Δz/Δx| ≤ 0.15); pitch = atan(Δz / Δy) from the forehead
 * top (10) to the chin (152). FaceMesh's z is smaller towards the camera, so pitch is positive when the chin comes
 * towards the camera: looking UP (checked frame by frame on videos/liveness_tranvanluyt/real.mp4: looking down at
 * 11–14 s measures −31 to −42°, looking up at 14–16 s +44 to +46°; bench/RESULTS.md "Active liveness challenge").
 * headTurned uses |pitch|, so the sign does not matter here; it does for nods (src/pipeline/nod.ts).
 */
import type { FaceMesh } from '../inference/human-facemesh.js';
import { explained, type ExplainedVerdict, thresholdVerdict } from './verdict.js';

/**
 * |yaw| in degrees above which the head counts as turned. ISO/IEC 19794-5 (frontal image) allows ±5°, too
 * strict for selfies; 30° is where the far eye starts to be hidden by the nose bridge. Measured
 * (bench/quality.ts): labelled yaw-left/right 53°/53°, frontal portraits ≤ 23°, one portrait turned ~30°
 * (bulk_yifei, labelled high quality) measures 30°.
 */
export const HEAD_YAW_THRESHOLD_DEG = 32;
/**
 * |pitch| in degrees above which the head counts as tilted up/down. Measured: labelled pitch-up image and
 * pitch-down image (bench/quality.ts) against the frontal ones; see docs/quality-checks.md.
 */
export const HEAD_PITCH_THRESHOLD_DEG = 30;
/** Within ±8° of a threshold the angle estimate (FaceMesh z is a relative depth) is not trusted: `low`. */
export const HEAD_ANGLE_MARGIN_DEG = 8;

const degrees = (radians: number) => (radians * 180) / Math.PI;

export interface HeadAngles {
  /** Degrees, positive = face turned towards the image's left (subject's right). */
  yaw: number;
  /** Degrees, positive = chin towards the camera (looking down). */
  pitch: number;
}

export function headAngles(mesh: FaceMesh): HeadAngles {
  const p = mesh.points;
  const [a, b] = [p[33]!, p[263]!];
  const [top, chin] = [p[10]!, p[152]!];
  return { yaw: degrees(Math.atan2(a[2] - b[2], Math.abs(a[0] - b[0]))), pitch: degrees(Math.atan2(top[2] - chin[2], Math.abs(chin[1] - top[1]))) };
}

/** How far past its own threshold the worse of yaw and pitch is, in degrees (negative = within limits). */
export function headTurnExcess(angles: HeadAngles): number {
  return Math.max(Math.abs(angles.yaw) - HEAD_YAW_THRESHOLD_DEG, Math.abs(angles.pitch) - HEAD_PITCH_THRESHOLD_DEG);
}

/**
 * Basis `yaw` or `pitch`, whichever is further past its own threshold (headTurnExcess): `yawDeg` and `pitchDeg`
 * (signed degrees, HeadAngles), compared by size with HEAD_YAW_THRESHOLD_DEG and HEAD_PITCH_THRESHOLD_DEG.
 */
export function headTurnedVerdict(angles: HeadAngles): ExplainedVerdict {
  const verdict = thresholdVerdict(headTurnExcess(angles), { threshold: 0, yesWhen: 'above', width: 3, margin: HEAD_ANGLE_MARGIN_DEG });
  const method = Math.abs(angles.yaw) - HEAD_YAW_THRESHOLD_DEG >= Math.abs(angles.pitch) - HEAD_PITCH_THRESHOLD_DEG ? 'yaw' : 'pitch';
  return explained(verdict, { method, measurements: { yawDeg: angles.yaw, pitchDeg: angles.pitch } });
}
