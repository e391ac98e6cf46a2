/**
 * Face analysis, once per request: detect faces, pick the primary face, find its 68 landmarks, and
 * make an upright (roll-corrected) face crop. Every later stage (liveness, quality checks, age/gender,
 * the cropped image) reads from the FaceAnalysis instead of re-detecting.
 */
import { AppError } from '../errors.js';
import { area, iou } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { rotatedSquareCrop } from '../imaging/warp.js';
import { FaceApiLandmarks68 } from '../inference/faceapi-face-landmark-68.js';
import type { FaceApiNetInput } from '../inference/faceapi-net-input.js';
import { FaceApiSsdMobilenetv1, SSD_MOBILENETV1_INPUT_SIZE } from '../inference/faceapi-ssd-mobilenetv1.js';
import type { BlazeFaceDetection } from '../inference/human-blazeface.js';
import { HumanBlazeFaceFront } from '../inference/human-blazeface-front.js';
import type { ModelRegistry } from '../inference/registry.js';
import { planYunetInput, type YunetFace, YunetDetector } from '../inference/yunet.js';
import { MIN_RELATIVE_FACE_SIDE } from '../quality/multiple-faces.js';
import { faceFraming } from './liveness.js';
import type { Box } from '../imaging/geometry.js';
import { eyeCentres } from '../face/landmarks.js';
import type { FaceAnalysis, FaceDetection, FaceDetector, Point } from './types.js';

/** Side of the aligned face crop, pixels (large enough for every per-face model we run: ≤ 224). */
export const ALIGNED_FACE_SIZE = 256;
/**
 * The aligned crop covers the landmarks' extent × this factor, so forehead, hair line and chin stay in
 * view (the 68 points stop at the brows); 1.6 keeps a typical head inside (checked on the face-api samples).
 */
export const ALIGNED_FACE_MARGIN = 1.6;
/** Detector confidence for a face to count, 0–1: face-api's SsdMobilenetv1Options default minConfidence. */
export const DETECTION_MIN_CONFIDENCE = 0.5;

/**
 * The detector cascade (issue #17): BlazeFace first, the front-camera (short-range) model at 128² (≈ 2.5 ms with its
 * input on 2 cores, models/manifest.json `human-blazeface-front`); the SSD (≈ 32 ms at 512²) only where BlazeFace's
 * answer alone could differ from the SSD's in a way a caller sees. Each rule below has its reason; bench/RESULTS.md
 * "Detector cascade" has the counts on every dev image set. The rules were chosen with the 256² back-camera model
 * (`human-blazeface`, ≈ 9 ms) and measured again with the front one, which replaced it (2026-12-01): on the 255 dev
 * images it answers alone for 103 (back: 99), and with both the properties stated below hold.
 *
 * BlazeFace decides alone only when it is sure: one face at ≥ CASCADE_MIN_SCORE and no other candidate at
 * ≥ CASCADE_DOUBT_SCORE. On the dev sets BlazeFace scores the faces of full-frame portraits 0.9–0.97 (masked faces
 * 0.7–0.8), while its candidates on things that are not faces (dlib_faces/dogs.jpg, the second boxes it puts on a
 * face's parts in tight crops) stay ≤ 0.7: below 0.75 the SSD decides.
 */
export const CASCADE_MIN_SCORE = 0.75;
/**
 * A second BlazeFace candidate at this score or above sends the image to the SSD: group photos, a face on an ID card or
 * a screen beside the applicant, a passer-by. 0.3 lies between Human's reporting floor (human src/config.ts
 * face.detector.minConfidence 0.2) and MediaPipe's acceptance (0.5): a candidate there is too weak to call a face but
 * enough to doubt that BlazeFace alone saw everything. Measured when choosing it (all 255 dev images, every size rule):
 * with 0.3 no image BlazeFace answered alone had a second face the SSD finds at ≥ 0.3 × the primary's side (what
 * multipleFaces counts); with 0.4 or 0.5 one had (back-camera model), with 0.5 two had (front-camera model).
 */
