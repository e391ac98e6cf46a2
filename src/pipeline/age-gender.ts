/**
 * Age range and gender of the primary face (HyperVerge checkLiveness `ageRange` / `checkGender`), from
 * face-api's AgeGenderNet.
 *
 * HyperVerge's public docs (documentation.hyperverge.co, Selfie Validation API / additional selfie checks)
 * list the flags but not the range boundaries they answer with, so the buckets below are our own, chosen
 * around common legal and life-stage ages: child ≤ 12, minor 13–18, then young adult bands.
 */
import { FaceApiAgeGender, alignedFaceBox } from '../inference/faceapi-age-gender.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { AgeRangeResult, Confidence, FaceAnalysis, GenderResult } from './types.js';

/** Age buckets, inclusive years; the last one is open-ended (reported up to 100). */
export const AGE_BUCKETS: readonly (readonly [number, number])[] = [
  [0, 12],
  [13, 18],
  [19, 25],
  [26, 35],
  [36, 45],
  [46, 60],
  [61, 100],
];

/**
 * An estimate within this many years of a bucket edge gets `low` confidence. Apparent-age regressors like
 * face-api's (trained on UTKFace-style data) are off by about 5–7 years on average, so even 3 years from an
 * edge is not sure; 3 keeps the middle of the 7–15-year-wide buckets `high`.
 */
export const AGE_EDGE_MARGIN_YEARS = 3;

/** Gender probability at or above which confidence is `high` (below it the classifier is unsure: 0.5–0.9). */
export const GENDER_HIGH_CONFIDENCE = 0.9;

/** The bucket holding `age` (rounded to whole years, clamped to 0–100), with edge-aware confidence. */
export function ageRange(age: number): AgeRangeResult {
  const years = Math.min(100, Math.max(0, Math.round(age)));
  const index = AGE_BUCKETS.findIndex(([, high]) => years <= high);
  const [low, high] = AGE_BUCKETS[index]!;
  // Distance to an inner edge (the bucket boundary shared with a neighbour); the outer 0 and 100 don't count.
  const toLower = index > 0 ? age - (low - 0.5) : Infinity;
  const toUpper = index < AGE_BUCKETS.length - 1 ? high + 0.5 - age : Infinity;
  const confidence: Confidence = Math.min(toLower, toUpper) < AGE_EDGE_MARGIN_YEARS ? 'low' : 'high';
  return { low, high, estimate: age, confidence };
}

/** Gender from the male probability (0–1): the likelier class, its probability as score. */
export function genderFromProbability(male: number): GenderResult {
  const value = male >= 0.5 ? 'Male' : 'Female';
  const score = value === 'Male' ? male : 1 - male;
  return { value, score, confidence: score >= GENDER_HIGH_CONFIDENCE ? 'high' : 'low' };
}

export class AgeGenderEstimator {
  private readonly net: FaceApiAgeGender;

  constructor(registry: ModelRegistry) {
    this.net = new FaceApiAgeGender(registry.get('faceapi-age-gender').runner);
  }

  async estimate(analysis: FaceAnalysis): Promise<{ ageRange: AgeRangeResult; gender: GenderResult; age: number; male: number }> {
    const { age, male } = await this.net.predict(analysis.image, alignedFaceBox(analysis.landmarks68));
    return { ageRange: ageRange(age), gender: genderFromProbability(male), age, male };
  }
}
