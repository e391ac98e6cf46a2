/**
 * The liveness verdict (HyperVerge `liveFace`).
 *
 * Selfies (checkLiveness, `assess`): the anti-spoofing models look at the face (MiniFASNet V2 ×2.7 + V1SE ×4.0
 * averaged as Silent-Face test.py does, when the pack is installed; Human liveness always), and the context signals
 * (src/attack-signals/) look at what is around it: a presentation device holding the face, hands gripping the
 * medium, straight edges framing the face, screen moiré. One calibrated fusion (SELFIE_LIVENESS_CALIBRATION,
 * fitted leave-one-subject-out by `npm run bench -- liveness`) turns them into a live probability, a verdict with
 * an uncertain band (`confidence: "low"`), and an attack-type guess. A tight face crop (the face fills the picture)
 * has no context to look at: it is judged by the models alone and always answered with low confidence.
 *
 * Video frames (verifyVideo, `verdict`): the models only (LIVENESS_CALIBRATION), as every frame of a recording
 * shares one context and running the context detectors per frame would multiply the cost.
 *
 * The fusion works on logits (log-odds) of each model's live probability and on the 0–1 strength of each context
 * signal: a logistic regression, so the fused score is a probability again and the weights say how much each counts.
 */
import { type DownscaledPhoto, downscaleForContext, viewOf } from '../attack-signals/context-view.js';
import { FRAMING_RULES, type FramingEvidence, framingEdges } from '../attack-signals/framing-edges.js';
import { type HandEvidence, framedRegion, handsGripping, handsWithoutMedium } from '../attack-signals/hands.js';
import { type DeviceEvidence, presentationDevice } from '../attack-signals/presentation-device.js';
import { type ScreenEvidence, screenRecapture } from '../attack-signals/screen-recapture.js';
import type { SignalResult } from '../attack-signals/types.js';
import type { Box } from '../imaging/geometry.js';
import { LineSegmentScratch } from '../imaging/line-segments.js';
import type { RgbImage } from '../imaging/image.js';
import { HumanAntispoof } from '../inference/human-antispoof.js';
import { humanFaceCrop, landmarkExtent } from '../inference/human-face-crop.js';
import { HumanHandtrack } from '../inference/human-handtrack.js';
import { HumanLiveness } from '../inference/human-liveness.js';
import { HumanNanodet } from '../inference/human-nanodet.js';
import { MiniFasnet, queueAverageRealProbability } from '../inference/minifasnet.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { AttackType, FaceAnalysis, LivenessLimitation, LivenessSignalScores, LivenessVerdict, Verdict } from './types.js';
import {
  type ContextFeature,
  type FusionFeature,
  type FusionModel,
  LIVENESS_CALIBRATION,
  type LivenessCalibration,
  SELFIE_LIVENESS_CALIBRATION,
  type SelfieFeature,
  weighedContextFeatures,
  type SelfieFusionModel,
  type SelfieLivenessCalibration,
} from './liveness-calibration.js';
import type { LivenessPhotoThread } from './liveness-photo-thread.js';
import { MINIFASNET_PACK_IDS, hasAntiSpoofingPack } from './liveness-setup.js';

/** Per-model live scores for one face, each 0–1, higher = live. */
export interface LivenessScores {
  /**
   * Human antispoof `real`; only when every signal is asked for (the bench). No fusion weighs it: on the dev set it
   * ranks attacks above bona fide (ROC AUC 0.22: it was trained for computer-generated faces), so it is not run.
   */
  humanAntispoof?: number;
  /** Human liveness probability of the live class. */
  humanLiveness: number;
  /** Mean real-class probability of MiniFASNet V2 and V1SE; absent when the packs are not installed. */
  minifasnet?: number;
}

export type LivenessFeature = FusionFeature;

/** Scores are clipped to [ε, 1 − ε] before the logit so a saturated 0 or 1 does not become ±∞ (ε = 1e-4: ±9.2). */
export const SCORE_EPSILON = 1e-4;

