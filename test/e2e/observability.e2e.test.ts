/**
 * Logs and metrics of the real process (`tsx src/main.ts`) on real sockets (issue #19): one JSON access-log line per
 * request with its fields, no secret anywhere in what the process printed, /metrics parsed as Prometheus text with
 * its counters moving after requests, and METRICS_PORT serving it alone without a key.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { startService, waitForOutput, type ServiceProcess } from '../helpers/server.js';

const APP_KEY = 'obs-app-key-0123456789abcdef0123456789';
const credentials = { appId: 'ops', appKey: APP_KEY };

/** A port free now (bound and released), for METRICS_PORT. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The value of `family`'s sample with these labels (0 when absent). */
function sample(families: ParsedFamily[], family: string, labels: Record<string, string>): number {
  const f = families.find((x) => x.name === family);
  const s = f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return s ? Number(s.value ?? s.count) : 0;
}

describe('logs and metrics of the service process', () => {
  let service: ServiceProcess;
  let base: string;
  let metricsBase: string;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'obs-e2e-'));
    const appsFile = path.join(dir, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([{ appId: 'ops', appKeySha256: createHash('sha256').update(APP_KEY).digest('hex'), allowedApis: ['*'], rateLimitPerMinute: 1000 }]));
    const metricsPort = await freePort();
    service = startService({ APPS_FILE: appsFile, MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'obs-packs-')), METRICS_PORT: String(metricsPort), SIGNING_SECRET: 'obs-signing-secret-of-at-least-32-characters' });
    const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    await waitForOutput(service, /metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
    base = `http://127.0.0.1:${port}`;
    metricsBase = `http://127.0.0.1:${metricsPort}`;
  });
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
  });

  /** The JSON lines printed so far, parsed. */
  const lines = () =>
    service
      .raw()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const accessLines = (requestId: string) => lines().filter((l) => l.msg === 'request' && l.requestId === requestId);
  /** Lines are written once the answer is sent: wait for the line of this request. */
  async function accessLine(requestId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 50 && accessLines(requestId).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const found = accessLines(requestId);
    expect(found).toHaveLength(1);
    return found[0]!;
  }
  const checkLiveness = async (headers: Record<string, string>) => {
    const form = new FormData();
    form.append('image', new Blob([readFileSync(sharedData('identity/face_recognition_ageitgey/obama/obama.jpg'))], { type: 'image/jpeg' }), 'obama.jpg');
    form.append('returnCroppedImageURL', 'yes');
    return fetch(`${base}/v1/checkLiveness`, { method: 'POST', headers, body: form });
  };
  const scrape = async () => {
    const res = await fetch(`${metricsBase}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusTextFormat(await res.text());
  };

  it('writes exactly one access-log line per request, with its fields, and keeps every secret out of the log', async () => {
    const res = await checkLiveness({ ...credentials, transactionId: 'obs-txn-1' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { metadata: { requestId: string }; result: { croppedImageUrl?: string } };
    const line = await accessLine(body.metadata.requestId);
    expect(line).toMatchObject({ level: 'info', msg: 'request', transactionId: 'obs-txn-1', appId: 'ops', method: 'POST', route: '/v1/checkLiveness', status: 200 });
    expect(line.latencyMs).toBeGreaterThan(0);
    expect(line.bytesIn).toBeGreaterThan(10_000); // the photo
    // The answer as sent: its body and, a few hundred bytes, the status line and headers.
    expect(line.bytesOut).toBeGreaterThan(Number(res.headers.get('content-length')));
    expect(line.bytesOut).toBeLessThan(Number(res.headers.get('content-length')) + 2000);
    expect(line.outcome).toMatchObject({ api: 'checkLiveness', liveness: { value: expect.stringMatching(/^(yes|no)$/) }, action: expect.any(String) });
    expect(typeof line.time).toBe('string');

    // A signed link: its route pattern is logged, never its query string.
    const link = new URL(body.result.croppedImageUrl!);
    const crop = await fetch(`${base}${link.pathname}${link.search}`);
    expect(crop.status).toBe(200);
    await crop.arrayBuffer();

    // A refusal: its error code.
    const refused = await checkLiveness({ appId: 'ops', appKey: 'wrong-key', transactionId: 'obs-txn-2' });
    expect(refused.status).toBe(401);
    const refusedLine = await accessLine(((await refused.json()) as { metadata: { requestId: string } }).metadata.requestId);
    expect(refusedLine).toMatchObject({ status: 401, errorCode: 'UNAUTHENTICATED', route: '/v1/checkLiveness' });
    expect(refusedLine.appId).toBeUndefined();

    // The operator's report with the app's Bearer key.
    expect((await fetch(`${base}/health?details=1`, { headers: { Authorization: `Bearer ${APP_KEY}` } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const cropLines = lines().filter((l) => l.msg === 'request' && l.route === '/v1/croppedImage/:id');
    expect(cropLines).toHaveLength(1);
    expect(cropLines[0]).toMatchObject({ status: 200, method: 'GET' });

    const printed = service.raw();
    expect(printed).not.toContain(APP_KEY);
    expect(printed).not.toContain('wrong-key');
    expect(printed).not.toContain(link.searchParams.get('signature')!);
    expect(printed).not.toMatch(/Bearer/);
    expect(printed).not.toContain('obs-signing-secret');
  });

  it('serves /metrics on METRICS_PORT alone (not on the API port), and its counters move with the requests', async () => {
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${APP_KEY}` } })).status).toBe(404);
    const before = await scrape();
    const names = new Set(before.map((f) => f.name));
    for (const name of [
      'face_liveness_http_requests_total',
      'face_liveness_http_request_duration_seconds',
      'face_liveness_model_runs_total',
      'face_liveness_model_run_duration_seconds',
      'face_liveness_pipeline_slots',
      'face_liveness_jobs',
      'face_liveness_liveness_verdicts_total',
      'face_liveness_decisions_total',
      'face_liveness_process_resident_memory_bytes',
      'face_liveness_nodejs_eventloop_lag_seconds',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    const ok = { route: '/v1/checkLiveness', status: '200', app: 'ops', method: 'POST' };
    const res = await checkLiveness({ ...credentials, transactionId: 'obs-txn-3' });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 100));
    const after = await scrape();
    expect(sample(after, 'face_liveness_http_requests_total', ok) - sample(before, 'face_liveness_http_requests_total', ok)).toBe(1);
    // A histogram with buckets (this parser keeps a labelled histogram's buckets but not its labels, so the movement
    // is checked on the counter above).
    const duration = after.find((f) => f.name === 'face_liveness_http_request_duration_seconds')!;
    expect(duration.type).toBe('HISTOGRAM');
    expect(Number(duration.metrics[0]!.buckets!['+Inf'])).toBeGreaterThanOrEqual(1);
    const detector = { model: 'faceapi-ssd-mobilenetv1', outcome: 'ok' };
    expect(sample(after, 'face_liveness_model_runs_total', detector)).toBeGreaterThan(sample(before, 'face_liveness_model_runs_total', detector));
    const verdicts = (f: ParsedFamily[]) => f.find((x) => x.name === 'face_liveness_liveness_verdicts_total')!.metrics.reduce((n, m) => n + Number(m.value), 0);
    expect(verdicts(after) - verdicts(before)).toBe(1);
    expect(sample(after, 'face_liveness_pipeline_slots', { state: 'capacity' })).toBeGreaterThan(0);
  });

  it('docs/grafana-dashboard.json queries only metrics the service exposes', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exposed = new Set((await scrape()).map((f) => f.name));
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/face_liveness_[a-z0-9_]+/g) ?? [])));
    expect(queried.size).toBeGreaterThan(10);
    // A histogram is exposed as its family name; queries read its _bucket/_sum/_count series.
    for (const name of queried) expect(exposed.has(name.replace(/_(bucket|sum|count)$/, '')), name).toBe(true);
  });
});
