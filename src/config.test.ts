import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultRequestTimeoutSeconds, parseConfig, secretsKeyFromEnv } from './config.js';

describe('parseConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = parseConfig({});
    expect(c.port).toBe(3000);
    expect(c.executionProvider).toBe('cpu');
    expect(c.intraOpThreads).toBe(0);
    expect(c.modelsDir.endsWith('models')).toBe(true);
    expect(c.modelPacksDir).toBe(`${c.modelsDir}/packs`);
    expect(c.shutdownGraceMs).toBe(10_000);
    expect(c.appsFile).toBeUndefined();
    expect(c.rulesFile.endsWith('rules/decision-rules.json')).toBe(true);
    expect(c).toMatchObject({ concurrency: 2, queueSize: 16, bodyLimitBytes: 10_485_760, maxImagePixels: 25_000_000, urlTtlSeconds: 3600 });
    expect(c.signingSecret).toBeUndefined();
    expect(c.publicBaseUrl).toBeUndefined();
    expect(c.croppedImageDir).toMatch(/face-liveness-service\/cropped$/);
    expect(c.inferenceThread).toBe('worker');
    expect(c.batching).toEqual({ maxBatch: 1, maxDelayMs: 0 });
  });

  it('reads the API limits, apps file, signing and link settings', () => {
    const c = parseConfig({
      APPS_FILE: 'apps.json',
      CONCURRENCY: '4',
      QUEUE_SIZE: '0',
      BODY_LIMIT_BYTES: '2048',
      SIGNING_SECRET: 'x'.repeat(32),
      URL_TTL_SECONDS: '60',
      PUBLIC_BASE_URL: 'https://kyc.example.com/api/',
    });
    expect(c).toMatchObject({ concurrency: 4, queueSize: 0, bodyLimitBytes: 2048, signingSecret: 'x'.repeat(32), urlTtlSeconds: 60 });
    expect(c.appsFile).toBe(`${process.cwd()}/apps.json`);
    expect(c.publicBaseUrl).toBe('https://kyc.example.com/api');
  });

  it('reads numbers and the provider from strings', () => {
    const c = parseConfig({ PORT: '8080', EXECUTION_PROVIDER: 'cuda', ORT_INTRA_OP_THREADS: '2', SHUTDOWN_GRACE_SECONDS: '3', INFERENCE_THREAD: 'main', BATCH_MAX_SIZE: '32', BATCH_MAX_DELAY_MS: '2' });
    expect(c).toMatchObject({ port: 8080, executionProvider: 'cuda', intraOpThreads: 2, shutdownGraceMs: 3000, inferenceThread: 'main', batching: { maxBatch: 32, maxDelayMs: 2 } });
  });

  it('rejects bad values naming the variable', () => {
    expect(() => parseConfig({ EXECUTION_PROVIDER: 'tpu' })).toThrow(/EXECUTION_PROVIDER/);
    expect(() => parseConfig({ INFERENCE_THREAD: 'gpu' })).toThrow(/INFERENCE_THREAD/);
    expect(() => parseConfig({ BATCH_MAX_SIZE: '0' })).toThrow(/BATCH_MAX_SIZE/);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ ORT_INTRA_OP_THREADS: '-1' })).toThrow(/ORT_INTRA_OP_THREADS/);
    expect(() => parseConfig({ CONCURRENCY: '0' })).toThrow(/CONCURRENCY/);
    expect(() => parseConfig({ BODY_LIMIT_BYTES: '10' })).toThrow(/BODY_LIMIT_BYTES/);
    expect(() => parseConfig({ SIGNING_SECRET: 'short' })).toThrow(/SIGNING_SECRET/);
    expect(() => parseConfig({ PUBLIC_BASE_URL: 'ftp://example.com' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => parseConfig({ URL_TTL_SECONDS: '0' })).toThrow(/URL_TTL_SECONDS/);
  });
});

describe('parseConfig: active liveness challenges (CHALLENGE_TTL_SECONDS)', () => {
  it('keeps a verifyVideo challenge 600 s by default, reads 60–86400 s, refuses anything else', () => {
    expect(parseConfig({}).challengeTtlSeconds).toBe(600);
    expect(parseConfig({ CHALLENGE_TTL_SECONDS: '120' }).challengeTtlSeconds).toBe(120);
    expect(() => parseConfig({ CHALLENGE_TTL_SECONDS: '59' })).toThrow(/CHALLENGE_TTL_SECONDS/);
    expect(() => parseConfig({ CHALLENGE_TTL_SECONDS: '86401' })).toThrow(/CHALLENGE_TTL_SECONDS/);
    expect(() => parseConfig({ CHALLENGE_TTL_SECONDS: 'ten' })).toThrow(/CHALLENGE_TTL_SECONDS/);
  });
});

