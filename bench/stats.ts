/**
 * Pure helpers shared by the speed, peers and http benches: percentiles, latency summaries, the
 * ratio-with-spread summary of interleaved rounds, option parsing and multipart bodies. No I/O.
 */

/**
 * The p-th percentile (0–100) of `values` by linear interpolation between closest ranks (numpy's default,
 * "linear", Hyndman & Fan type 7). NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile ${p} is outside 0–100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface LatencySummary {
  /** Number of samples. */
  count: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Summary of latencies in milliseconds. */
export function summarize(valuesMs: readonly number[]): LatencySummary {
  const count = valuesMs.length;
  return {
    count,
    mean: count ? valuesMs.reduce((s, v) => s + v, 0) / count : Number.NaN,
    p50: percentile(valuesMs, 50),
    p95: percentile(valuesMs, 95),
    p99: percentile(valuesMs, 99),
    min: count ? Math.min(...valuesMs) : Number.NaN,
    max: count ? Math.max(...valuesMs) : Number.NaN,
  };
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  return { min: Math.min(...values), median: percentile(values, 50), max: Math.max(...values) };
}

/**
 * Ours ÷ theirs throughput per round (same round = same machine noise, since the systems are interleaved),
 * and its spread over rounds. >1 means ours is faster.
 */
export function ratioSpread(ours: readonly number[], theirs: readonly number[]): Spread & { perRound: number[] } {
  if (ours.length !== theirs.length) throw new Error(`rounds differ: ${ours.length} vs ${theirs.length}`);
  const perRound = ours.map((o, i) => o / theirs[i]!);
  return { ...spread(perRound), perRound };
}

/** `--name=value` from argv, or undefined. */
export function option(name: string, argv: readonly string[] = process.argv): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** A positive integer option; a bad value is an error naming the option. */
export function intOption(name: string, fallback: number, argv: readonly string[] = process.argv, min = 1): number {
  const raw = option(name, argv);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}=${raw}: expected an integer ≥ ${min}`);
  return n;
}

export type MultipartPart = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Uint8Array };

/**
 * A multipart/form-data body (RFC 7578) built once, so a load generator can send the same bytes again and
 * again without re-encoding. The boundary must not occur in any part; we check rather than hope.
 */
export function multipartBody(parts: readonly MultipartPart[], boundary = `----bench${Math.random().toString(16).slice(2)}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  for (const part of parts) {
    const content = 'data' in part ? Buffer.from(part.data) : Buffer.from(part.value, 'utf8');
    if (content.includes(delimiter)) throw new Error(`multipart boundary ${boundary} occurs inside part "${part.name}"`);
    const disposition =
      'data' in part
        ? `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.contentType}\r\n`
        : `Content-Disposition: form-data; name="${part.name}"\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${disposition}\r\n`), content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Share of each status class among `counts` (status → count): 200, 429, 503 and everything else. */
export function statusShares(counts: Readonly<Record<string, number>>): { total: number; ok: number; tooMany: number; unavailable: number; other: number } {
  let total = 0;
  const pick = { ok: 0, tooMany: 0, unavailable: 0, other: 0 };
  for (const [status, n] of Object.entries(counts)) {
    total += n;
    if (status === '200') pick.ok += n;
    else if (status === '429') pick.tooMany += n;
    else if (status === '503') pick.unavailable += n;
    else pick.other += n;
  }
  const share = (n: number) => (total ? n / total : 0);
  return { total, ok: share(pick.ok), tooMany: share(pick.tooMany), unavailable: share(pick.unavailable), other: share(pick.other) };
}

/** Fixed-point number for Markdown tables; '–' for NaN. */
export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
