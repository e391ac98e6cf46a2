/**
 * The quality checks of HyperVerge checkLiveness (`qualityChecks.<name>`): one file per check, each a pure
 * function of (FaceAnalysis, model outputs). `createQualityChecker` builds the model wrappers once; the
 * checker it returns runs only the requested checks, each once, and computes every shared intermediate
 * (FaceMesh + iris run, nsfwjs run, masked-face detector run, the aligned crop's grey plane, exposure and eye-region
 * statistics, the whole-image measurements of whole-image.ts) at most once per call, only when a requested check
 * needs it.
 */
import { NsfwjsClassifier } from '../inference/nsfwjs.js';
import type { ModelRegistry } from '../inference/registry.js';
import { UltraFaceMasked } from '../inference/ultraface.js';
import { eyeCentres } from '../face/landmarks.js';
import type { FaceAnalysis } from '../face/types.js';
import type { QualityCheck } from './checks.js';
import { blurVerdict, measureSharpness } from './blur.js';
import { brightVerdict } from './bright.js';
import { dullVerdict } from './dull.js';
import { measureExposure } from './exposure.js';
import { type EyeRegionMeasurement, measureEyeRegion } from './eye-region.js';
import { eyeWhiteContrast } from './eye-white.js';
import { toGrey } from './image-stats.js';
import { eyeOpenness, eyesClosedVerdict } from './eyes-closed.js';
import { eyewearVerdict } from './eyewear.js';
import { FaceMeshRunner } from '../inference/human-facemesh.js';
import { IrisRunner } from '../inference/human-iris.js';
import { foreheadColourDistance, hatVerdict } from './hat.js';
import { headAngles, headTurnedVerdict } from './head-turned.js';
import { faceTooSmallVerdict, lowQualityVerdict } from './low-quality.js';
import { multipleFacesVerdict } from './multiple-faces.js';
import { nonWhiteBackgroundVerdict } from './non-white-background.js';
import { nudityVerdict } from './nudity.js';
import { measureLowerFace } from './lower-face.js';
import { occlusionVerdict } from './occlusion.js';
import { readingGlassesVerdict } from './reading-glasses.js';
import { eyeWhiteCanDecide, sunglassesVerdict } from './sunglasses.js';
import type { QualityVerdict } from './verdict.js';
import { measureWholeImageHere, type WholeImageMeasurer, type WholeImageNeeds } from './whole-image.js';

/** Each requested check's answer, with how it was reached (`basis`) for every check that reports one. */
export type QualityResults = Partial<Record<QualityCheck, QualityVerdict>>;
export type QualityChecker = (analysis: FaceAnalysis, checks: readonly QualityCheck[]) => Promise<QualityResults>;

export interface QualityCheckerOptions {
  /**
   * Where the whole-image measurements (whole-image.ts) are made: on this thread by default; checkLiveness has them
   * made off the event loop (pipeline/liveness-photo-thread.ts), with the same answers.
   */
  measureWholeImage?: WholeImageMeasurer;
}

/** Id of the optional masked-face detector pack (models/packs.json) that `occlusion` uses when installed. */
export const MASKED_FACE_PACK_ID = 'ultraface-masked-640';

/**
 * The checks whose verdicts wait for a model run (FaceMesh, iris, nsfwjs, the masked-face detector pack). The three
 * eyewear checks are not among them: they wait for FaceMesh and iris only on the faces where the eye-white cue can
 * change the sunglasses answer (sunglasses.ts eyeWhiteCanDecide), after their own statistics.
 */
const RUNS_MODELS: ReadonlySet<QualityCheck> = new Set(['eyesClosed', 'headTurned', 'nudity', 'occlusion']);

/** A whole-image measurement that was asked for (WholeImageNeeds) and so must be there. */
function measured<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`quality checks: the whole-image measurement ${name} is missing`);
  return value;
}

/** Memoises one value per call: `lazy(() => work)()` runs `work` the first time only. */
function lazy<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/** The checks that read the whole image's luma statistics (whole-image.ts WholeImageNeeds.luma). */
const NEEDS_LUMA: ReadonlySet<QualityCheck> = new Set(['dull', 'bright', 'lowQuality']);

/**
 * The checks that read the aligned face crop (FaceAnalysis.alignedFace), as `compute` below does: blur, and the exposure
 * checks through its grey plane, the eye region (eyewear, sunglasses, readingGlasses: eye-region.ts), the forehead
 * (hat.ts) and the lower face (occlusion: lower-face.ts, with or without the masked-face pack). checkLiveness has the
 * crop cut on the photo thread as soon as the face is analysed for a request with one of these.
 */
export const READS_ALIGNED_FACE: ReadonlySet<QualityCheck> = new Set(['blur', 'dull', 'bright', 'lowQuality', 'eyewear', 'sunglasses', 'readingGlasses', 'hat', 'occlusion']);

