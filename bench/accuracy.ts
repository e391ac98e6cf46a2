/**
 * Accuracy through the public API: `npm run bench -- accuracy [--data=DIR] [--out=DIR] [--packs=DIR]
 * [--http=URL --app-id=ID --app-key=KEY] [--max-impostors=N|all]`. `--packs=none` = embedded models only; without
 * --packs the service's default (MODEL_PACKS_DIR or models/packs).
 *
 * Measures what callers get: every number comes from a `/v1` response, in process (`createApp(...).request()`,
 * wired like src/main.ts) or over HTTP against a running service (`--http`). Label files are described in
 * docs/bench-data-format.md:
 * - verification: POST /v1/matchFace for every pair of images within a source set of labels/identity.csv
 *   (same identity = genuine, else impostor); score = `match.score` (0–100, higher = same person).
 *   TAR at FAR 1 % / 0.1 % / 0.01 %, EER, ROC and DET curves (bench/metrics.ts for the rules).
 * - presentation-attack detection: POST /v1/checkLiveness for every `rgb_image` row of labels/liveness.csv;
 *   score = `liveFace.score` (0–1, higher = bona fide). APCER per attack type, BPCER, ACER (ISO/IEC 30107-3).
 * - face count and quality checks: POST /v1/checkLiveness for every row of labels/attributes.csv whose labels
 *   map to a face count or a quality check (FACE_COUNT_LABELS, QUALITY_LABELS below).
 *
 * Outputs in --out (default bench/out/): accuracy.json, accuracy.md, roc.svg, det-verification.svg, det-pad.svg.
 * Progress bars on stderr.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.js';
import { QUALITY_CHECK_RESPONSE_KEYS } from '../src/http/contracts/hyperverge.js';
import { createLogger } from '../src/app/logger.js';
import { createService } from '../src/app/service.js';
import type { QualityCheck } from '../src/pipeline/types.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { identityPairs, readIdentityLabels } from './match.js';
import { type PadSample, type TarAtFar, bpcerAtApcer, detPoints, equalErrorRate, padDetPoints, padRates, rocPoints, tarAtFar } from './metrics.js';
import { linePlotSvg } from './plot.js';
import { Progress } from './progress.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : undefined;
}

/**
 * Impostor pairs scored by default: one matchFace request costs ~0.2 s on 2 CPU cores, and the shared data's
 * 867 impostor pairs would take ~3 min alone. 500 keeps a run near 2.5 min and FAR 1 % measurable (5 false
 * accepts possible); `--max-impostors=all` scores every pair.
 */
const DEFAULT_MAX_IMPOSTORS = 500;

/** FAR targets of the verification table (issue #5). */
const FAR_TARGETS = [0.01, 0.001, 0.0001];
/** APCER targets for BPCER at APCER (ISO/IEC 30107-3's BPCER10 / BPCER20 / BPCER100). */
const APCER_TARGETS = [0.1, 0.05, 0.01];

/**
 * Attribute label → expected quality-check answer (`true` = the check should answer yes). Only labels whose
 * meaning matches the check's definition (docs/quality-checks.md) are mapped; others (emotion, pitch, roll,
 * resolution …) are not scored. Users can state any check directly with `check:<name>=yes|no`.
 */
export const QUALITY_LABELS: Record<string, Partial<Record<QualityCheck, boolean>>> = {
  eyes_closed_both: { eyesClosed: true },
  eyes_open: { eyesClosed: false },
  // eyesClosed means both eyes closed (src/quality), so one closed eye is a "no".
  eyes_one_closed: { eyesClosed: false },
  eyes_left_closed_right_open: { eyesClosed: false },
  head_yaw_left: { headTurned: true },
  head_yaw_right: { headTurned: true },
  face_mask: { occlusion: true },
  quality_low_blurry: { blur: true, lowQuality: true },
  quality_high: { blur: false, lowQuality: false },
  '1_face': { multipleFaces: false },
  '2_faces': { multipleFaces: true },
  multi_face_2: { multipleFaces: true },
  multi_face_group: { multipleFaces: true },
};

/** Attribute label → number of real faces in the image (2 = "two or more"). Users can write `faces=N`. */
export const FACE_COUNT_LABELS: Record<string, number> = {
  no_face: 0,
  no_face_blank: 0,
  no_human_face: 0,
  '1_face': 1,
  '2_faces': 2,
  multi_face_2: 2,
  multi_face_group: 2,
};

