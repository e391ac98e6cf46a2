/**
 * Service configuration: the only reader of process.env. Parsed once at start-up and passed in
 * (STYLE.md rule 4); every field documents its unit and default.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppError } from './errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Non-negative integer from an env string; empty means "use the default". */
const intFromEnv = (defaultValue: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(defaultValue) : v.trim()))
    .pipe(z.coerce.number<string>().int().min(min).max(max));

/** An optional integer variable, min…max, with no default: empty (or only whitespace) means unset. */
const optionalIntFromEnv = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(z.coerce.number<string>().int().min(min).max(max).optional());

/** An optional string variable where empty (or only whitespace) means unset, as for the numeric ones. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

export const configSchema = z.object({
  /** TCP port the HTTP server listens on. Default 3000. */
  PORT: intFromEnv(3000, 0, 65_535),
  /** Interface to bind. Default 0.0.0.0 (all IPv4 interfaces); use 127.0.0.1 to keep it local. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Directory with the built model set (*.onnx + manifest.json). Default <repo>/models. */
  MODELS_DIR: z.string().min(1).default(path.join(repoRoot, 'models')),
  /** Directory with optional model packs installed by `npm run models:fetch`. Default <MODELS_DIR>/packs. */
  MODEL_PACKS_DIR: z.string().min(1).optional(),
  /** ONNX Runtime execution provider: `cpu` (default) or `cuda`. CUDA that cannot load fails start-up. */
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  /** CUDA device ordinal (0-based) when EXECUTION_PROVIDER=cuda. Default 0. */
  CUDA_DEVICE_ID: intFromEnv(0, 0, 64),
  /**
   * Where models run: `worker` (default) on one inference thread, so the event loop keeps serving HTTP, decoding
   * and pre-/post-processing while a model runs; `main` on the event loop's own thread (onnxruntime-node's run
   * is synchronous and blocks it for the whole run). bench/RESULTS.md "Where the time goes (issue #8)".
   */
  INFERENCE_THREAD: z.enum(['worker', 'main']).default('worker'),
  /** ORT threads inside one operator; 0 (default) lets ORT use one per physical core. */
  ORT_INTRA_OP_THREADS: intFromEnv(0, 0, 1024),
  /** ORT threads across independent operators; 0 (default) lets ORT decide (sequential execution uses 1). */
  ORT_INTER_OP_THREADS: intFromEnv(0, 0, 1024),
  /**
   * Dynamic batching (src/inference/batcher.ts): per model, faces of concurrent requests (and the frames of one
   * video) run as one batch of at most this many. Default 1 = off (every face runs alone). Models with a fixed
   * batch dim (human-blazeface) always run alone. For batches to form, CONCURRENCY must allow several requests
   * in flight. Measured on CPU in bench/RESULTS.md "Dynamic batching on CPU (issue #8)"; meant for GPUs.
   */
  BATCH_MAX_SIZE: intFromEnv(1, 1, 256),
  /**
   * Dynamic batching: how long an idle model waits for more faces after the first one queued, milliseconds.
   * Default 0: an idle model runs at once, and faces that arrive while it runs go together when it ends (no
   * added latency at low load). Unused when BATCH_MAX_SIZE is 1.
   */
  BATCH_MAX_DELAY_MS: intFromEnv(0, 0, 1000),
  /** Log threshold (pino's levels): one JSON line per event at this level and above. Default info (one access line per request). */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Serve GET /metrics (Prometheus text) on this port of HOST instead of the API port, without credentials: for a
   * scrape network kept apart from the API. Unset (default): /metrics is on the API port and needs an app's Bearer key.
   */
  METRICS_PORT: optionalIntFromEnv(1, 65_535),
  /** Seconds to wait for in-flight requests after SIGTERM/SIGINT before exiting anyway. Default 10 s. */
  SHUTDOWN_GRACE_SECONDS: intFromEnv(10, 0, 3600),
  /**
   * JSON file listing the caller apps: [{appId, appKeySha256, appKeyEncrypted?, allowedApis, rateLimitPerMinute?, …}]
   * (src/http/apps.ts; written by `npm run apps`, scripts/apps.ts). Unset (default): one embedded app "default" with a random appKey printed once
   * at start-up, allowed every API, no rate limit.
   */
  APPS_FILE: z.string().min(1).optional(),
  /**
   * Master key for the appKeys APPS_FILE stores encrypted (`appKeyEncrypted`: AES-256-GCM, src/http/app-key-cipher.ts):
   * exactly 32 random bytes in standard base64, 44 characters (`openssl rand -base64 32`); surrounding whitespace is
   * ignored. Unset or empty (default): APPS_FILE may hold hashed keys only (appKeySha256), and an encrypted entry stops
   * start-up. Set this or SECRETS_KEY_FILE, not both. Its value is never echoed, not even in configuration errors.
   */
  SECRETS_KEY: z.string().optional(),
  /** Path to a file holding the master key in SECRETS_KEY's format (e.g. a mounted container secret). Read once at start-up; empty = unset. */
  SECRETS_KEY_FILE: z.string().optional(),
  /** Decision rules, one section per API (checkLiveness, matchFace, verifyVideo); re-read when the file changes. Default <repo>/rules/decision-rules.json. */
  RULES_FILE: z.string().min(1).default(path.join(repoRoot, 'rules', 'decision-rules.json')),
  /** Pipeline runs allowed at once in this process. Default 2 (each run already uses ORT's threads). */
  CONCURRENCY: intFromEnv(2, 1, 1024),
  /** Requests allowed to wait for a run slot; past that the answer is 503 at once. Default 16; 0 = no queue. */
  QUEUE_SIZE: intFromEnv(16, 0, 100_000),
  /** Largest request body accepted, bytes, checked before parsing (413 past it). Default 10485760 (10 MiB). */
  BODY_LIMIT_BYTES: intFromEnv(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  /**
   * Largest image accepted, width × height pixels, read from the header before decoding (413 past it).
   * Default 25000000 (25 MP: a 24 MP phone photo; decoded RGB ≈ 75 MB per request in flight).
   */
  MAX_IMAGE_PIXELS: intFromEnv(25_000_000, 1, 500_000_000),
  /**
   * Secret for signing croppedImageUrl links (HMAC-SHA256), at least 32 characters. Unset (default): a
   * random per-process secret, so links stop working when the process restarts (and differ between
   * replicas: set it when running more than one).
   */
  SIGNING_SECRET: z.string().min(32, 'SIGNING_SECRET must be at least 32 characters').optional(),
  /** Lifetime of croppedImageUrl links and of the stored crops, seconds. Default 3600 (1 h). */
  URL_TTL_SECONDS: intFromEnv(3600, 1, 7 * 24 * 3600),
  /**
   * Origin (and optional path prefix) for absolute links, e.g. https://kyc.example.com. Unset
   * (default): taken from the request URL; set it behind a reverse proxy.
   */
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'PUBLIC_BASE_URL must be an http(s) URL' })
    .optional(),
  /** Directory for stored face crops (deleted after URL_TTL_SECONDS). Default <os tmpdir>/face-liveness-service/cropped. */
  CROPPED_IMAGE_DIR: z.string().min(1).default(path.join(tmpdir(), 'face-liveness-service', 'cropped')),
  /** verifyVideo: largest request body (video + selfie + id), bytes, checked before parsing (413 past it). Default 67108864 (64 MiB). */
  VIDEO_BODY_LIMIT_BYTES: intFromEnv(64 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
  /** verifyVideo: longest accepted video, seconds, read from the container header (400 past it). Default 60 (Verilock's video_max_duration). */
  VIDEO_MAX_SECONDS: intFromEnv(60, 1, 3600),
  /** verifyVideo: largest accepted frame, width × height pixels, from the header (400 past it). Default 8294400 (3840 × 2160, 4K UHD). */
  VIDEO_MAX_PIXELS: intFromEnv(3840 * 2160, 1, 100_000_000),
  /** verifyVideo: frames sampled per second at most. Default 4 (a 10 s clip → 40 frames). */
  VIDEO_SAMPLE_FPS: intFromEnv(4, 1, 60),
  /** verifyVideo: frames sampled at most; longer clips are sampled more sparsely across their whole length. Default 40. */
  VIDEO_MAX_FRAMES: intFromEnv(40, 1, 1000),
  /** verifyVideo: sampled frames are scaled down so their longer side is at most this, pixels. Default 640. */
  VIDEO_FRAME_MAX_SIDE: intFromEnv(640, 64, 4096),
  /** verifyVideo: ffprobe and ffmpeg are each killed after this many seconds (400). Default 30. */
  VIDEO_TIMEOUT_SECONDS: intFromEnv(30, 1, 600),
  /**
   * Active liveness (README "Active liveness challenges"): seconds a challenge from POST /v1/challenges stays usable by
   * POST /v1/verifyVideo. Default 600 (10 min): the person reads the steps, records at most VIDEO_MAX_SECONDS and the
   * upload may take up to the default HTTP_REQUEST_TIMEOUT_SECONDS (289 s) over a slow link, and the challenge is
   * checked when the whole upload is in; short enough that a forgery of the drawn sequence has to be made in minutes.
   * A session's challenge lives as long as its session instead (the person may open the capture link late).
   */
  CHALLENGE_TTL_SECONDS: intFromEnv(600, 60, 86_400),
  /**
   * Live agent mode (README "Live agent mode"): the WebRTC ICE servers handed to both browsers of a call, a JSON array of
   * RTCIceServer objects `{urls, username?, credential?}` (W3C WebRTC §4.2.1, RTCIceServer), e.g.
   * `[{"urls":"stun:turn.example.com:3478"},{"urls":"turn:turn.example.com:3478","username":"kyc","credential":"…"}]`.
   * Default `[]`: host candidates only, enough on one LAN or loopback; across NATs a TURN server is needed (README, coturn).
   */
  ICE_SERVERS: unsetWhenEmpty(z.string().optional()),
  /** Live agent mode: seconds a person may wait in the queue before the session expires (no agent took them). Default 600. */
  LIVE_QUEUE_WAIT_SECONDS: intFromEnv(600, 10, 86_400),
  /** Live agent mode: longest call, seconds; past it the call ends (`timeout`) and the person may rejoin at the head. Default 1800. */
  LIVE_CALL_MAX_SECONDS: intFromEnv(1800, 30, 86_400),
  /** Live agent mode: calls in progress at once per app (each agent has at most one). Default 10. */
  LIVE_MAX_CALLS_PER_APP: intFromEnv(10, 1, 10_000),
  /**
   * Live agent mode: seconds a call survives its person's (or agent's) events stream being closed without a reconnect
   * (a page reload, a network switch), then it is dropped and the person may rejoin at the head. Default 10.
   */
  LIVE_DROP_GRACE_SECONDS: intFromEnv(10, 1, 600),
  /**
   * Live agent mode: seconds after the agent's decision during which the person's page may upload the call's recording
   * through the signed link handed to it with the decision (the capture links die with the session, and a call may end
   * after it). Default 1800 (30 min): the page uploads at once; this leaves room for its retries and a reload on a slow
   * uplink (VIDEO_BODY_LIMIT_BYTES' 64 MiB takes about 4.5 min at SLOW_UPLINK_BITS_PER_SECOND).
   */
  LIVE_RECORDING_UPLOAD_SECONDS: intFromEnv(1800, 60, 86_400),
  /**
   * Live agent mode, time-limited TURN credentials (coturn's REST API scheme, draft-uberti-behave-turn-rest-00 §2.2;
   * coturn `use-auth-secret` + `static-auth-secret`): the TURN server URLs, comma-separated
   * (`turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349`). Set with TURN_SHARED_SECRET: every call
   * gets its own credentials, valid TURN_CREDENTIAL_TTL_SECONDS, next to the servers of ICE_SERVERS. Unset (default): none.
   */
  TURN_URLS: unsetWhenEmpty(z.string().optional()),
  /** The secret shared with the TURN server (coturn `static-auth-secret`), at least 32 characters. Never logged. */
  TURN_SHARED_SECRET: unsetWhenEmpty(z.string().min(32, 'TURN_SHARED_SECRET must be at least 32 characters').optional()),
  /**
   * Lifetime of a call's TURN credentials, seconds, from the moment they are handed out (the call's start). The TURN
   * server authenticates every Refresh of the allocation with them (RFC 8656 §7), so they must outlast the longest call:
   * at least LIVE_CALL_MAX_SECONDS. Default: LIVE_CALL_MAX_SECONDS + 300 (a 5-minute margin for the call's set-up and a
   * reconnect). The draft suggests one day (86400) for general use; a call needs far less.
   */
  TURN_CREDENTIAL_TTL_SECONDS: optionalIntFromEnv(60, 7 * 86_400),
  /** verifyVideo: where an upload is written for probing and decoding (one temp directory per request, always removed; those of stopped processes are swept at start-up: src/video/upload-dirs.ts). Default <os tmpdir>/face-liveness-service/video. */
  VIDEO_TEMP_DIR: z.string().min(1).default(path.join(tmpdir(), 'face-liveness-service', 'video')),
  /**
   * The embedded store's directory: `store.sqlite` (metadata: sessions, media, jobs, webhooks; SQLite WAL)
   * and `media/` (stored evidence files). One process per directory. Default <repo>/data (git-ignored).
   */
  DATA_DIR: z.string().min(1).default(path.join(repoRoot, 'data')),
  /** Stored evidence (session selfies, document photos, videos) is deleted this many days after upload. Default 3. */
  EVIDENCE_RETENTION_DAYS: intFromEnv(3, 1, 3650),
  /** Largest stored upload (one file), bytes, counted while streaming (413 MEDIA_TOO_LARGE past it). Default 67108864 (64 MiB, as VIDEO_BODY_LIMIT_BYTES). */
  MEDIA_MAX_BYTES: intFromEnv(64 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
  /** How often expired media is swept (file and row deleted), seconds. Default 60. */
  MEDIA_SWEEP_INTERVAL_SECONDS: intFromEnv(60, 1, 86_400),
  /**
   * Object storage (README "Object storage (S3)"): the bucket for stored evidence (session selfies, document photos,
   * videos) on S3-compatible storage (AWS S3, MinIO, …). Unset (default): files under DATA_DIR/media. Setting any
   * other S3_* variable without it stops start-up. Bucket names: 3–63 lowercase letters, digits, dots and hyphens,
   * starting and ending with a letter or digit (S3 User Guide, "General purpose bucket naming rules").
   */
  S3_BUCKET: unsetWhenEmpty(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'S3_BUCKET must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens')
      .optional(),
  ),
  /** Object storage endpoint, e.g. http://minio:9000. Unset (default): AWS S3's own endpoint for S3_REGION. */
  S3_ENDPOINT: unsetWhenEmpty(z.url({ protocol: /^https?$/, error: 'S3_ENDPOINT must be an http(s) URL' }).optional()),
  /** Object storage region. Default us-east-1 (also what MinIO answers by default); on AWS, the bucket's region. */
  S3_REGION: unsetWhenEmpty(z.string().default('us-east-1')),
  /** Object storage access key id; set with S3_SECRET_ACCESS_KEY, or neither for the AWS SDK's default credential chain (AWS_* variables, profile, instance role). */
  S3_ACCESS_KEY_ID: unsetWhenEmpty(z.string().optional()),
  /** Object storage secret key, with S3_ACCESS_KEY_ID. Never echoed. */
  S3_SECRET_ACCESS_KEY: unsetWhenEmpty(z.string().optional()),
  /** Path-style URLs (http://host/bucket/key) instead of virtual-hosted ones (http://bucket.host/key): `true` for MinIO and most self-hosted stores. Default false. */
  S3_FORCE_PATH_STYLE: unsetWhenEmpty(z.enum(['true', 'false', '1', '0']).default('false')),
  /**
   * Prepended to every object key, e.g. `replica-a/` (then `replica-a/media/<id>`). Default none. Until the media rows
   * move to PostgreSQL each DATA_DIR needs its own prefix (or bucket): a store deletes objects without a row in its own database.
   */
  S3_KEY_PREFIX: unsetWhenEmpty(
    z
      .string()
      .max(512, 'S3_KEY_PREFIX must be at most 512 characters (S3 keys are at most 1024 bytes)')
      .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "S3_KEY_PREFIX may hold letters, digits and ! - _ . * ' ( ) / only (S3's safe key characters)")
      .refine((v) => !v.startsWith('/'), 'S3_KEY_PREFIX must not start with /')
      .optional(),
  ),
  /**
   * How clients download stored media from the bucket (README "Deployment"). `service` (default): the service streams
   * it behind its own HMAC-signed links, as with local files. `presigned`: a valid video link answers 302 to a presigned
   * S3 GetObject URL that expires with the link (at most 1 hour), so the bytes go from the bucket to the client without
   * passing through a replica; S3_ENDPOINT must then be reachable by the clients. Needs S3_BUCKET.
   */
  S3_PUBLIC_URLS: unsetWhenEmpty(z.enum(['service', 'presigned'], { error: 'S3_PUBLIC_URLS must be service or presigned' }).default('service')),
  /**
   * The shared metadata store for replicas (README "Deployment"): a `postgres://` (or `postgresql://`) URL, e.g.
   * postgres://kyc:secret@db:5432/kyc. Set: sessions, challenges, jobs, webhooks and media rows live in PostgreSQL, so
   * any replica can serve any request and finish another's jobs; needs S3_BUCKET (every replica must read the media).
   * Unset (default): the embedded SQLite file in DATA_DIR, one process per directory. The password never appears in logs.
   */
  DATABASE_URL: unsetWhenEmpty(
    z
      .string()
      .refine((v) => /^postgres(ql)?:\/\/[^/]/.test(v) && URL.canParse(v), 'DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgres://user:password@host:5432/database')
      .optional(),
  ),
  /** With DATABASE_URL: connections each replica keeps at most. Default 10. */
  DATABASE_MAX_CONNECTIONS: intFromEnv(10, 2, 1000),
  /**
   * With DATABASE_URL: how long a replica holds a running job without renewing its lease, seconds (renewed every third
   * of it while the job runs). A replica that dies: another takes its job once this has passed. Default 30.
   */
  JOB_LEASE_SECONDS: intFromEnv(30, 1, 3600),
  /** Job queue (video processing): how often it looks for due jobs when idle, milliseconds (new jobs start at once). Default 1000. */
  JOB_POLL_INTERVAL_MS: intFromEnv(1000, 10, 60_000),
  /** Job queue: jobs running at once. Default 1 (a job already uses the pipeline's ORT threads). */
  JOB_CONCURRENCY: intFromEnv(1, 1, 64),
  /** Job queue: attempts per job, the first included, before it is marked failed. Default 3. */
  JOB_MAX_ATTEMPTS: intFromEnv(3, 1, 100),
  /** Job queue: wait before the first retry, milliseconds; doubles with each further retry (1 s, 2 s, … by default). Default 1000. */
  JOB_BACKOFF_BASE_MS: intFromEnv(1000, 1, 3_600_000),
  /**
   * Webhooks (README "Webhooks"; per-app webhookUrl/webhookSecret in APPS_FILE): attempts per event, the
   * first included, before it is marked failed. Default 8 (with the defaults below: retries over ≈ 1 h).
   */
  WEBHOOK_MAX_ATTEMPTS: intFromEnv(8, 1, 100),
  /** Webhooks: wait after the first failed attempt, seconds; doubles after each failure (±20 % jitter). Default 30. */
  WEBHOOK_RETRY_BASE_SECONDS: intFromEnv(30, 1, 86_400),
  /** Webhooks: longest wait between two attempts, seconds (before jitter). Default 3600 (1 h). */
  WEBHOOK_RETRY_MAX_DELAY_SECONDS: intFromEnv(3600, 1, 7 * 86_400),
  /** Webhooks: one attempt (connect, send, response headers) is abandoned after this many seconds and counts as failed. Default 10. */
  WEBHOOK_TIMEOUT_SECONDS: intFromEnv(10, 1, 300),
  /** Webhooks: how often the dispatcher looks for due retries, milliseconds (new events are sent at once). Default 1000. */
  WEBHOOK_POLL_INTERVAL_MS: intFromEnv(1000, 10, 60_000),
  /** Webhooks: deliveries in flight at once (all apps together). Default 4. */
  WEBHOOK_CONCURRENCY: intFromEnv(4, 1, 256),
  /**
   * Slow clients (issue #13): seconds a client has to send the complete request headers before the server answers
   * 408 and closes the connection (Node's `server.headersTimeout`, default 60 s). Default 20: Apache httpd's
   * mod_reqtimeout default (`RequestReadTimeout header=20-40`); headers are at most 16 KiB (Node's
   * --max-http-header-size), under 3 s even at 50 kbit/s (GPRS).
   */
  HTTP_HEADERS_TIMEOUT_SECONDS: intFromEnv(20, 1, 3600),
  /**
   * Slow clients (issue #13): seconds a client has to send the whole request, headers and body, before the server
   * answers 408 and closes the connection (Node's `server.requestTimeout`, default 300 s). Stops a client that sends
   * headers and then never the body (or less than its Content-Length) from holding a connection. Unset (default):
   * long enough for the largest accepted body over a slow mobile uplink, see defaultRequestTimeoutSeconds.
   * Must be at least HTTP_HEADERS_TIMEOUT_SECONDS (Node refuses a headersTimeout above requestTimeout).
   */
  HTTP_REQUEST_TIMEOUT_SECONDS: optionalIntFromEnv(1, 24 * 3600),
});