describe('parseConfig: live agent mode (ICE_SERVERS, LIVE_*)', () => {
  it('defaults to no ICE servers and the documented limits', () => {
    expect(parseConfig({}).live).toEqual({ iceServers: [], queueWaitMs: 600_000, callMaxMs: 1_800_000, maxCallsPerApp: 10, dropGraceMs: 10_000, recordingUploadMs: 1_800_000 });
  });

  it('reads ICE_SERVERS as RTCIceServer objects and the limits in seconds', () => {
    const live = parseConfig({
      ICE_SERVERS: '[{"urls":"stun:turn.example.com:3478"},{"urls":["turn:turn.example.com:3478?transport=udp","turns:turn.example.com:5349"],"username":"kyc","credential":"s3cret"}]',
      LIVE_QUEUE_WAIT_SECONDS: '120',
      LIVE_CALL_MAX_SECONDS: '300',
      LIVE_MAX_CALLS_PER_APP: '2',
      LIVE_DROP_GRACE_SECONDS: '5',
    }).live;
    expect(live.iceServers).toEqual([
      { urls: 'stun:turn.example.com:3478' },
      { urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], username: 'kyc', credential: 's3cret' },
    ]);
    expect(live).toMatchObject({ queueWaitMs: 120_000, callMaxMs: 300_000, maxCallsPerApp: 2, dropGraceMs: 5000 });
  });

  it('refuses ICE_SERVERS that is not JSON, not STUN/TURN, or a TURN server without credentials', () => {
    expect(() => parseConfig({ ICE_SERVERS: 'stun:x' })).toThrow(/ICE_SERVERS must be a JSON array/);
    expect(() => parseConfig({ ICE_SERVERS: '[{"urls":"http://x"}]' })).toThrow(/ICE_SERVERS.*stun:/s);
    expect(() => parseConfig({ ICE_SERVERS: '[{"urls":"turn:x:3478"}]' })).toThrow(/username and credential/);
    expect(() => parseConfig({ LIVE_MAX_CALLS_PER_APP: '0' })).toThrow(/LIVE_MAX_CALLS_PER_APP/);
    expect(() => parseConfig({ LIVE_DROP_GRACE_SECONDS: 'soon' })).toThrow(/LIVE_DROP_GRACE_SECONDS/);
    expect(() => parseConfig({ LIVE_RECORDING_UPLOAD_SECONDS: '59' })).toThrow(/LIVE_RECORDING_UPLOAD_SECONDS/);
  });

  it('reads LIVE_RECORDING_UPLOAD_SECONDS in seconds', () => {
    expect(parseConfig({ LIVE_RECORDING_UPLOAD_SECONDS: '600' }).live.recordingUploadMs).toBe(600_000);
  });
});