type FaceCountClass = 'none' | 'one' | 'multiple';
const countClass = (n: number): FaceCountClass => (n === 0 ? 'none' : n === 1 ? 'one' : 'multiple');

/** Parses the `;`-separated attribute labels of one row into expected checks and face count. */
export function attributeExpectations(labels: readonly string[]): { checks: Partial<Record<QualityCheck, boolean>>; faces?: number } {
  const checks: Partial<Record<QualityCheck, boolean>> = {};
  let faces: number | undefined;
  for (const label of labels) {
    Object.assign(checks, QUALITY_LABELS[label] ?? {});
    if (FACE_COUNT_LABELS[label] !== undefined) faces = FACE_COUNT_LABELS[label];
    const explicit = /^check:(\w+)=(yes|no)$/.exec(label);
    if (explicit) {
      if (!(explicit[1]! in QUALITY_CHECK_RESPONSE_KEYS)) throw new Error(`attribute label "${label}": unknown quality check ${explicit[1]} (expected one of ${Object.keys(QUALITY_CHECK_RESPONSE_KEYS).join(', ')})`);
      checks[explicit[1] as QualityCheck] = explicit[2] === 'yes';
    }
    const count = /^faces=(\d+)$/.exec(label);
    if (count) faces = Number(count[1]);
  }
  return faces === undefined ? { checks } : { checks, faces };
}

/**
 * Attack type (PAI species) of a spoof row: the `attack_type` column when the file has one, else inferred
 * from the evidence text: "print" → print; "replay", "screen", "tablet", "phone", "display" → replay;
 * otherwise "unknown".
 */
export function attackType(attackTypeColumn: string | undefined, evidence: string): string {
  if (attackTypeColumn) return attackTypeColumn;
  if (/\bprint/i.test(evidence)) return 'print';
  if (/replay|screen|tablet|phone|display/i.test(evidence)) return 'replay';
  return 'unknown';
}

/** Minimal RFC 4180 CSV reader (quoted fields with "" escapes, no multi-line fields): header → rows of objects. */
export function readCsv(file: string): Record<string, string>[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const split = (line: string) => {
    const out: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
        else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') out.push(field), (field = '');
      else field += ch;
    }
    out.push(field);
    return out;
  };
  const header = split(lines[0] ?? '');
  return lines.slice(1).map((line) => Object.fromEntries(split(line).map((v, i) => [header[i] ?? `column${i}`, v])));
}

interface ApiAnswer {
  status: number;
  body: any;
}
type Post = (route: string, form: FormData) => Promise<ApiAnswer>;

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };
function fileField(dataDir: string, rel: string): Blob {
  return new Blob([readFileSync(path.join(dataDir, rel))], { type: MIME[path.extname(rel).toLowerCase()] ?? 'application/octet-stream' });
}

/** The API client: in process (the service's own app, wired like src/main.ts) or over HTTP. */
async function client(packsDir: string | undefined): Promise<{ post: Post; mode: string; close: () => Promise<void> }> {
  const http = option('http');
  let counter = 0;
  if (http) {
    const appId = option('app-id') ?? 'default';
    const appKey = option('app-key');
    if (!appKey) throw new Error('--http needs --app-key (and --app-id unless it is "default")');
    const post: Post = async (route, form) => {
      const res = await fetch(new URL(route, http), { method: 'POST', body: form, headers: { appId, appKey, transactionId: `accuracy-${++counter}` } });
      return { status: res.status, body: await res.json() };
    };
    return { post, mode: `HTTP ${http}`, close: async () => {} };
  }
  // The service as main.ts builds it (src/app/service.ts), on this thread and without batching (one request at a time),
  // with the embedded default app (no APPS_FILE) and a throw-away DATA_DIR.
  const env: Record<string, string | undefined> = {
    ...process.env,
    APPS_FILE: undefined,
    INFERENCE_THREAD: 'main',
    BATCH_MAX_SIZE: '1',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-accuracy-')),
    ...(packsDir ? { MODEL_PACKS_DIR: packsDir } : {}),
  };
  const config = parseConfig(env);
  // Errors only: the bench prints its own progress, and one access-log line per sample would drown it.
  const service = await createService(config, { logger: createLogger({ logLevel: 'error' }) });
  const appKey = service.embeddedAppKey!;
  const post: Post = async (route, form) => {
    const res = await service.app.request(route, { method: 'POST', body: form, headers: { appId: 'default', appKey, transactionId: `accuracy-${++counter}` } });
    return { status: res.status, body: await res.json() };
  };
  const installed = service.registry.packs.filter((p) => p.state !== 'missing').map((p) => p.id);
  return {
    post,
    mode: `in process, ${service.registry.executionProvider}; packs from ${config.modelPacksDir}: ${installed.length ? installed.join(', ') : 'none installed'}`,
    close: () => service.close(),
  };
}