export const CASCADE_DOUBT_SCORE = 0.3;
/**
 * Faces smaller than this fraction of the image's longer side go to the SSD: BlazeFace's recall falls for them
 * (faces the SSD finds at 0.05–0.1 of the longer side, scored ≥ CASCADE_MIN_SCORE: 96 of 178 by the 256² back-camera
 * model, 4 by the 128² front-camera one, which sees them at < 13 px; at 0.1–0.15: 39 and 32 of 42), while the SSD
 * sees the image at 512² (small faces: ID cards held up, people far from the camera). A face BlazeFace cannot see
 * cannot raise the doubt above, so the primary face must be large enough that what it misses is smaller.
 */
export const CASCADE_MIN_FACE_SIDE = 0.1;
/*
 * When the caller needs every face counted (the multipleFaces check), BlazeFace cannot count alone: it could only for a
 * face ≥ CASCADE_MIN_FACE_SIDE / 0.3 ≈ 0.33 of the longer side (multipleFaces counts second faces down to 0.3 × the
 * primary's side, quality/multiple-faces.ts MIN_RELATIVE_FACE_SIDE, and BlazeFace's floor is CASCADE_MIN_FACE_SIDE).
 * That held for 42 of the 255 dev images (bench cascade, first run, back-camera model), and `npm run bench --
 * check-liveness` with every check got 8–25 ms slower. So a second detector counts: YuNet (the FACE_COUNTER_* rules
 * below), which sees faces down to ≈ 10 px at its input for a few ms, where the SSD costs ≈ 32 ms at 512². Without the
 * YuNet pack installed the SSD counts, as before.
 */

/**
 * The face counter: YuNet-s with a dynamic input (models/packs.json `yunet-s-dynamic`, a default pack). Measured as a
 * counter on the 255 dev images (`npm run bench -- cascade --packs=DIR`, bench/RESULTS.md "YuNet as the face counter"):
 * of the 103 images BlazeFace answers alone, YuNet-s at ≤ 640 px lets 99 skip the SSD (11.1 ms mean per image), at
 * ≤ 320 px 78 (8.2 ms); YuNet-n at ≤ 480 px 96 (10.7 ms), at ≤ 640 px 100 (13.1 ms); the fixed 320² YuNet-n 77 (11.3 ms;
 * times on 2 loaded cores, where the SSD took 58.9 ms). No variant changed a multipleFaces answer the SSD got right.
 * What changes: 4 images in which the SSD finds no face (a blurred face, two tilted heads, a hand over the mouth; 422
 * before) are answered with BlazeFace's face, as they already are without the check.
 */
export const FACE_COUNTER_PACK_ID = 'yunet-s-dynamic';
/**
 * Longer side of YuNet's input, pixels (the image is scaled down to it, never up; yunet.ts planYunetInput). 640: the
 * pack's typicalShape, and the side at which nearly every face BlazeFace answers for passes
 * FACE_COUNTER_MIN_PRIMARY_SIDE (67 / 640 ≈ 0.1 of the longer side, CASCADE_MIN_FACE_SIDE). YuNet is trained for faces
 * of ≈ 10–300 px (opencv_zoo models/face_detection_yunet/README.md): a larger primary face that it misses sends the
 * image to the SSD (no face to match), which costs time, not answers.
 */
export const FACE_COUNTER_MAX_SIDE = 640;
/**
 * YuNet faces scoring at least this (0–1) take part: the SSD's own count threshold (DETECTION_MIN_CONFIDENCE), lower
 * than OpenCV FaceDetectorYN's default 0.9 so that a doubtful second face sends the image to the SSD. With 0.5, 0.6,
 * 0.7 or 0.9 the counts differed only in how many images skip the SSD (bench cascade), never in a wrong answer.
 */
export const FACE_COUNTER_MIN_SCORE = 0.5;
/**
 * Smallest side of the primary face in YuNet's input, pixels, for YuNet to count: a second face that multipleFaces
 * counts is ≥ 0.3 × the primary's side (MIN_RELATIVE_FACE_SIDE), 0.3 × 67 ≈ 20 px, twice YuNet's ≈ 10 px floor
 * (opencv_zoo README above); a near miss (FACE_COUNTER_OTHER_FACE_SIDE, 0.21 ×) is then ≈ 14 px, still above it. With
 * 48 px (0.21 × 48 ≈ 10 px, at the floor) no answer changed either (102 skip the SSD); 95 px (a near miss at twice the
 * floor) let 91 skip instead of 99.
 */
