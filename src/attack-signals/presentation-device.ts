/**
 * Presentation device: a phone, tablet, monitor, laptop or a printed page that holds the face (issue #12, "context
 * signals"). The COCO detector (src/inference/human-nanodet.ts) runs on the context view; this module decides
 * whether one of its objects is the medium the face is shown on.
 *
 * Rules, each with its reason:
 * - Only objects that can display or carry a face count: COCO `cell phone` (phones and small tablets), `tv`
 *   (COCO's class for monitors and screens), `laptop` (screen and keyboard), and `book` (printed pages and
 *   magazines, the closest COCO class to a photo print).
 * - The face must lie inside the object's box: a face shown on a device is surrounded by it. The share of the face
 *   box inside the object's box scales the evidence, so an object beside or below the face (a laptop on the desk
 *   in front of a webcam user) gives none.
 * - A live person in front of a screen is not clipped by it: when the detector's `person` box whose head is the face
 *   reaches well outside the object (shoulders and body beyond the screen's edges), the evidence is reduced by the
 *   share of that person box lying outside the object. A displayed person ends at the display's edge. (The person
 *   holding a device up is not the one whose head is the shown face, so they do not count.)
 * - Score = the detector's probability for the object × the face's share inside it × the person factor; the best
 *   object wins.
 */
import { type Box, area } from '../imaging/geometry.js';
import type { AttackMedium, SignalResult } from './types.js';

/** A detected object as the COCO detector reports it (box in pixels of the context view). */
export interface DetectedObject {
  label: string;
  /** 0–1. */
  score: number;
  box: Box;
}

/** COCO labels that can present a face, with the kind of attack each stands for. */
export const PRESENTATION_DEVICES: Readonly<Record<string, AttackMedium>> = Object.freeze({
  'cell phone': 'screen',
  tv: 'screen',
  laptop: 'screen',
  book: 'print',
});

export interface DeviceEvidence {
  /** The object judged to hold the face, if any scored above 0. */
  device?: {
    label: string;
    /** Detector probability 0–1. */
    detectorScore: number;
    box: Box;
    /** 0–1 share of the face box inside the object's box. */
    faceInside: number;
    /** 0–1 share of the person box around the face lying outside the object (0 when no person was detected). */
    personOutside: number;
    attackType: AttackMedium;
  };
  /** Every presentation-device object the detector reported, best first (for the log and the evidence view). */
  candidates: DetectedObject[];
}

function intersection(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

/** Share 0–1 of `inner`'s area inside `outer`. */
export function shareInside(inner: Box, outer: Box): number {
  const a = area(inner);
  return a > 0 ? intersection(inner, outer) / a : 0;
}

/**
 * Where a face sits in its person's box: its centre in the top 40 % of the box (the head is the top of a person:
 * about the top third of a head-and-shoulders picture, less of a full figure) …
 */
export const FACE_CENTRE_MAX_DEPTH_IN_PERSON = 0.4;
/** … and at least this share of the box's width (a head is about a third of the shoulders' width, less at a distance). */
export const FACE_MIN_WIDTH_IN_PERSON = 0.15;

/**
 * The person box that belongs to the face: among `person` detections that contain at least half of the face and
 * have it where a head is (see above; a face shown on a phone held in front of someone's chest is not that
 * someone's head), the one containing most of it, the smallest on ties (the displayed person rather than someone
 * behind).
 */
function personAroundFace(objects: readonly DetectedObject[], face: Box): Box | undefined {
  let best: { box: Box; inside: number } | undefined;
  for (const o of objects) {
    if (o.label !== 'person') continue;
    const inside = shareInside(face, o.box);
    if (inside < 0.5) continue;
    const centreDepth = (face.y + face.height / 2 - o.box.y) / o.box.height;
    if (centreDepth > FACE_CENTRE_MAX_DEPTH_IN_PERSON || face.width < FACE_MIN_WIDTH_IN_PERSON * o.box.width) continue;
    if (!best || inside > best.inside + 1e-9 || (Math.abs(inside - best.inside) <= 1e-9 && area(o.box) < area(best.box))) best = { box: o.box, inside };
  }
  return best?.box;
}

export function presentationDevice(objects: readonly DetectedObject[], face: Box): SignalResult<DeviceEvidence> {
  const candidates = objects.filter((o) => o.label in PRESENTATION_DEVICES).sort((a, b) => b.score - a.score);
  const person = personAroundFace(objects, face);
  let best: DeviceEvidence['device'];
  let bestScore = 0;
  for (const o of candidates) {
    const faceInside = shareInside(face, o.box);
    if (faceInside === 0) continue;
    const personOutside = person ? 1 - shareInside(person, o.box) : 0;
    const score = o.score * faceInside * (1 - personOutside);
    if (score > bestScore) {
      bestScore = score;
      best = { label: o.label, detectorScore: o.score, box: o.box, faceInside, personOutside, attackType: PRESENTATION_DEVICES[o.label]! };
    }
  }
  return { score: bestScore, evidence: { ...(best ? { device: best } : {}), candidates } };
}