/**
 * 400 Unsupported file type (e.g. a WebP image to checkLiveness): the API cannot read it; the sample is listed and
 * skipped, not scored. HyperVerge's body says so with summary code 111 (src/http/contracts/hyperverge.ts).
 */
const unsupported = (answer: ApiAnswer) => answer.status === 400 && answer.body?.result?.summary?.details?.some((d: { code?: string }) => d.code === '111') === true;

const unexpected = (what: string, answer: ApiAnswer) => new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);

// ---------------------------------------------------------------- verification

interface VerificationResult {
  images: number;
  failedToEnrol: string[];
  /** Pairs the API refused to read (400 Unsupported file type), not scored. */
  unsupported: string[];
  genuine: number;
  impostor: number;
  impostorsSampled: boolean;
  tarAtFar: TarAtFar[];
  eer: ReturnType<typeof equalErrorRate>;
  serviceDecision: { tar: number; far: number };
  roc: ReturnType<typeof rocPoints>;
  det: ReturnType<typeof detPoints>;
}

async function verification(post: Post, dataDir: string, maxImpostors: number): Promise<VerificationResult> {
  const images = readIdentityLabels(dataDir);
  let pairs = identityPairs(images);
  const impostorPairs = pairs.filter((p) => !p.genuine);
  const sampled = impostorPairs.length > maxImpostors;
  if (sampled) {
    // Every k-th impostor pair (deterministic, spread over all sets), so reruns compare like with like.
    const step = impostorPairs.length / maxImpostors;
    const keep = new Set(Array.from({ length: maxImpostors }, (_, i) => impostorPairs[Math.floor(i * step)]!));
    pairs = pairs.filter((p) => p.genuine || keep.has(p));
  }
  const progress = new Progress('matchFace pairs', pairs.length);
  const genuine: number[] = [];
  const impostor: number[] = [];
  const decisions: { genuine: boolean; yes: boolean }[] = [];
  const failed = new Set<string>();
  const skipped = new Set<string>();
  for (const pair of pairs) {
    const a = images[pair.a]!.path;
    const b = images[pair.b]!.path;
    const form = new FormData();
    form.append('selfie', fileField(dataDir, a), path.basename(a));
    form.append('id', fileField(dataDir, b), path.basename(b));
    const answer = await post('/v1/matchFace', form);
    progress.tick();
    if (answer.status === 422) {
      // No face in one of the two: failure to enrol (ISO/IEC 19795-1), the pair is not scored.
      const reason = String(answer.body?.result?.reason ?? '');
      failed.add(reason.includes('"id"') ? b : reason.includes('"selfie"') ? a : `${a} | ${b}`);
      continue;
    }
    if (unsupported(answer)) {
      skipped.add(`${a} | ${b}: ${String(answer.body?.result?.reason ?? '')}`);
      continue;
    }
    if (answer.status !== 200) throw unexpected(`matchFace ${a} vs ${b}`, answer);
    const match = answer.body.result.details.match as { value: string; score: number };
    (pair.genuine ? genuine : impostor).push(match.score);
    decisions.push({ genuine: pair.genuine, yes: match.value === 'yes' });
  }
  progress.finish();
  const share = (list: typeof decisions) => (list.length ? list.filter((d) => d.yes).length / list.length : Number.NaN);
  return {
    images: images.length,
    failedToEnrol: [...failed],
    unsupported: [...skipped],
    genuine: genuine.length,
    impostor: impostor.length,
    impostorsSampled: sampled,
    tarAtFar: FAR_TARGETS.map((t) => tarAtFar(genuine, impostor, t)),
    eer: equalErrorRate(genuine, impostor),
    serviceDecision: { tar: share(decisions.filter((d) => d.genuine)), far: share(decisions.filter((d) => !d.genuine)) },
    roc: rocPoints(genuine, impostor),
    det: detPoints(genuine, impostor),
  };
}