/** Bytes in a SECRETS_KEY: an AES-256 key (FIPS 197), used whole as HKDF input keying material (src/http/app-key-cipher.ts). */
export const SECRETS_KEY_BYTES = 32;

/**
 * The master key that encrypts the appKeys in APPS_FILE (SECRETS_KEY / SECRETS_KEY_FILE). It prints as `[SecretsKey]`
 * in logs, JSON and util.inspect, never as its bytes; only the cipher reads them, through bytes().
 */
export class SecretsKey {
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== SECRETS_KEY_BYTES) throw new AppError('CONFIG_INVALID', `a secrets key has ${SECRETS_KEY_BYTES} bytes, not ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
  }

  /** The raw key, for node:crypto. */
  bytes(): Buffer {
    return this.#bytes;
  }

  toJSON(): string {
    return '[SecretsKey]';
  }

  toString(): string {
    return '[SecretsKey]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[SecretsKey]';
  }
}

/** 32 bytes in standard base64 (RFC 4648 §4): 43 characters, the last carrying 4 bits and two zero bits (so one of 16), then one "=". */
const SECRETS_KEY_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** The key in `text` (SECRETS_KEY's format); `source` names where it came from. The error never contains the text. */
function secretsKeyFrom(text: string, source: string): SecretsKey {
  const trimmed = text.trim();
  if (!SECRETS_KEY_BASE64.test(trimmed)) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration: ${source} must be ${SECRETS_KEY_BYTES} random bytes in standard base64, 44 characters ending in "=" ` +
        `(generate one with \`openssl rand -base64 32\`); the value given (not shown) has ${trimmed.length} characters`,
    );
  }
  return new SecretsKey(Buffer.from(trimmed, 'base64'));
}

