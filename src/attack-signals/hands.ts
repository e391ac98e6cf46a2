/**
 * Hands gripping the medium: fingers on the edge of a phone, tablet or print held up to the camera (issue #12).
 * The hand detector (src/inference/human-handtrack.ts) runs on the context view; this module decides whether a
 * hand is holding what shows the face.
 *
 * Rules, each with its reason:
 * - Only a hand that straddles the edge of the medium counts: that is how a phone or a print is held up (fingers
 *   wrapped around its edge). The medium is the presentation device's box when one holds the face, else the region
 *   closed by the framing edges. "Straddles" = the hand box crosses the medium box's outline, or lies within a band
 *   of a tenth of the medium's smaller side around it.
 * - With no medium there is no evidence, and the hand detector is not even run (src/pipeline/liveness.ts): it fires on
 *   half of the genuine portraits (13 hands at ≥ 0.5 in 10 of 20 bona fide photos: raised hands, crossed arms, flags;
 *   bench/RESULTS.md), so a hand by itself says nothing about an attack.
 * - A hand covering the face does not count: hand-to-face is common in genuine selfies (the occlusion check reports it).
 * - Score = the detector's probability for the best such hand.
 */
import { type Box, area } from '../imaging/geometry.js';
import { shareInside } from './presentation-device.js';
import type { SignalResult } from './types.js';

/** A detected hand (box in pixels of the context view). */
export interface DetectedHand {
  /** 0–1. */
  score: number;
  box: Box;
  label?: string;
}

/** Width of the band around the medium's outline, as a share of the medium's smaller side: fingers overlap the edge by about this much. */
export const EDGE_BAND_SHARE = 0.1;
/** A hand with more than this share of its box over the face box is touching the face, not holding a medium. */
export const HAND_OVER_FACE_SHARE = 0.3;

export interface HandEvidence {
  /** The hand judged to hold the medium, if any. */
  hand?: { box: Box; detectorScore: number; label?: string };
  /** The medium whose edge was looked at; absent when none was found (then no hands were looked for). */
  medium?: Box;
  /** Hands the detector reported (0 when it was not run). */
  handsDetected: number;
}

function expand(box: Box, margin: number): Box {
  return { x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin };
}

/** True when `hand` crosses the outline of `medium` (or lies within the band around it). */
export function straddlesOutline(hand: Box, medium: Box, bandShare = EDGE_BAND_SHARE): boolean {
  const band = bandShare * Math.min(medium.width, medium.height);
  const outer = expand(medium, band);
  const inner = expand(medium, -band);
  const touchesOuter = shareInside(hand, outer) > 0;
  const deepInside = inner.width > 0 && inner.height > 0 && shareInside(hand, inner) >= 0.999;
  return touchesOuter && !deepInside;
}

/**
 * The region closed by framing edges (pixels of the view): the bounding box of the edges found, when they close at
 * least two sides of the face (one edge alone does not say where the medium ends).
 */
export function framedRegion(segments: readonly { x1: number; y1: number; x2: number; y2: number }[]): Box | undefined {
  if (segments.length < 2) return undefined;
  const xs = segments.flatMap((s) => [s.x1, s.x2]);
  const ys = segments.flatMap((s) => [s.y1, s.y2]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function handsGripping(hands: readonly DetectedHand[], face: Box, medium: Box): SignalResult<HandEvidence> {
  let best: HandEvidence['hand'];
  for (const h of hands) {
    if (area(h.box) > 0 && shareInside(h.box, face) > HAND_OVER_FACE_SHARE) continue;
    if (!straddlesOutline(h.box, medium)) continue;
    if (!best || h.score > best.detectorScore) best = { box: h.box, detectorScore: h.score, ...(h.label ? { label: h.label } : {}) };
  }
  return { score: best?.detectorScore ?? 0, evidence: { ...(best ? { hand: best } : {}), medium, handsDetected: hands.length } };
}

/** The answer when no medium was found: no evidence, and no hands looked for. */
export function handsWithoutMedium(): SignalResult<HandEvidence> {
  return { score: 0, evidence: { handsDetected: 0 } };
}