// ---------------------------------------------------------------- presentation-attack detection

interface PadResult {
  presentations: number;
  /** Images the API refused to read (400 Unsupported file type), not scored. */
  unsupported: string[];
  /** No face detected (422): failure to acquire, per class (bona fide / attack type). */
  failedToAcquire: Record<string, number>;
  acquired: Record<string, number>;
  /** Rates at the service's decision (liveFace.value), acquired presentations only (ISO/IEC 30107-3). */
  serviceDecision: ReturnType<typeof padRates>;
  /** The same, counting a 422 as a rejection (what a caller sees: the request fails). */
  serviceDecisionWithFta: ReturnType<typeof padRates>;
  eer: ReturnType<typeof equalErrorRate> | null;
  bpcerAtApcer: ReturnType<typeof bpcerAtApcer>[];
  det: ReturnType<typeof padDetPoints>;
}

async function presentationAttacks(post: Post, dataDir: string): Promise<PadResult> {
  const rows = readCsv(path.join(dataDir, 'labels', 'liveness.csv')).filter((r) => r.modality === 'rgb_image');
  const progress = new Progress('checkLiveness (PAD)', rows.length);
  const scored: PadSample[] = [];
  const decided: PadSample[] = [];
  const decidedWithFta: PadSample[] = [];
  const fta: Record<string, number> = {};
  const acquired: Record<string, number> = {};
  const skipped: string[] = [];
  for (const row of rows) {
    if (row.label !== 'live' && row.label !== 'spoof') throw new Error(`labels/liveness.csv ${row.path}: label must be live or spoof, got "${row.label}"`);
    const type = row.label === 'live' ? null : attackType(row.attack_type, row.evidence ?? '');
    const key = type ?? 'bona fide';
    const form = new FormData();
    form.append('image', fileField(dataDir, row.path!), path.basename(row.path!));
    const answer = await post('/v1/checkLiveness', form);
    progress.tick();
    if (answer.status === 422) {
      fta[key] = (fta[key] ?? 0) + 1;
      decidedWithFta.push({ score: 0, attackType: type });
      continue;
    }
    if (unsupported(answer)) {
      skipped.push(row.path!);
      continue;
    }
    if (answer.status !== 200) throw unexpected(`checkLiveness ${row.path}`, answer);
    acquired[key] = (acquired[key] ?? 0) + 1;
    const live = answer.body.result.details.liveFace as { value: string; score: number };
    scored.push({ score: live.score, attackType: type });
    decided.push({ score: live.value === 'yes' ? 1 : 0, attackType: type });
    decidedWithFta.push({ score: live.value === 'yes' ? 1 : 0, attackType: type });
  }
  progress.finish();
  const both = scored.some((s) => s.attackType === null) && scored.some((s) => s.attackType !== null);
  return {
    presentations: rows.length,
    unsupported: skipped,
    failedToAcquire: fta,
    acquired,
    serviceDecision: padRates(decided, 0.5),
    serviceDecisionWithFta: padRates(decidedWithFta, 0.5),
    eer: both ? equalErrorRate(scored.filter((s) => s.attackType === null).map((s) => s.score), scored.filter((s) => s.attackType !== null).map((s) => s.score)) : null,
    bpcerAtApcer: both ? APCER_TARGETS.map((t) => bpcerAtApcer(scored, t)) : [],
    det: both ? padDetPoints(scored) : [],
  };
}

// ---------------------------------------------------------------- face count and quality checks

interface CheckTally {
  tp: number;
  fn: number;
  tn: number;
  fp: number;
  lowConfidence: number;
  /** Labelled images with no face detected (422): the check could not answer. */
  noFace: number;
  errors: string[];
}

interface AttributeResult {
  images: number;
  /** Images the API refused to read (400 Unsupported file type), not scored. */
  unsupported: string[];
  faceCount: { labelled: number; correct: number; confusion: Record<string, number>; errors: string[] };
  quality: Record<string, CheckTally>;
}