export const FACE_COUNTER_MIN_PRIMARY_SIDE = 67;
/** A YuNet face is BlazeFace's face when their boxes overlap by at least this IoU (0–1); else the SSD counts. */
export const FACE_COUNTER_SAME_FACE_IOU = 0.3;
/**
 * Any other YuNet face of at least this × the primary's side (√area) sends the image to the SSD: multipleFaces calls
 * a face from 0.7 × MIN_RELATIVE_FACE_SIDE a near miss (quality/multiple-faces.ts multipleFacesVerdict, confidence
 * `low`), so only an image with nothing that large beside the primary face gets today's answer without the SSD: no
 * second face, high confidence. YuNet's faces never count themselves: the SSD's scores and boxes stay the answer's.
 */
/**
 * verifyVideo's frames: where BlazeFace cannot answer alone (a small face, several faces, a turned head), YuNet's
 * largest face scoring at least this (0–1) is the frame's face, and the SSD runs only where YuNet finds none
 * (AnalyzeOptions.yunetBeforeSsd). Why: the SSD (≈ 33 ms at 512² on 2 cores) was the largest single cost of a 10 s
 * clip, and YuNet at ≤ FACE_COUNTER_MAX_SIDE costs ≈ 11 ms a 640×360 frame (17 runs, 186 ms: bench/RESULTS.md
 * "verifyVideo: YuNet before the SSD").
 * 0.5: the score at which the counter already takes a YuNet face for a face (FACE_COUNTER_MIN_SCORE), and the SSD's
 * own threshold on photos (DETECTION_MIN_CONFIDENCE); the photo path keeps the SSD, whose boxes its later stages were
 * calibrated on. The face's box comes from its landmarks, as BlazeFace's does (boxFromLandmarks).
 */
export const VIDEO_SECOND_STAGE_MIN_SCORE = 0.5;
export const FACE_COUNTER_OTHER_FACE_SIDE = MIN_RELATIVE_FACE_SIDE * 0.7;

/** The two tunable numbers of the counting rule (the bench varies them; the service uses FACE_COUNTER_RULE). */
export interface FaceCounterRule {
  /** FACE_COUNTER_MIN_SCORE. */
  minScore: number;
  /** FACE_COUNTER_MIN_PRIMARY_SIDE. */
  minPrimarySide: number;
}
export const FACE_COUNTER_RULE: FaceCounterRule = Object.freeze({ minScore: FACE_COUNTER_MIN_SCORE, minPrimarySide: FACE_COUNTER_MIN_PRIMARY_SIDE });

/**
 * Whether YuNet's `faces` (image pixels) confirm that `primary` (BlazeFace's face, image pixels) is the only face
 * multipleFaces could count or call a near miss (the FACE_COUNTER_* rules); `inputScale`: YuNet input pixels per image
 * pixel. Sides are √area, as multipleFaces measures them.
 */
export function faceCounterConfirms(faces: readonly YunetFace[], primary: Box, inputScale: number, rule: FaceCounterRule = FACE_COUNTER_RULE): boolean {
  const side = (b: Box) => Math.sqrt(area(b));
  if (side(primary) * inputScale < rule.minPrimarySide) return false;
  const scored = faces.filter((f) => f.score >= rule.minScore);
  const overlaps = scored.map((f) => iou(f.box, primary));
  const best = Math.max(0, ...overlaps);
  if (best < FACE_COUNTER_SAME_FACE_IOU) return false;
  const same = scored[overlaps.indexOf(best)]!;
  return !scored.some((f) => f !== same && side(f.box) >= FACE_COUNTER_OTHER_FACE_SIDE * side(same.box));
}
/*
 * A tight face crop (the face fills the picture: liveness.ts TIGHT_CROP_CONTEXT_RATIO) goes to the SSD too. BlazeFace
 * finds faces in such crops where the SSD, which needs context around a face, does not (bench cascade: 24 of the 45
 * liveness/tranvanluyt crops, 4 of bbt_faceapi's), and the liveness models cannot judge them: in the accuracy bench 8 of
 * the 10 replayed tranvanluyt crops BlazeFace finds would be answered live (low confidence) where the service answers
 * 422 today. What the service answers for a tight crop stays what was measured with the SSD.
 */

