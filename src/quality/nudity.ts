/**
 * `nudity`: does the image contain nudity? nsfwjs MobileNetV2 on the whole image; the answer is
 * P(Porn) + P(Hentai). `Sexy` is NOT counted: on ordinary clothed portraits it reaches 0.96 (bench/quality.ts:
 * bulk_yifei, obama_and_biden 0.90), so counting it would flag normal selfies.
 */
import type { NsfwProbabilities } from '../inference/nsfwjs.js';
import { explained, type ExplainedVerdict, lowConfidence, thresholdVerdict } from './verdict.js';

/**
 * P(Porn) + P(Hentai) at or above which the image is flagged. nsfwjs's README example treats the top class
 * as the answer (≈ 0.5 for two-way ties); on the 58 face photos of the labelled sets (none nude) P(Porn) +
 * P(Hentai) reaches 0.64 (a sideways-rotated portrait) and 0.53 (a face looking down), so 0.7 keeps those
 * clear. No nude image is in the data sets: recall is unmeasured.
 */
export const NUDITY_THRESHOLD = 0.7;
/** A "no" at least 0.25 under the threshold (≤ 0.45) is `high` (bench/quality.ts: 99 labelled answers, 0 wrong); nearer, `low`. */
export const NUDITY_MARGIN = 0.25;

export function nudityScore(p: NsfwProbabilities): number {
  return p.Porn + p.Hentai;
}

/**
 * Basis `nsfwjs`: `pornProbability` and `hentaiProbability` (0–1, nsfwjs classes); their sum is compared with NUDITY_THRESHOLD.
 * A "yes" is always `low`: no labelled nude image exists in the dev data, so the error of a yes is unmeasured.
 */
export function nudityVerdict(p: NsfwProbabilities): ExplainedVerdict {
  const verdict = thresholdVerdict(nudityScore(p), { threshold: NUDITY_THRESHOLD, yesWhen: 'above', width: 0.05, margin: NUDITY_MARGIN });
  return explained(verdict.value ? lowConfidence(verdict) : verdict, { method: 'nsfwjs', measurements: { pornProbability: p.Porn, hentaiProbability: p.Hentai } });
}
