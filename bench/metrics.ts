/**
 * Pure accuracy metrics for the accuracy bench (bench/accuracy.ts): verification ROC / DET, TAR at a FAR,
 * EER, and presentation-attack detection error rates in ISO/IEC 30107-3 terms (APCER per attack type,
 * BPCER, ACER). No I/O.
 *
 * Score convention: higher = more "accept" (same person; bona fide). A comparison is accepted when
 * score ≥ threshold, as in errorRates (bench/calibration.ts), which the PAD rates reuse.
 *
 * The curves are EMPIRICAL: every distinct score is a threshold, nothing is interpolated between points.
 * Tied scores move together (a threshold cannot accept one tied sample and reject another), so a curve with
 * ties has diagonal steps, and a rate that would need splitting a tie is not reachable.
 */
import { errorRates } from './calibration.js';

/** One operating point of a verification system. */
export interface RocPoint {
  /** Accept when score ≥ threshold (+Infinity = accept nothing). */
  threshold: number;
  /** False accept rate: share of impostor comparisons accepted, 0–1. */
  far: number;
  /** True accept rate: share of genuine comparisons accepted, 0–1 (= 1 − FRR). */
  tar: number;
}

/** DET point: the same operating point as error rates (FRR = 1 − TAR), for a DET plot (probit axes). */
export interface DetPoint {
  threshold: number;
  far: number;
  frr: number;
}

/** Accepted share of `scores` at `threshold` (score ≥ threshold). */
const acceptedShare = (scores: readonly number[], threshold: number) => scores.filter((s) => s >= threshold).length / scores.length;

/**
 * The empirical ROC curve: one point per distinct score (accept when score ≥ it), from the strictest
 * (+Infinity: FAR 0, TAR 0) to the loosest (the lowest score: FAR 1, TAR 1), in that order.
 */
export function rocPoints(genuine: readonly number[], impostor: readonly number[]): RocPoint[] {
  if (genuine.length === 0 || impostor.length === 0) throw new RangeError(`rocPoints needs genuine and impostor scores (got ${genuine.length} and ${impostor.length})`);
  const thresholds = [Infinity, ...[...new Set([...genuine, ...impostor])].sort((a, b) => b - a)];
  return thresholds.map((threshold) => ({ threshold, far: acceptedShare(impostor, threshold), tar: acceptedShare(genuine, threshold) }));
}

/** DET points (FAR, FRR) of the empirical curve, same order as rocPoints. */
export function detPoints(genuine: readonly number[], impostor: readonly number[]): DetPoint[] {
  // FRR counted directly (rejected / total), not as 1 − TAR, so 1/3 stays 1/3 in floating point.
  const rejectedShare = (t: number) => genuine.filter((s) => s < t).length / genuine.length;
  return rocPoints(genuine, impostor).map((p) => ({ threshold: p.threshold, far: p.far, frr: rejectedShare(p.threshold) }));
}

export type TarAtFar =
  | { measurable: true; targetFar: number; tar: number; far: number; threshold: number }
  | {
      measurable: false;
      targetFar: number;
      /** Why not: the data set is too small to show a FAR this low. */
      reason: string;
      /** Impostor comparisons needed for at least one false accept to be possible at the target (⌈1 / target⌉). */
      impostorsNeeded: number;
    };

/**
 * TAR at a target FAR. Rule: the HIGHEST TAR among the empirical ROC points whose FAR ≤ target (no
 * interpolation), with that point's threshold and actual FAR; among equal TARs, the strictest threshold.
 *
 * Not measurable when target × #impostors < 1: with fewer than 1/target impostor comparisons, even a single
 * false accept exceeds the target, so "FAR ≤ target" can only mean "no false accept seen", which does not
 * show the system meets the target (e.g. 867 impostors cannot show FAR ≤ 0.01 %). Reported as such, never as
 * a number.
 */
export function tarAtFar(genuine: readonly number[], impostor: readonly number[], targetFar: number): TarAtFar {
  if (!(targetFar > 0 && targetFar <= 1)) throw new RangeError(`target FAR must be in (0, 1], got ${targetFar}`);
  // 1e-9: 10 × 0.1 must count as 1 despite floating point.
  if (impostor.length * targetFar < 1 - 1e-9) {
    const impostorsNeeded = Math.ceil(1 / targetFar - 1e-9);
    return {
      measurable: false,
      targetFar,
      impostorsNeeded,
      reason: `not measurable: ${impostor.length} impostor comparisons, ≥ ${impostorsNeeded} needed for FAR ${targetFar}`,
    };
  }
  let best: RocPoint | undefined;
  for (const p of rocPoints(genuine, impostor)) if (p.far <= targetFar + 1e-12 && (!best || p.tar > best.tar)) best = p;
  // The +Infinity point (FAR 0) always qualifies, so best is set.
  return { measurable: true, targetFar, tar: best!.tar, far: best!.far, threshold: best!.threshold };
}

