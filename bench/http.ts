/**
 * `npm run bench -- http [--url=URL] [--app-id=ID --app-key=KEY] [--connections=N] [--duration=S]
 *   [--concurrency=N] [--queue=N] [--rate-limit=N] [--video=FILE] [--out=DIR]`
 *
 * HTTP load with autocannon against the real service: POST /v1/checkLiveness (all 14 quality checks, ageRange,
 * gender), /v1/matchFace (selfie + id) and /v1/verifyVideo (a short clip + selfie), one scenario after the
 * other, each for `--duration` seconds with `--connections` open connections. Bodies are built once.
 * Without --url the service is started here (as `npm start` does: `node --single-threaded-gc --import tsx src/main.ts`, on 127.0.0.1, a free port, embedded models
 * only) with a small CONCURRENCY (--concurrency, default 1) and QUEUE_SIZE (--queue, default 2), so that
 * overload is visible as 503s; --rate-limit=N also gives the app a per-minute limit (429s). The started
 * service is stopped at the end. Only loopback traffic unless --url says otherwise.
 * Reports latency p50/p95/p99 (over every response), requests/s, and the share of 200/429/503/other.
 * Writes <out>/http.json, http.md and http-<scenario>.svg latency histograms (out = bench/out).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sha256Hex } from '../src/http/apps.js';
import { QUALITY_CHECKS } from '../src/pipeline/types.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { histogramSvg } from './plot.js';
import { Progress } from './progress.js';
import { fmt, intOption, type LatencySummary, type MultipartPart, multipartBody, option, statusShares, summarize } from './stats.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

const file = (rel: string, name: string, contentType: string): MultipartPart => ({
  name,
  filename: path.basename(rel),
  contentType,
  data: new Uint8Array(readFileSync(path.join(dataDir, rel))),
});

/** Form fields of a checkLiveness request with every check on (README: checkLiveness API). */
export function checkLivenessFields(): MultipartPart[] {
  return [
    ...QUALITY_CHECKS.map((check) => ({ name: `qualityChecks.${check}`, value: 'yes' })),
    { name: 'ageRange', value: 'yes' },
    { name: 'checkGender', value: 'yes' },
  ];
}

export interface Scenario {
  name: string;
  path: string;
  parts: MultipartPart[];
}

function scenarios(video: string): Scenario[] {
  return [
    {
      name: 'checkLiveness',
      path: '/v1/checkLiveness',
      parts: [file('identity/face_recognition_ageitgey/obama/obama.jpg', 'image', 'image/jpeg'), ...checkLivenessFields()],
    },
    {
      name: 'matchFace',
      path: '/v1/matchFace',
      parts: [file('identity/face_recognition_ageitgey/obama/obama.jpg', 'selfie', 'image/jpeg'), file('identity/face_recognition_ageitgey/obama/obama2.jpg', 'id', 'image/jpeg')],
    },
    {
      name: 'verifyVideo',
      path: '/v1/verifyVideo',
      parts: [file(video, 'video', 'video/mp4'), file('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png', 'selfie', 'image/png')],
    },
  ];
}

interface Service {
  base: string;
  appId: string;
  appKey: string;
  stop: () => Promise<number | null>;
}