/**
 * The master key from `<name>` or `<name>_FILE` in `env` (SECRETS_KEY by default; the apps CLI also reads NEW_SECRETS_KEY
 * when re-encrypting), or undefined when neither is set. Both set, an unreadable file or a malformed key: CONFIG_INVALID.
 */
export function secretsKeyFromEnv(env: Record<string, string | undefined>, name = 'SECRETS_KEY'): SecretsKey | undefined {
  const value = env[name]?.trim() ? env[name] : undefined;
  const file = env[`${name}_FILE`]?.trim() ? env[`${name}_FILE`] : undefined;
  if (value !== undefined && file !== undefined) throw new AppError('CONFIG_INVALID', `invalid configuration: set ${name} or ${name}_FILE, not both`);
  if (value !== undefined) return secretsKeyFrom(value, name);
  if (file === undefined) return undefined;
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `invalid configuration: ${name}_FILE ${resolved}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return secretsKeyFrom(text, `${name}_FILE ${resolved}`);
}

/**
 * The slowest upload the default request timeout still lets through, bits per second: 2 Mbit/s, a weak 4G or
 * good 3G uplink, several times under the global median mobile upload speed (around 10 Mbit/s in Ookla's
 * Speedtest Global Index, 2024). Camera-app videos are large, and the people who send them are often on such links.
 */
export const SLOW_UPLINK_BITS_PER_SECOND = 2_000_000;

/**
 * HTTP_REQUEST_TIMEOUT_SECONDS when unset, seconds: the headers' own time plus the largest body any route accepts
 * (BODY_LIMIT_BYTES for images, VIDEO_BODY_LIMIT_BYTES for videos) sent at SLOW_UPLINK_BITS_PER_SECOND. With the
 * default limits: 20 s + 64 MiB × 8 / 2 Mbit/s = 20 + 269 = 289 s. Lowering the body limits lowers it with them.
 */
export function defaultRequestTimeoutSeconds(limits: { headersTimeoutSeconds: number; bodyLimitBytes: number; videoBodyLimitBytes: number }): number {
  const largestBodyBits = Math.max(limits.bodyLimitBytes, limits.videoBodyLimitBytes) * 8;
  return limits.headersTimeoutSeconds + Math.ceil(largestBodyBits / SLOW_UPLINK_BITS_PER_SECOND);
}

/**
 * How often Node looks for connections past headersTimeout / requestTimeout, ms (`connectionsCheckingInterval`,
 * default 30 s): a timeout fires up to one interval late, so a quarter of the headers timeout keeps that under
 * 25 % (5 s with the defaults); never more often than every 100 ms, never less often than Node's 30 s.
 */
function timeoutCheckIntervalMs(headersTimeoutMs: number): number {
  return Math.min(30_000, Math.max(100, Math.floor(headersTimeoutMs / 4)));
}

/** S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY. The secret prints as `[redacted]` in logs, JSON and util.inspect; only the S3 client reads it, through secretAccessKey(). */
export class S3Credentials {
  readonly #secretAccessKey: string;
  constructor(
    readonly accessKeyId: string,
    secretAccessKey: string,
  ) {
    this.#secretAccessKey = secretAccessKey;
  }
  secretAccessKey(): string {
    return this.#secretAccessKey;
  }
  toJSON(): { accessKeyId: string; secretAccessKey: string } {
    return { accessKeyId: this.accessKeyId, secretAccessKey: '[redacted]' };
  }
  toString(): string {
    return `[S3Credentials ${this.accessKeyId}]`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** Object storage settings (S3_*), when media is kept in an S3-compatible bucket. */
export interface S3Settings {
  bucket: string;
  /** Endpoint URL; undefined = AWS S3's endpoint for the region. */
  endpoint?: string;
  region: string;
  /** Path-style addressing (MinIO). */
  forcePathStyle: boolean;
  /** Static keys; undefined = the AWS SDK's default credential chain. */
  credentials?: S3Credentials;
  /** Prepended to every object key; '' = none. */
  keyPrefix: string;
  /** S3_PUBLIC_URLS: `presigned` = video links redirect to presigned GetObject URLs; `service` (default) = streamed by the service. */
  publicUrls?: 'service' | 'presigned';
}

/** DATABASE_URL: the connection string for the `pg` client only (connectionString()); printed with its password as `[redacted]`. */
export class DatabaseUrl {
  readonly #url: string;
  constructor(url: string) {
    this.#url = url;
  }
  connectionString(): string {
    return this.#url;
  }
  toString(): string {
    const url = new URL(this.#url);
    if (url.password) url.password = 'redacted';
    return url.toString().replace(':redacted@', ':[redacted]@');
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `[DatabaseUrl ${this.toString()}]`;
  }
}

/** The S3_* variables other than S3_BUCKET (S3_REGION has a default, so it does not count as set). */
const S3_DEPENDENT_VARIABLES = ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE', 'S3_KEY_PREFIX', 'S3_PUBLIC_URLS'] as const;

/** S3Settings from the parsed S3_* variables; undefined when S3_BUCKET is unset (media on the local disk). */
function s3SettingsFrom(c: z.infer<typeof configSchema>, env: Record<string, string | undefined>): S3Settings | undefined {
  if (c.S3_BUCKET === undefined) {
    const set = [...S3_DEPENDENT_VARIABLES, 'S3_REGION'].filter((name) => (env[name] ?? '').trim() !== '');
    if (set.length > 0) throw new AppError('CONFIG_INVALID', `invalid configuration: ${set.join(', ')} set without S3_BUCKET (set S3_BUCKET to keep media in object storage, or unset them)`);
    return undefined;
  }
  if ((c.S3_ACCESS_KEY_ID === undefined) !== (c.S3_SECRET_ACCESS_KEY === undefined)) {
    throw new AppError('CONFIG_INVALID', 'invalid configuration: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together, or neither (the AWS SDK default credential chain)');
  }
  return {
    bucket: c.S3_BUCKET,
    ...(c.S3_ENDPOINT !== undefined ? { endpoint: c.S3_ENDPOINT } : {}),
    region: c.S3_REGION,
    forcePathStyle: c.S3_FORCE_PATH_STYLE === 'true' || c.S3_FORCE_PATH_STYLE === '1',
    ...(c.S3_ACCESS_KEY_ID !== undefined && c.S3_SECRET_ACCESS_KEY !== undefined
      ? { credentials: new S3Credentials(c.S3_ACCESS_KEY_ID, c.S3_SECRET_ACCESS_KEY) }
      : {}),
    keyPrefix: c.S3_KEY_PREFIX ?? '',
    publicUrls: c.S3_PUBLIC_URLS,
  };
}

export interface Config {
  port: number;
  host: string;
  modelsDir: string;
  modelPacksDir: string;
  executionProvider: 'cpu' | 'cuda';
  cudaDeviceId: number;
  intraOpThreads: number;
  interOpThreads: number;
  /** Dynamic batching (BATCH_*): largest batch (1 = off) and how long an idle model waits for a batch to fill, ms. */
  batching: { maxBatch: number; maxDelayMs: number };
  /** INFERENCE_THREAD: models on one inference thread (`worker`) or on the event loop's thread (`main`). */
  inferenceThread: 'worker' | 'main';
  /** Grace period after a stop signal, in milliseconds. */
  shutdownGraceMs: number;
  /** LOG_LEVEL. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** METRICS_PORT: /metrics on its own port without credentials; undefined = on the API port, Bearer key. */
  metricsPort?: number;
  /** Caller apps file; undefined = the embedded "default" app. */
  appsFile?: string;
  /** SECRETS_KEY / SECRETS_KEY_FILE: decrypts the appKeys APPS_FILE stores encrypted; undefined = none configured. */
  secretsKey?: SecretsKey;
  rulesFile: string;
  /** Pipeline runs at once. */
  concurrency: number;
  /** Requests waiting for a run slot before 503. */
  queueSize: number;
  /** Request body limit, bytes. */
  bodyLimitBytes: number;
  /** Largest decoded image, width × height pixels. */
  maxImagePixels: number;
  /** Link-signing secret; undefined = random per process. */
  signingSecret?: string;
  /** Link and stored-crop lifetime, seconds. */
  urlTtlSeconds: number;
  /** Base for absolute links, no trailing slash; undefined = from the request. */
  publicBaseUrl?: string;
  croppedImageDir: string;
  /** verifyVideo limits and sampling (VIDEO_*): body bytes, seconds, pixels, fps, frames, frame side (pixels), timeout (ms), temp dir. */
  video: {
    bodyLimitBytes: number;
    maxDurationSeconds: number;
    maxPixels: number;
    fps: number;
    maxFrames: number;
    maxSide: number;
    timeoutMs: number;
    tempDir: string;
  };
  /** Lifetime of a verifyVideo caller's active liveness challenge (CHALLENGE_TTL_SECONDS), seconds. */
  challengeTtlSeconds: number;
  /**
   * Live agent mode (ICE_SERVERS, TURN_*, LIVE_*): ICE servers for both browsers, the TURN server that gets per-call
   * credentials; wait, call, drop-grace and recording-upload limits in ms; calls per app.
   */
  live: {
    iceServers: IceServer[];
    turn?: TurnSettings;
    queueWaitMs: number;
    callMaxMs: number;
    maxCallsPerApp: number;
    dropGraceMs: number;
    recordingUploadMs: number;
  };
  /** Embedded store directory (DATA_DIR): database `<dataDir>/store.sqlite`, media `<dataDir>/media`. */
  dataDir: string;
  /** Stored media (MEDIA_*, EVIDENCE_RETENTION_DAYS): evidence retention (ms), byte cap per file, sweep interval (ms). */
  media: {
    evidenceRetentionMs: number;
    maxBytes: number;
    sweepIntervalMs: number;
  };
  /** Object storage for media (S3_*); undefined = files under `<dataDir>/media`. */
  s3?: S3Settings;
  /**
   * The shared metadata store (DATABASE_URL, DATABASE_MAX_CONNECTIONS, JOB_LEASE_SECONDS): PostgreSQL for replicas;
   * undefined = the embedded SQLite file in `<dataDir>`.
   */
  database?: {
    url: DatabaseUrl;
    /** pg pool size per replica. */
    maxConnections: number;
    /** How long a replica holds a running job without renewing its lease, ms. */
    jobLeaseMs: number;
  };
  /** Job queue (JOB_*): poll interval (ms), concurrency, attempts per job, first retry delay (ms). */
  jobs: {
    pollIntervalMs: number;
    concurrency: number;
    maxAttempts: number;
    backoffBaseMs: number;
  };
  /** Webhook delivery (WEBHOOK_*): attempts per event, retry base and cap (ms), attempt timeout (ms), poll interval (ms), concurrency. */
  webhooks: {
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxDelayMs: number;
    timeoutMs: number;
    pollIntervalMs: number;
    concurrency: number;
  };
  /**
   * The HTTP server's slow-client limits (HTTP_*; node:http createServer's headersTimeout, requestTimeout and
   * connectionsCheckingInterval): complete headers within headersTimeoutMs, the whole request within
   * requestTimeoutMs (else 408 and the connection is closed), checked every connectionsCheckingIntervalMs.
   */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    connectionsCheckingIntervalMs: number;
  };
}

/** One WebRTC ICE server (W3C WebRTC §4.2.1 RTCIceServer): `urls` are stun:, stuns:, turn: or turns: URIs (RFC 7064, RFC 7065). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * TURN_URLS + TURN_SHARED_SECRET + TURN_CREDENTIAL_TTL_SECONDS: the TURN server of coturn's REST API scheme. The secret
 * prints as `[redacted]` in logs, JSON and util.inspect; only the credential maker reads it, through sharedSecret().
 */
export class TurnSettings {
  readonly #sharedSecret: string;
  constructor(
    /** turn: / turns: URIs (RFC 7065). */
    readonly urls: readonly string[],
    sharedSecret: string,
    /** Lifetime of a call's credentials, seconds. */
    readonly credentialTtlSeconds: number,
  ) {
    this.#sharedSecret = sharedSecret;
  }
  sharedSecret(): string {
    return this.#sharedSecret;
  }
  toJSON(): { urls: readonly string[]; sharedSecret: string; credentialTtlSeconds: number } {
    return { urls: this.urls, sharedSecret: '[redacted]', credentialTtlSeconds: this.credentialTtlSeconds };
  }
  toString(): string {
    return `[TurnSettings ${this.urls.join(',')}]`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** A turn: or turns: URI (RFC 7065 §3.1): host, optional port, optional `?transport=udp|tcp`. */
const TURN_URL = /^turns?:[^\s?,]+(\?transport=(udp|tcp))?$/;

/** TURN_URLS, TURN_SHARED_SECRET and TURN_CREDENTIAL_TTL_SECONDS → the settings; both of the first two or neither. */
export function parseTurnSettings(env: { urls: string | undefined; secret: string | undefined; ttlSeconds: number | undefined; callMaxSeconds: number }): TurnSettings | undefined {
  if (env.urls === undefined && env.secret === undefined) {
    if (env.ttlSeconds !== undefined) throw new AppError('CONFIG_INVALID', 'invalid configuration: TURN_CREDENTIAL_TTL_SECONDS is set without TURN_URLS and TURN_SHARED_SECRET');
    return undefined;
  }
  if (env.urls === undefined || env.secret === undefined) {
    throw new AppError('CONFIG_INVALID', `invalid configuration: TURN_URLS and TURN_SHARED_SECRET go together (${env.urls === undefined ? 'TURN_URLS' : 'TURN_SHARED_SECRET'} is missing)`);
  }
  const urls = env.urls.split(',').map((u) => u.trim()).filter((u) => u !== '');
  const bad = urls.filter((u) => !TURN_URL.test(u));
  if (urls.length === 0 || bad.length > 0) {
    throw new AppError('CONFIG_INVALID', `invalid configuration: TURN_URLS must be comma-separated turn: or turns: URIs (RFC 7065), e.g. turn:turn.example.com:3478?transport=udp${bad.length > 0 ? `; not one: ${bad.join(', ')}` : ''}`);
  }
  // draft-uberti-behave-turn-rest-00 §2.2 leaves the lifetime to the service; the allocation's Refresh requests use the
  // same credentials (RFC 8656 §7), so they must last the longest call, with 5 minutes for its set-up and a reconnect.
  const ttlSeconds = env.ttlSeconds ?? env.callMaxSeconds + 300;
  if (ttlSeconds < env.callMaxSeconds) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration: TURN_CREDENTIAL_TTL_SECONDS (${ttlSeconds}) must be at least LIVE_CALL_MAX_SECONDS (${env.callMaxSeconds}): the TURN server refuses to refresh a call's relay once its credentials expire`,
    );
  }
  return new TurnSettings(urls, env.secret, ttlSeconds);
}