/**
 * BlazeFace box → a first guess of the box the SSD would draw, for the landmark net's crop (ssdLikeBox). BlazeFace's
 * boxes are square and tight around eyes to mouth; the SSD's are taller (forehead to chin). Medians over the 166 faces
 * both detectors found (IoU > 0.3) with the BlazeFace face ≥ CASCADE_MIN_FACE_SIDE of the longer side (where the
 * cascade uses it), in units of the BlazeFace box side (`npm run bench -- cascade` prints them): the SSD box's centre is
 * 0.026 left and 0.085 above BlazeFace's, it is 0.905 as wide and 1.140 as tall. The mapped box alone is not close
 * enough to the SSD's (median IoU 0.79 with the back-camera model's boxes): the final box comes from the landmarks
 * (LANDMARKS_TO_SSD_BOX).
 */
export const BLAZEFACE_TO_SSD_BOX = Object.freeze({ dx: -0.026, dy: -0.085, width: 0.905, height: 1.14 });

/** BLAZEFACE_TO_SSD_BOX applied to one BlazeFace box (pixels). */
export function ssdLikeBox(box: Box): Box {
  const side = box.width;
  const m = BLAZEFACE_TO_SSD_BOX;
  const cx = box.x + box.width / 2 + m.dx * side;
  const cy = box.y + box.height / 2 + m.dy * side;
  const width = side * m.width;
  const height = side * m.height;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/**
 * The SSD's box from the 68 landmarks' extent (x₀…x₁ × y₀…y₁, width w, height h): its edges are x₀ + 0.008 w,
 * y₀ − 0.278 h (the forehead above the brows, which the 68 points stop at), x₁ − 0.009 w, y₁ + 0.018 h (medians over the
 * 93 dev faces the cascade gave to the back-camera BlazeFace, landmarks from the SSD's box; `npm run bench -- cascade`
 * prints them). The fit does not involve BlazeFace, only which faces it picks: over the 98 the front-camera model picks
 * the medians move by ≤ 0.006 (top −0.275, bottom 0.024), so the constants were kept.
 * The later stages were calibrated on SSD boxes (the MiniFASNet and Human crops, the framing ratio, the context
 * signals): this box has a median IoU of 0.85 with the SSD's own (leave-one-out), against 0.79 for ssdLikeBox.
 */
export const LANDMARKS_TO_SSD_BOX = Object.freeze({ left: 0.008, top: -0.278, right: -0.009, bottom: 0.018 });

/** LANDMARKS_TO_SSD_BOX applied to 68 landmarks (pixels). */
export function boxFromLandmarks(landmarks: readonly Point[]): Box {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of landmarks) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  const [w, h] = [x1 - x0, y1 - y0];
  const m = LANDMARKS_TO_SSD_BOX;
  const left = x0 + m.left * w;
  const top = y0 + m.top * h;
  return { x: left, y: top, width: x1 + m.right * w - left, height: y1 + m.bottom * h - top };
}

/**
 * The faces BlazeFace alone may answer with, or undefined when the SSD must run (the rules above).
 */
export function blazeFaceVerdict(detections: readonly BlazeFaceDetection[], imageWidth: number, imageHeight: number): FaceDetection[] | undefined {
  const [best, ...others] = detections;
  if (!best || best.score < CASCADE_MIN_SCORE) return undefined;
  if (others.some((d) => d.score >= CASCADE_DOUBT_SCORE)) return undefined;
  const side = Math.max(best.box.width, best.box.height) / Math.max(imageWidth, imageHeight);
  if (side < CASCADE_MIN_FACE_SIDE) return undefined;
  const box = ssdLikeBox(best.box);
  if (faceFraming(imageWidth, imageHeight, box).tightCrop) return undefined;
  return [{ box, score: best.score }];
}

