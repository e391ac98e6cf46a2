/**
 * `npm run bench -- soak [--requests=N] [--concurrency=C] [--endpoint=check-liveness|match-face|mixed] [--every=N]
 *   [--image=FILE] [--id-image=FILE] [--out=DIR]`
 *
 * Does the service's memory level off under a long run of real requests (issue 13)? Starts the real service,
 * src/main.ts unchanged, as a child process on 127.0.0.1 and a free port (`node --single-threaded-gc --expose-gc --import tsx
 * --import bench/soak-probe.mjs src/main.ts`, a fresh DATA_DIR, CROPPED_IMAGE_DIR and VIDEO_TEMP_DIR in os.tmpdir(),
 * removed at the end), with the embedded app and the appKey it prints, as the e2e tests and the http bench do.
 * This process sends `--requests` (default 20000) POSTs with `--concurrency` (default 2) in flight over
 * keep-alive connections:
 * - check-liveness (default): POST /v1/checkLiveness with all 14 quality checks, ageRange and checkGender on
 *   `--image` (default attributes/face_recognition_ageitgey/obama-480p.jpg);
 * - match-face: POST /v1/matchFace, selfie `--image`, id `--id-image` (default
 *   identity/face_recognition_ageitgey/obama/obama2.jpg, another photo of the same person);
 * - mixed: the two alternately.
 * Paths are relative to ../shared/data (or absolute). Every `--every` requests (default 1000) it waits for the
 * requests in flight, asks the probe in the server for a full GC and process.memoryUsage() (so the figures are
 * the server's, without the load generator's garbage), and resumes. Row 0 is the server after start-up and
 * warm-up, before any request. Other environment variables reach the service (e.g. INFERENCE_THREAD=main).
 * Verdict: least-squares slope of each memory figure over the first and the second half of the run, with its
 * 95 % confidence interval; the growth levels off when the second half's interval contains 0.
 * Writes <out>/soak.json and soak.md (out = bench/out) and prints the Markdown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkLivenessFields } from './http.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { Progress } from './progress.js';
import { fmt, intOption, type MultipartPart, multipartBody, option, percentile } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

export const SOAK_ENDPOINTS = ['check-liveness', 'match-face', 'mixed'] as const;
export type SoakEndpoint = (typeof SOAK_ENDPOINTS)[number];

/** The memory figures of process.memoryUsage() that the report follows. */
export const MEMORY_METRICS = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];

export interface SoakSample {
  /** Requests answered so far (every status, failures included). */
  requests: number;
  /** Server memory right after a full GC, bytes (process.memoryUsage() in the server process). */
  memory: Record<MemoryMetric, number>;
  /** Requests answered per second in the window that ended at this sample; NaN for row 0. */
  requestsPerSecond: number;
  /** Median latency of the window's requests, ms; NaN for row 0. */
  p50Ms: number;
  /** Requests of the window that got no 200 (another status or no answer at all). */
  errors: number;
}

/** Least-squares line through the samples of one half of the run. */
export interface SlopeFit {
  /** Samples in the fit. */
  points: number;
  /** Bytes per request. */
  slope: number;
  /** Half-width of the slope's 95 % confidence interval, bytes per request; NaN with fewer than 3 points. */
  halfWidth95: number;
}

export interface MetricTrend {
  metric: MemoryMetric;
  first: SlopeFit;
  second: SlopeFit;
  /** Whether the second half's 95 % interval contains 0; undefined when it has fewer than 3 samples. */
  levelsOff: boolean | undefined;
}

export interface SoakReport {
  command: string;
  machine: MachineInfo;
  settings: {
    requests: number;
    concurrency: number;
    every: number;
    endpoint: SoakEndpoint;
    /** Images sent, relative to ../shared/data when they are under it. */
    images: string[];
    /** INFERENCE_THREAD the service ran with. */
    inferenceThread: string;
  };
  samples: SoakSample[];
  /** HTTP status (or "network" for no answer) → count, over the whole run. */
  statusCounts: Record<string, number>;
  /** First error seen (status and the start of the body), if any. */
  firstError?: string;
  trends: MetricTrend[];
  verdict: string;
  notes: string[];
}

