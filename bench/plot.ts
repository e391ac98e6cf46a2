/**
 * Dependency-free SVG plots for the benchmark reports: line plots (ROC and DET curves, latency series) and
 * histograms (score and latency distributions). Output is a standalone SVG 1.1 document (no scripts, no
 * external fonts), readable in a browser or embedded in Markdown.
 *
 * Axis scales:
 * - `linear`;
 * - `log` (base 10; values ≤ 0 are dropped from the plot, since they have no position on a log axis);
 * - `probit`: position = Φ⁻¹(p), the normal deviate of a probability p in (0, 1). This is the axis of the DET
 *   curve (Martin et al., "The DET Curve in Assessment of Detection Task Performance", Eurospeech 1997): two
 *   Gaussian score distributions give a straight line. p = 0 and p = 1 have no finite position: points outside
 *   the axis window (0 and 1 always are) are drawn on the frame's edge.
 */

export type AxisScale = 'linear' | 'log' | 'probit';

export interface Series {
  name: string;
  /** [x, y] in data units, drawn in the given order (sort them by x for a curve). */
  points: readonly (readonly [number, number])[];
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xScale?: AxisScale;
  yScale?: AxisScale;
  /** Data range [min, max] of each axis; default = the data's extent (probit: 0.0001–0.5 widened to the data). */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Legend corner (default top-right); bottom-right suits ROC curves, which fill the top. */
  legend?: 'top-right' | 'bottom-right';
  /** Draw the y = x diagonal (e.g. the EER line of a DET plot, or chance on a ROC plot). */
  diagonal?: boolean;
  width?: number;
  height?: number;
}

export interface HistogramOptions {
  title: string;
  xLabel: string;
  values: readonly number[];
  /** Number of equal-width bins (default: Sturges' rule, ⌈log2 n⌉ + 1). */
  bins?: number;
  width?: number;
  height?: number;
}

/** Smallest probability placed on a probit axis (0.001 %): p = 0 is drawn here. */
export const PROBIT_FLOOR = 1e-5;

/** Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const MARGIN = { left: 70, right: 20, top: 40, bottom: 55 };

/**
 * Inverse of the standard normal CDF, Φ⁻¹(p), by Acklam's rational approximation (relative error < 1.15e-9;
 * P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function", 2003).
 */
