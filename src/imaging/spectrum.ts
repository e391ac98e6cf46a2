/**
 * Power spectra of small square luma patches and isolated peaks in them, for finding periodic patterns a camera
 * picks up from a screen (its pixel grid and the moiré it beats into with the sensor's own grid) or a print
 * (halftone screens).
 *
 * - One 2-D FFT per patch (fft.js, radix-4, rows then columns) of the patch minus its mean, times a 2-D Hann window
 *   (Harris, "On the use of windows for harmonic analysis with the discrete Fourier transform", Proc. IEEE 66(1),
 *   1978): without the window the patch's borders leak energy along the frequency axes.
 * - Welch's method (Welch, "The use of fast Fourier transform for the estimation of power spectra", IEEE Trans.
 *   Audio Electroacoustics 15(2), 1967): the periodograms of several patches of one region are averaged. A single
 *   periodogram bin fluctuates like an exponential variable (its standard deviation equals its mean), so isolated
 *   "peaks" 10× the local level appear by chance in every patch; averaging K patches divides that spread by √K,
 *   while a pattern that repeats over the whole region stays.
 */
import FFT from 'fft.js';
import type { GreyImage } from './line-segments.js';

/** A power spectrum of size × size bins; bin (u, v) holds frequency (u, v)/size cycles per pixel, u, v taken modulo size (negative frequencies in the upper half). */
export interface PowerSpectrum {
  size: number;
  /** Power, arbitrary units (squared luma × window energy), row v, column u. */
  power: Float64Array;
  /** How many periodograms were averaged. */
  patches: number;
}

/** Periodic Hann window of `size` samples: 0.5 − 0.5 cos(2πn / size) (Harris 1978, eq. 27a). */
function hann(size: number): Float64Array {
  return Float64Array.from({ length: size }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size));
}

/**
 * Welch-averaged power spectrum of `tiles` (all square, the same size, a power of two ≥ 4): each tile has its mean
 * removed and is Hann-windowed before its 2-D FFT.
 */
export function averagePowerSpectrum(tiles: readonly GreyImage[]): PowerSpectrum {
  if (tiles.length === 0) throw new Error('averagePowerSpectrum: no tiles');
  const size = tiles[0]!.width;
  if (!(size >= 4 && (size & (size - 1)) === 0)) throw new Error(`averagePowerSpectrum: tile size must be a power of two ≥ 4, got ${size}`);
  // Building the twiddle table costs less than one transform of the tile; not worth a module-level cache.
  const fft = new FFT(size);
  const window = hann(size);
  const power = new Float64Array(size * size);
  // Row spectra, complex interleaved, one row of `size` complex values after another.
  const rows = new Float64Array(2 * size * size);
  const rowIn = new Float64Array(size);
  const rowOut = fft.createComplexArray() as number[];
  const column = fft.createComplexArray() as number[];
  const columnOut = fft.createComplexArray() as number[];
  for (const tile of tiles) {
    if (tile.width !== size || tile.height !== size || tile.data.length !== size * size) {
      throw new Error(`averagePowerSpectrum: tiles of ${size}² and ${tile.width}×${tile.height}`);
    }
    let mean = 0;
    for (let i = 0; i < size * size; i++) mean += tile.data[i]!;
    mean /= size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) rowIn[x] = (tile.data[y * size + x]! - mean) * window[x]! * window[y]!;
      fft.realTransform(rowOut, rowIn);
      fft.completeSpectrum(rowOut);
      rows.set(rowOut, 2 * size * y);
    }
    for (let u = 0; u < size; u++) {
      for (let y = 0; y < size; y++) {
        column[2 * y] = rows[2 * size * y + 2 * u]!;
        column[2 * y + 1] = rows[2 * size * y + 2 * u + 1]!;
      }
      fft.transform(columnOut, column);
      for (let v = 0; v < size; v++) power[v * size + u]! += columnOut[2 * v]! ** 2 + columnOut[2 * v + 1]! ** 2;
    }
  }
  for (let i = 0; i < power.length; i++) power[i]! /= tiles.length;
  return { size, power, patches: tiles.length };
}

export interface SpectralPeak {
  /** Frequency, cycles per pixel, horizontal and vertical (−0.5 … 0.5). */
  fx: number;
  fy: number;
  /** |f|, cycles per pixel (0–0.71). */
  frequency: number;
  /** Direction of the wave vector, degrees 0–180 (0 = intensity varies along x: vertical stripes). */
  orientationDegrees: number;
  /** Peak power over the median power of the bins around it (its local spectral background), ≥ 0. */
  ratio: number;
  /**
   * −log10 of the number of false alarms: how many bins this strong would appear by chance in a spectrum with no
   * periodic component (> 0: less than one expected; 2: one in a hundred such spectra).
   */
  significance: number;
}

export interface PeakSearch {
  /** Lowest frequency searched, cycles per pixel. */
  minFrequency: number;
  /** Half-width of the square neighbourhood whose median is the local background, bins. */
  backgroundRadius: number;
  /** Bins this close (Chebyshev distance, bins) to a harmonic of the coding block grid are skipped. */
  blockGuard: number;
  /** Period of the coding block grid, pixels (8: JPEG's DCT blocks, ITU-T T.81 §A.2). */
  blockPeriod: number;
  /** Bins this close (bins) to either frequency axis are skipped (0: none; 1: the axes themselves). */
  axisGuard: number;
}

/** ln Γ(n + 1) = ln n! for integer n ≥ 0. */
function logFactorial(n: number): number {
  let sum = 0;
  for (let i = 2; i <= n; i++) sum += Math.log(i);
  return sum;
}