async function attributes(post: Post, dataDir: string): Promise<AttributeResult> {
  const rows = readCsv(path.join(dataDir, 'labels', 'attributes.csv'))
    .map((r) => ({ path: r.path!, ...attributeExpectations((r.attributes ?? '').split(';').filter(Boolean)) }))
    .filter((r) => r.faces !== undefined || Object.keys(r.checks).length > 0);
  const progress = new Progress('checkLiveness (attributes)', rows.length);
  const faceCount: AttributeResult['faceCount'] = { labelled: 0, correct: 0, confusion: {}, errors: [] };
  const quality: Record<string, CheckTally> = {};
  const skipped: string[] = [];
  for (const row of rows) {
    const form = new FormData();
    form.append('image', fileField(dataDir, row.path), path.basename(row.path));
    // multipleFaces is always asked: the face count needs it.
    const asked = new Set<QualityCheck>(['multipleFaces', ...(Object.keys(row.checks) as QualityCheck[])]);
    for (const check of asked) form.append(`qualityChecks.${check}`, 'yes');
    const answer = await post('/v1/checkLiveness', form);
    progress.tick();
    if (unsupported(answer)) {
      skipped.push(row.path);
      continue;
    }
    if (answer.status !== 200 && answer.status !== 422) throw unexpected(`checkLiveness ${row.path}`, answer);
    const checks = answer.status === 200 ? (answer.body.result.details.qualityChecks as Record<string, { value: string; confidence: string }>) : undefined;
    if (row.faces !== undefined) {
      // none = 422 No face detected; multiple = 200 with qualityChecks.multipleFaces yes; one = 200 otherwise.
      const expected = countClass(row.faces);
      const observed: FaceCountClass = !checks ? 'none' : checks.multipleFaces?.value === 'yes' ? 'multiple' : 'one';
      faceCount.labelled++;
      faceCount.confusion[`${expected}→${observed}`] = (faceCount.confusion[`${expected}→${observed}`] ?? 0) + 1;
      if (expected === observed) faceCount.correct++;
      else faceCount.errors.push(`${row.path}: ${expected} → ${observed}`);
    }
    for (const [check, expected] of Object.entries(row.checks) as [QualityCheck, boolean][]) {
      const t = (quality[check] ??= { tp: 0, fn: 0, tn: 0, fp: 0, lowConfidence: 0, noFace: 0, errors: [] });
      if (!checks) {
        t.noFace++;
        continue;
      }
      const verdict = checks[QUALITY_CHECK_RESPONSE_KEYS[check]];
      if (!verdict) throw new Error(`checkLiveness ${row.path}: no qualityChecks.${QUALITY_CHECK_RESPONSE_KEYS[check]} in the answer`);
      const yes = verdict.value === 'yes';
      if (verdict.confidence === 'low') t.lowConfidence++;
      if (expected && yes) t.tp++;
      else if (!expected && !yes) t.tn++;
      else {
        if (expected) t.fn++;
        else t.fp++;
        t.errors.push(`${row.path}: expected ${expected ? 'yes' : 'no'}, got ${verdict.value} (${verdict.confidence})`);
      }
    }
  }
  progress.finish();
  return { images: rows.length, unsupported: skipped, faceCount, quality };
}

// ---------------------------------------------------------------- report

const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '—');
const tarCell = (r: TarAtFar) => (r.measurable ? `${pct(r.tar)} (score ≥ ${r.threshold}, FAR ${pct(r.far, 2)})` : `not measurable (needs ≥ ${r.impostorsNeeded} impostors)`);

interface Report {
  machine: MachineInfo;
  command: string;
  mode: string;
  dataDir: string;
  seconds: number;
  verification: VerificationResult;
  pad: PadResult;
  attributes: AttributeResult;
}

