/**
 * The service's use cases, built from a model registry: checkLiveness, matchFace and verifyVideo (the sessions API
 * runs verifyVideo too). The composition root calls this twice: on `ModelRegistry.plan`'s placeholder registry, to
 * learn which models the use cases ask for (and so which to load), then on the loaded registry.
 */
import type { Config } from '../config.js';
import type { ModelRegistry } from '../inference/registry.js';
import { createCheckLiveness } from '../pipeline/check-liveness.js';
import type { LivenessPhotoThread } from '../pipeline/liveness-photo-thread.js';
import { createMatchFace, type MatchFace } from '../pipeline/match-face.js';
import type { CheckLiveness } from '../pipeline/types.js';
import { createVerifyVideo, type VerifyVideo } from '../pipeline/verify-video.js';
import type { VideoReader } from '../video/read-video.js';

export interface UseCases {
  checkLiveness: CheckLiveness;
  matchFace: MatchFace;
  verifyVideo: VerifyVideo;
}

/** The names /health gives the use cases that ask for a model ("loaded for"). */
export const USE_CASE_NAMES = Object.freeze(['checkLiveness', 'matchFace', 'verifyVideo'] as const);

/** Names each use case while it is built (`ModelRegistry.plan` records what it asks for); a plain call elsewhere. */
export type NameUseCase = <T>(name: (typeof USE_CASE_NAMES)[number], create: () => T) => T;

export function buildUseCases(
  registry: ModelRegistry,
  config: Pick<Config, 'maxImagePixels'>,
  readVideo: VideoReader,
  /** `photoThread`: checkLiveness's photo thread, started by the service (without it, checkLiveness makes its own). */
  { use = (_name, create) => create(), photoThread }: { use?: NameUseCase; photoThread?: LivenessPhotoThread } = {},
): UseCases {
  return {
    checkLiveness: use('checkLiveness', () => createCheckLiveness(registry, { maxPixels: config.maxImagePixels, photoThread })),
    matchFace: use('matchFace', () => createMatchFace(registry, { maxPixels: config.maxImagePixels })),
    // An active liveness challenge's 10 fps frames come from the same decode (src/pipeline/verify-video.ts CHALLENGE_SAMPLING).
    verifyVideo: use('verifyVideo', () => createVerifyVideo(registry, { maxImagePixels: config.maxImagePixels, readVideo })),
  };
}
