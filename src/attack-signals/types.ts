/**
 * Context signals for single-image liveness (issue #12): what a person looking at a selfie would use to spot
 * a presentation attack around the face (a device bezel, fingers gripping a phone or a print, straight edges
 * framing the face, a screen's moiré). Each signal is its own module and returns a score with its evidence;
 * the liveness fusion (src/pipeline/liveness.ts) combines them with the anti-spoofing models.
 */
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';

/** The kind of medium a presentation attack shows the face on, where a signal can tell it. */
export type AttackMedium = 'screen' | 'print';

/** One context signal's answer: how strongly the picture shows a presentation attack, and why. */
export interface SignalResult<Evidence> {
  /** 0–1, higher = more evidence of a presentation attack; 0 = nothing found. */
  score: number;
  /** What the score rests on (boxes, line segments, a frequency peak), in the pixels of the image the signal saw. */
  evidence: Evidence;
}

/**
 * The downscaled working copy of the photo that the context detectors share (one decode, one resize), with the
 * primary face box in its pixels.
 */
export interface ContextView {
  /** The photo scaled so its longer side is at most CONTEXT_VIEW_MAX_SIDE pixels (never up). */
  image: RgbImage;
  /** The primary face box, pixels of `image`. */
  face: Box;
  /** `image` pixels per pixel of the decoded photo (≤ 1). */
  scale: number;
}