export interface AnalyzeOptions {
  /** Detector confidence (0–1) for the SSD; default DETECTION_MIN_CONFIDENCE (verifyVideo's frames use a lower one). */
  minConfidence?: number;
  /**
   * The caller needs every face in the image counted (the multipleFaces check): BlazeFace answers only where YuNet
   * confirms its face is the only one (faceCounterConfirms), else the SSD counts. Default false.
   */
  countFaces?: boolean;
  /**
   * The SSD alone, as before the cascade (face-api's `detectAllFaces` with SsdMobilenetv1Options): for the parity
   * tests against face-api and the cascade bench's comparison. Default false.
   */
  ssdOnly?: boolean;
  /**
   * Where BlazeFace cannot answer alone, YuNet's largest face (where its pack is installed) before the SSD; the SSD only
   * where YuNet finds none (VIDEO_SECOND_STAGE_MIN_SCORE): verifyVideo's frames. Not with `countFaces` (the SSD, or the
   * counter's confirmation, counts). Default false.
   */
  yunetBeforeSsd?: boolean;
}

export { eyeCentres } from '../face/landmarks.js';

/** In-plane rotation of the face, radians: angle of the line from the image-left eye to the image-right eye. */
export function rollFromLandmarks(landmarks: Point[]): number {
  const { left, right } = eyeCentres(landmarks);
  return Math.atan2(right.y - left.y, right.x - left.x);
}

/** The largest face (by box area): the person holding the camera is closest to it. */
export function pickPrimaryFace(faces: FaceDetection[]): FaceDetection | undefined {
  return faces.reduce<FaceDetection | undefined>((best, f) => (!best || area(f.box) > area(best.box) ? f : best), undefined);
}

/** Upright square crop around the landmarks: centre of their extent, side = extent (in the face's frame) × margin. */
export function alignFace(image: RgbImage, landmarks: Point[], roll: number, size = ALIGNED_FACE_SIZE): FaceAnalysis['alignedFace'] {
  const cos = Math.cos(-roll);
  const sin = Math.sin(-roll);
  // Extent measured in the face's own (de-rotated) frame.
  const us = landmarks.map((p) => cos * p.x - sin * p.y);
  const vs = landmarks.map((p) => sin * p.x + cos * p.y);
  const [uMin, uMax, vMin, vMax] = [Math.min(...us), Math.max(...us), Math.min(...vs), Math.max(...vs)];
  const side = Math.max(uMax - uMin, vMax - vMin) * ALIGNED_FACE_MARGIN;
  const cu = (uMin + uMax) / 2;
  const cv = (vMin + vMax) / 2;
  // Back to image coordinates: rotate the frame centre by +roll.
  const centre = { x: Math.cos(roll) * cu - Math.sin(roll) * cv, y: Math.sin(roll) * cu + Math.cos(roll) * cv };
  const crop = rotatedSquareCrop(image, centre, roll, side, size);
  return { image: crop.image, scale: crop.scale, origin: crop.origin };
}

/**
 * Makes face-api's detector input (toFaceApiNetInput) of an image, maybe on another thread (checkLiveness's
 * liveness-photo-thread.ts: the 512² resize is ≈ 8 ms of event-loop time per photo on 2 cores), with the same values.
 */
export type NetInputMaker = (image: RgbImage, inputSize: number) => Promise<FaceApiNetInput>;

export class FaceAnalyzer {
  private readonly detector: FaceApiSsdMobilenetv1;
  private readonly fastDetector: HumanBlazeFaceFront;
  private readonly landmarks: FaceApiLandmarks68;
  /** YuNet, where its pack is installed; undefined: the SSD counts faces (FACE_COUNTER_PACK_ID). */
  private readonly faceCounter?: { detector: YunetDetector; inputShape: readonly (number | string)[] };