export function probit(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -probit(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Maps a data value to its position on the axis scale (before the pixel transform); NaN when it cannot be placed. */
function transform(scale: AxisScale, v: number): number {
  if (scale === 'log') return v > 0 ? Math.log10(v) : Number.NaN;
  if (scale === 'probit') return probit(Math.min(1 - PROBIT_FLOOR, Math.max(PROBIT_FLOOR, v)));
  return v;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Short tick label: 0.001 → "0.1%" on probability axes, otherwise up to 4 significant digits. */
function tickLabel(scale: AxisScale, v: number): string {
  if (scale === 'probit') {
    const percent = v * 100;
    return `${Number(percent.toPrecision(3))}%`;
  }
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

/** "Nice" linear ticks (1, 2, 5 × 10^k steps), about `count` of them. */
function linearTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function ticksFor(scale: AxisScale, min: number, max: number): number[] {
  if (scale === 'linear') return linearTicks(min, max);
  if (scale === 'log') {
    const ticks: number[] = [];
    for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) if (10 ** k >= min * (1 - 1e-9) && 10 ** k <= max * (1 + 1e-9)) ticks.push(10 ** k);
    return ticks.length ? ticks : [min, max];
  }
  const candidates = [1e-5, 1e-4, 1e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 0.999];
  return candidates.filter((t) => t >= min * (1 - 1e-9) && t <= max * (1 + 1e-9));
}

/**
 * Data range of an axis: explicit, or the data extent (log: positive values only). Probit: from 0.01 % (or the
 * smallest non-zero value) to 50 % (or the largest value below 1, at most 99 %), the usual DET window; 0 and 1
 * (every curve's end points) fall outside it and are clipped at the frame.
 */
function axisRange(scale: AxisScale, values: number[], explicit?: readonly [number, number]): [number, number] {
  if (explicit) return [explicit[0], explicit[1]];
  const usable = values.filter((v) => Number.isFinite(v) && (scale !== 'log' || v > 0));
  if (scale === 'probit') {
    const inside = usable.filter((v) => v > 0 && v < 1);
    return [Math.max(PROBIT_FLOOR, Math.min(1e-4, ...inside)), Math.min(0.99, Math.max(0.5, ...inside))];
  }
  if (usable.length === 0) return scale === 'log' ? [1, 10] : [0, 1];
  let min = Math.min(...usable);
  let max = Math.max(...usable);
  if (scale === 'log') return min === max ? [min / 10, max * 10] : [10 ** Math.floor(Math.log10(min)), 10 ** Math.ceil(Math.log10(max))];
  if (min === max) [min, max] = [min - 1, max + 1];
  return [min, max];
}

interface Frame {
  width: number;
  height: number;
  x: (v: number) => number;
  y: (v: number) => number;
  parts: string[];
}

/** Canvas, title, axes with ticks and grid, and the pixel transforms of both axes. */
function frame(o: { title: string; xLabel: string; yLabel: string; width: number; height: number; xScale: AxisScale; yScale: AxisScale; xRange: [number, number]; yRange: [number, number] }): Frame {
  const { width, height } = o;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = [transform(o.xScale, o.xRange[0]), transform(o.xScale, o.xRange[1])];
  const [y0, y1] = [transform(o.yScale, o.yRange[0]), transform(o.yScale, o.yRange[1])];
  const x = (v: number) => MARGIN.left + ((transform(o.xScale, v) - x0) / (x1 - x0 || 1)) * plotW;
  const y = (v: number) => MARGIN.top + plotH - ((transform(o.yScale, v) - y0) / (y1 - y0 || 1)) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
  ];
  let lastLabel = -Infinity;
  for (const t of ticksFor(o.xScale, o.xRange[0], o.xRange[1])) {
    // Skip a tick whose label would overlap the previous one (probit ticks crowd near 50 %).
    if (x(t) - lastLabel < 42) continue;
    lastLabel = x(t);
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" y1="${MARGIN.top}" x2="${px}" y2="${MARGIN.top + plotH}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${px}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeXml(tickLabel(o.xScale, t))}</text>`);
  }
  let lastYLabel = Infinity;
  for (const t of ticksFor(o.yScale, o.yRange[0], o.yRange[1])) {
    if (lastYLabel - y(t) < 16) continue;
    lastYLabel = y(t);
    const py = y(t).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" stroke="#e0e0e0"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(o.yScale, t))}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">${escapeXml(o.yLabel)}</text>`);
  return { width, height, x, y, parts };
}

/** Line plot of one or more series, with a legend; see the module comment for the axis scales. */
export function linePlotSvg(options: LinePlotOptions): string {
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const xRange = axisRange(xScale, xs, options.xRange);
  const yRange = axisRange(yScale, ys, options.yRange);
  const f = frame({ title: options.title, xLabel: options.xLabel, yLabel: options.yLabel, width: options.width ?? 640, height: options.height ?? 480, xScale, yScale, xRange, yRange });
  const clipId = 'plot-area';
  const plotW = f.width - MARGIN.left - MARGIN.right;
  const plotH = f.height - MARGIN.top - MARGIN.bottom;
  f.parts.push(`<clipPath id="${clipId}"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}"/></clipPath>`);
  if (options.diagonal) {
    const lo = Math.max(xRange[0], yRange[0]);
    const hi = Math.min(xRange[1], yRange[1]);
    if (hi > lo) {
      const steps = 50;
      const pts = Array.from({ length: steps + 1 }, (_, i) => {
        const v = xScale === 'log' || yScale === 'log' ? lo * (hi / lo) ** (i / steps) : lo + ((hi - lo) * i) / steps;
        return `${f.x(v).toFixed(1)},${f.y(v).toFixed(1)}`;
      });
      f.parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#999999" stroke-dasharray="4 4" clip-path="url(#${clipId})"/>`);
    }
  }
  options.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    // Probit axes: 0 and 1 have no position; draw them (and anything outside the window) on the frame's edge.
    const onAxis = (scale: AxisScale, range: [number, number], v: number) => (scale === 'probit' ? Math.min(range[1], Math.max(range[0], v)) : v);
    const pts = s.points
      .map(([px, py]) => [f.x(onAxis(xScale, xRange, px)), f.y(onAxis(yScale, yRange, py))] as const)
      .filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py))
      .map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`);
    if (pts.length === 1) {
      const [cx, cy] = pts[0]!.split(',');
      f.parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
    } else if (pts.length > 1) {
      f.parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" clip-path="url(#${clipId})"/>`);
    }
    const ly = options.legend === 'bottom-right' ? MARGIN.top + plotH - 10 - (options.series.length - 1 - i) * 16 : MARGIN.top + 14 + i * 16;
    const lx = MARGIN.left + plotW - 10;
    f.parts.push(`<line x1="${lx - 22}" y1="${ly - 4}" x2="${lx - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/>`);
    f.parts.push(`<text x="${lx - 26}" y="${ly}" text-anchor="end">${escapeXml(s.name)}</text>`);
  });
  f.parts.push('</svg>');
  return f.parts.join('\n') + '\n';
}

/** Histogram of `values` in equal-width bins over their range; the bar height is the count. */
export function histogramSvg(options: HistogramOptions): string {
  const values = options.values.filter(Number.isFinite);
  const bins = Math.max(1, Math.round(options.bins ?? Math.ceil(Math.log2(Math.max(1, values.length))) + 1));
  let min = values.length ? Math.min(...values) : 0;
  let max = values.length ? Math.max(...values) : 1;
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
  const f = frame({
    title: options.title,
    xLabel: options.xLabel,
    yLabel: 'count',
    width: options.width ?? 640,
    height: options.height ?? 400,
    xScale: 'linear',
    yScale: 'linear',
    xRange: [min, max],
    yRange: [0, Math.max(1, ...counts)],
  });
  counts.forEach((count, i) => {
    const left = f.x(min + i * width);
    const right = f.x(min + (i + 1) * width);
    const top = f.y(count);
    f.parts.push(`<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0, right - left - 1).toFixed(1)}" height="${(f.y(0) - top).toFixed(1)}" fill="${PALETTE[0]}"><title>${escapeXml(`${tickLabel('linear', min + i * width)}–${tickLabel('linear', min + (i + 1) * width)}: ${count}`)}</title></rect>`);
  });
  f.parts.push('</svg>');
  return f.parts.join('\n') + '\n';
}