describe('parseConfig: time-limited TURN credentials (TURN_URLS, TURN_SHARED_SECRET, TURN_CREDENTIAL_TTL_SECONDS)', () => {
  const SECRET = 'coturn-static-auth-secret-0123456789abcdef';

  it('reads the TURN server; the lifetime defaults to LIVE_CALL_MAX_SECONDS + 300 s; the secret never prints', () => {
    const turn = parseConfig({ TURN_URLS: ' turn:turn.example.com:3478?transport=udp , turns:turn.example.com:5349', TURN_SHARED_SECRET: SECRET }).live.turn!;
    expect(turn.urls).toEqual(['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']);
    expect(turn.credentialTtlSeconds).toBe(1800 + 300);
    expect(turn.sharedSecret()).toBe(SECRET);
    expect(JSON.stringify(turn)).not.toContain(SECRET);
    expect(inspect(turn)).not.toContain(SECRET);
    expect(`${turn}`).not.toContain(SECRET);
    expect(parseConfig({ TURN_URLS: 'turn:t.example.com', TURN_SHARED_SECRET: SECRET, LIVE_CALL_MAX_SECONDS: '600', TURN_CREDENTIAL_TTL_SECONDS: '900' }).live.turn?.credentialTtlSeconds).toBe(900);
    expect(parseConfig({ LIVE_CALL_MAX_SECONDS: '600', TURN_URLS: 'turn:t.example.com', TURN_SHARED_SECRET: SECRET }).live.turn?.credentialTtlSeconds).toBe(900);
    expect(parseConfig({}).live.turn).toBeUndefined();
  });

  it('refuses one of URLs and secret without the other, a URL that is not turn:/turns:, a short secret, credentials shorter than a call', () => {
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.com' })).toThrow(/TURN_URLS and TURN_SHARED_SECRET go together \(TURN_SHARED_SECRET is missing\)/);
    expect(() => parseConfig({ TURN_SHARED_SECRET: SECRET })).toThrow(/TURN_URLS is missing/);
    expect(() => parseConfig({ TURN_URLS: 'stun:t.example.com:3478', TURN_SHARED_SECRET: SECRET })).toThrow(/TURN_URLS must be comma-separated turn: or turns: URIs.*stun:t\.example\.com:3478/);
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.com?transport=sctp', TURN_SHARED_SECRET: SECRET })).toThrow(/TURN_URLS/);
    expect(() => parseConfig({ TURN_URLS: ' , ', TURN_SHARED_SECRET: SECRET })).toThrow(/TURN_URLS/);
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.com', TURN_SHARED_SECRET: 'short' })).toThrow(/TURN_SHARED_SECRET must be at least 32 characters/);
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.com', TURN_SHARED_SECRET: SECRET, TURN_CREDENTIAL_TTL_SECONDS: '600' })).toThrow(
      /TURN_CREDENTIAL_TTL_SECONDS \(600\) must be at least LIVE_CALL_MAX_SECONDS \(1800\)/,
    );
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.com', TURN_SHARED_SECRET: SECRET, TURN_CREDENTIAL_TTL_SECONDS: 'an hour' })).toThrow(/TURN_CREDENTIAL_TTL_SECONDS/);
    expect(() => parseConfig({ TURN_CREDENTIAL_TTL_SECONDS: '3600' })).toThrow(/TURN_CREDENTIAL_TTL_SECONDS is set without TURN_URLS/);
  });
});

describe('parseConfig: slow-client limits (HTTP_*)', () => {
  it('defaults: 20 s for the headers; the largest body at 2 Mbit/s plus the headers for the request; checked every 5 s', () => {
    const c = parseConfig({});
    // 64 MiB (VIDEO_BODY_LIMIT_BYTES) × 8 / 2 000 000 bit/s = 268.4 → 269 s, + 20 s.
    expect(c.http).toEqual({ headersTimeoutMs: 20_000, requestTimeoutMs: 289_000, connectionsCheckingIntervalMs: 5000 });
    expect(defaultRequestTimeoutSeconds({ headersTimeoutSeconds: 20, bodyLimitBytes: 10 * 1024 * 1024, videoBodyLimitBytes: 64 * 1024 * 1024 })).toBe(289);
  });

  it('follows the body limits when unset, so an upload up to the limit still fits', () => {
    const c = parseConfig({ BODY_LIMIT_BYTES: String(4 * 1024 * 1024), VIDEO_BODY_LIMIT_BYTES: String(8 * 1024 * 1024), HTTP_HEADERS_TIMEOUT_SECONDS: '10' });
    // max(4, 8) MiB × 8 / 2 Mbit/s = 33.6 → 34 s, + 10 s.
    expect(c.http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 44_000, connectionsCheckingIntervalMs: 2500 });
  });

  it('reads explicit values, checking small timeouts often enough', () => {
    expect(parseConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2' }).http).toEqual({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, connectionsCheckingIntervalMs: 250 });
    expect(parseConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '600', HTTP_REQUEST_TIMEOUT_SECONDS: '600' }).http.connectionsCheckingIntervalMs).toBe(30_000);
  });

  it('refuses zero (no timeout at all), non-numbers, and a request timeout shorter than the headers timeout', () => {
    expect(() => parseConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '0' })).toThrow(/HTTP_HEADERS_TIMEOUT_SECONDS/);
    expect(() => parseConfig({ HTTP_REQUEST_TIMEOUT_SECONDS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_SECONDS/);
    expect(() => parseConfig({ HTTP_REQUEST_TIMEOUT_SECONDS: 'soon' })).toThrow(/HTTP_REQUEST_TIMEOUT_SECONDS/);
    expect(() => parseConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '30', HTTP_REQUEST_TIMEOUT_SECONDS: '10' })).toThrow(
      /HTTP_REQUEST_TIMEOUT_SECONDS \(10\) must be at least HTTP_HEADERS_TIMEOUT_SECONDS \(30\)/,
    );
  });
});