/**
 * log10 P[X ≥ x] for X the average of `k` independent exponential variables of mean 1 (a Gamma(k, 1/k) variable:
 * the Welch average of k periodograms of noise, relative to its mean): Q(k, kx) = e^(−kx) Σ_{i<k} (kx)^i / i!.
 */
export function log10GammaTail(k: number, x: number): number {
  const y = k * x;
  if (y <= 0) return 0;
  const terms = Array.from({ length: k }, (_, i) => i * Math.log(y) - logFactorial(i));
  const top = Math.max(...terms);
  const logSum = top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
  return Math.min(0, (-y + logSum) / Math.LN10);
}

/**
 * The most significant isolated peak of `spectrum` (one of each ± pair: the spectrum of a real patch is
 * symmetric), or undefined when no bin qualifies. A candidate is a bin that is the maximum of its 3 × 3
 * neighbourhood, at |f| ≥ minFrequency, not near a harmonic of the coding block grid. Its local background is
 * the median of the bins within `backgroundRadius` (its 3 × 3 centre left out), turned into a mean with the
 * median-to-mean ratio of a Gamma(K, 1/K) variable (≈ 1 − 1/(3K)). Its significance is a-contrario, as in LSD
 * (Desolneux, Moisan & Morel, "From Gestalt Theory to Image Analysis", 2008): NFA = (number of bins tested) ×
 * P[a noise bin reaches this ratio], the probability from the Welch average of K periodograms.
 */
export function strongestPeak(spectrum: PowerSpectrum, search: PeakSearch): SpectralPeak | undefined {
  const { size, power, patches } = spectrum;
  const at = (u: number, v: number) => power[(((v % size) + size) % size) * size + (((u % size) + size) % size)]!;
  const blockStep = size / search.blockPeriod;
  const nearBlockHarmonic = (k: number) => {
    if (!(blockStep >= 1)) return false;
    const remainder = ((k % blockStep) + blockStep) % blockStep;
    return Math.min(remainder, blockStep - remainder) <= search.blockGuard;
  };
  const r = search.backgroundRadius;
  const neighbourhood = new Float64Array((2 * r + 1) ** 2);
  const medianToMean = 1 / (1 - 1 / (3 * patches));
  const candidates: { u: number; v: number; ratio: number }[] = [];
  let tests = 0;
  // Half plane: v > 0, or v = 0 and u > 0 (the other half mirrors it).
  for (let v = 0; v <= size / 2; v++) {
    for (let u = -size / 2 + 1; u <= size / 2; u++) {
      if (v === 0 && u <= 0) continue;
      if (Math.hypot(u, v) / size < search.minFrequency) continue;
      if (nearBlockHarmonic(u) && nearBlockHarmonic(v)) continue;
      if (Math.abs(u) < search.axisGuard || Math.abs(v) < search.axisGuard) continue;
      tests++;
      const p = at(u, v);
      let isMaximum = true;
      for (let dv = -1; dv <= 1 && isMaximum; dv++) for (let du = -1; du <= 1; du++) if ((du || dv) && at(u + du, v + dv) > p) isMaximum = false;
      if (!isMaximum) continue;
      let n = 0;
      for (let dv = -r; dv <= r; dv++) {
        for (let du = -r; du <= r; du++) {
          if (Math.abs(du) <= 1 && Math.abs(dv) <= 1) continue;
          neighbourhood[n++] = at(u + du, v + dv);
        }
      }
      const background = neighbourhood.subarray(0, n).sort()[Math.floor(n / 2)]! * medianToMean;
      candidates.push({ u, v, ratio: background > 0 ? p / background : 0 });
    }
  }
  let best: SpectralPeak | undefined;
  for (const { u, v, ratio } of candidates) {
    const significance = -(Math.log10(tests) + log10GammaTail(patches, ratio));
    if (best && significance <= best.significance) continue;
    const orientation = (Math.atan2(v, u) * 180) / Math.PI;
    best = { fx: u / size, fy: v / size, frequency: Math.hypot(u, v) / size, orientationDegrees: (orientation + 180) % 180, ratio, significance };
  }
  return best;
}

/**
 * Significance (−log10 NFA) of the strongest bin within one bin of frequency (fx, fy) in `spectrum`, against its
 * local background as in `strongestPeak`; 9 tests (the 3 × 3 bins searched). Used to check that a peak found in one
 * region repeats in another at the same frequency.
 */
export function peakSignificanceAt(spectrum: PowerSpectrum, fx: number, fy: number, backgroundRadius: number): { ratio: number; significance: number } {
  const { size, power, patches } = spectrum;
  const at = (u: number, v: number) => power[(((v % size) + size) % size) * size + (((u % size) + size) % size)]!;
  const [u0, v0] = [Math.round(fx * size), Math.round(fy * size)];
  let u = u0;
  let v = v0;
  for (let dv = -1; dv <= 1; dv++) for (let du = -1; du <= 1; du++) if (at(u0 + du, v0 + dv) > at(u, v)) [u, v] = [u0 + du, v0 + dv];
  const values: number[] = [];
  for (let dv = -backgroundRadius; dv <= backgroundRadius; dv++) {
    for (let du = -backgroundRadius; du <= backgroundRadius; du++) if (Math.abs(du) > 1 || Math.abs(dv) > 1) values.push(at(u + du, v + dv));
  }
  values.sort((a, b) => a - b);
  const background = values[Math.floor(values.length / 2)]! / (1 - 1 / (3 * patches));
  const ratio = background > 0 ? at(u, v) / background : 0;
  return { ratio, significance: -(Math.log10(9) + log10GammaTail(patches, ratio)) };
}

