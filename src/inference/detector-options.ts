/**
 * The options every detector wrapper shares (score threshold, NMS overlap, result cap), checked one way so that a bad
 * value is the same INVALID_OPTION error whichever detector it was given to.
 */
import { AppError } from '../errors.js';

export interface DetectionLimits {
  /** Candidates scoring below this (0–1) are dropped. */
  minConfidence: number;
  /** Boxes overlapping a better one by more than this IoU (0–1) are dropped. */
  iouThreshold: number;
  /** At most this many results. */
  maxResults: number;
}

/** Throws INVALID_OPTION naming `detector` and the field when a limit is out of its range. */
export function checkDetectionLimits(detector: string, limits: DetectionLimits): void {
  if (!(limits.minConfidence >= 0 && limits.minConfidence < 1)) {
    throw new AppError('INVALID_OPTION', `${detector}: minConfidence must be in [0, 1), got ${limits.minConfidence}`);
  }
  if (!(limits.iouThreshold >= 0 && limits.iouThreshold <= 1)) {
    throw new AppError('INVALID_OPTION', `${detector}: iouThreshold must be in [0, 1], got ${limits.iouThreshold}`);
  }
  if (!Number.isInteger(limits.maxResults) || limits.maxResults < 1) {
    throw new AppError('INVALID_OPTION', `${detector}: maxResults must be a positive integer, got ${limits.maxResults}`);
  }
}
