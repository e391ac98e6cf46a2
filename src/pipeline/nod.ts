/**
 * Nod detection over a head-pitch time series (pure): a nod is the head going down and coming back up,
 * i.e. an excursion of the pitch angle away from where it was and back, each leg at least
 * `minAmplitudeDeg`, within `maxSeconds`. Used by verifyVideo's head-motion signal, and meant for a
 * "nod to confirm" prompt (Tencent Cloud's FaceID "action" liveness asks for a nod).
 *
 * Method: a zig-zag (swing) filter turns the noisy series into alternating turning points, confirming a
 * turn only once the angle has moved `minAmplitudeDeg` back from the last extreme (hysteresis, so jitter
 * of a few degrees never counts); an excursion is then three consecutive turning points a → peak → b
 * with both legs ≥ the amplitude. The same function on yaw finds head turns (left-and-back).
 */

/** One angle measurement, degrees, at a time in seconds. */
export interface AngleSample {
  timeSeconds: number;
  angleDeg: number;
}

export interface ExcursionOptions {
  /** Each leg (away and back) must move at least this many degrees. */
  minAmplitudeDeg: number;
  /** Away and back must take at most this long, seconds (from the sample before the angle passes half-way out to the one after it passes half-way back). */
  maxSeconds: number;
  /** `positive`: only excursions towards larger angles; `negative`: smaller; `both`: either. */
  direction: 'positive' | 'negative' | 'both';
}

export interface Excursion {
  startSeconds: number;
  peakSeconds: number;
  endSeconds: number;
  /** Peak angle, degrees. */
  peakDeg: number;
  /** The smaller of the two legs, degrees (≥ minAmplitudeDeg). */
  amplitudeDeg: number;
}

/**
 * Pitch is positive when the chin moves towards the camera, i.e. looking UP (src/quality/head-turned.ts, checked frame
 * by frame on the dev videos). A nod ("yes") goes down first: an excursion towards negative pitch. Until 2026-12-01
 * this said the opposite and looked for positive excursions, so what was counted as a nod was a look up and back
 * (videos/liveness_tranvanluyt/real.mp4 13.5–16.0 s, peak +29°; fake.mp4, its replay, 16.5–19.1 s, +23°); none of the
 * four dev clips holds a down-and-back nod within 3 s, so every one of them now has 0 nods.
 */
export const NOD_DEFAULTS: Readonly<ExcursionOptions> = Object.freeze({
  // FaceMesh pitch jitters by a few degrees between frames of a still head (measured on the videos in
  // ../shared/data: see bench/RESULTS.md "verifyVideo"); a deliberate nod moves the head 15–30°.
  minAmplitudeDeg: 10,
  // A deliberate nod takes about a second; 3 s allows a slow one but not two unrelated glances.
  maxSeconds: 3,
  direction: 'negative',
});

/** Alternating turning points of the series under a hysteresis of `amplitude` degrees (first and last samples included). */
export function turningPoints(series: readonly AngleSample[], amplitude: number): AngleSample[] {
  if (series.length === 0) return [];
  const points: AngleSample[] = [series[0]!];
  let extreme = series[0]!;
  let trend: 1 | -1 | 0 = 0;
  for (const sample of series.slice(1)) {
    const delta = sample.angleDeg - extreme.angleDeg;
    if (trend === 0) {
      // Undecided until the angle has moved `amplitude` away from the first sample.
      if (Math.abs(delta) >= amplitude) {
        trend = delta > 0 ? 1 : -1;
        extreme = sample;
      }
      continue;
    }
    if ((trend === 1 && sample.angleDeg > extreme.angleDeg) || (trend === -1 && sample.angleDeg < extreme.angleDeg)) {
      extreme = sample; // the swing goes on
    } else if (Math.abs(delta) >= amplitude) {
      points.push(extreme); // confirmed reversal
      trend = trend === 1 ? -1 : 1;
      extreme = sample;
    }
  }
  const last = series[series.length - 1]!;
  if (trend !== 0) {
    points.push(extreme);
    if (extreme !== last) points.push(last);
  } else if (last !== points[0]) {
    points.push(last);
  }
  return points;
}

/** Out-and-back excursions of the angle (pure); see the module comment. */
export function findExcursions(series: readonly AngleSample[], options: ExcursionOptions): Excursion[] {
  const sorted = [...series].filter((s) => Number.isFinite(s.angleDeg)).sort((a, b) => a.timeSeconds - b.timeSeconds);
  const points = turningPoints(sorted, options.minAmplitudeDeg);
  const found: Excursion[] = [];
  for (let i = 1; i + 1 < points.length; i++) {
    const [a, peak, b] = [points[i - 1]!, points[i]!, points[i + 1]!];
    const away = peak.angleDeg - a.angleDeg;
    const back = peak.angleDeg - b.angleDeg;
    if (Math.sign(away) !== Math.sign(back)) continue;
    if (options.direction === 'positive' && away < 0) continue;
    if (options.direction === 'negative' && away > 0) continue;
    const amplitudeDeg = Math.min(Math.abs(away), Math.abs(back));
    if (amplitudeDeg < options.minAmplitudeDeg) continue;
    // Duration at half height (the turning point before may lie long before the movement began): from the
    // last sample on the near side of the outward half-way angle to the first on the near side of the return one.
    const p = sorted.indexOf(peak);
    const sign = Math.sign(away);
    const beyond = (s: AngleSample, level: number) => sign * (s.angleDeg - level) >= 0;
    const [midOut, midBack] = [(a.angleDeg + peak.angleDeg) / 2, (b.angleDeg + peak.angleDeg) / 2];
    let i0 = p;
    while (i0 > 0 && beyond(sorted[i0 - 1]!, midOut)) i0--;
    let i1 = p;
    while (i1 < sorted.length - 1 && beyond(sorted[i1 + 1]!, midBack)) i1++;
    const startSeconds = sorted[Math.max(0, i0 - 1)]!.timeSeconds;
    const endSeconds = sorted[Math.min(sorted.length - 1, i1 + 1)]!.timeSeconds;
    if (endSeconds - startSeconds > options.maxSeconds) continue;
    found.push({ startSeconds, peakSeconds: peak.timeSeconds, endSeconds, peakDeg: peak.angleDeg, amplitudeDeg });
  }
  return found;
}

/** Nods (down and back up) in a pitch series, degrees over seconds. */
export function detectNods(pitch: readonly AngleSample[], options: Partial<ExcursionOptions> = {}): Excursion[] {
  return findExcursions(pitch, { ...NOD_DEFAULTS, ...options });
}