export function markdownReport(r: Report): string {
  const v = r.verification;
  const lines = [
    `# Accuracy: ${r.machine.date}`,
    '',
    machineMarkdown(r.machine),
    `- API: ${r.mode}`,
    `- data: ${r.dataDir}; ${r.seconds.toFixed(0)} s`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    `## Verification (matchFace, score 0–100)`,
    '',
    `${v.images} images; ${v.genuine} genuine and ${v.impostor} impostor pairs scored${v.impostorsSampled ? ' (impostor pairs sampled evenly, --max-impostors)' : ''}; ` +
      `failure to enrol (no face, pairs not scored): ${v.failedToEnrol.length ? v.failedToEnrol.join(', ') : 'none'}` +
      `${v.unsupported.length ? `; unreadable by the API (400): ${v.unsupported.length} pairs` : ''}.`,
    '',
    '| metric | value |',
    '|---|---:|',
    ...v.tarAtFar.map((t) => `| TAR @ FAR ${pct(t.targetFar, t.targetFar < 0.001 ? 2 : 1)} | ${tarCell(t)} |`),
    `| EER | ${pct(v.eer.eer, 2)} (score ≥ ${v.eer.threshold}) |`,
    `| service decision (match.value): TAR / FAR | ${pct(v.serviceDecision.tar)} / ${pct(v.serviceDecision.far, 2)} |`,
    '',
    'TAR at FAR: highest TAR on the empirical ROC with FAR ≤ target, no interpolation; "not measurable" when the target is below 1/#impostors.',
    '',
    '## Presentation-attack detection (checkLiveness liveFace, score 0–1)',
    '',
    `${r.pad.presentations} presentations; acquired: ${Object.entries(r.pad.acquired).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; ` +
      `failure to acquire (422 no face): ${Object.entries(r.pad.failedToAcquire).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}` +
      `${r.pad.unsupported.length ? `; unreadable by the API (400, not scored): ${r.pad.unsupported.join(', ')}` : ''}.`,
    '',
    '| operating point | BPCER | ' + Object.keys(r.pad.serviceDecisionWithFta.apcerByType).map((t) => `APCER ${t}`).join(' | ') + ' | APCER (worst type) | ACER |',
    '|---|---:|' + Object.keys(r.pad.serviceDecisionWithFta.apcerByType).map(() => '---:|').join('') + '---:|---:|',
  ];
  for (const [name, rates] of [
    ['service decision, acquired only (ISO/IEC 30107-3)', r.pad.serviceDecision],
    ['service decision, 422 = rejected (what callers see)', r.pad.serviceDecisionWithFta],
  ] as const) {
    const types = Object.keys(r.pad.serviceDecisionWithFta.apcerByType).map((t) => {
      const a = rates.apcerByType[t];
      return a ? `${pct(a.apcer)} (n=${a.attacks})` : '—';
    });
    lines.push(`| ${name} | ${pct(rates.bpcer)} (n=${rates.bonaFide}) | ${types.join(' | ')} | ${pct(rates.apcerMax)} | ${pct(rates.acer)} |`);
  }
  lines.push('');
  if (r.pad.eer) lines.push(`On the scores (acquired only, attacks pooled): EER ${pct(r.pad.eer.eer, 2)} (score ≥ ${r.pad.eer.threshold}); ` + r.pad.bpcerAtApcer.map((b) => `BPCER @ APCER ${pct(b.targetApcer, 0)}: ${b.measurable ? `${pct(b.bpcer)} (score ≥ ${b.threshold})` : `not measurable (needs ≥ ${b.attacksNeeded} attacks)`}`).join('; ') + '.');
  lines.push('', 'ACER = (worst attack type APCER + BPCER) / 2 (OULU-NPU convention; ISO/IEC 30107-3:2023 prefers the two rates separately).', '');
  const fc = r.attributes.faceCount;
  if (r.attributes.unsupported.length) lines.push(`Attribute images unreadable by the API (400 Unsupported file type, not scored): ${r.attributes.unsupported.join(', ')}.`, '');
  lines.push('## Face count (checkLiveness: 422 = none, qualityChecks.multipleFaces yes = multiple, else one)', '');
  lines.push(`${fc.correct} / ${fc.labelled} correct (${pct(fc.correct / fc.labelled)}); expected→observed: ${Object.entries(fc.confusion).map(([k, n]) => `${k} ${n}`).join(', ')}.`);
  if (fc.errors.length) lines.push('', ...fc.errors.map((e) => `- ${e}`));
  lines.push('', '## Quality checks (checkLiveness qualityChecks.*, labels mapped as in docs/bench-data-format.md)', '');
  lines.push('| check | labelled (yes / no) | TP | FN | TN | FP | accuracy | low confidence | no face |', '|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [check, t] of Object.entries(r.attributes.quality).sort()) {
    const n = t.tp + t.fn + t.tn + t.fp;
    lines.push(`| ${check} | ${n} (${t.tp + t.fn} / ${t.tn + t.fp}) | ${t.tp} | ${t.fn} | ${t.tn} | ${t.fp} | ${n ? pct((t.tp + t.tn) / n, 0) : '—'} | ${t.lowConfidence} | ${t.noFace} |`);
  }
  const errors = Object.entries(r.attributes.quality).flatMap(([check, t]) => t.errors.map((e) => `- ${check}: ${e}`));
  if (errors.length) lines.push('', 'Errors:', '', ...errors);
  lines.push('', 'Plots: roc.svg, det-verification.svg, det-pad.svg.', '');
  return lines.join('\n');
}