/**
 * Equal error rate: at the empirical point where |FAR − FRR| is smallest, the mean (FAR + FRR) / 2, with its
 * threshold; the strictest such threshold on ties. On a step curve FAR and FRR rarely meet exactly, so the
 * mean at the closest point is the usual convention (e.g. bob.measure's `eer` uses the same idea).
 */
export function equalErrorRate(genuine: readonly number[], impostor: readonly number[]): { eer: number; threshold: number; far: number; frr: number } {
  let best = { eer: 1, threshold: Infinity, far: 0, frr: 1, gap: Infinity };
  for (const p of detPoints(genuine, impostor)) {
    const gap = Math.abs(p.far - p.frr);
    if (gap < best.gap - 1e-12) best = { eer: (p.far + p.frr) / 2, threshold: p.threshold, far: p.far, frr: p.frr, gap };
  }
  return { eer: best.eer, threshold: best.threshold, far: best.far, frr: best.frr };
}

/** A presentation to a PAD subsystem: its score (higher = more bona fide) and, for attacks, the attack type (PAI species). */
export interface PadSample {
  score: number;
  /** null = bona fide presentation; otherwise the attack type, e.g. 'print', 'replay'. */
  attackType: string | null;
}

export interface PadRates {
  threshold: number;
  /** Bona fide presentation classification error rate: share of bona fide presentations rejected (score < threshold), 0–1. */
  bpcer: number;
  bonaFide: number;
  /** APCER per attack type (PAI species): share of that type's attacks accepted (score ≥ threshold), 0–1, with its count. */
  apcerByType: Record<string, { apcer: number; attacks: number }>;
  /** The worst attack type's APCER (ISO/IEC 30107-3 reports the maximum over PAI species), 0–1. */
  apcerMax: number;
  /** All attacks pooled, 0–1 (depends on how many of each type the data has; shown for reference). */
  apcerPooled: number;
  /**
   * ACER = (apcerMax + BPCER) / 2: the OULU-NPU protocol's summary (Boulkenafet et al., FG 2017). ISO/IEC
   * 30107-3:2023 advises against averaging the two error types, so the components are always reported too.
   */
  acer: number;
}

/** ISO/IEC 30107-3 error rates at `threshold` (bona fide accepted when score ≥ threshold). */
export function padRates(samples: readonly PadSample[], threshold: number): PadRates {
  const bonaFide = samples.filter((s) => s.attackType === null);
  const attacks = samples.filter((s) => s.attackType !== null);
  const rates = (subset: readonly PadSample[]) => errorRates(subset.map((s) => s.score), subset.map((s) => s.attackType === null), threshold);
  const apcerByType: PadRates['apcerByType'] = {};
  for (const type of [...new Set(attacks.map((s) => s.attackType!))].sort()) {
    const r = rates(attacks.filter((s) => s.attackType === type));
    apcerByType[type] = { apcer: r.apcer, attacks: r.attacks };
  }
  const bpcer = rates(bonaFide).bpcer;
  const apcerMax = Math.max(0, ...Object.values(apcerByType).map((a) => a.apcer));
  return {
    threshold,
    bpcer,
    bonaFide: bonaFide.length,
    apcerByType,
    apcerMax,
    apcerPooled: rates(attacks).apcer,
    acer: (apcerMax + bpcer) / 2,
  };
}

/** PAD DET curve: (APCER of all attacks pooled, BPCER) at every distinct score; verification's DET with bona fide = genuine. */
export function padDetPoints(samples: readonly PadSample[]): { threshold: number; apcer: number; bpcer: number }[] {
  const bonaFide = samples.filter((s) => s.attackType === null).map((s) => s.score);
  const attacks = samples.filter((s) => s.attackType !== null).map((s) => s.score);
  return detPoints(bonaFide, attacks).map((p) => ({ threshold: p.threshold, apcer: p.far, bpcer: p.frr }));
}

export type BpcerAtApcer =
  | { measurable: true; targetApcer: number; bpcer: number; apcer: number; threshold: number }
  | { measurable: false; targetApcer: number; reason: string; attacksNeeded: number };

/**
 * BPCER at a target APCER (ISO/IEC 30107-3's BPCER20 = BPCER at APCER 5 %), all attacks pooled: tarAtFar with
 * bona fide as genuine and attacks as impostors (BPCER = 1 − TAR), same rule and same "not measurable" condition.
 */
export function bpcerAtApcer(samples: readonly PadSample[], targetApcer: number): BpcerAtApcer {
  const bonaFide = samples.filter((s) => s.attackType === null).map((s) => s.score);
  const attacks = samples.filter((s) => s.attackType !== null).map((s) => s.score);
  const r = tarAtFar(bonaFide, attacks, targetApcer);
  const rejected = (t: number) => bonaFide.filter((s) => s < t).length / bonaFide.length;
  if (!r.measurable) return { measurable: false, targetApcer, attacksNeeded: r.impostorsNeeded, reason: `not measurable: ${attacks.length} attacks, ≥ ${r.impostorsNeeded} needed for APCER ${targetApcer}` };
  return { measurable: true, targetApcer, bpcer: rejected(r.threshold), apcer: r.far, threshold: r.threshold };
}