const iceUrl = z.string().regex(/^(stuns?|turns?):[^\s]+$/, 'an ICE server URL starts with stun:, stuns:, turn: or turns: (RFC 7064, RFC 7065)');
const iceServersSchema = z.array(
  z
    .object({ urls: z.union([iceUrl, z.array(iceUrl).min(1)]), username: z.string().min(1).optional(), credential: z.string().min(1).optional() })
    .strict()
    // A TURN server always authenticates (RFC 8656 §9.2): a turn: URL without a username and credential cannot work.
    .refine((s) => ![s.urls].flat().some((u) => u.startsWith('turn')) || (s.username !== undefined && s.credential !== undefined), 'a turn:/turns: server needs username and credential'),
);

/** ICE_SERVERS (a JSON array) → the servers; unset = none (host candidates only). */
export function parseIceServers(text: string | undefined): IceServer[] {
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `invalid configuration: ICE_SERVERS must be a JSON array of {urls, username?, credential?} (${(error as Error).message})`);
  }
  const parsed = iceServersSchema.safeParse(json);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `invalid configuration: ICE_SERVERS: ${z.prettifyError(parsed.error)}`);
  return parsed.data.map((s) => ({ urls: s.urls, ...(s.username !== undefined ? { username: s.username } : {}), ...(s.credential !== undefined ? { credential: s.credential } : {}) }));
}