  /** `netInput`: where the SSD's input is made; on this thread when not given. */
  constructor(
    registry: ModelRegistry,
    private readonly netInput?: NetInputMaker,
  ) {
    this.detector = new FaceApiSsdMobilenetv1(registry.get('faceapi-ssd-mobilenetv1').runner);
    this.fastDetector = new HumanBlazeFaceFront(registry.get('human-blazeface-front').runner);
    this.landmarks = new FaceApiLandmarks68(registry.get('faceapi-face-landmark-68').runner);
    if (registry.list().some((m) => m.entry.id === FACE_COUNTER_PACK_ID)) {
      const { runner } = registry.get(FACE_COUNTER_PACK_ID);
      this.faceCounter = { detector: new YunetDetector(runner), inputShape: runner.inputs[0]!.shape };
    }
  }

  /**
   * The faces in `image` by the cascade (BlazeFace, then the SSD where BlazeFace's rules send it; with
   * `yunetBeforeSsd`, YuNet before the SSD), and which decided. When BlazeFace or YuNet decided, the primary face's box
   * is the SSD-like box from its landmarks (boxFromLandmarks), and `landmarks68` are the landmarks from that box, as the
   * SSD path would compute them.
   */
  async detect(image: RgbImage, options: AnalyzeOptions = {}): Promise<{ faces: FaceDetection[]; detector: FaceDetector; landmarks68?: Point[] }> {
    const cascade = !options.ssdOnly && (!options.countFaces || this.faceCounter);
    const fast = cascade ? await this.blazeFaceAlone(image, options.countFaces) : undefined;
    if (!fast && options.yunetBeforeSsd && !options.countFaces && this.faceCounter) {
      const found = await this.yunetFaces(image);
      if (found) return found;
    }
    if (!fast) {
      const minConfidence = options.minConfidence ?? DETECTION_MIN_CONFIDENCE;
      const faces = this.netInput
        ? await this.detector.detectInput(await this.netInput(image, SSD_MOBILENETV1_INPUT_SIZE), { minConfidence })
        : await this.detector.detect(image, { minConfidence });
      return { faces, detector: 'ssd' };
    }
    return { faces: [fast.face], detector: 'blazeface', landmarks68: fast.landmarks68 };
  }

  /**
   * BlazeFace's one face and its landmarks where its rules let it answer alone (blazeFaceVerdict) and, with
   * `countFaces`, YuNet confirms that face is the only one (faceCounterConfirms); else undefined.
   */
  private async blazeFaceAlone(image: RgbImage, countFaces = false): Promise<{ face: FaceDetection; landmarks68: Point[] } | undefined> {
    const fast = blazeFaceVerdict(await this.fastDetector.detect(image, { minConfidence: CASCADE_DOUBT_SCORE }), image.width, image.height);
    if (!fast) return undefined;
    const face = fast[0]!;
    if (countFaces && !(await this.onlyFace(image, face.box))) return undefined;
    const box = boxFromLandmarks(await this.landmarks.detect(image, face.box));
    return { face: { box, score: face.score }, landmarks68: await this.landmarks.detect(image, box) };
  }

  /**
   * YuNet's faces scoring ≥ VIDEO_SECOND_STAGE_MIN_SCORE, or undefined when it finds none or its largest face fills
   * the picture (a tight crop, which the SSD answers: the comment above ssdLikeBox). The largest is the primary:
   * its box becomes the SSD-like box from the landmarks read in YuNet's box (boxFromLandmarks), and `landmarks68` are
   * read again from that box, as for BlazeFace's face (blazeFaceAlone).
   */
  private async yunetFaces(image: RgbImage): Promise<{ faces: FaceDetection[]; detector: FaceDetector; landmarks68: Point[] } | undefined> {
    const found = await this.faceCounter!.detector.detect(image, { scoreThreshold: VIDEO_SECOND_STAGE_MIN_SCORE, maxSide: FACE_COUNTER_MAX_SIDE });
    const detections = found.map((f) => ({ box: f.box, score: f.score }));
    const largest = pickPrimaryFace(detections);
    if (!largest) return undefined;
    const primary = { box: boxFromLandmarks(await this.landmarks.detect(image, largest.box)), score: largest.score };
    // A tight face crop stays the SSD's to answer, as it does for BlazeFace (the comment above ssdLikeBox).
    if (faceFraming(image.width, image.height, primary.box).tightCrop) return undefined;
    return { faces: detections.map((f) => (f === largest ? primary : f)), detector: 'yunet', landmarks68: await this.landmarks.detect(image, primary.box) };
  }