/** Starts the service as `npm start` does (package.json) on 127.0.0.1 and a free port; resolves when it prints its address and key. */
async function startService(env: Record<string, string>, appKey?: string): Promise<Service> {
  const child: ChildProcess = spawn(process.execPath, ['--single-threaded-gc', '--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const port = text.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
    const key = appKey ?? text.match(/appId=default appKey=(\S+)/)?.[1];
    if (port && key) {
      return {
        base: `http://127.0.0.1:${port}`,
        appId: 'default',
        appKey: key,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (gone) throw new Error(`the service exited before listening:\n${text}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the service did not start within 120 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ScenarioResult {
  name: string;
  path: string;
  bodyBytes: number;
  requests: number;
  /** Responses per second over the run. */
  throughput: number;
  /** Latency of every response, ms. */
  latency: LatencySummary;
  /** Latency of the 200 responses only, ms. */
  latencyOk: LatencySummary;
  statusCounts: Record<string, number>;
  shares: ReturnType<typeof statusShares>;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  timeouts: number;
}

export interface HttpReport {
  command: string;
  machine: MachineInfo;
  target: string;
  settings: { connections: number; durationSeconds: number; serviceConcurrency?: number; queueSize?: number; rateLimitPerMinute?: number };
  scenarios: ScenarioResult[];
  notes: string[];
}

async function load(base: string, headers: Record<string, string>, scenario: Scenario, connections: number, duration: number): Promise<ScenarioResult & { latencies: number[] }> {
  const { body, contentType } = multipartBody(scenario.parts);
  const latencies: number[] = [];
  const okLatencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const progress = new Progress(`http: ${scenario.name}`, duration);
  const timer = setInterval(() => progress.tick(), 1000);
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finished = resolve), (failed = reject)));
  const instance = autocannon(
    {
    url: `${base}${scenario.path}`,
    method: 'POST',
    connections,
    duration,
    timeout: 120,
    headers: { ...headers, 'content-type': contentType, transactionId: `bench-${scenario.name}` },
    body,
    },
    (error, result) => (error ? failed(error) : finished(result)),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
    if (statusCode === 200) okLatencies.push(responseTime);
  });
  const result = await done;
  clearInterval(timer);
  progress.finish();
  const requests = latencies.length;
  return {
    name: scenario.name,
    path: scenario.path,
    bodyBytes: body.length,
    requests,
    throughput: requests / ((result.duration || duration)),
    latency: summarize(latencies),
    latencyOk: summarize(okLatencies),
    statusCounts,
    shares: statusShares(statusCounts),
    errors: result.errors,
    timeouts: result.timeouts,
    latencies,
  };
}

export async function benchHttp(argv: readonly string[] = process.argv): Promise<HttpReport> {
  const connections = intOption('connections', 4, argv);
  const duration = intOption('duration', 15, argv);
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));
  const video = option('video', argv) ?? 'videos/faceapi/video.mp4';
  const url = option('url', argv);
  let service: Service | undefined;
  let settings: HttpReport['settings'] = { connections, durationSeconds: duration };
  const cleanup: string[] = [];
  if (url) {
    const appKey = option('app-key', argv);
    if (!appKey) throw new Error('--url needs --app-key=KEY (and --app-id=ID unless it is "default")');
    service = { base: url.replace(/\/$/, ''), appId: option('app-id', argv) ?? 'default', appKey, stop: async () => null };
  } else {
    const concurrency = intOption('concurrency', 1, argv);
    const queue = intOption('queue', 2, argv, 0);
    const rate = option('rate-limit', argv) ? intOption('rate-limit', 1, argv) : undefined;
    const packs = mkdtempSync(path.join(tmpdir(), 'bench-http-nopacks-'));
    cleanup.push(packs);
    const env: Record<string, string> = { CONCURRENCY: String(concurrency), QUEUE_SIZE: String(queue), MODEL_PACKS_DIR: packs };
    let appKey: string | undefined;
    if (rate) {
      // A temporary apps file with a per-minute limit, so 429s show up; the key never leaves this process.
      appKey = randomBytes(24).toString('hex');
      const appsFile = path.join(packs, 'apps.json');
      writeFileSync(appsFile, JSON.stringify([{ appId: 'default', appKeySha256: sha256Hex(appKey), allowedApis: ['*'], rateLimitPerMinute: rate }]));
      env.APPS_FILE = appsFile;
    }
    service = await startService(env, appKey);
    settings = { ...settings, serviceConcurrency: concurrency, queueSize: queue, rateLimitPerMinute: rate };
  }

  const results: (ScenarioResult & { latencies: number[] })[] = [];
  try {
    for (const scenario of scenarios(video)) {
      const result = await load(service.base, { appId: service.appId, appKey: service.appKey }, scenario, connections, duration);
      results.push(result);
      // autocannon stops sending at the deadline, but the server still works through what it accepted; let it
      // drain so those requests do not fill the next API's slots and show up there as 503s.
      await new Promise((r) => setTimeout(r, Math.min(60_000, 2 * (Number.isFinite(result.latency.max) ? result.latency.max : 1000) + 500)));
    }
  } finally {
    const code = await service.stop();
    if (!url && code !== 0) console.error(`the service exited with code ${code}`);
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }

  const report: HttpReport = {
    command: `npm run bench -- http ${argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo('cpu'),
    target: url ? service.base : 'service started by the bench on 127.0.0.1 (embedded models only, EXECUTION_PROVIDER=cpu)',
    settings,
    scenarios: results.map(({ latencies: _l, ...r }) => r),
    notes: [
      'latency = autocannon response time of every response (200s and refusals alike); "200 only" excludes the fast 429/503 refusals.',
      'checkLiveness: all 14 quality checks + ageRange + checkGender on obama.jpg; matchFace: obama.jpg vs obama2.jpg; verifyVideo: ' +
        `${video} + lin-manuel-miranda.png (different people: the answer is a decline, the work is the same).`,
      'the load generator runs on the same 2 cores as the service: treat req/s as a lower bound.',
    ],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'http.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'http.md'), httpMarkdown(report));
  for (const r of results) {
    writeFileSync(path.join(outDir, `http-${r.name}.svg`), histogramSvg({ title: `${r.name}: ${connections} connections, ${duration} s`, xLabel: 'response time, ms', values: r.latencies }));
  }
  console.log(httpMarkdown(report));
  console.log(`wrote ${path.join(outDir, 'http.json')}, http.md, http-*.svg`);
  return report;
}

export function httpMarkdown(r: HttpReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const s = r.settings;
  return [
    '# HTTP load (autocannon)',
    '',
    `command: \`${r.command}\``,
    '',
    machineMarkdown(r.machine),
    `- target: ${r.target}`,
    `- ${s.connections} connections, ${s.durationSeconds} s per API` +
      (s.serviceConcurrency !== undefined ? `; service CONCURRENCY=${s.serviceConcurrency}, QUEUE_SIZE=${s.queueSize}` : '') +
      (s.rateLimitPerMinute ? `, rateLimitPerMinute=${s.rateLimitPerMinute}` : ', no rate limit'),
    '',
    '| API | body KiB | responses | req/s | p50 ms | p95 ms | p99 ms | 200 only p50 / p95 ms | 200 | 429 | 503 | other | errors / timeouts |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.scenarios.map(
      (x) =>
        `| ${x.name} | ${fmt(x.bodyBytes / 1024, 0)} | ${x.requests} | ${fmt(x.throughput, 2)} | ${fmt(x.latency.p50, 0)} | ${fmt(x.latency.p95, 0)} | ${fmt(x.latency.p99, 0)} | ${fmt(x.latencyOk.p50, 0)} / ${fmt(x.latencyOk.p95, 0)} | ${pct(x.shares.ok)} | ${pct(x.shares.tooMany)} | ${pct(x.shares.unavailable)} | ${pct(x.shares.other)} | ${x.errors} / ${x.timeouts} |`,
    ),
    '',
    `status counts: ${r.scenarios.map((x) => `${x.name} ${JSON.stringify(x.statusCounts)}`).join('; ')}`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