/** log(p / (1 − p)) with p clipped to [ε, 1 − ε]. */
export function logit(p: number): number {
  const q = Math.min(1 - SCORE_EPSILON, Math.max(SCORE_EPSILON, p));
  return Math.log(q / (1 - q));
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Fused live score 0–1: sigmoid(bias + Σ weight[f] · logit(score[f])) over the model's features. */
export function fuseScores(scores: LivenessScores, model: FusionModel): number {
  let z = model.bias;
  for (const [feature, weight] of Object.entries(model.weights) as [LivenessFeature, number][]) {
    const score = scores[feature];
    if (score === undefined) throw new Error(`liveness fusion: the model needs ${feature}, which was not scored`);
    z += weight * logit(score);
  }
  return sigmoid(z);
}

/**
 * The Verdict for a fused score: live when score ≥ threshold; confidence `high` when the score's logit is
 * at least `highConfidenceMargin` away from the threshold's logit (the margin is set from the calibration
 * data: see liveness-calibration.ts), `low` otherwise.
 */
export function livenessVerdict(score: number, model: Pick<FusionModel, 'threshold' | 'highConfidenceMargin'>): Verdict {
  const distance = Math.abs(logit(score) - logit(model.threshold));
  return { value: score >= model.threshold, score, confidence: distance >= model.highConfidenceMargin ? 'high' : 'low' };
}

/** The fusion to use: with the MiniFASNet pack when it was scored, otherwise the embedded-only one. */
export function fusionFor(scores: LivenessScores, calibration: LivenessCalibration = LIVENESS_CALIBRATION): FusionModel {
  return scores.minifasnet === undefined ? calibration.embedded : calibration.withMinifasnet;
}

/**
 * The context signals of one selfie, with their evidence (pixels of the context view). The framing edges always run.
 * A signal the calibration does not weigh runs only when it has something to add: the screen cues (1–5 ms) to name
 * the attack type of a not-live answer; the two detectors (≈ 20 ms each on 2 cores) not at all. With `allSignals`
 * (the bench) every one runs.
 */
export interface ContextSignals {
  presentationDevice?: SignalResult<DeviceEvidence>;
  hands?: SignalResult<HandEvidence>;
  framingEdges: SignalResult<FramingEvidence>;
  screenRecapture?: SignalResult<ScreenEvidence>;
}

/**
 * How much of the picture around the face there is. `contextRatio` = how many face boxes fit across the picture
 * along its tighter axis: min(width / face width, height / face height) (the same measure Silent-Face's
 * CropImage uses to shrink MiniFASNet's ×2.7 / ×4 crop when the picture is too small).
 */
export interface FaceFraming {
  contextRatio: number;
  /** contextRatio < TIGHT_CROP_CONTEXT_RATIO: the face fills the picture. */
  tightCrop: boolean;
}

/**
 * Below this contextRatio the picture is a tight face crop: less than a quarter of a face box of picture beyond the
 * face along one axis (an eighth on each side), i.e. no shoulders, hands, device or background to look at.
 * Measured on the dev set (bench/RESULTS.md, "Liveness with context"): the tight crop sets reach at most 1.12
 * (liveness/tranvanluyt 0.91–0.95, identity/bbt_faceapi 1.00–1.12), while the closest genuine selfie capture, a
 * phone held at arm's length (videos/liveness_tranvanluyt/real.mp4), starts at 1.29: 1.25 sits in that gap.
 */
export const TIGHT_CROP_CONTEXT_RATIO = 1.25;

export function faceFraming(imageWidth: number, imageHeight: number, face: Box): FaceFraming {
  const contextRatio = Math.min(imageWidth / Math.max(1, face.width), imageHeight / Math.max(1, face.height));
  return { contextRatio, tightCrop: contextRatio < TIGHT_CROP_CONTEXT_RATIO };
}

/** Everything the selfie verdict rests on; the bench fits the calibration on exactly this. */
export interface LivenessEvidence {
  models: LivenessScores;
  /** Absent for a tight crop (no context to look at). */
  context?: ContextSignals;
  framing: FaceFraming;
}

/**
 * The value a fusion feature enters the regression with: logit of a model's live probability, a context signal's
 * 0–1 strength as is. A context feature asked for without context (a tight crop) is a calibration error.
 */
export function featureValue(feature: SelfieFeature, models: LivenessScores, context: ContextSignals | undefined): number {
  switch (feature) {
    case 'humanLiveness':
      return logit(models.humanLiveness);
    case 'minifasnet':
      if (models.minifasnet === undefined) throw new Error('liveness fusion: the model needs minifasnet, which was not scored');
      return logit(models.minifasnet);
    default:
      if (!context) throw new Error(`liveness fusion: the model needs the context signal ${feature}, which was not measured`);
      return contextFeature(feature, context);
  }
}

/** A context feature's 0–1 value: a signal's score, or one cue of the screen signal. A signal that was not run is an error. */
export function contextFeature(feature: ContextFeature, context: ContextSignals): number {
  switch (feature) {
    case 'screenPeriodic':
    case 'screenColour': {
      const screen = context.screenRecapture;
      if (!screen) throw new Error(`liveness fusion: the model needs the context signal ${feature}, which was not run`);
      return feature === 'screenPeriodic' ? screen.evidence.periodicScore : screen.evidence.colourScore;
    }
    default: {
      const signal = context[feature];
      if (!signal) throw new Error(`liveness fusion: the model needs the context signal ${feature}, which was not run`);
      return signal.score;
    }
  }
}

/** Fused live score 0–1 of a selfie: sigmoid(bias + Σ weight[f] · value(f)). */
export function fuseSelfie(models: LivenessScores, context: ContextSignals | undefined, model: SelfieFusionModel): number {
  let z = model.bias;
  for (const [feature, weight] of Object.entries(model.weights) as [SelfieFeature, number][]) z += weight * featureValue(feature, models, context);
  return sigmoid(z);
}

/**
 * Verdict with an uncertain band: live when score ≥ threshold; confidence `high` only when the score is at or above
 * `confidentLiveAt` (no dev attack scored that high out of fold) or below `confidentAttackBelow` (almost no bona fide
 * scored that low): see liveness-calibration.ts.
 */
export function selfieVerdict(score: number, model: Pick<SelfieFusionModel, 'threshold' | 'confidentLiveAt' | 'confidentAttackBelow'>): Verdict {
  const value = score >= model.threshold;
  const confident = value ? score >= model.confidentLiveAt : score < model.confidentAttackBelow;
  return { value, score, confidence: confident ? 'high' : 'low' };
}

/**
 * The highest fused score `model` can give (pure): each feature at the end of its range that raises the score, the
 * models' scores as fuseSelfie clips them (logit(0) … logit(1), ±9.21) and the context signals over their 0–1.
 * fuseSelfie sums the same terms in the same order, and rounding is monotonic, so no selfie scores above it.
 */
export function highestSelfieScore(model: Pick<SelfieFusionModel, 'weights' | 'bias'>): number {
  let z = model.bias;
  for (const [feature, weight] of Object.entries(model.weights) as [SelfieFeature, number][]) {
    const [low, high] = feature === 'humanLiveness' || feature === 'minifasnet' ? [logit(0), logit(1)] : [0, 1];
    z += Math.max(weight * low, weight * high);
  }
  return sigmoid(z);
}

/**
 * What kind of attack the evidence points to. Only evidence that tells the medium apart names it: a presentation
 * device by its COCO class (a screen, or a book: print), a periodic pixel-grid / moiré pattern (a screen). Framing
 * edges, hands and a drained skin colour say "reproduced" but not on what (a bezel and a print border look alike),
 * and the models alone say nothing about the medium: those give `unknown`. `cutout` and `mask` have no detector yet
 * and are never guessed.
 */
export function guessAttackType(context: ContextSignals | undefined): AttackType {
  if (!context) return 'unknown';
  const device = context.presentationDevice?.evidence.device;
  if (device && context.presentationDevice!.score >= 0.5) return device.attackType;
  if ((context.screenRecapture?.evidence.periodicScore ?? 0) >= 0.5) return 'screen';
  return 'unknown';
}

/** Per-signal scores for the answer (liveFace.signals): the signals that ran. A tight crop has no context signals. */
export function signalScores(models: LivenessScores, context: ContextSignals | undefined): LivenessSignalScores {
  return {
    ...(models.minifasnet !== undefined ? { minifasnet: models.minifasnet } : {}),
    humanLiveness: models.humanLiveness,
    ...(context?.presentationDevice ? { presentationDevice: context.presentationDevice.score } : {}),
    ...(context?.hands ? { hands: context.hands.score } : {}),
    ...(context ? { framingEdges: context.framingEdges.score } : {}),
    ...(context?.screenRecapture ? { screenRecapture: context.screenRecapture.score } : {}),
  };
}

/**
 * The selfie verdict from its evidence (pure). Full-frame: the selfie fusion for the installed setup. Tight crop:
 * the models-only fusion, confidence forced to `low` (limitation `tightFaceCrop`). Without the pack: limitation
 * `antiSpoofingPackMissing` on every answer.
 */
export function judgeSelfie(evidence: LivenessEvidence, calibration: SelfieLivenessCalibration = SELFIE_LIVENESS_CALIBRATION): LivenessVerdict {
  const limitations: LivenessLimitation[] = [];
  const withPack = evidence.models.minifasnet !== undefined;
  if (!withPack) limitations.push('antiSpoofingPackMissing');
  const tight = evidence.framing.tightCrop || !evidence.context;
  if (tight) limitations.push('tightFaceCrop');
  const setups = tight ? calibration.tightCrop : calibration;
  const model = withPack ? setups.withMinifasnet : setups.embedded;
  const verdict = selfieVerdict(fuseSelfie(evidence.models, tight ? undefined : evidence.context, model), model);
  if (tight) verdict.confidence = 'low';
  return {
    ...verdict,
    signals: signalScores(evidence.models, evidence.context),
    ...(verdict.value ? {} : { attackType: guessAttackType(tight ? undefined : evidence.context) }),
    limitations,
  };
}

/**
 * Hand detector threshold, 0–1. Fingers wrapped around a phone's or a print's edge show little of the hand, and the
 * detector scores them low (0.3–0.4 where Human's default is 0.5: the gripping thumb in mdoru spoofFace, the hand on
 * the phone in identity/human_vladmandic person-nicole); the medium-edge rule, not this threshold, filters stray hands.
 */
export const HAND_MIN_CONFIDENCE = 0.3;

export class LivenessEstimator {
  /** Only with `allSignals` (see LivenessScores.humanAntispoof). */
  private readonly antispoof?: HumanAntispoof;
  private readonly liveness: HumanLiveness;
  /** Both MiniFASNet variants when both packs are installed, else none (one variant alone was not calibrated). */
  private readonly minifasnet: MiniFasnet[];
  /** Whether every selfie's screen cues are measured (the fusion weighs them, or every signal is asked for). */
  private readonly screenWeighed: boolean;
  /** Working memory of the line-segment detector, reused by every request (framingEdges runs synchronously). */
  private readonly lineScratch = new LineSegmentScratch();
  /** The COCO detector and the hand detector, when their signal is weighed (or every signal is asked for). */
  private readonly objects?: HumanNanodet;
  private readonly hands?: HumanHandtrack;
  /** Where the framing edges are measured when given (checkLiveness: off the event loop); else on this thread. */
  private readonly photoThread?: LivenessPhotoThread;

  constructor(
    registry: ModelRegistry,
    private readonly calibration: LivenessCalibration = LIVENESS_CALIBRATION,
    private readonly selfieCalibration: SelfieLivenessCalibration = SELFIE_LIVENESS_CALIBRATION,
    /**
     * `allSignals`: run every context signal, weighed or not (the bench measures them all). `photoThread`: measure
     * the framing edges there (liveness-photo-thread.ts), with the same answer.
     */
    options: { allSignals?: boolean; photoThread?: LivenessPhotoThread } = {},
  ) {
    this.photoThread = options.photoThread;
    if (options.allSignals) this.antispoof = new HumanAntispoof(registry.get('human-antispoof').runner);
    this.liveness = new HumanLiveness(registry.get('human-liveness').runner);
    const weighed = weighedContextFeatures(selfieCalibration);
    // Hands are judged on the edge of the medium, which the device's box gives when it holds the face.
    if (options.allSignals || weighed.has('presentationDevice') || weighed.has('hands')) this.objects = new HumanNanodet(registry.get('human-nanodet').runner);
    if (options.allSignals || weighed.has('hands')) this.hands = new HumanHandtrack(registry.get('human-handtrack').runner);
    this.screenWeighed = options.allSignals === true || weighed.has('screenPeriodic') || weighed.has('screenColour');
    this.minifasnet = hasAntiSpoofingPack(registry)
      ? MINIFASNET_PACK_IDS.map((id) => {
          const m = registry.get(id);
          const scale = m.origin === 'pack' ? m.entry.faceCropScale : undefined;
          if (!scale) throw new Error(`pack ${id}: packs.json has no faceCropScale`);
          return new MiniFasnet(m.runner, scale);
        })
      : [];
  }

  /** Whether the MiniFASNet pack takes part. */
  get usesMinifasnet(): boolean {
    return this.minifasnet.length > 0;
  }

  /**
   * Whether a full-frame selfie can be answered live with high confidence with the installed setup (judgeSelfie):
   * with the pack it can; without it it cannot, as the embedded calibration's highest score, sigmoid(0.8714 + 0.063 ·
   * 9.21) = 0.81, is below its confidentLiveAt, 0.9213 (liveness-calibration.ts: without the pack every live answer goes
   * to review). checkLiveness's cascade keeps BlazeFace's analysis only for such an answer (check-liveness.ts).
   */
  get canPassConfidently(): boolean {
    const model = this.usesMinifasnet ? this.selfieCalibration.withMinifasnet : this.selfieCalibration.embedded;
    return highestSelfieScore(model) >= model.confidentLiveAt;
  }

  /**
   * Per-model scores of a face. `detectorBox` (pixels) is the face box for MiniFASNet (the detector's box,
   * as Silent-Face uses its detector's); the Human models get their crop from the landmarks' extent
   * (human-face-crop.ts), scaled by `humanBoxScale` (1 = Human's own crop; other values for the bench).
   */
  async scoreFace(image: RgbImage, detectorBox: Box, landmarks: FaceAnalysis['landmarks68'], humanBoxScale = 1): Promise<LivenessScores> {
    return (await this.queueScores(image, detectorBox, landmarks, humanBoxScale)).scores;
  }

  /**
   * scoreFace in two steps: resolves once every model's input is cut and its run asked for, with the scores still to
   * come, so the caller can measure the context on this thread while the models run on the inference thread (run
   * one after the other, the line-segment detector kept MiniFASNet's runs waiting: bench/RESULTS.md, "Liveness with
   * context", cost).
   */
  async queueScores(image: RgbImage, detectorBox: Box, landmarks: FaceAnalysis['landmarks68'], humanBoxScale = 1): Promise<{ scores: Promise<LivenessScores> }> {
    const extent = landmarkExtent(landmarks);
    const box =
      humanBoxScale === 1
        ? extent
        : {
            x: extent.x + (extent.width * (1 - humanBoxScale)) / 2,
            y: extent.y + (extent.height * (1 - humanBoxScale)) / 2,
            width: extent.width * humanBoxScale,
            height: extent.height * humanBoxScale,
          };
    // Human's 192² crop is cut whole only for the antispoof net (128², bench only); the liveness net's 32² input alone
    // reads 1 crop pixel in 36 (humanModelInputFor): the same input, ≈ 1.2 ms less per face (bench/RESULTS.md "Peers:
    // where ours' time goes").
    const crop = this.antispoof ? humanFaceCrop(image, box) : undefined;
    const humanLiveness = crop ? this.liveness.scoreCrop(crop) : this.liveness.score(image, box);
    const humanAntispoof = crop ? this.antispoof?.scoreCrop(crop) : undefined;
    // Swallowed here only while MiniFASNet's crops are cut; `scores` below awaits them.
    humanLiveness.catch(() => {});
    humanAntispoof?.catch(() => {});
    // MiniFASNet's crops are cut (sharp, off this thread) while the Human model runs.
    const minifasnet = this.minifasnet.length > 0 ? (await queueAverageRealProbability(this.minifasnet, image, detectorBox)).probability : undefined;
    const scores = Promise.all([humanLiveness, minifasnet, humanAntispoof]).then(([live, mini, anti]) => ({
      humanLiveness: live,
      ...(mini !== undefined ? { minifasnet: mini } : {}),
      ...(anti !== undefined ? { humanAntispoof: anti } : {}),
    }));
    scores.catch(() => {});
    return { scores };
  }

  /** Per-model scores of the analysed primary face. */
  scores(analysis: FaceAnalysis): Promise<LivenessScores> {
    return this.scoreFace(analysis.image, analysis.primary.box, analysis.landmarks68);
  }

  /**
   * The context signals around `face` (pixels of `image`). The two detectors run on one downscaled copy (the
   * inference thread works on them while this thread measures edges and moiré); the moiré looks at the full-resolution
   * photo, where a screen's pixel grid still shows.
   */
  async contextSignals(image: RgbImage, face: Box, downscaled?: Promise<DownscaledPhoto>): Promise<ContextSignals> {
    const view = viewOf(await (downscaled ?? downscaleForContext(image)), face);
    // The view's own aspect ratio at 416 on the longer side: 30 % less work than Human's 416² stretch, and the same
    // devices found (src/inference/human-nanodet.ts, NANODET_DEFAULT_INPUT_SIZE).
    const objectsFound = this.objects?.detect(view.image, { keepAspectRatio: true });
    // Swallowed here only to avoid an unhandled rejection while the edges and moiré are measured; awaited below.
    objectsFound?.catch(() => {});
    // On the photo thread the edges are measured while this thread measures the screen cues.
    const edgesMeasured = this.photoThread?.framingEdges(view);
    edgesMeasured?.catch(() => {});
    const screen = this.screenWeighed ? screenRecapture(image, face) : undefined;
    const edges = edgesMeasured ? await edgesMeasured : framingEdges(view, FRAMING_RULES, this.lineScratch);
    const signals: ContextSignals = { framingEdges: edges };
    if (screen) signals.screenRecapture = screen;
    if (objectsFound) signals.presentationDevice = presentationDevice(await objectsFound, view.face);
    if (this.hands) {
      // Hands only matter on the edge of a medium: look for them only when a device or a frame around the face was found.
      const medium = signals.presentationDevice?.evidence.device?.box ?? (edges.score > 0 ? framedRegion(edges.evidence.segments) : undefined);
      signals.hands = medium ? handsGripping(await this.hands.detect(view.image, { minConfidence: HAND_MIN_CONFIDENCE }), view.face, medium) : handsWithoutMedium();
    }
    return signals;
  }

  /**
   * The evidence for a selfie verdict: model scores, and the context signals unless the picture is a tight face crop.
   * `downscaled`: the context copy of `analysis.image`, when the caller started it early (checkLiveness does, so the
   * resize runs while the face detector does); made here otherwise.
   */
  async evidence(analysis: FaceAnalysis, downscaled?: Promise<DownscaledPhoto>): Promise<LivenessEvidence> {
    const framing = faceFraming(analysis.image.width, analysis.image.height, analysis.primary.box);
    // Every model run is asked for first; they run on the inference thread while this thread measures the context.
    const queued = await this.queueScores(analysis.image, analysis.primary.box, analysis.landmarks68);
    const context = framing.tightCrop ? undefined : await this.contextSignals(analysis.image, analysis.primary.box, downscaled);
    return { models: await queued.scores, ...(context ? { context } : {}), framing };
  }

  /**
   * The selfie liveness verdict (checkLiveness), with its signals, attack type and limitations. The screen cues are
   * measured for a not-live answer when the fusion did not need them: they name the medium (attackType `screen`).
   */
  async assess(analysis: FaceAnalysis, downscaled?: Promise<DownscaledPhoto>): Promise<LivenessVerdict> {
    const evidence = await this.evidence(analysis, downscaled);
    const verdict = judgeSelfie(evidence, this.selfieCalibration);
    if (verdict.value || !evidence.context || evidence.context.screenRecapture) return verdict;
    const context = { ...evidence.context, screenRecapture: screenRecapture(analysis.image, analysis.primary.box) };
    return { ...verdict, signals: signalScores(evidence.models, context), attackType: guessAttackType(context) };
  }

  /** The models-only liveness Verdict of a video frame's primary face (verifyVideo). */
  async verdict(analysis: FaceAnalysis): Promise<Verdict & { scores: LivenessScores }> {
    const scores = await this.scores(analysis);
    const model = fusionFor(scores, this.calibration);
    return { ...livenessVerdict(fuseScores(scores, model), model), scores };
  }
}