/** Builds the checker once per process (model wrappers are created here, from the registry). */
export function createQualityChecker(registry: ModelRegistry, options: QualityCheckerOptions = {}): QualityChecker {
  const wholeImageMeasurer = options.measureWholeImage ?? measureWholeImageHere;
  const faceMesh = new FaceMeshRunner(registry.get('human-facemesh').runner);
  const iris = new IrisRunner(registry.get('human-iris').runner);
  const nsfw = new NsfwjsClassifier(registry.get('nsfwjs-mobilenet-v2').runner);
  const maskPack = registry.list().find((m) => m.entry.id === MASKED_FACE_PACK_ID);
  const maskDetector = maskPack ? new UltraFaceMasked(maskPack.runner) : undefined;

  return async function runQualityChecks(analysis, checks) {
    const needs: WholeImageNeeds = { luma: checks.some((c) => NEEDS_LUMA.has(c)), background: checks.includes('nonWhiteBackground'), nsfwInput: checks.includes('nudity') };
    // Asked for first: on another thread these passes over the photo run while this one does the face's statistics.
    const whole = needs.luma || needs.background || needs.nsfwInput ? wholeImageMeasurer(analysis.image, analysis.primary, needs) : undefined;
    whole?.catch(() => {});
    const wholeImage = async () => {
      if (!whole) throw new Error('quality checks: a whole-image measurement was not asked for');
      return whole;
    };
    const mesh = lazy(() => faceMesh.run(analysis));
    const eyes = lazy(async () => iris.run(analysis, await mesh()));
    // blur and the exposure checks read the same grey plane of the aligned crop: made once.
    const alignedGrey = lazy(() => toGrey(analysis.alignedFace.image));
    const exposure = lazy(async () => measureExposure(analysis, alignedGrey(), (await wholeImage()).luma));
    // The lens statistics of the aligned crop and, where it can change the sunglasses answer, how visible the eyes'
    // whites are in the iris model's eye opening: elsewhere the eyewear checks need no model run (≈ 1 ms instead of
    // ≈ 15 ms with FaceMesh and iris, bench/RESULTS.md "the eye-white cue").
    const eyeRegion = lazy(async (): Promise<EyeRegionMeasurement> => {
      const region = measureEyeRegion(analysis);
      if (!eyeWhiteCanDecide(region)) return region;
      const contrast = eyeWhiteContrast(analysis.image, await eyes());
      return contrast === undefined ? region : { ...region, eyeWhiteContrast: contrast };
    });
    const blur = lazy(() => blurVerdict(measureSharpness(analysis.alignedFace.image, alignedGrey())));
    const maskedFaces = lazy(async () => (maskDetector ? maskDetector.detect(analysis.image) : undefined));

    const compute: Record<QualityCheck, () => QualityVerdict | Promise<QualityVerdict>> = {
      blur,
      dull: async () => dullVerdict(await exposure()),
      bright: async () => brightVerdict(await exposure()),
      eyesClosed: async () => {
        const { left, right } = await eyes();
        return eyesClosedVerdict({ left: eyeOpenness(left), right: eyeOpenness(right) });
      },
      headTurned: async () => headTurnedVerdict(headAngles(await mesh())),
      multipleFaces: () => multipleFacesVerdict(analysis.faces, analysis.primary),
      nudity: async () => nudityVerdict(await nsfw.classifyInput(measured((await wholeImage()).nsfwInput, 'nsfwInput'))),
      nonWhiteBackground: async () => nonWhiteBackgroundVerdict(measured((await wholeImage()).background, 'background')),
      occlusion: async () => occlusionVerdict(measureLowerFace(analysis, await mesh(), sunglassesVerdict(await eyeRegion()).value), await maskedFaces(), analysis.primary),
      hat: () => hatVerdict(foreheadColourDistance(analysis)),
      eyewear: async () => eyewearVerdict(await eyeRegion()),
      sunglasses: async () => sunglassesVerdict(await eyeRegion()),
      readingGlasses: async () => readingGlassesVerdict(await eyeRegion()),
      lowQuality: async () => {
        const { left, right } = eyeCentres(analysis.landmarks68);
        const measuredExposure = await exposure();
        return lowQualityVerdict([faceTooSmallVerdict(Math.hypot(right.x - left.x, right.y - left.y)), blur(), dullVerdict(measuredExposure), brightVerdict(measuredExposure)]);
      },
    };

    // Every requested check at once: the model runs (FaceMesh → iris, nsfwjs) queue on the inference thread while this
    // thread computes the statistics (exposure, eye region, background), instead of one after the other.
    // The checks that run models are started first, so their inputs are cut and queued before this thread is busy
    // with the statistics.
    const requested = [...new Set(checks)];
    const started = new Map<QualityCheck, QualityVerdict | Promise<QualityVerdict>>();
    for (const check of [...requested].sort((a, b) => Number(!RUNS_MODELS.has(a)) - Number(!RUNS_MODELS.has(b)))) started.set(check, compute[check]());
    const verdicts = await Promise.all(requested.map((check) => started.get(check)!));
    const results: QualityResults = {};
    requested.forEach((check, i) => (results[check] = verdicts[i]!));
    return results;
  };
}
