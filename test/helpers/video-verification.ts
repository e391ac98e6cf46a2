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
    // Scores with a second decimal, so that the wire's rounding (whole seconds, one decimal) shows: 10.02 s → 10,
    // 91.26 → 91.3, 88.04 → 88.
    durationSeconds: 10.02,
    framesSampled: 40,
    framesWithFace: 40,
    faceMatch: { score: 91.26, distance: 0.3 },
    livenessScore: 88.04,
    signals: {
      passive: { score: 0.88, frames: 40, liveShare: 0.95 },
      blinks: { count: 1, minOpenness: 0.05, maxOpenness: 0.4 },
      headMotion: { yawRangeDeg: 20, pitchRangeDeg: 12, nods: 1, turns: 1, moved: true },
      identity: { sameShare: 1, maxDistance: 0.3, consistent: true, medoid: 0 },
      facePresence: 1,
    },
    bestFrame: { timeSeconds: 1, jpeg: BEST_FRAME_JPEG },
    ...overrides,
  };
}
