/**
 * Pure statistics for calibrating binary presentation-attack detectors: error rates in ISO/IEC 30107-3
 * terms, ROC AUC, an L2-regularised weighted logistic regression, and grouped cross-validation.
 * Label convention: `live = true` is a bona fide presentation, `false` an attack.
 */

export interface Sample {
  /** Features (e.g. logits of per-model scores). */
  x: number[];
  live: boolean;
  /** Cross-validation group: samples of one group are held out together (frames of one video segment). */
  group: string;
  /**
   * Capture session (one person, one recording or photo set) for weighting: every session of a class gets the
   * same total weight, so hundreds of correlated frames of one video do not outvote another session. Defaults to `group`.
   */
  session?: string;
}

/**
 * ISO/IEC 30107-3 error rates at a threshold (live when score ≥ threshold): APCER = share of attack
 * presentations accepted as live, BPCER = share of bona fide presentations rejected. Both 0–1.
 */
export function errorRates(
  scores: readonly number[],
  live: readonly boolean[],
  threshold: number,
  weights?: readonly number[],
): { apcer: number; bpcer: number; attacks: number; bonaFide: number } {
  let attacks = 0;
  let accepted = 0;
  let bonaFide = 0;
  let rejected = 0;
  let attackWeight = 0;
  let bonaFideWeight = 0;
  scores.forEach((s, i) => {
    const w = weights ? weights[i]! : 1;
    if (live[i]) {
      bonaFide++;
      bonaFideWeight += w;
      if (s < threshold) rejected += w;
    } else {
      attacks++;
      attackWeight += w;
      if (s >= threshold) accepted += w;
    }
  });
  return { apcer: attackWeight ? accepted / attackWeight : 0, bpcer: bonaFideWeight ? rejected / bonaFideWeight : 0, attacks, bonaFide };
}

/** ROC area under the curve: probability that a random bona fide sample outscores a random attack (ties count ½). */
export function rocAuc(scores: readonly number[], live: readonly boolean[]): number {
  const pos = scores.filter((_, i) => live[i]);
  const neg = scores.filter((_, i) => !live[i]);
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/**
 * The threshold minimising the mean of APCER and BPCER (ACER, ISO/IEC 30107-3's average classification error
 * rate), searched over midpoints between sorted scores; ties broken towards the threshold nearest `prefer`.
 * With `weights`, the rates are weighted shares (e.g. balancedWeights: every capture group counts the same).
 */
export function balancedThreshold(scores: readonly number[], live: readonly boolean[], prefer = 0.5, weights?: readonly number[]): number {
  const sorted = [...new Set(scores)].sort((a, b) => a - b);
  const candidates = [sorted[0]! - 1e-9, ...sorted.slice(1).map((s, i) => (s + sorted[i]!) / 2), sorted[sorted.length - 1]! + 1e-9];
  let best = prefer;
  let bestError = Infinity;
  for (const t of candidates) {
    const { apcer, bpcer } = errorRates(scores, live, t, weights);
    const error = (apcer + bpcer) / 2;
    if (error < bestError - 1e-12 || (Math.abs(error - bestError) <= 1e-12 && Math.abs(t - prefer) < Math.abs(best - prefer))) {
      best = t;
      bestError = error;
    }
  }
  return best;
}

export interface LogisticModel {
  weights: number[];
  bias: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function predict(model: LogisticModel, x: readonly number[]): number {
  return sigmoid(model.bias + model.weights.reduce((s, w, i) => s + w * x[i]!, 0));
}

/**
 * Weighted logistic regression with an L2 penalty `lambda`·|w|²/2 on the weights (not the bias), fitted by
 * Newton's method (IRLS), with balancedWeights: each class gets half the total weight, so a class with more
 * samples does not move the decision point, and within a class every session gets the same weight.
 */
export function fitLogistic(samples: readonly Sample[], lambda = 1): LogisticModel {
  const d = samples[0]?.x.length ?? 0;
  const weightOf = balancedWeights(samples);
  const beta = new Array<number>(d + 1).fill(0); // [bias, w1..wd]
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Array<number>(d + 1).fill(0);
    const hessian = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    samples.forEach((s, i) => {
      const features = [1, ...s.x];
      const p = sigmoid(features.reduce((acc, f, j) => acc + f * beta[j]!, 0));
      const w = weightOf[i]!;
      for (let j = 0; j <= d; j++) {
        gradient[j]! += w * (p - (s.live ? 1 : 0)) * features[j]!;
        for (let k = 0; k <= d; k++) hessian[j]![k]! += w * p * (1 - p) * features[j]! * features[k]!;
      }
    });
    for (let j = 1; j <= d; j++) {
      gradient[j]! += lambda * beta[j]!;
      hessian[j]![j]! += lambda;
    }
    hessian[0]![0]! += 1e-9;
    const step = solve(hessian, gradient);
    step.forEach((v, j) => (beta[j]! -= v));
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { bias: beta[0]!, weights: beta.slice(1) };
}

/** Sample weights: each class sums to ½, split equally between the class's sessions, then between their samples. */
export function balancedWeights(samples: readonly Sample[]): number[] {
  const sessionOf = (s: Sample) => s.session ?? s.group;
  const sessionsPerClass = new Map<boolean, Set<string>>([
    [true, new Set()],
    [false, new Set()],
  ]);
  const perCell = new Map<string, number>();
  for (const s of samples) {
    sessionsPerClass.get(s.live)!.add(sessionOf(s));
    const key = `${s.live}|${sessionOf(s)}`;
    perCell.set(key, (perCell.get(key) ?? 0) + 1);
  }
  return samples.map((s) => 0.5 / sessionsPerClass.get(s.live)!.size / perCell.get(`${s.live}|${sessionOf(s)}`)!);
}

/** Gaussian elimination with partial pivoting: solves A·x = b. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Leave-one-group-out: for every fold (a set of groups), fit on the other samples and score the held-out
 * ones. Returns the out-of-fold probability per sample, in input order.
 */
export function crossValidatedScores(samples: readonly Sample[], folds: readonly (readonly string[])[], lambda = 1): number[] {
  const out = new Array<number>(samples.length).fill(Number.NaN);
  for (const fold of folds) {
    const held = new Set(fold);
    const model = fitLogistic(samples.filter((s) => !held.has(s.group)), lambda);
    samples.forEach((s, i) => {
      if (held.has(s.group)) out[i] = predict(model, s.x);
    });
  }
  return out;
}