/** Drops the +Infinity threshold point for plotting (it is FAR 0, TAR 0 = the axis corner). */
const finite = <T extends { threshold: number }>(points: readonly T[]) => points.filter((p) => Number.isFinite(p.threshold));

export async function benchAccuracy(): Promise<void> {
  const started = Date.now();
  const dataDir = path.resolve(option('data') ?? path.join(repoRoot, '..', 'shared', 'data'));
  const outDir = path.resolve(option('out') ?? path.join(repoRoot, 'bench', 'out'));
  const packs = option('packs');
  const maxImpostorsOption = option('max-impostors') ?? String(DEFAULT_MAX_IMPOSTORS);
  const maxImpostors = maxImpostorsOption === 'all' ? Infinity : Number(maxImpostorsOption);
  if (!(maxImpostors > 0)) throw new Error(`--max-impostors must be a positive number or "all", got ${maxImpostorsOption}`);
  for (const f of ['identity.csv', 'liveness.csv', 'attributes.csv']) {
    if (!existsSync(path.join(dataDir, 'labels', f))) throw new Error(`accuracy bench: ${path.join(dataDir, 'labels', f)} not found (see docs/bench-data-format.md)`);
  }
  // --packs=none: an empty folder, i.e. the embedded models only.
  const api = await client(packs === 'none' ? mkdtempSync(path.join(os.tmpdir(), 'accuracy-nopacks-')) : packs ? path.resolve(packs) : undefined);
  let report: Report;
  try {
    const verificationResult = await verification(api.post, dataDir, maxImpostors);
    const pad = await presentationAttacks(api.post, dataDir);
    const attributeResult = await attributes(api.post, dataDir);
    report = {
      machine: machineInfo(process.env.EXECUTION_PROVIDER ?? 'cpu'),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
      mode: api.mode,
      dataDir,
      seconds: (Date.now() - started) / 1000,
      verification: verificationResult,
      pad,
      attributes: attributeResult,
    };
  } finally {
    await api.close();
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'accuracy.json'), `${JSON.stringify(report, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v), 2)}\n`);
  const markdown = markdownReport(report);
  writeFileSync(path.join(outDir, 'accuracy.md'), markdown);
  const v = report.verification;
  writeFileSync(
    path.join(outDir, 'roc.svg'),
    linePlotSvg({ title: 'Verification ROC (matchFace)', xLabel: 'FAR (impostors accepted)', yLabel: 'TAR (genuine accepted)', xScale: 'log', legend: 'bottom-right', xRange: [Math.min(1e-4, 1 / Math.max(1, v.impostor)), 1], yRange: [0, 1], series: [{ name: `matchFace (${v.genuine} gen / ${v.impostor} imp)`, points: finite(v.roc).map((p) => [p.far, p.tar]) }] }),
  );
  writeFileSync(
    path.join(outDir, 'det-verification.svg'),
    linePlotSvg({ title: 'Verification DET (matchFace)', xLabel: 'FAR', yLabel: 'FRR', xScale: 'probit', yScale: 'probit', diagonal: true, series: [{ name: 'matchFace', points: finite(v.det).map((p) => [p.far, p.frr]) }] }),
  );
  writeFileSync(
    path.join(outDir, 'det-pad.svg'),
    linePlotSvg({ title: 'Presentation-attack detection DET (checkLiveness)', xLabel: 'APCER (attacks pooled)', yLabel: 'BPCER', xScale: 'probit', yScale: 'probit', diagonal: true, series: [{ name: 'liveFace', points: finite(report.pad.det).map((p) => [p.apcer, p.bpcer]) }] }),
  );
  console.log(markdown);
  console.error(`wrote ${outDir}/{accuracy.json,accuracy.md,roc.svg,det-verification.svg,det-pad.svg}`);
}

