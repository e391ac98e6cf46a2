/**
 * The harness of the contract tests through app.request() (no socket), in small pieces a test file composes: the
 * console.error spy, a clock the test moves, apps with their keys, the vendor APIs' deps (rate limiter, concurrency
 * slots, body limit, the rules in rules/decision-rules.json, a crop store in a temp dir, a URL signer with a test
 * secret), the sessions API's deps over an in-memory store, the app itself (a stub model registry, fixed versions), and
 * multipart posts. What only one file needs (its use-case doubles, webhook dispatchers, job runners) stays in that file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createLogger, type Logger } from '../../src/app/logger.js';
import { RulesFile } from '../../src/app/rules-file.js';
import type { Config } from '../../src/config.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { AppRegistry, sha256Hex, type AppDefinition } from '../../src/http/apps.js';
import { ConcurrencyLimiter } from '../../src/http/concurrency.js';
import { RateLimiter } from '../../src/http/middleware/rate-limit.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import type { DecisionRules } from '../../src/pipeline/decision.js';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import type { CheckLiveness } from '../../src/pipeline/types.js';
import { SqliteSessionRepository } from '../../src/sessions/session-repository.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { LocalImageStore } from '../../src/store/local-image-store.js';
import { LocalMediaStore } from '../../src/store/local-media-store.js';

export type TestApp = ReturnType<typeof createApp>;
type LivenessDeps = NonNullable<AppDeps['liveness']>;
type MatchFaceDeps = NonNullable<AppDeps['matchFace']>;
type VerifyVideoDeps = NonNullable<AppDeps['verifyVideo']>;
type SessionsDeps = NonNullable<AppDeps['sessions']>;

/** The links' HMAC key in every test app (≥ 32 characters, as SIGNING_SECRET must be). */
export const TEST_SIGNING_SECRET = 'test-signing-secret-of-at-least-32-chars';
export const TEST_VERSIONS = { service: '9.9.9', onnxruntime: 'test', node: process.versions.node };
/** For apps whose tests never reach /health: the registry is never touched. */
export const STUB_REGISTRY = {} as ModelRegistry;
/** No models loaded, no packs listed: enough for /health's report. */
export const MODELLESS_REGISTRY = { executionProvider: 'cpu', inferenceThread: 'main', packs: [], list: () => [] } as unknown as ModelRegistry;
/** The shipped decision rules (rules/decision-rules.json), read once. */
export const DEFAULT_RULES: DecisionRules = new RulesFile(path.resolve('rules/decision-rules.json')).current();

/** A logger whose lines a test reads: `lines()` parsed, `text()` as written (JSON lines). */
export interface CapturedLog {
  logger: Logger;
  lines: () => Record<string, unknown>[];
  text: () => string;
}

/** The service's own logger (src/app/logger.ts: its level, format and redaction) writing into memory. */
export function captureLog(level: Config['logLevel'] = 'info'): CapturedLog {
  const written: string[] = [];
  const logger = createLogger({ logLevel: level }, { write: (line: string) => void written.push(line) });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>), text: () => written.join('') };
}

/** Runs, after each test of the file, every close registered during it; answers the function that registers one. */
export function closeAfterEach(): (close: () => void) => void {
  const closers: (() => void)[] = [];
  afterEach(() => closers.splice(0).forEach((close) => close()));
  return (close) => void closers.push(close);
}

/** A clock the test moves: `ms` (read and set), `now()` in ms, `seconds()` in whole Unix seconds, `advance(ms)`. */
export interface TestClock {
  ms: number;
  now: () => number;
  seconds: () => number;
  advance: (ms: number) => number;
}

export function testClock(t0: number): TestClock {
  const clock: TestClock = {
    ms: t0,
    now: () => clock.ms,
    seconds: () => Math.floor(clock.ms / 1000),
    advance: (ms) => (clock.ms += ms),
  };
  return clock;
}

/** An app as a test writes it: its appKey in the clear instead of the key's hash. */
export type TestAppDefinition = Omit<AppDefinition, 'appKeySha256'> & { appKey: string };

/** The registry of `defs` (each key stored as its hash); `heldKeys`: the appIds whose key it also holds in the clear. */
export function testApps(defs: readonly TestAppDefinition[], heldKeys: readonly string[] = []): AppRegistry {
  const keyOf = new Map(defs.map((d) => [d.appId, d.appKey]));
  return new AppRegistry(
    defs.map(({ appKey, ...app }) => ({ ...app, appKeySha256: sha256Hex(appKey) })),
    new Map(heldKeys.map((appId) => [appId, keyOf.get(appId)!])),
  );
}

/** A URL signer with the test secret; links live `ttlSeconds`; on `clock`, else on real time. */
export function testSigner(clock?: TestClock, ttlSeconds = 60): UrlSigner {
  return new UrlSigner(TEST_SIGNING_SECRET, ttlSeconds, clock?.seconds);
}

/** A crop store in a fresh temp directory: crops kept 60 s, no sweep timer; on `clock`, else on real time. */
export function testCropStore(clock?: TestClock): LocalImageStore {
  return new LocalImageStore({ dir: mkdtempSync(path.join(tmpdir(), 'contract-crops-')), ttlMs: 60_000, sweepIntervalMs: 0, now: clock?.now });
}

