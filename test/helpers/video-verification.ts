/**
 * A verifyVideo outcome for contract tests that replace the use case with a double (the wire, the rules and the
 * sessions around it are what they test, not the pipeline): a clear live recording of the selfie's person, which the
 * default rules approve. `overrides` replace whole top-level fields.
 */
import type { VideoVerification } from '../../src/pipeline/verify-video.js';

/** The smallest JPEG-looking bytes: the best frame's crop is stored, never decoded, by these tests. */
export const BEST_FRAME_JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);

export function videoVerification(overrides: Partial<VideoVerification> = {}): VideoVerification {
  return {
    durationSeconds: 14.5,
    framesSampled: 40,
    framesWithFace: 40,
    faceMatch: { score: 93.4, distance: 0.42 },
    livenessScore: 88,
    signals: {
      passive: { score: 0.88, frames: 40, liveShare: 0.95 },
      blinks: { count: 2, minOpenness: 0.05, maxOpenness: 0.41 },
      headMotion: { yawRangeDeg: 40, pitchRangeDeg: 20, nods: 1, turns: 2, moved: true },
      identity: { sameShare: 1, maxDistance: 0.31, consistent: true, medoid: 3 },
      facePresence: 1,
    },
    bestFrame: { timeSeconds: 1, jpeg: BEST_FRAME_JPEG },
    ...overrides,
  };
}