describe('parseConfig: the apps master key (SECRETS_KEY, SECRETS_KEY_FILE)', () => {
  const bytes = randomBytes(32);
  const KEY = bytes.toString('base64');
  const keyFile = (content: string) => {
    const f = path.join(mkdtempSync(path.join(tmpdir(), 'secrets-key-')), 'key');
    writeFileSync(f, content, { mode: 0o600 });
    return f;
  };
  /** The error message `fn` throws. */
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected an error, nothing was thrown');
  };

  it('is unset by default and when empty', () => {
    expect(parseConfig({}).secretsKey).toBeUndefined();
    expect(parseConfig({ SECRETS_KEY: '', SECRETS_KEY_FILE: ' ' }).secretsKey).toBeUndefined();
  });

  it('reads 32 bytes of base64 from SECRETS_KEY or from the file SECRETS_KEY_FILE names (as `openssl rand -base64 32` writes it)', () => {
    expect(parseConfig({ SECRETS_KEY: KEY }).secretsKey?.bytes().equals(bytes)).toBe(true);
    expect(parseConfig({ SECRETS_KEY: ` ${KEY}\n` }).secretsKey?.bytes().equals(bytes)).toBe(true);
    expect(parseConfig({ SECRETS_KEY_FILE: keyFile(`${KEY}\n`) }).secretsKey?.bytes().equals(bytes)).toBe(true);
    expect(secretsKeyFromEnv({ NEW_SECRETS_KEY: KEY }, 'NEW_SECRETS_KEY')?.bytes().equals(bytes)).toBe(true);
  });

  it('never prints the key: not in inspect, JSON or String of the parsed config', () => {
    const config = parseConfig({ SECRETS_KEY: KEY });
    for (const shown of [inspect(config, { depth: 10, showHidden: true }), JSON.stringify(config), String(config.secretsKey)]) {
      expect(shown).not.toContain(KEY);
      expect(shown).not.toContain(bytes.toString('hex'));
    }
    expect(JSON.stringify(config)).toContain('"secretsKey":"[SecretsKey]"');
  });

  it('refuses anything but 32 bytes of base64, naming the variable and the format, never echoing the value', () => {
    const wrong = [
      randomBytes(16).toString('base64'), // 128 bits
      randomBytes(48).toString('base64'),
      bytes.toString('hex'), // 64 hex characters
      bytes.toString('base64url'), // no padding, URL alphabet
      'correct horse battery staple, or some other passphrase!',
      `${KEY.slice(0, 42)}B=`, // non-canonical last character
    ];
    for (const value of wrong) {
      const text = message(() => parseConfig({ SECRETS_KEY: value }));
      expect(text, value).toMatch(/invalid configuration: SECRETS_KEY must be 32 random bytes in standard base64, 44 characters .*openssl rand -base64 32/);
      expect(text, value).not.toContain(value);
    }
    const file = keyFile('not a key');
    const fromFile = message(() => parseConfig({ SECRETS_KEY_FILE: file }));
    expect(fromFile).toMatch(new RegExp(`SECRETS_KEY_FILE ${file} must be 32 random bytes`));
    expect(fromFile).not.toContain('not a key');
  });

  it('refuses an unreadable SECRETS_KEY_FILE and both variables at once', () => {
    expect(message(() => parseConfig({ SECRETS_KEY_FILE: '/nonexistent/key' }))).toMatch(/SECRETS_KEY_FILE \/nonexistent\/key: cannot read it \(ENOENT\)/);
    const both = message(() => parseConfig({ SECRETS_KEY: KEY, SECRETS_KEY_FILE: keyFile(KEY) }));
    expect(both).toMatch(/set SECRETS_KEY or SECRETS_KEY_FILE, not both/);
    expect(both).not.toContain(KEY);
  });
});