/**
 * Two-sided 95 % quantile of Student's t for 1–30 degrees of freedom (NIST/SEMATECH e-Handbook of Statistical
 * Methods, table 1.3.6.7.2, column 0.975); 1.96 (the normal quantile) beyond 30, which is within 4 % of it.
 */
const T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile975(degreesOfFreedom: number): number {
  if (!Number.isInteger(degreesOfFreedom) || degreesOfFreedom < 1) return Number.NaN;
  return T_975[degreesOfFreedom - 1] ?? 1.96;
}

/** Ordinary least-squares slope of y on x, and the 95 % half-width from its standard error (n − 2 degrees of freedom). */
export function linearFit(x: readonly number[], y: readonly number[]): SlopeFit {
  if (x.length !== y.length) throw new Error(`linearFit: ${x.length} x values but ${y.length} y values`);
  const n = x.length;
  if (n < 2) return { points: n, slope: Number.NaN, halfWidth95: Number.NaN };
  const meanX = x.reduce((s, v) => s + v, 0) / n;
  const meanY = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - meanX) ** 2;
    sxy += (x[i]! - meanX) * (y[i]! - meanY);
  }
  if (sxx === 0) return { points: n, slope: Number.NaN, halfWidth95: Number.NaN };
  const slope = sxy / sxx;
  if (n < 3) return { points: n, slope, halfWidth95: Number.NaN };
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (y[i]! - meanY - slope * (x[i]! - meanX)) ** 2;
  const standardError = Math.sqrt(residuals / (n - 2) / sxx);
  return { points: n, slope, halfWidth95: tQuantile975(n - 2) * standardError };
}

/**
 * Slopes of one memory figure over the two halves of the run. Row 0 (before any request) is left out: it would
 * fold the first requests' one-off allocations (lazy buffers, JIT code, allocator arenas) into the first half's
 * slope. The first half is the samples up to half the requests, the second those from half on (the middle
 * sample, when there is one, is in both).
 */
export function metricTrend(samples: readonly SoakSample[], metric: MemoryMetric, totalRequests: number): MetricTrend {
  const fit = (part: readonly SoakSample[]) =>
    linearFit(
      part.map((s) => s.requests),
      part.map((s) => s.memory[metric]),
    );
  const served = samples.filter((s) => s.requests > 0);
  const first = fit(served.filter((s) => s.requests <= totalRequests / 2));
  const second = fit(served.filter((s) => s.requests >= totalRequests / 2));
  const levelsOff = Number.isFinite(second.halfWidth95) ? Math.abs(second.slope) <= second.halfWidth95 : undefined;
  return { metric, first, second, levelsOff };
}

const METRIC_LABEL: Record<MemoryMetric, string> = { rss: 'RSS', heapUsed: 'V8 heap used', heapTotal: 'V8 heap total', external: 'external', arrayBuffers: 'arrayBuffers' };