/** Parses the environment; an invalid value fails start-up with every problem listed. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `invalid configuration: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const requestTimeoutSeconds =
    c.HTTP_REQUEST_TIMEOUT_SECONDS ??
    defaultRequestTimeoutSeconds({ headersTimeoutSeconds: c.HTTP_HEADERS_TIMEOUT_SECONDS, bodyLimitBytes: c.BODY_LIMIT_BYTES, videoBodyLimitBytes: c.VIDEO_BODY_LIMIT_BYTES });
  if (requestTimeoutSeconds < c.HTTP_HEADERS_TIMEOUT_SECONDS) {
    throw new AppError(
      'CONFIG_INVALID',
      `invalid configuration: HTTP_REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds}) must be at least HTTP_HEADERS_TIMEOUT_SECONDS (${c.HTTP_HEADERS_TIMEOUT_SECONDS}): the headers are part of the request`,
    );
  }
  const turn = parseTurnSettings({ urls: c.TURN_URLS, secret: c.TURN_SHARED_SECRET, ttlSeconds: c.TURN_CREDENTIAL_TTL_SECONDS, callMaxSeconds: c.LIVE_CALL_MAX_SECONDS });
  const secretsKey = secretsKeyFromEnv({ SECRETS_KEY: c.SECRETS_KEY, SECRETS_KEY_FILE: c.SECRETS_KEY_FILE });
  const modelsDir = path.resolve(c.MODELS_DIR);
  const s3 = s3SettingsFrom(c, env);
  if (c.DATABASE_URL !== undefined && s3 === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration: DATABASE_URL needs S3_BUCKET: with the metadata in PostgreSQL every replica serves every session, so the media must be in a bucket they all read (README "Deployment")',
    );
  }
  return {
    port: c.PORT,
    host: c.HOST,
    modelsDir,
    modelPacksDir: path.resolve(c.MODEL_PACKS_DIR ?? path.join(modelsDir, 'packs')),
    executionProvider: c.EXECUTION_PROVIDER,
    cudaDeviceId: c.CUDA_DEVICE_ID,
    intraOpThreads: c.ORT_INTRA_OP_THREADS,
    interOpThreads: c.ORT_INTER_OP_THREADS,
    batching: { maxBatch: c.BATCH_MAX_SIZE, maxDelayMs: c.BATCH_MAX_DELAY_MS },
    inferenceThread: c.INFERENCE_THREAD,
    shutdownGraceMs: c.SHUTDOWN_GRACE_SECONDS * 1000,
    logLevel: c.LOG_LEVEL,
    ...(c.METRICS_PORT !== undefined ? { metricsPort: c.METRICS_PORT } : {}),
    ...(c.APPS_FILE !== undefined ? { appsFile: path.resolve(c.APPS_FILE) } : {}),
    ...(secretsKey !== undefined ? { secretsKey } : {}),
    rulesFile: path.resolve(c.RULES_FILE),
    concurrency: c.CONCURRENCY,
    queueSize: c.QUEUE_SIZE,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    maxImagePixels: c.MAX_IMAGE_PIXELS,
    ...(c.SIGNING_SECRET !== undefined ? { signingSecret: c.SIGNING_SECRET } : {}),
    urlTtlSeconds: c.URL_TTL_SECONDS,
    ...(c.PUBLIC_BASE_URL !== undefined ? { publicBaseUrl: c.PUBLIC_BASE_URL.replace(/\/+$/, '') } : {}),
    croppedImageDir: path.resolve(c.CROPPED_IMAGE_DIR),
    video: {
      bodyLimitBytes: c.VIDEO_BODY_LIMIT_BYTES,
      maxDurationSeconds: c.VIDEO_MAX_SECONDS,
      maxPixels: c.VIDEO_MAX_PIXELS,
      fps: c.VIDEO_SAMPLE_FPS,
      maxFrames: c.VIDEO_MAX_FRAMES,
      maxSide: c.VIDEO_FRAME_MAX_SIDE,
      timeoutMs: c.VIDEO_TIMEOUT_SECONDS * 1000,
      tempDir: path.resolve(c.VIDEO_TEMP_DIR),
    },
    challengeTtlSeconds: c.CHALLENGE_TTL_SECONDS,
    dataDir: path.resolve(c.DATA_DIR),
    live: {
      iceServers: parseIceServers(c.ICE_SERVERS),
      ...(turn !== undefined ? { turn } : {}),
      queueWaitMs: c.LIVE_QUEUE_WAIT_SECONDS * 1000,
      callMaxMs: c.LIVE_CALL_MAX_SECONDS * 1000,
      maxCallsPerApp: c.LIVE_MAX_CALLS_PER_APP,
      dropGraceMs: c.LIVE_DROP_GRACE_SECONDS * 1000,
      recordingUploadMs: c.LIVE_RECORDING_UPLOAD_SECONDS * 1000,
    },
    media: {
      evidenceRetentionMs: c.EVIDENCE_RETENTION_DAYS * 24 * 3600 * 1000,
      maxBytes: c.MEDIA_MAX_BYTES,
      sweepIntervalMs: c.MEDIA_SWEEP_INTERVAL_SECONDS * 1000,
    },
    ...(s3 !== undefined ? { s3 } : {}),
    ...(c.DATABASE_URL !== undefined
      ? { database: { url: new DatabaseUrl(c.DATABASE_URL), maxConnections: c.DATABASE_MAX_CONNECTIONS, jobLeaseMs: c.JOB_LEASE_SECONDS * 1000 } }
      : {}),
    jobs: {
      pollIntervalMs: c.JOB_POLL_INTERVAL_MS,
      concurrency: c.JOB_CONCURRENCY,
      maxAttempts: c.JOB_MAX_ATTEMPTS,
      backoffBaseMs: c.JOB_BACKOFF_BASE_MS,
    },
    webhooks: {
      maxAttempts: c.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: c.WEBHOOK_RETRY_BASE_SECONDS * 1000,
      retryMaxDelayMs: c.WEBHOOK_RETRY_MAX_DELAY_SECONDS * 1000,
      timeoutMs: c.WEBHOOK_TIMEOUT_SECONDS * 1000,
      pollIntervalMs: c.WEBHOOK_POLL_INTERVAL_MS,
      concurrency: c.WEBHOOK_CONCURRENCY,
    },
    http: {
      headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: requestTimeoutSeconds * 1000,
      connectionsCheckingIntervalMs: timeoutCheckIntervalMs(c.HTTP_HEADERS_TIMEOUT_SECONDS * 1000),
    },
  };
}