describe('parseConfig: object storage for media (S3_*)', () => {
  it('is off by default: media stays on the local disk under DATA_DIR', () => {
    expect(parseConfig({}).s3).toBeUndefined();
    expect(parseConfig({ S3_BUCKET: '' }).s3).toBeUndefined();
  });

  it('reads the bucket, endpoint, region, path style, keys and prefix', () => {
    const c = parseConfig({
      S3_BUCKET: 'kyc-evidence',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-west-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'minio',
      S3_SECRET_ACCESS_KEY: 'minio-secret',
      S3_KEY_PREFIX: 'node-a/',
    });
    expect(c.s3).toMatchObject({ bucket: 'kyc-evidence', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true, keyPrefix: 'node-a/' });
    expect(c.s3?.credentials?.accessKeyId).toBe('minio');
    expect(c.s3?.credentials?.secretAccessKey()).toBe('minio-secret');
    // The bucket alone: AWS's endpoint, us-east-1, virtual-hosted style, the SDK's default credential chain, no prefix.
    expect(parseConfig({ S3_BUCKET: 'kyc-evidence' }).s3).toEqual({ bucket: 'kyc-evidence', region: 'us-east-1', forcePathStyle: false, keyPrefix: '', publicUrls: 'service' });
    expect(parseConfig({ S3_BUCKET: 'kyc-evidence', S3_FORCE_PATH_STYLE: '1' }).s3?.forcePathStyle).toBe(true);
  });

  it('S3_PUBLIC_URLS: the service streams media by default; presigned needs the bucket and no other value is taken', () => {
    expect(parseConfig({ S3_BUCKET: 'kyc-evidence' }).s3?.publicUrls).toBe('service');
    expect(parseConfig({ S3_BUCKET: 'kyc-evidence', S3_PUBLIC_URLS: '' }).s3?.publicUrls).toBe('service');
    expect(parseConfig({ S3_BUCKET: 'kyc-evidence', S3_PUBLIC_URLS: 'presigned' }).s3?.publicUrls).toBe('presigned');
    expect(() => parseConfig({ S3_BUCKET: 'kyc-evidence', S3_PUBLIC_URLS: 'public' })).toThrow(/S3_PUBLIC_URLS must be service or presigned/);
    expect(() => parseConfig({ S3_PUBLIC_URLS: 'presigned' })).toThrow(/S3_PUBLIC_URLS set without S3_BUCKET/);
  });

  it('never prints the secret key: not in inspect, JSON or String of the parsed config', () => {
    const c = parseConfig({ S3_BUCKET: 'kyc-evidence', S3_ACCESS_KEY_ID: 'minio', S3_SECRET_ACCESS_KEY: 'never-show-this' });
    for (const shown of [inspect(c, { depth: 10, showHidden: true }), JSON.stringify(c), String(c.s3?.credentials)]) {
      expect(shown).not.toContain('never-show-this');
    }
    expect(JSON.stringify(c)).toContain('"secretAccessKey":"[redacted]"');
  });

  it('refuses bad values and incomplete settings, naming the variables', () => {
    expect(() => parseConfig({ S3_BUCKET: 'Bad_Bucket' })).toThrow(/S3_BUCKET must be a bucket name/);
    expect(() => parseConfig({ S3_BUCKET: 'ab' })).toThrow(/S3_BUCKET/);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT must be an http\(s\) URL/);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/S3_FORCE_PATH_STYLE/);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_KEY_PREFIX: '/abs/' })).toThrow(/S3_KEY_PREFIX must not start with \//);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_KEY_PREFIX: 'a b/' })).toThrow(/S3_KEY_PREFIX may hold/);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_ACCESS_KEY_ID: 'minio' })).toThrow(/S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together/);
    expect(() => parseConfig({ S3_BUCKET: 'kyc', S3_SECRET_ACCESS_KEY: 'x' })).toThrow(/together/);
    expect(() => parseConfig({ S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true' })).toThrow(/S3_ENDPOINT, S3_FORCE_PATH_STYLE set without S3_BUCKET/);
    expect(() => parseConfig({ S3_REGION: 'eu-west-1' })).toThrow(/S3_REGION set without S3_BUCKET/);
    const error = (() => {
      try {
        parseConfig({ S3_SECRET_ACCESS_KEY: 'never-show-this' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/S3_SECRET_ACCESS_KEY set without S3_BUCKET/);
    expect(error?.message).not.toContain('never-show-this');
  });
});