export interface ApiOptions {
  apps: AppRegistry;
  /** Drives the rate limiter, the crop store and the signer; absent = real time. */
  clock?: TestClock;
  /** Pipeline runs at once (default 2), or the limiter itself. */
  concurrency?: number | ConcurrencyLimiter;
  /** Requests waiting for a run slot (default 0). */
  queueSize?: number;
  /** Largest request body, bytes (default 64 KiB). */
  bodyLimitBytes?: number;
  /** The rules in force (default the shipped rules). */
  rules?: DecisionRules;
}

/** What checkLiveness, matchFace and verifyVideo share: apps, rate limiter, concurrency slots, body limit, rules. */
export function apiDeps(options: ApiOptions) {
  const concurrency = options.concurrency instanceof ConcurrencyLimiter ? options.concurrency : new ConcurrencyLimiter(options.concurrency ?? 2, options.queueSize ?? 0);
  return {
    apps: options.apps,
    rateLimiter: new RateLimiter(options.clock?.now),
    concurrency,
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    rules: { current: () => options.rules ?? DEFAULT_RULES },
  };
}

/** POST /v1/checkLiveness's deps: the shared ones, the use case, a crop store and a signer. */
export function livenessDeps(options: ApiOptions & { checkLiveness: CheckLiveness; publicBaseUrl?: string }): LivenessDeps {
  return {
    ...apiDeps(options),
    checkLiveness: options.checkLiveness,
    croppedImages: testCropStore(options.clock),
    signer: testSigner(options.clock),
    ...(options.publicBaseUrl ? { publicBaseUrl: options.publicBaseUrl } : {}),
  };
}

/** POST /v1/matchFace's deps: the shared ones and the use case. */
export function matchFaceDeps(options: ApiOptions & { matchFace: MatchFace }): MatchFaceDeps {
  return { ...apiDeps(options), matchFace: options.matchFace };
}

/** POST /v1/verifyVideo's deps: the shared ones, the use case, a crop store and a signer (and challenges, if given). */
export function verifyVideoDeps(options: ApiOptions & Pick<VerifyVideoDeps, 'verifyVideo' | 'challenges'>): VerifyVideoDeps {
  return {
    ...apiDeps(options),
    verifyVideo: options.verifyVideo,
    croppedImages: testCropStore(options.clock),
    signer: testSigner(options.clock),
    ...(options.challenges ? { challenges: options.challenges } : {}),
  };
}

/** An in-memory SQLite database and a LocalMediaStore over it in a fresh temp directory; on `clock`, else on real time. */
export function memoryStore(clock?: TestClock): { db: Db; media: LocalMediaStore; close: () => void } {
  const db = openDatabase(':memory:');
  const media = new LocalMediaStore({ db, dir: mkdtempSync(path.join(tmpdir(), 'contract-media-')), clock: clock?.now, log: () => {} });
  return { db, media, close: () => db.close() };
}

/**
 * The sessions API's deps on `clock` (absent = real time): its rate limiter, sessions on `db`, jobs and webhooks that
 * only answer an id, a signer of 1 h links, small upload limits, one client IP. Anything in `parts` replaces the default.
 */
export function sessionsDeps(parts: { apps: AppRegistry; clock?: TestClock; db: Db; media: SessionsDeps['media'] } & Partial<SessionsDeps>): SessionsDeps {
  const { clock, db, ...given } = parts;
  return {
    rateLimiter: new RateLimiter(clock?.now),
    sessions: given.sessions ?? new SqliteSessionRepository(db, clock?.now),
    jobs: { enqueue: () => 'job_1' },
    webhooks: { emit: () => 'whk_1' },
    signer: testSigner(clock, 3600),
    limits: { imageBytes: 4096, videoBytes: 8192, maxVideoSeconds: 60, mediaRetentionMs: 86_400_000 },
    clientIp: () => '203.0.113.7',
    ...(clock ? { now: clock.now } : {}),
    ...given,
  };
}

/** The service app with `parts`, on the stub registry and the test versions unless `parts` names others. */
export function testApp(parts: Partial<AppDeps>): TestApp {
  return createApp({ registry: STUB_REGISTRY, versions: TEST_VERSIONS, ...parts });
}

/**
 * A form field: text; a file given as its bytes (sent as `<field>.bin`), as a Blob (sent as `<field>.jpg`) or as
 * `[file, filename]`; null or undefined = not sent.
 */
export type FormValue = string | Blob | Uint8Array | readonly [Blob | Uint8Array, string] | null | undefined;

/** The fields as multipart form data, in their order. */
export function formData(fields: Record<string, FormValue>): FormData {
  const form = new FormData();
  const blob = (file: Blob | Uint8Array) => (file instanceof Blob ? file : new Blob([Buffer.from(file)]));
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') form.append(name, value);
    else if (value instanceof Blob) form.append(name, value, `${name}.jpg`);
    else if (value instanceof Uint8Array) form.append(name, blob(value), `${name}.bin`);
    else form.append(name, blob(value[0]), value[1]);
  }
  return form;
}

/** POSTs `fields` as multipart form data to `url` (a path, or a full URL: links in answers are built from it). */
export function postForm(app: TestApp, url: string, fields: Record<string, FormValue>, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(app.request(url, { method: 'POST', headers, body: formData(fields) }));
}