  /** Whether YuNet confirms `box` is the only face multipleFaces could count (false without the YuNet pack). */
  private async onlyFace(image: RgbImage, box: Box): Promise<boolean> {
    if (!this.faceCounter) return false;
    const { detector, inputShape } = this.faceCounter;
    const faces = await detector.detect(image, { scoreThreshold: FACE_COUNTER_MIN_SCORE, maxSide: FACE_COUNTER_MAX_SIDE });
    return faceCounterConfirms(faces, box, planYunetInput(image.width, image.height, inputShape, FACE_COUNTER_MAX_SIDE).scale);
  }

  /** Analyses the primary face of `image`; throws NO_FACE_DETECTED when the detector finds none. */
  async analyze(image: RgbImage, options: AnalyzeOptions = {}): Promise<FaceAnalysis> {
    const detected = await this.detect(image, options);
    const { faces, detector } = detected;
    const primary = pickPrimaryFace(faces);
    if (!primary) throw new AppError('NO_FACE_DETECTED', 'no face detected in the image');
    const landmarks68 = detected.landmarks68 ?? (await this.landmarks.detect(image, primary.box));
    return analysisOf(image, faces, detector, primary, landmarks68);
  }

  /**
   * The primary face of `image` when BlazeFace alone decides it (the cascade's rules, blazeFaceVerdict), as `analyze`
   * answers then; undefined where the cascade would run the SSD. verifyVideo follows the face from the frame before
   * there instead, while its last detection is recent (video-face-tracker.ts).
   */
  async analyzeWithoutSsd(image: RgbImage): Promise<FaceAnalysis | undefined> {
    const fast = await this.blazeFaceAlone(image);
    return fast && analysisOf(image, [fast.face], 'blazeface', fast.face, fast.landmarks68);
  }

  /**
   * The face in `box` (pixels of `image`), found without a detector: its 68 landmarks from that box, as the SSD path of
   * `analyze` finds them from the SSD's box. verifyVideo follows a face between detector runs this way
   * (video-face-tracker.ts: `box` is the last detection's box, moved with the face). `found` is that detection: its
   * detector and score stand for this frame's. Whether the box holds a face at all is the caller's to check (the landmark
   * net places 68 points on whatever it is given).
   */
  async analyzeAt(image: RgbImage, box: Box, found: { detector: FaceDetector; score: number }): Promise<FaceAnalysis> {
    const primary = { box, score: found.score };
    return analysisOf(image, [primary], found.detector, primary, await this.landmarks.detect(image, box));
  }
}

/** The FaceAnalysis of `primary` with its landmarks; the aligned crop is made on first use. */
function analysisOf(image: RgbImage, faces: FaceDetection[], detector: FaceDetector, primary: FaceDetection, landmarks68: Point[]): FaceAnalysis {
  const roll = rollFromLandmarks(landmarks68);
  // The aligned crop (a rotated resample, ≈ 3.5 ms on 2 cores) is made on first use: the quality checks, age/gender,
  // the cropped image and face match read it; a liveness-only checkLiveness never does.
  let aligned: FaceAnalysis['alignedFace'] | undefined;
  const analysis = { image, faces, detector, primary, landmarks68, roll } as FaceAnalysis;
  Object.defineProperty(analysis, 'alignedFace', { enumerable: true, configurable: true, get: () => (aligned ??= alignFace(image, landmarks68, roll)) });
  return analysis;
}

/**
 * Gives `analysis` its aligned crop, made elsewhere with alignFace(analysis.image, analysis.landmarks68, analysis.roll)
 * (checkLiveness: on its photo thread), so that it is not made again on first use.
 */
export function provideAlignedFace(analysis: FaceAnalysis, alignedFace: FaceAnalysis['alignedFace']): void {
  Object.defineProperty(analysis, 'alignedFace', { enumerable: true, configurable: true, value: alignedFace });
}