/** Bytes per request → KiB per 1,000 requests, signed. */
const perThousand = (bytesPerRequest: number, digits = 1) => {
  const value = (bytesPerRequest * 1000) / 1024;
  return Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}` : '–';
};
const slopeText = (f: SlopeFit) => `${perThousand(f.slope)}${Number.isFinite(f.halfWidth95) ? ` ± ${fmt((f.halfWidth95 * 1000) / 1024)}` : ''} (${f.points} ${f.points === 1 ? 'sample' : 'samples'})`;

/** One or two sentences: does RSS (and the V8 heap) level off in the second half? */
export function soakVerdict(trends: readonly MetricTrend[]): string {
  const sentence = (t: MetricTrend) => {
    const label = METRIC_LABEL[t.metric];
    const second = `second half ${perThousand(t.second.slope)} ± ${fmt((t.second.halfWidth95 * 1000) / 1024)} KiB per 1,000 requests`;
    const first = `first half ${perThousand(t.first.slope)}${Number.isFinite(t.first.halfWidth95) ? ` ± ${fmt((t.first.halfWidth95 * 1000) / 1024)}` : ''}`;
    if (t.levelsOff === undefined) return `${label}: too few samples in the second half for a slope (3 needed; run more --requests or a smaller --every).`;
    // Within noise of 0 is only as strong as the interval is narrow: say how much growth it still allows.
    if (t.levelsOff) return `${label} levels off: ${second}, within noise of 0, i.e. at most ${perThousand(t.second.slope + t.second.halfWidth95)} KiB per 1,000 requests at 95 % (${first}).`;
    const mibPerMillion = (t.second.slope * 1e6) / 2 ** 20;
    return `${label} still ${t.second.slope > 0 ? 'grows' : 'shrinks'}: ${second}, ≈ ${fmt(Math.abs(mibPerMillion))} MiB per million requests, not within noise of 0 (${first}).`;
  };
  return trends
    .filter((t) => t.metric === 'rss' || t.metric === 'heapUsed')
    .map(sentence)
    .join(' ');
}

interface SoakRequest {
  path: string;
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

function buildRequests(endpoint: SoakEndpoint, image: string, idImage: string): SoakRequest[] {
  const file = (name: string, file: string): MultipartPart => ({
    name,
    filename: path.basename(file),
    contentType: file.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg',
    data: new Uint8Array(readFileSync(file)),
  });
  const build = (urlPath: string, parts: MultipartPart[]): SoakRequest => {
    const { body, contentType } = multipartBody(parts);
    return { path: urlPath, body: new Uint8Array(body), contentType };
  };
  const checkLiveness = () => build('/v1/checkLiveness', [file('image', image), ...checkLivenessFields()]);
  const matchFace = () => build('/v1/matchFace', [file('selfie', image), file('id', idImage)]);
  if (endpoint === 'check-liveness') return [checkLiveness()];
  if (endpoint === 'match-face') return [matchFace()];
  return [checkLiveness(), matchFace()];
}

/** The IPC messages of bench/soak-probe.mjs. */
interface SoakSampleRequest {
  type: 'soak-sample';
  id: number;
}
interface SoakSampleReply {
  type: 'soak-sample';
  id: number;
  /** process.memoryUsage() in the service right after a full GC, bytes. */
  memory: NodeJS.MemoryUsage;
}

interface ProbedService {
  base: string;
  appKey: string;
  /** Full GC in the server, then its process.memoryUsage(). */
  sample: () => Promise<Record<MemoryMetric, number>>;
  /** The last lines the service printed, for error messages. */
  logTail: () => string;
  stop: () => Promise<number | null>;
}

/** Starts src/main.ts with the memory probe preloaded; resolves when it prints its address and appKey. */
async function startProbedService(scratch: string): Promise<ProbedService> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: path.join(scratch, 'data'),
    CROPPED_IMAGE_DIR: path.join(scratch, 'cropped'),
    VIDEO_TEMP_DIR: path.join(scratch, 'video'),
  };
  // The embedded app prints its appKey at start; an APPS_FILE would hide it (keys are stored hashed).
  delete env.APPS_FILE;
  const probe = pathToFileURL(path.join(repoRoot, 'bench', 'soak-probe.mjs')).href;
  // The flags of `npm start` (package.json), plus gc() for the probe.
  const child: ChildProcess = spawn(process.execPath, ['--single-threaded-gc', '--expose-gc', '--import', 'tsx', '--import', probe, path.join(repoRoot, 'src', 'main.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Start-up lines are kept whole (the port and key are read from them); after that only the last 16 KiB.
  let text = '';
  const keep = (d: Buffer) => {
    text += d.toString();
    if (text.length > 32_768) text = text.slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));

  const waiting = new Map<number, (memory: Record<MemoryMetric, number>) => void>();
  child.on('message', (reply: SoakSampleReply) => {
    if (reply?.type !== 'soak-sample') return;
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = reply.memory;
    waiting.get(reply.id)?.({ rss, heapUsed, heapTotal, external, arrayBuffers });
    waiting.delete(reply.id);
  });
  let nextId = 1;
  const sample = async () => {
    const id = nextId++;
    return new Promise<Record<MemoryMetric, number>>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the service did not answer a memory sample within 60 s:\n${text.slice(-4000)}`));
      }, 60_000);
      waiting.set(id, (memory) => {
        clearTimeout(timer);
        resolve(memory);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the service exited (code ${code}) during the soak:\n${text.slice(-4000)}`));
      });
      child.send({ type: 'soak-sample', id } satisfies SoakSampleRequest);
    });
  };
  const stop = async () => {
    if (gone) return exited;
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(forced);
    return code;
  };

  const deadline = Date.now() + 180_000;
  for (;;) {
    const port = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
    const key = text.match(/appId=default appKey=(\S+)/)?.[1];
    if (port && key) return { base: `http://127.0.0.1:${port}`, appKey: key, sample, logTail: () => text.slice(-4000), stop };
    if (gone) throw new Error(`the service exited before listening:\n${text}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service did not start within 180 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const shownPath = (file: string) => (file.startsWith(dataDir + path.sep) ? path.relative(dataDir, file) : file);

export async function benchSoak(argv: readonly string[] = process.argv): Promise<SoakReport> {
  const total = intOption('requests', 20_000, argv);
  const concurrency = intOption('concurrency', 2, argv);
  const every = intOption('every', 1000, argv);
  const endpoint = (option('endpoint', argv) ?? 'check-liveness') as SoakEndpoint;
  if (!SOAK_ENDPOINTS.includes(endpoint)) throw new Error(`--endpoint=${endpoint}: expected one of ${SOAK_ENDPOINTS.join(', ')}`);
  const image = path.resolve(dataDir, option('image', argv) ?? 'attributes/face_recognition_ageitgey/obama-480p.jpg');
  const idImage = path.resolve(dataDir, option('id-image', argv) ?? 'identity/face_recognition_ageitgey/obama/obama2.jpg');
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));
  const requests = buildRequests(endpoint, image, idImage);

  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-soak-'));
  const samples: SoakSample[] = [];
  const statusCounts: Record<string, number> = {};
  let firstError: string | undefined;
  try {
    const service = await startProbedService(scratch);
    try {
      const headers = { appId: 'default', appKey: service.appKey };
      samples.push({ requests: 0, memory: await service.sample(), requestsPerSecond: Number.NaN, p50Ms: Number.NaN, errors: 0 });
      const progress = new Progress('soak', total);
      let sent = 0;
      while (sent < total) {
        const windowSize = Math.min(every, total - sent);
        const windowStart = sent;
        let next = 0;
        let errors = 0;
        const latencies: number[] = [];
        // `concurrency` loops share the window's requests, so exactly that many are in flight until it drains.
        const loop = async () => {
          for (let k = next++; k < windowSize; k = next++) {
            const i = windowStart + k;
            const request = requests[i % requests.length]!;
            const t0 = performance.now();
            let status: string;
            let detail = '';
            try {
              const response = await fetch(`${service.base}${request.path}`, {
                method: 'POST',
                headers: { ...headers, 'content-type': request.contentType, transactionId: `soak-${i}` },
                body: request.body,
              });
              status = String(response.status);
              const text = await response.text();
              if (response.status !== 200) detail = text.slice(0, 300);
            } catch (error) {
              status = 'network';
              detail = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
            }
            latencies.push(performance.now() - t0);
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            if (status !== '200') {
              errors++;
              firstError ??= `${request.path} → ${status}: ${detail}`;
            }
            progress.tick();
          }
        };
        const started = performance.now();
        await Promise.all(Array.from({ length: Math.min(concurrency, windowSize) }, loop));
        const seconds = (performance.now() - started) / 1000;
        sent += windowSize;
        if (errors === windowSize) {
          progress.finish('(stopped)');
          throw new Error(`every request of requests ${windowStart + 1}–${sent} failed; first error: ${firstError}\n${service.logTail()}`);
        }
        samples.push({ requests: sent, memory: await service.sample(), requestsPerSecond: windowSize / seconds, p50Ms: percentile(latencies, 50), errors });
      }
      progress.finish();
    } finally {
      const code = await service.stop();
      if (code !== 0) console.error(`the service exited with code ${code}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const trends = MEMORY_METRICS.map((metric) => metricTrend(samples, metric, total));
  const inferenceThread = process.env.INFERENCE_THREAD || 'worker';
  const report: SoakReport = {
    command: `npm run bench -- soak ${argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo(process.env.EXECUTION_PROVIDER || 'cpu'),
    settings: { requests: total, concurrency, every, endpoint, images: (endpoint === 'check-liveness' ? [image] : [image, idImage]).map(shownPath), inferenceThread },
    samples,
    statusCounts,
    ...(firstError !== undefined ? { firstError } : {}),
    trends,
    verdict: soakVerdict(trends),
    notes: [
      'memory = process.memoryUsage() of the service process, taken by bench/soak-probe.mjs inside it right after a full GC (gc() twice), with no request in flight; the load generator is this (another) process.',
      'the slope fits leave out row 0 (before any request); ± is the 95 % confidence half-width of the least-squares slope (Student t, n − 2 degrees of freedom). Samples close in time are not independent, so read a narrow interval with care.',
      inferenceThread === 'worker'
        ? 'INFERENCE_THREAD=worker: the V8 heap, external and arrayBuffers columns are the main thread (HTTP, decoding, pipeline); the inference thread’s heap and ORT’s native memory show in RSS only (run with INFERENCE_THREAD=main to have them in one isolate).'
        : `INFERENCE_THREAD=${inferenceThread}: models run on the main thread, so the heap columns include inference.`,
      'RSS does not fall after a GC when the allocator keeps freed pages; a level RSS slope is the question, not its height.',
      'for scale: issue 13’s outside probe saw ≈ 3.5 KB per request, i.e. ≈ 3,400 KiB per 1,000 requests.',
    ],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'soak.md'), soakMarkdown(report));
  console.log(soakMarkdown(report));
  console.log(`wrote ${path.join(outDir, 'soak.json')}, soak.md`);
  return report;
}

export function soakMarkdown(r: SoakReport): string {
  const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  const s = r.settings;
  const endpointText = { 'check-liveness': 'POST /v1/checkLiveness (all 14 quality checks, ageRange, checkGender)', 'match-face': 'POST /v1/matchFace', mixed: 'POST /v1/checkLiveness and /v1/matchFace alternately' }[s.endpoint];
  return [
    `# Soak: service memory over ${s.requests} requests (${s.endpoint})`,
    '',
    `command: \`${r.command}\``,
    '',
    machineMarkdown(r.machine),
    `- service: src/main.ts on 127.0.0.1 (node --single-threaded-gc --expose-gc, bench/soak-probe.mjs preloaded), INFERENCE_THREAD=${s.inferenceThread}, fresh DATA_DIR`,
    `- load: ${endpointText}; ${s.concurrency} in flight; images: ${s.images.join(', ')}; a sample every ${s.every} requests`,
    '',
    '| requests | RSS MiB | Δ RSS KiB | V8 heap used MiB | V8 heap total MiB | external MiB | arrayBuffers MiB | req/s | p50 ms | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.samples.map((x, i) => {
      const previous = r.samples[i - 1];
      const delta = previous ? (x.memory.rss - previous.memory.rss) / 1024 : Number.NaN;
      const deltaText = Number.isFinite(delta) ? `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(0)}` : '–';
      return `| ${x.requests} | ${mib(x.memory.rss)} | ${deltaText} | ${mib(x.memory.heapUsed)} | ${mib(x.memory.heapTotal)} | ${mib(x.memory.external)} | ${mib(x.memory.arrayBuffers)} | ${fmt(x.requestsPerSecond, 2)} | ${fmt(x.p50Ms, 0)} | ${x.errors} |`;
    }),
    '',
    `status counts: ${JSON.stringify(r.statusCounts)}${r.firstError ? `; first error: ${r.firstError.replace(/\s+/g, ' ')}` : ''}`,
    '',
    '| memory | first half, KiB per 1,000 requests | second half, KiB per 1,000 requests | second half within noise of 0? |',
    '|---|---:|---:|---|',
    ...r.trends.map((t) => `| ${METRIC_LABEL[t.metric]} | ${slopeText(t.first)} | ${slopeText(t.second)} | ${t.levelsOff === undefined ? 'too few samples' : t.levelsOff ? 'yes' : 'no'} |`),
    '',
    `**Verdict:** ${r.verdict}`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
