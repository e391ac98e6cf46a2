/**
 * Issue 13 ("Hostile input and abuse"): the categories of an outside probe, kept as a suite. One real service
 * process on a socket (embedded models, no packs) takes every case; a second one with small slow-client timeouts
 * takes the clients that go quiet. Every case expects the status the README documents for that endpoint, in that
 * endpoint's own error format (HyperVerge envelope for checkLiveness, matchFace, verifyVideo, session recording and
 * croppedImage; Verilock's `{error, message, details}` for sessions and webhooks; ADVANCE.AI's and Tencent's 200
 * envelopes for theirs), `X-Content-Type-Options: nosniff` on every JSON answer, and never a 5xx. After all cases
 * the server still answers a real selfie, has no child process left (ffmpeg, ffprobe) and has left no temp file:
 * its TMPDIR (os.tmpdir(): video uploads, crops) and DATA_DIR point at fresh directories that are listed before
 * and after.
 *
 * Each POST goes on a connection of its own (raw-http.ts `exchange`), so a case never inherits a connection an
 * earlier refusal left in a bad state; what a refusal does to a kept-alive connection, and whether a fetch client
 * that sends a whole over-limit body gets its 413, are cases of their own.
 *
 * Every hostile input is made in code (inputs.ts, ../helpers/pixel-bombs.ts); real photos and clips are read from
 * ../shared/data and cut or re-encoded into this test's temp directory, never into the repository.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { capturePageResource, videoResource } from '../../src/http/routes/sessions.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { ISSUE_13_BOMBS } from '../helpers/pixel-bombs.js';
import { sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';
import { flipHexDigit, tamperSignature } from '../helpers/tamper.js';
import {
  animatedPng,
  cmykJpeg,
  garbage,
  greyGif,
  greyJpeg,
  greyPng,
  greyTiff,
  greyWebp,
  heicLike,
  multipartBody,
  type Part,
  png16,
  smallSvg,
  tinyBmp,
  truncated,
  withDeclaredJpegSize,
  withExifOrientation,
  writeAudioOnlyMp4,
} from './inputs.js';
import { exchange, type ExchangeInit, rawExchange, rawKeepAlive } from './raw-http.js';

// ---------------------------------------------------------------------------------------------------------------
// The servers

/** Small limits keep the over-limit cases cheap; the statuses are the same as with the defaults (README "Configuration"). */
const BODY_LIMIT_BYTES = 1024 * 1024;
const VIDEO_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
const SIGNING_SECRET = 'issue-13-hostile-suite-signing-secret-0123456789';
const APP_KEY = randomBytes(24).toString('hex');
const LIVENESS_ONLY_KEY = randomBytes(24).toString('hex');
/** The link signer of both servers (SIGNING_SECRET): lets the suite forge expired links and sign hostile ids. */
const signer = new UrlSigner(SIGNING_SECRET, 3600);

const work = mkdtempSync(path.join(tmpdir(), 'hostile-input-'));
const serverTmp = path.join(work, 'server-tmp');
const serverData = path.join(work, 'server-data');
const slowTmp = path.join(work, 'slow-tmp');
const slowData = path.join(work, 'slow-data');
const noPacks = path.join(work, 'no-packs');
for (const dir of [serverTmp, serverData, slowTmp, slowData, noPacks]) mkdirSync(dir);
const appsFile = path.join(work, 'apps.json');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
writeFileSync(
  appsFile,
  JSON.stringify([
    { appId: 'hostile', appKeySha256: sha256(APP_KEY), allowedApis: ['*'] },
    { appId: 'liveness-only', appKeySha256: sha256(LIVENESS_ONLY_KEY), allowedApis: ['checkLiveness'] },
  ]),
);

/** Slow-client limits (src/config.ts), when the configuration has them. */
const SLOW_CLIENT_SETTINGS = 'HTTP_HEADERS_TIMEOUT_SECONDS' in configSchema.shape && 'HTTP_REQUEST_TIMEOUT_SECONDS' in configSchema.shape;

interface Server {
  service: ServiceProcess;
  port: number;
  base: string;
  /** The service's own process (tsx runs it as a child of its CLI). */
  pid: number;
}

/** Direct children of a process, from every thread's `children` list (proc(5)). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return []; // the process is gone
  }
}
const descendantsOf = (pid: number): number[] => childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)]);
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '(gone)';
  }
};

async function start(env: Record<string, string>): Promise<Server> {
  const service = startService(env);
  const [, port] = await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const cli = service.child.pid!;
  const pid = descendantsOf(cli).find((p) => commandOf(p).includes('src/main.ts')) ?? cli;
  return { service, port: Number(port), base: `http://127.0.0.1:${port}`, pid };
}

async function stop(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.service.child.kill('SIGTERM');
  expect(await server.service.exited).toBe(0);
}

/**
 * Every file and directory under `root` (relative paths), except tsx's compile cache: tsx's loader writes it into
 * os.tmpdir() as it meets modules, which is the test runner's tooling, not the service.
 */
function listTree(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      if (prefix === '' && name.startsWith('tsx-')) continue;
      const relative = path.join(prefix, name);
      out.push(relative);
      if (statSync(path.join(dir, name)).isDirectory()) walk(path.join(dir, name), relative);
    }
  };
  walk(root, '');
  return out.sort();
}
/** The places the service keeps temporary files: its os.tmpdir() (video uploads, crops) and the media store's tmp/. */
const tempFiles = () => [...listTree(serverTmp).map((p) => `TMPDIR/${p}`), ...listTree(path.join(serverData, 'media', 'tmp')).map((p) => `DATA_DIR/media/tmp/${p}`)];

let server: Server;
let slow: Server | undefined;
let baselineChildren: number[] = [];
let baselineTempFiles: string[] = [];

beforeAll(async () => {
  const common = { APPS_FILE: appsFile, SIGNING_SECRET, MODEL_PACKS_DIR: noPacks };
  const main = start({
    ...common,
    TMPDIR: serverTmp,
    DATA_DIR: serverData,
    BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
    VIDEO_BODY_LIMIT_BYTES: String(VIDEO_BODY_LIMIT_BYTES),
    JOB_POLL_INTERVAL_MS: '100',
    JOB_MAX_ATTEMPTS: '1',
  });
  // The slow-client server: 1 s for the headers, 2 s for the whole request (src/config.ts, issue 13).
  const slowClients = SLOW_CLIENT_SETTINGS
    ? start({ ...common, TMPDIR: slowTmp, DATA_DIR: slowData, HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2' })
    : Promise.resolve(undefined);
  [server, slow] = await Promise.all([main, slowClients]);
  baselineChildren = descendantsOf(server.pid);
  baselineTempFiles = tempFiles();
}, 180_000);

afterAll(async () => {
  await Promise.all([stop(server), stop(slow)]);
  rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// Requests and the answers' formats

const OBAMA = 'attributes/face_recognition_ageitgey/obama-480p.jpg';
const REAL_MP4 = 'videos/liveness_tranvanluyt/real.mp4';
const photo = (relative: string) => new Uint8Array(readFileSync(sharedData(relative)));

const hvHeaders = (extra: Record<string, string> = {}) => ({ appId: 'hostile', appKey: APP_KEY, transactionId: 'hostile-13', ...extra });
const bearer = (key = APP_KEY) => ({ Authorization: `Bearer ${key}` });
const file = (bytes: Uint8Array, type = 'application/octet-stream') => new Blob([Buffer.from(bytes)], { type });

function formOf(fields: [name: string, value: string | Blob, filename?: string][]): FormData {
  const form = new FormData();
  for (const [name, value, filename] of fields) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, filename ?? 'upload.bin');
  }
  return form;
}

type PostOptions = Pick<ExchangeInit, 'chunked' | 'stopAfterBodyBytes'>;
/** Over-limit bodies: the head alone, whose Content-Length the server must refuse before reading anything (README: "checked before parsing"). */
const HEAD_ONLY: PostOptions = { stopAfterBodyBytes: 0 };

/** A multipart body as fetch would send it: the bytes and the Content-Type with its boundary. */
async function encodeForm(form: FormData): Promise<{ bytes: Buffer; type: string }> {
  const request = new Request('http://form.invalid/', { method: 'POST', body: form });
  return { bytes: Buffer.from(await request.arrayBuffer()), type: request.headers.get('content-type')! };
}

/**
 * POST to an absolute URL on a connection of its own (raw-http.ts `exchange`): many cases are refused before their
 * body is read, and each case must stand alone, whatever such a refusal does to its connection (that is what the
 * keep-alive cases test). A FormData body goes as multipart with fetch's encoding; `headers` override its type.
 */
async function postUrl(url: string, body: FormData | Uint8Array | string, headers: Record<string, string> = {}, options: PostOptions = {}): Promise<Response> {
  const form = body instanceof FormData ? await encodeForm(body) : undefined;
  const bytes = form ? form.bytes : Buffer.from(body as Uint8Array | string);
  return exchange(url, { method: 'POST', headers: { ...(form ? { 'Content-Type': form.type } : {}), ...headers }, body: bytes, ...options });
}
const post = (pathname: string, body: FormData | Uint8Array | string, headers: Record<string, string> = hvHeaders(), options: PostOptions = {}) =>
  postUrl(`${server.base}${pathname}`, body, headers, options);
const get = (pathname: string, headers: Record<string, string> = {}) => fetch(`${server.base}${pathname}`, { headers });

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface HvExpectation {
  status: number;
  error: string;
  /** HyperVerge's summary code where it gives one: 111 unsupported file, 121 no face. */
  summary?: '111' | '121';
}
const PARSE_ERROR: HvExpectation = { status: 400, error: 'Error while parsing request body' };
const UNSUPPORTED: HvExpectation = { status: 400, error: 'Unsupported file type', summary: '111' };
const TOO_LARGE: HvExpectation = { status: 413, error: 'Content Too Large' };
const NO_FACE: HvExpectation = { status: 422, error: 'No face detected', summary: '121' };
const INVALID_VIDEO: HvExpectation = { status: 400, error: 'Invalid video' };
const FORBIDDEN: HvExpectation = { status: 403, error: 'Unauthorized Access to API' };
const NOT_FOUND: HvExpectation = { status: 404, error: 'Not Found' };

/** The answer's body as JSON, or its text when it is not JSON (so a failed expectation shows what came). */
async function bodyOf(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every JSON answer carries nosniff (WHATWG Fetch §3.5), whatever its status. */
function expectJsonHeaders(res: Response): void {
  expect(res.headers.get('content-type'), 'a JSON answer').toMatch(/^application\/json/);
  expect(res.headers.get('x-content-type-options'), 'X-Content-Type-Options on a JSON answer').toBe('nosniff');
}

/** README "checkLiveness API", errors: HyperVerge's envelope (the message in `result.error`), plus `result.reason` on 4xx. */
async function expectHyperVerge(res: Response, expected: HvExpectation): Promise<any> {
  const body = await bodyOf(res);
  expect({ status: res.status, error: body?.result?.error }, `answer: ${JSON.stringify(body).slice(0, 400)}`).toEqual({ status: expected.status, error: expected.error });
  expectJsonHeaders(res);
  expect(body).toMatchObject({ status: 'failure', statusCode: expected.status, metadata: { requestId: expect.stringMatching(UUID_V4) } });
  expect(body, 'the message lives in result.error, never at the top level').not.toHaveProperty('error');
  expect(typeof body.result.reason, 'a 4xx says what to fix in `result.reason`').toBe('string');
  if (expected.summary) expect(body.result.summary).toMatchObject({ action: 'fail', details: [{ code: expected.summary }] });
  else expect(body.result.summary).toBeUndefined();
  return body;
}

/** README "Sessions API", errors: Verilock's `{error, message, details}`; every sessions answer carries X-Request-Id. */
async function expectVerilock(res: Response, status: number, error?: string): Promise<any> {
  const body = await bodyOf(res);
  expect({ status: res.status, error: body?.error }, `answer: ${JSON.stringify(body).slice(0, 400)}`).toEqual({ status, error: error ?? expect.any(String) });
  expectJsonHeaders(res);
  expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message']);
  expect(typeof body.message).toBe('string');
  expect(body.details === null || typeof body.details === 'object').toBe(true);
  if (new URL(res.url).pathname.startsWith('/v1/sessions')) expect(res.headers.get('x-request-id'), 'X-Request-Id on a sessions answer').toBeTruthy();
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// The inputs

const inputs: Record<string, Uint8Array> = {};
const videoWork = path.join(work, 'videos');

beforeAll(async () => {
  const obama = photo(OBAMA);
  const obamaPng = new Uint8Array(await (await import('sharp')).default(obama).png().toBuffer());
  Object.assign(inputs, {
    obama,
    greyJpeg: await greyJpeg(),
    greyPng: await greyPng(),
    garbage: garbage(4096),
    truncatedJpeg: truncated(obama, 0.5),
    truncatedPng: truncated(obamaPng, 0.5),
    soiOnly: new Uint8Array([0xff, 0xd8, 0xff]),
    gif: await greyGif(),
    bmp: tinyBmp(),
    tiff: await greyTiff(),
    svg: smallSvg(),
    heic: heicLike(),
    webp: await greyWebp(),
    obamaWebp: new Uint8Array(await sharp(obama).webp({ quality: 90 }).toBuffer()),
    lyingJpeg: withDeclaredJpegSize(await greyJpeg(), 65000, 65000),
    thinPng: await greyPng(1, 20000),
    cmyk: await cmykJpeg(obama),
    png16: await png16(obama),
    apng: animatedPng(),
    obamaExif65535: withExifOrientation(obama, 65535),
  });
  for (const orientation of [0, 9, 255, 65535]) inputs[`exif${orientation}`] = withExifOrientation(inputs.greyJpeg!, orientation);
  for (const bomb of ISSUE_13_BOMBS) inputs[bomb.name] = bomb.bytes;

  // Videos, cut and generated in this test's own temp directory.
  mkdirSync(videoWork);
  const realCopy = path.join(videoWork, 'real.mp4');
  writeFileSync(realCopy, readFileSync(sharedData(REAL_MP4)));
  const cut = path.join(videoWork, 'real-first-40-percent.mp4');
  writeFileSync(cut, truncated(new Uint8Array(readFileSync(realCopy)), 0.4));
  inputs.truncatedMp4 = new Uint8Array(readFileSync(cut));
  // An MP4 by its first bytes, one byte over the video limit (VIDEO_BODY_LIMIT_BYTES, which also caps stored media).
  inputs.oversizedMp4 = new Uint8Array(Buffer.concat([inputs.truncatedMp4, Buffer.alloc(VIDEO_BODY_LIMIT_BYTES + 1 - inputs.truncatedMp4.length)]));
  const audioOnly = path.join(videoWork, 'audio-only.mp4');
  writeAudioOnlyMp4(audioOnly);
  inputs.audioOnlyMp4 = new Uint8Array(readFileSync(audioOnly));
});

const input = (name: string): Uint8Array => {
  const bytes = inputs[name];
  if (!bytes) throw new Error(`no input "${name}"`);
  return bytes;
};

// ---------------------------------------------------------------------------------------------------------------
// Images

describe('images on POST /v1/checkLiveness (README: JPG/JPEG/PNG, type taken from the bytes)', () => {
  it('the image as an empty text part (no file) → 400 "Error while parsing request body"', async () => {
    await expectHyperVerge(await post('/v1/checkLiveness', formOf([['image', '']])), PARSE_ERROR);
  });
  it('a 0-byte file → 400 "Error while parsing request body"', async () => {
    await expectHyperVerge(await post('/v1/checkLiveness', formOf([['image', file(new Uint8Array(0), 'image/jpeg'), 'selfie.jpg']])), PARSE_ERROR);
  });

  const cases: [name: string, input: string, filename: string, type: string, expected: HvExpectation][] = [
    ['garbage bytes', 'garbage', 'selfie.jpg', 'image/jpeg', UNSUPPORTED],
    ['a JPEG cut in half', 'truncatedJpeg', 'selfie.jpg', 'image/jpeg', UNSUPPORTED],
    ['a PNG cut in half', 'truncatedPng', 'selfie.png', 'image/png', UNSUPPORTED],
    ['a JPEG that is only its start-of-image marker', 'soiOnly', 'selfie.jpg', 'image/jpeg', UNSUPPORTED],
    ['PNG bytes named selfie.jpg, sent as image/jpeg (decoded as what the bytes are)', 'greyPng', 'selfie.jpg', 'image/jpeg', NO_FACE],
    ['JPEG bytes named selfie.exe, sent as application/x-msdownload', 'greyJpeg', 'selfie.exe', 'application/x-msdownload', NO_FACE],
    ['GIF bytes named selfie.jpg, sent as image/jpeg', 'gif', 'selfie.jpg', 'image/jpeg', UNSUPPORTED],
    ['a GIF', 'gif', 'selfie.gif', 'image/gif', UNSUPPORTED],
    ['a BMP', 'bmp', 'selfie.bmp', 'image/bmp', UNSUPPORTED],
    ['a TIFF', 'tiff', 'selfie.tiff', 'image/tiff', UNSUPPORTED],
    ['an SVG', 'svg', 'selfie.svg', 'image/svg+xml', UNSUPPORTED],
    ['HEIC-like bytes (ftyp heic)', 'heic', 'selfie.heic', 'image/heic', UNSUPPORTED],
    ['a WebP (HyperVerge documents JPG/PNG only: stays refused)', 'webp', 'selfie.webp', 'image/webp', UNSUPPORTED],
    ...ISSUE_13_BOMBS.map((bomb): [string, string, string, string, HvExpectation] => [`pixel bomb: ${bomb.name}`, bomb.name, 'bomb.bin', 'image/png', TOO_LARGE]),
    ['a complete JPEG whose frame header declares 65000×65000', 'lyingJpeg', 'selfie.jpg', 'image/jpeg', TOO_LARGE],
    ['a 1×20000 PNG (extreme aspect ratio, under the pixel limit)', 'thinPng', 'selfie.png', 'image/png', NO_FACE],
    ['an animated PNG (APNG, two frames)', 'apng', 'selfie.png', 'image/png', NO_FACE],
    ['EXIF orientation 0', 'exif0', 'selfie.jpg', 'image/jpeg', NO_FACE],
    ['EXIF orientation 9', 'exif9', 'selfie.jpg', 'image/jpeg', NO_FACE],
    ['EXIF orientation 255', 'exif255', 'selfie.jpg', 'image/jpeg', NO_FACE],
    ['EXIF orientation 65535', 'exif65535', 'selfie.jpg', 'image/jpeg', NO_FACE],
  ];
  it.each(cases.map(([name, key, filename, type, expected]) => ({ name, key, filename, type, expected, answer: `${expected.status} "${expected.error}"` })))(
    '$name → $answer',
    async ({ key: name, filename, type, expected }) => {
      await expectHyperVerge(await post('/v1/checkLiveness', formOf([['image', file(input(name), type), filename]])), expected);
    },
  );

  // Odd but valid encodings of a real face: decoded right, the face is found (the expensive path: three cases).
  it.each([
    ['a CMYK JPEG', 'cmyk'],
    ['a 16-bit PNG', 'png16'],
    ['a JPEG with EXIF orientation 65535', 'obamaExif65535'],
  ])('%s of a real selfie → 200 with a liveFace verdict', async (_name, name) => {
    const res = await post('/v1/checkLiveness', formOf([['image', file(input(name)), 'selfie']]));
    const body = await bodyOf(res);
    expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    expectJsonHeaders(res);
    expect(body).toMatchObject({ status: 'success', statusCode: 200, result: { details: { liveFace: { value: expect.stringMatching(/^(yes|no)$/) } } } });
  });
});

describe('images on POST /v1/matchFace and the verifyVideo selfie', () => {
  it('matchFace: a WebP selfie is accepted (JPEG/PNG/WebP) → 200, same person', async () => {
    const res = await post('/v1/matchFace', formOf([['selfie', file(input('obamaWebp'), 'image/webp'), 'selfie.webp'], ['id', file(input('obama'), 'image/jpeg'), 'id.jpg']]));
    const body = await bodyOf(res);
    expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    expectJsonHeaders(res);
    expect(body.result.details.match.value).toBe('yes');
  });
  it('matchFace: a pixel bomb as the selfie → 413', async () => {
    const bomb = ISSUE_13_BOMBS[1]!;
    await expectHyperVerge(await post('/v1/matchFace', formOf([['selfie', file(bomb.bytes), 'selfie.png'], ['id', file(input('obama')), 'id.jpg']])), TOO_LARGE);
  });
  it('matchFace: a GIF as the selfie → 400 "Unsupported file type"', async () => {
    await expectHyperVerge(await post('/v1/matchFace', formOf([['selfie', file(input('gif')), 's.gif'], ['id', file(input('greyJpeg')), 'id.jpg']])), UNSUPPORTED);
  });
  it('matchFace: the id missing → 400', async () => {
    await expectHyperVerge(await post('/v1/matchFace', formOf([['selfie', file(input('greyJpeg')), 's.jpg']])), PARSE_ERROR);
  });
  it('matchFace: the selfie sent twice → 400', async () => {
    const jpeg = file(input('greyJpeg'));
    await expectHyperVerge(await post('/v1/matchFace', formOf([['selfie', jpeg, 'a.jpg'], ['selfie', jpeg, 'b.jpg'], ['id', jpeg, 'id.jpg']])), PARSE_ERROR);
  });
  it('verifyVideo: a pixel bomb as the selfie → 413', async () => {
    const bomb = ISSUE_13_BOMBS[3]!;
    await expectHyperVerge(await post('/v1/verifyVideo', formOf([['video', file(input('garbage')), 'v.mp4'], ['selfie', file(bomb.bytes), 'selfie.jpg']])), TOO_LARGE);
  });
  it('verifyVideo: a WebP selfie is accepted, so the (garbage) video is what gets refused → 400 "Invalid video"', async () => {
    await expectHyperVerge(await post('/v1/verifyVideo', formOf([['video', file(input('garbage')), 'v.mp4'], ['selfie', file(input('obamaWebp'), 'image/webp'), 'selfie.webp']])), INVALID_VIDEO);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Multipart framing

describe('multipart framing on POST /v1/checkLiveness (README: not multipart → 400 "Error while parsing request body")', () => {
  const BOUNDARY = 'hostile-boundary-0123456789';
  const imagePart = (): Part => ({ name: 'image', filename: 'selfie.jpg', type: 'image/jpeg', data: input('greyJpeg') });
  const send = (contentType: string | undefined, body: Uint8Array | string, headers: Record<string, string> = hvHeaders()) =>
    post('/v1/checkLiveness', typeof body === 'string' ? Buffer.from(body) : body, { ...headers, ...(contentType !== undefined ? { 'Content-Type': contentType } : {}) });

  const cases: [name: string, contentType: () => string | undefined, body: () => Uint8Array | string][] = [
    ['multipart/form-data without a boundary', () => 'multipart/form-data', () => multipartBody([imagePart()], BOUNDARY)],
    ['boundary= given twice', () => `multipart/form-data; boundary=${BOUNDARY}; boundary=other-boundary`, () => multipartBody([imagePart()], BOUNDARY)],
    ['a 200-character boundary (RFC 2046 allows 1–70)', () => `multipart/form-data; boundary=${'b'.repeat(200)}`, () => multipartBody([imagePart()], 'b'.repeat(200))],
    ['a boundary with characters outside bchars', () => 'multipart/form-data; boundary="bad<>@[]boundary"', () => multipartBody([imagePart()], 'bad<>@[]boundary')],
    ['an empty boundary', () => 'multipart/form-data; boundary=""', () => multipartBody([imagePart()], '')],
    ['no close delimiter', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([imagePart()], BOUNDARY, { closeDelimiter: false })],
    ['a body that is not multipart at all under a multipart Content-Type', () => `multipart/form-data; boundary=${BOUNDARY}`, () => input('greyJpeg')],
    ['the image part sent twice', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([imagePart(), imagePart()], BOUNDARY)],
    ['a flag sent twice', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([imagePart(), { name: 'ageRange', data: 'yes' }, { name: 'ageRange', data: 'no' }], BOUNDARY)],
    ['no image field', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([{ name: 'ageRange', data: 'yes' }], BOUNDARY)],
    ['an unknown quality check', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([imagePart(), { name: 'qualityChecks.bogus', data: 'yes' }], BOUNDARY)],
    ['the image under a non-ASCII field name', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([{ ...imagePart(), name: 'imäge\u202e' }], BOUNDARY)],
    ['a flag with a value other than yes/no', () => `multipart/form-data; boundary=${BOUNDARY}`, () => multipartBody([imagePart(), { name: 'checkGender', data: "yes' OR 1=1" }], BOUNDARY)],
    ['application/json', () => 'application/json', () => JSON.stringify({ image: 'aGVsbG8=' })],
    ['application/x-www-form-urlencoded', () => 'application/x-www-form-urlencoded', () => 'image=aGVsbG8%3D'],
    ['text/plain', () => 'text/plain', () => 'image'],
    ['a raw JPEG body (image/jpeg)', () => 'image/jpeg', () => input('greyJpeg')],
    ['no Content-Type at all', () => undefined, () => multipartBody([imagePart()], BOUNDARY)],
  ];
  it.each(cases)('%s → 400', async (_name, contentType, body) => {
    const answer = await expectHyperVerge(await send(contentType(), body()), PARSE_ERROR);
    expect(answer.result.reason.length).toBeGreaterThan(0);
  });

  it('a field name with markup in it → 400; `result.reason` quotes it back, and the JSON answer carries nosniff', async () => {
    const name = 'qualityChecks.<img src=x onerror=alert(1)>';
    const answer = await expectHyperVerge(await send(`multipart/form-data; boundary=${BOUNDARY}`, multipartBody([imagePart(), { name, data: 'yes' }], BOUNDARY)), PARSE_ERROR);
    expect(answer.result.reason).toContain(name);
  });
  it('the transactionId header missing → 400', async () => {
    const { transactionId: _omitted, ...headers } = hvHeaders();
    await expectHyperVerge(await send(`multipart/form-data; boundary=${BOUNDARY}`, multipartBody([imagePart()], BOUNDARY), headers), PARSE_ERROR);
  });
  it('a 300-character transactionId → 400', async () => {
    await expectHyperVerge(await send(`multipart/form-data; boundary=${BOUNDARY}`, multipartBody([imagePart()], BOUNDARY), hvHeaders({ transactionId: 't'.repeat(300) })), PARSE_ERROR);
  });

  it('a Content-Length over BODY_LIMIT_BYTES → 413 before the body is read', async () => {
    const body = multipartBody([{ ...imagePart(), data: garbage(BODY_LIMIT_BYTES + 1) }], BOUNDARY);
    await expectHyperVerge(await post('/v1/checkLiveness', body, { ...hvHeaders(), 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }, HEAD_ONLY), TOO_LARGE);
  });
  // An answer given before the body is read (a refusal on the headers) must leave the connection usable, or say
  // `Connection: close`: a keep-alive client (fetch, a browser) sends its next request on it (RFC 9112 §9.3, §9.6).
  it.each([
    ['413 for a Content-Length over BODY_LIMIT_BYTES', '/v1/checkLiveness', `appId: hostile\r\nappKey: ${APP_KEY}\r\n`, 2 * BODY_LIMIT_BYTES, 413],
    ['401 for a wrong appKey, 300 KB body', '/v1/checkLiveness', 'appId: hostile\r\nappKey: wrong\r\n', 300_000, 401],
    ['404 for an unknown session, 300 KB body', '/v1/sessions/ses_unknown/selfie', `Authorization: Bearer ${APP_KEY}\r\n`, 300_000, 404],
  ])('keep-alive after a refusal before the body is read (%s): "Connection: close", or the next request is answered', async (_name, pathname, credentials, size, status) => {
    const body = multipartBody([{ ...imagePart(), data: garbage(size) }], BOUNDARY);
    const head =
      `POST ${pathname} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n${credentials}transactionId: hostile-13\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await rawKeepAlive(server.port, Buffer.concat([Buffer.from(head), body]), `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, 10_000);
    expect(answer.first.status).toBe(status);
    if (!/\bclose\b/i.test(answer.first.connection ?? '')) {
      expect({ connection: answer.first.connection, nextRequestOnTheConnection: answer.second }).toEqual({ connection: answer.first.connection, nextRequestOnTheConnection: 200 });
    }
  });
  it('a chunked body (no Content-Length) that grows past BODY_LIMIT_BYTES → 413', async () => {
    const body = multipartBody([{ ...imagePart(), data: garbage(2 * BODY_LIMIT_BYTES) }], BOUNDARY);
    // Sent up to just past the limit, then the client waits: the server must refuse without the rest.
    const res = await post('/v1/checkLiveness', body, { ...hvHeaders(), 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }, { chunked: true, stopAfterBodyBytes: BODY_LIMIT_BYTES + 128 * 1024 });
    await expectHyperVerge(res, TOO_LARGE);
  });

  it('an over-limit upload sent whole by fetch (undici, what Node callers use) gets the 413, not a connection error (5 tries)', async () => {
    // The server answers on the Content-Length and closes while the body is still arriving; unless it keeps reading
    // for a while before closing (RFC 9112 §9.6, "the TCP reset problem"), the reset can reach the client before it
    // has read the answer, and fetch then reports EPIPE / "other side closed" instead of the 413.
    const body = multipartBody([{ ...imagePart(), data: garbage(4 * BODY_LIMIT_BYTES) }], BOUNDARY);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(`${server.base}/v1/checkLiveness`, { method: 'POST', body: new Uint8Array(body), headers: { ...hvHeaders(), 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` } });
        outcomes.push(String(res.status));
        await res.arrayBuffer();
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        outcomes.push(`no answer (${cause?.code ?? cause?.message ?? String(error)})`);
      }
    }
    expect(outcomes).toEqual(['413', '413', '413', '413', '413']);
  });
  it('a Content-Length larger than the body, then the client closes its side → 400, connection closed', async () => {
    const body = multipartBody([imagePart()], BOUNDARY).subarray(0, 200);
    const head =
      `POST /v1/checkLiveness HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nappId: hostile\r\nappKey: ${APP_KEY}\r\ntransactionId: hostile-13\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n`;
    const answer = await rawExchange(server.port, Buffer.concat([Buffer.from(head), body]), { after: 'half-close', waitMs: 15_000 });
    expect(answer.closedByServer, 'the server closed the connection').toBe(true);
    expect({ status: answer.status, body: answer.body.toString('utf8').slice(0, 300) }).toMatchObject({ status: 400 });
    // An answer with a JSON body is the route's own: HyperVerge's envelope, with nosniff.
    if (/^application\/json/.test(answer.headers['content-type'] ?? '')) {
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ status: 'failure', statusCode: 400, result: { error: PARSE_ERROR.error } });
    }
  });

  it('the same framing rules on POST /v1/sessionRecording: no boundary → 400', async () => {
    const res = await post('/v1/sessionRecording', multipartBody([{ name: 'video', filename: 'v.mp4', type: 'video/mp4', data: input('truncatedMp4').subarray(0, 4096) }], BOUNDARY), {
      ...hvHeaders(),
      'Content-Type': 'multipart/form-data',
    });
    await expectHyperVerge(res, PARSE_ERROR);
  });
  it('verifyVideo: an unknown form field → 400 naming it', async () => {
    const body = await expectHyperVerge(
      await post('/v1/verifyVideo', formOf([['video', file(input('truncatedMp4')), 'v.mp4'], ['selfie', file(input('obama')), 's.jpg'], ['extra', 'x']])),
      PARSE_ERROR,
    );
    expect(body.result.reason).toContain('extra');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Videos

describe('videos on POST /v1/verifyVideo (README: 400 "Invalid video" before any decoding; empty → 400; over the limit → 413)', () => {
  const withSelfie = (video: Uint8Array, type = 'video/mp4') => formOf([['video', file(video, type), 'video.mp4'], ['selfie', file(input('obama'), 'image/jpeg'), 'selfie.jpg']]);

  it('an empty video file → 400 "Error while parsing request body"', async () => {
    await expectHyperVerge(await post('/v1/verifyVideo', withSelfie(new Uint8Array(0))), PARSE_ERROR);
  });
  it.each([
    ['garbage bytes', 'garbage', /./],
    ['real.mp4 cut at 40 % of its bytes', 'truncatedMp4', /truncated/],
    ['an MP4 with an audio stream and no video stream', 'audioOnlyMp4', /no video stream/],
    ['a JPEG sent as the video', 'greyJpeg', /./],
  ])('%s → 400 "Invalid video"', async (_name, name, reason) => {
    const body = await expectHyperVerge(await post('/v1/verifyVideo', withSelfie(input(name))), INVALID_VIDEO);
    expect(body.result.reason).toMatch(reason);
  });
  it('the video sent twice → 400', async () => {
    const video = file(input('truncatedMp4'), 'video/mp4');
    await expectHyperVerge(await post('/v1/verifyVideo', formOf([['video', video, 'a.mp4'], ['video', video, 'b.mp4'], ['selfie', file(input('obama')), 's.jpg']])), PARSE_ERROR);
  });
  it('a body over VIDEO_BODY_LIMIT_BYTES → 413', async () => {
    await expectHyperVerge(await post('/v1/verifyVideo', withSelfie(garbage(VIDEO_BODY_LIMIT_BYTES + 1)), hvHeaders(), HEAD_ONLY), TOO_LARGE);
  });
});

describe('videos on POST /v1/sessionRecording (README: stored like session videos, sniffed MP4/MOV/WebM; not a video → 400 "Invalid video")', () => {
  const recording = (video: Uint8Array, extra: [string, string][]) => formOf([['video', file(video, 'video/mp4'), 'recording.mp4'], ...extra]);
  const upload = (video: Uint8Array, extra: [string, string][] = []) => post('/v1/sessionRecording', recording(video, extra));

  it('an empty file → 400 "Error while parsing request body"', async () => {
    await expectHyperVerge(await upload(new Uint8Array(0)), PARSE_ERROR);
  });
  it.each([
    ['garbage bytes', 'garbage'],
    ['a JPEG sent as the video', 'greyJpeg'],
  ])('%s → 400 "Invalid video"', async (_name, name) => {
    await expectHyperVerge(await upload(input(name)), INVALID_VIDEO);
  });
  it('a hostile moduleId → 400', async () => {
    await expectHyperVerge(await upload(input('truncatedMp4'), [['moduleId', '../../etc/passwd']]), PARSE_ERROR);
  });
  it('a Content-Length over VIDEO_BODY_LIMIT_BYTES and the form allowance → 413 before the body is read', async () => {
    await expectHyperVerge(await post('/v1/sessionRecording', recording(garbage(VIDEO_BODY_LIMIT_BYTES + 128 * 1024), []), hvHeaders(), HEAD_ONLY), TOO_LARGE);
  });
  it('an MP4 one byte over VIDEO_BODY_LIMIT_BYTES, sent whole (counted while stored) → 413', async () => {
    await expectHyperVerge(await upload(input('oversizedMp4')), TOO_LARGE);
  });
  it('real.mp4 cut at 40 %: an MP4 by its bytes, so stored (the module decodes nothing at upload) → 200, and its signed link serves it back', async () => {
    const res = await upload(input('truncatedMp4'));
    const body = await bodyOf(res);
    expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    expectJsonHeaders(res);
    const [url] = body.result.details.uploadUrls as string[];
    const served = await fetch(url!);
    expect(served.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await served.arrayBuffer()), Buffer.from(input('truncatedMp4')))).toBe(0);
    recordingUrl = url!;
  });
  it('an MP4 with no video stream: an MP4 by its bytes, so stored as well → 200', async () => {
    const res = await upload(input('audioOnlyMp4'));
    expect(res.status, JSON.stringify(await bodyOf(res.clone())).slice(0, 400)).toBe(200);
    expectJsonHeaders(res);
  });
});
/** A signed link to a stored session recording (from the upload above), for the signed-link cases. */
let recordingUrl = '';

/** Polls GET /v1/sessions/{id} until the session is completed (the processing job ran); answers its body. */
async function completedSession(id: string): Promise<any> {
  let current: any;
  const deadline = Date.now() + 90_000;
  do {
    await new Promise((r) => setTimeout(r, 250));
    current = await (await get(`/v1/sessions/${id}`, bearer())).json();
  } while (current.status !== 'completed' && Date.now() < deadline);
  return current;
}

/** Creates a session (selfie + video steps) with the Bearer key; answers its body. */
async function createSession(externalId: string): Promise<any> {
  const res = await post('/v1/sessions', JSON.stringify({ profile: { steps: ['selfie', 'video'] }, external_id: externalId }), { ...bearer(), 'Content-Type': 'application/json' });
  expect(res.status).toBe(201);
  return res.json();
}

describe('videos on a session upload, POST /v1/sessions/{id}/video (README: sniffed MP4/MOV/WebM → 400 unsupported_file_type; consent → 422)', () => {
  let session: any;
  const consent = (): [string, string][] => [
    ['consent_given_at', new Date().toISOString()],
    ['consent_text_version', 'hostile-v1'],
  ];
  const videoForm = (video: Uint8Array, fields: [string, string][]) => formOf([['video', file(video, 'video/mp4'), 'v.mp4'], ...fields]);
  const uploadVideo = (video: Uint8Array, fields: [string, string][] = consent()) => post(`/v1/sessions/${session.id}/video`, videoForm(video, fields), bearer());

  beforeAll(async () => {
    session = await createSession('hostile-video');
    const selfie = await post(`/v1/sessions/${session.id}/selfie`, formOf([['image', file(input('obama'), 'image/jpeg'), 'selfie.jpg']]), bearer());
    expect(selfie.status).toBe(201);
  });

  it('an empty file → 422 validation_error', async () => {
    await expectVerilock(await uploadVideo(new Uint8Array(0)), 422, 'validation_error');
  });
  it.each([
    ['garbage bytes', 'garbage'],
    ['a JPEG sent as the video', 'greyJpeg'],
  ])('%s → 400 unsupported_file_type', async (_name, name) => {
    await expectVerilock(await uploadVideo(input(name)), 400, 'unsupported_file_type');
  });
  it('no consent fields → 422 validation_error', async () => {
    await expectVerilock(await uploadVideo(input('truncatedMp4'), []), 422, 'validation_error');
  });
  it('an MP4 one byte over the video limit, sent whole (counted while stored) → 413 payload_too_large', async () => {
    await expectVerilock(await uploadVideo(input('oversizedMp4')), 413, 'payload_too_large');
  });
  it('a Content-Length over the video limit and the form allowance → 413 payload_too_large before the body is read', async () => {
    await expectVerilock(await post(`/v1/sessions/${session.id}/video`, videoForm(garbage(VIDEO_BODY_LIMIT_BYTES + 128 * 1024), consent()), bearer(), HEAD_ONLY), 413, 'payload_too_large');
  });
  it('real.mp4 cut at 40 % is stored (201), and processing declines the session with the truncation as its reason', async () => {
    const res = await uploadVideo(input('truncatedMp4'));
    expect(res.status, JSON.stringify(await bodyOf(res.clone())).slice(0, 400)).toBe(201);
    expect(await completedSession(session.id)).toMatchObject({ status: 'completed', result: 'declined', result_reason: expect.stringMatching(/truncated/) });
  });
  it('a second video once one is stored → 409 conflict', async () => {
    await expectVerilock(await uploadVideo(input('truncatedMp4').subarray(0, 4096)), 409, 'conflict');
  });
  it('an MP4 with no video stream (another session) is stored (201), and processing declines it: no video stream', async () => {
    const audioSession = await createSession('hostile-audio-only');
    expect((await post(`/v1/sessions/${audioSession.id}/selfie`, formOf([['image', file(input('obama'), 'image/jpeg'), 'selfie.jpg']]), bearer())).status).toBe(201);
    const res = await post(`/v1/sessions/${audioSession.id}/video`, videoForm(input('audioOnlyMp4'), consent()), bearer());
    expect(res.status, JSON.stringify(await bodyOf(res.clone())).slice(0, 400)).toBe(201);
    expect(await completedSession(audioSession.id)).toMatchObject({ status: 'completed', result: 'declined', result_reason: expect.stringMatching(/no video stream/) });
  });
});

describe('photos on a session upload, POST /v1/sessions/{id}/selfie (README: JPEG/PNG/WebP sniffed; pixel limit → 413)', () => {
  let session: any;
  beforeAll(async () => {
    session = await createSession('hostile-selfie');
  });
  const uploadSelfie = (bytes: Uint8Array) => post(`/v1/sessions/${session.id}/selfie`, formOf([['image', file(bytes, 'image/jpeg'), 'selfie.jpg']]), bearer());

  it.each(ISSUE_13_BOMBS.map((bomb) => [bomb.name]))('pixel bomb %s → 413 payload_too_large', async (name) => {
    await expectVerilock(await uploadSelfie(input(name)), 413, 'payload_too_large');
  });
  it.each([
    ['garbage bytes', 'garbage'],
    ['a GIF', 'gif'],
    ['an SVG', 'svg'],
    ['HEIC-like bytes', 'heic'],
    ['an MP4 sent as the selfie', 'truncatedMp4'],
  ])('%s → 400 unsupported_file_type', async (_name, name) => {
    await expectVerilock(await uploadSelfie(input(name)), 400, 'unsupported_file_type');
  });
  it('an empty file → 422 validation_error', async () => {
    await expectVerilock(await uploadSelfie(new Uint8Array(0)), 422, 'validation_error');
  });
  it.each([
    ['a 200-character boundary (RFC 2046 allows 1–70)', 'c'.repeat(200)],
    ['a boundary with characters outside bchars', 'bad<>@[]boundary'],
  ])('multipart framing: %s → 400', async (_name, boundary) => {
    const res = await post(`/v1/sessions/${session.id}/selfie`, multipartBody([{ name: 'image', filename: 's.jpg', type: 'image/jpeg', data: input('greyJpeg') }], boundary), {
      ...bearer(),
      'Content-Type': `multipart/form-data; boundary="${boundary}"`,
    });
    await expectVerilock(res, 400);
  });
  it('the image field sent twice → 422 validation_error', async () => {
    const jpeg = file(input('greyJpeg'), 'image/jpeg');
    await expectVerilock(await post(`/v1/sessions/${session.id}/selfie`, formOf([['image', jpeg, 'a.jpg'], ['image', jpeg, 'b.jpg']]), bearer()), 422, 'validation_error');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Ids

const HOSTILE_IDS: { name: string; id: string }[] = [
  { name: 'too long (1000 characters)', id: `ses_${'a'.repeat(996)}` },
  { name: 'path traversal', id: '../../../etc/passwd' },
  { name: 'a NUL byte (%00)', id: 'ses_\u0000x' },
  { name: 'unicode (right-to-left override, emoji)', id: 'ses_\u202eü🙂' },
  { name: 'SQL quotes', id: "ses_' OR '1'='1" },
  { name: 'an SQL statement', id: '"; DROP TABLE sessions; --' },
  { name: 'unknown and well-formed', id: 'ses_00000000-0000-4000-8000-000000000000' },
];
const enc = encodeURIComponent;
/**
 * `?expires&signature` for `resource`, signed with the servers' SIGNING_SECRET. Resources: `croppedImage/<id>`
 * (README "checkLiveness API"), videoResource / capturePageResource (src/http/routes/sessions.ts), and the two the
 * routes keep private: `session-capture:<id>:<step>` (sessions.ts captureResource) and `hv-recording:<mediaId>`
 * (session-recording.ts).
 */
const signedQuery = (resource: string, expires = Math.floor(Date.now() / 1000) + 600) => `expires=${expires}&signature=${signer.signature(resource, expires)}`;
/** What the transactionId header rules (README: mandatory, 1–256 printable ASCII) say about an id. */
const validTransactionId = (id: string) => id.length <= 256 && /^[\x20-\x7e]+$/.test(id);

describe('hostile ids: unknown everywhere, never a 5xx (README: unknown session / webhook / crop → 404)', () => {
  let advanceToken = '';
  beforeAll(async () => {
    const res = await post('/openapi/auth/ticket/v1/generate-token', JSON.stringify({ accessKey: 'hostile', secretKey: APP_KEY, timestamp: Date.now() }), { 'Content-Type': 'application/json' });
    advanceToken = ((await res.json()) as any).data.token;
  });

  describe.each(HOSTILE_IDS)('id: $name', ({ id }) => {
    it('GET /v1/sessions/{id} → 404 not_found', async () => {
      await expectVerilock(await get(`/v1/sessions/${enc(id)}`, bearer()), 404, 'not_found');
    });
    it('GET /v1/sessions/{id}/video → 404 not_found', async () => {
      await expectVerilock(await get(`/v1/sessions/${enc(id)}/video`, bearer()), 404, 'not_found');
    });
    it('POST /v1/sessions/{id}/selfie (Bearer) → 404 not_found', async () => {
      await expectVerilock(await post(`/v1/sessions/${enc(id)}/selfie`, formOf([['image', file(input('greyJpeg'), 'image/jpeg'), 's.jpg']]), bearer()), 404, 'not_found');
    });
    it('POST /v1/sessions/{id}/review → 404 not_found', async () => {
      const res = await post(`/v1/sessions/${enc(id)}/review`, JSON.stringify({ decision: 'approved', reviewer_id: 'r1' }), { ...bearer(), 'Content-Type': 'application/json' });
      await expectVerilock(res, 404, 'not_found');
    });
    it('GET /v1/sessions/{id}/video/download, correctly signed → 404 not_found', async () => {
      await expectVerilock(await get(`/v1/sessions/${enc(id)}/video/download?${signedQuery(videoResource(id))}`), 404, 'not_found');
    });
    it('GET /v1/webhooks/{id}, /attempts, POST /redeliver → 404 not_found', async () => {
      await expectVerilock(await get(`/v1/webhooks/${enc(id)}`, bearer()), 404, 'not_found');
      await expectVerilock(await get(`/v1/webhooks/${enc(id)}/attempts`, bearer()), 404, 'not_found');
      await expectVerilock(await post(`/v1/webhooks/${enc(id)}/redeliver`, '', bearer()), 404, 'not_found');
    });
    it('GET /v1/croppedImage/{id}, correctly signed → 404 "Not Found"', async () => {
      await expectHyperVerge(await get(`/v1/croppedImage/${enc(id)}?${signedQuery(`croppedImage/${id}`)}`), NOT_FOUND);
    });
    it('GET /v1/sessionRecording/video/{id}, correctly signed → 404 "Not Found"', async () => {
      await expectHyperVerge(await get(`/v1/sessionRecording/video/${enc(id)}?${signedQuery(`hv-recording:${id}`)}`), NOT_FOUND);
    });
    it('GET /v1/sessionRecording/results?transactionId={id} → 404, or 400 when it breaks the transactionId rules', async () => {
      const res = await get(`/v1/sessionRecording/results?transactionId=${enc(id)}`, { appId: 'hostile', appKey: APP_KEY });
      await expectHyperVerge(res, validTransactionId(id.trim()) ? NOT_FOUND : PARSE_ERROR);
    });
    it('GET /capture/{id}, correctly signed → 404 page; POST its selfie-check → 404', async () => {
      const query = signedQuery(capturePageResource(id));
      const page = await get(`/capture/${enc(id)}?${query}`);
      expect(page.status).toBe(404);
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await page.text()).not.toContain(id); // the id is not echoed raw into the HTML
      const check = await post(`/capture/${enc(id)}/selfie-check?${query}`, input('greyJpeg'), { 'Content-Type': 'image/jpeg' });
      await expectVerilock(check, 404);
    });
    if (id.length <= 255) {
      it('ADVANCE.AI get-video?livenessId={id} → 200, code LIVENESS_ID_NOT_EXIST', async () => {
        const res = await get(`/liveness/ext/v1/get-video?livenessId=${enc(id)}`, { 'X-ACCESS-TOKEN': advanceToken });
        const body = await bodyOf(res);
        expect({ status: res.status, code: body.code }).toEqual({ status: 200, code: 'LIVENESS_ID_NOT_EXIST' });
        expectJsonHeaders(res);
      });
      it('Tencent ESS DescribeSignFaceVideo SignId={id} → 200, Error.Code ResourceNotFound', async () => {
        const res = await post('/', JSON.stringify({ Operator: { UserId: 'u1' }, FlowId: 'flow-1', SignId: id }), {
          'X-TC-Action': 'DescribeSignFaceVideo',
          ...bearer(),
          'Content-Type': 'application/json',
        });
        const body = await bodyOf(res);
        expect({ status: res.status, code: body.Response?.Error?.Code }).toEqual({ status: 200, code: 'ResourceNotFound' });
        expectJsonHeaders(res);
      });
    }
  });

  it('GET /v1/sessions/{id}/nonsense → 404 not_found', async () => {
    await expectVerilock(await get(`/v1/sessions/${enc(HOSTILE_IDS[6]!.id)}/nonsense`, bearer()), 404, 'not_found');
  });
  it('an unknown /v1 route → 404 "Not Found" in the HyperVerge envelope', async () => {
    await expectHyperVerge(await get('/v1/..%2F..%2Fetc%2Fpasswd', hvHeaders()), NOT_FOUND);
  });
});

describe('webhooks: the guard chain and hostile queries (README "Webhooks": Bearer appKey, {error, message, details})', () => {
  it('no Authorization → 401 authentication_error', async () => {
    await expectVerilock(await get('/v1/webhooks'), 401, 'authentication_error');
  });
  it('a wrong key → 401 authentication_error', async () => {
    await expectVerilock(await get('/v1/webhooks', bearer('not-a-key')), 401, 'authentication_error');
  });
  it('an app not allowed the sessions API → 403 forbidden (list and one event)', async () => {
    await expectVerilock(await get('/v1/webhooks', bearer(LIVENESS_ONLY_KEY)), 403, 'forbidden');
    await expectVerilock(await get(`/v1/webhooks/${enc(HOSTILE_IDS[1]!.id)}`, bearer(LIVENESS_ONLY_KEY)), 403, 'forbidden');
  });
  it.each([
    ['limit=0', 'limit=0'],
    ['limit=abc', 'limit=abc'],
    ['limit=1e9', 'limit=1000000000'],
    ['status=bogus', 'status=bogus'],
    ['an unknown parameter', 'foo=1'],
    ['a 300-character session_id', `session_id=${'s'.repeat(300)}`],
  ])('GET /v1/webhooks?%s → 422 validation_error', async (_name, query) => {
    await expectVerilock(await get(`/v1/webhooks?${query}`, bearer()), 422, 'validation_error');
  });
  it("an SQL-ish session_id filter → 200, an empty page", async () => {
    const res = await get(`/v1/webhooks?session_id=${enc("x' OR '1'='1")}`, bearer());
    expect(res.status).toBe(200);
    expectJsonHeaders(res);
    expect(await res.json()).toEqual({ data: [], has_more: false, next_after: null });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Signed links

describe('signed links (README: tampered or expired → 403; capture page expired → 410; video/capture links: forbidden / link_expired)', () => {
  let session: any;
  let other: any;
  const now = () => Math.floor(Date.now() / 1000);
  /** `url` with its query replaced. */
  const withQuery = (url: string, query: string) => `${url.split('?')[0]}?${query}`;
  const params = (url: string) => new URL(url).searchParams;
  const uploadTo = (url: string) => postUrl(url, formOf([['image', file(input('greyJpeg'), 'image/jpeg'), 's.jpg']]));

  beforeAll(async () => {
    [session, other] = await Promise.all([createSession('hostile-links-1'), createSession('hostile-links-2')]);
  });

  describe('the selfie capture link (POST /v1/sessions/{id}/selfie?expires&signature)', () => {
    const selfieUrl = () => session.capture.selfie.upload_url as string;
    const cases: [name: string, url: () => string, error: string][] = [
      ['the signature missing', () => withQuery(selfieUrl(), `expires=${params(selfieUrl()).get('expires')}`), 'forbidden'],
      ['expires missing', () => withQuery(selfieUrl(), `signature=${params(selfieUrl()).get('signature')}`), 'forbidden'],
      ['a garbled signature', () => withQuery(selfieUrl(), `expires=${params(selfieUrl()).get('expires')}&signature=not-hex!%00`), 'forbidden'],
      ['the signature in upper case', () => withQuery(selfieUrl(), `expires=${params(selfieUrl()).get('expires')}&signature=${params(selfieUrl()).get('signature')!.toUpperCase()}`), 'forbidden'],
      ['the signature one digit short', () => withQuery(selfieUrl(), `expires=${params(selfieUrl()).get('expires')}&signature=${params(selfieUrl()).get('signature')!.slice(1)}`), 'forbidden'],
      ['a tampered signature', () => tamperSignature(selfieUrl()), 'forbidden'],
      ['expires moved one second later', () => withQuery(selfieUrl(), `expires=${Number(params(selfieUrl()).get('expires')) + 1}&signature=${params(selfieUrl()).get('signature')}`), 'forbidden'],
      ['expires as 20 digits', () => withQuery(selfieUrl(), `expires=${'9'.repeat(20)}&signature=${params(selfieUrl()).get('signature')}`), 'forbidden'],
      ['a bad signature first, the good one second', () => `${selfieUrl().replace('signature=', 'signature=00&signature=')}`, 'forbidden'],
      ['the video step’s signature', () => withQuery(selfieUrl(), new URL(session.capture.video.upload_url).search.slice(1)), 'forbidden'],
      ['another session’s selfie signature', () => withQuery(selfieUrl(), new URL(other.capture.selfie.upload_url).search.slice(1)), 'forbidden'],
      ['a correctly signed link that expired', () => withQuery(selfieUrl(), signedQuery(`session-capture:${session.id}:selfie`, now() - 5)), 'link_expired'],
    ];
    it.each(cases.map(([name, url, error]) => ({ name, url, error })))('$name → 403 $error', async ({ url, error }) => {
      await expectVerilock(await uploadTo(url()), 403, error);
    });
  });

  describe('the session video link (GET /v1/sessions/{id}/video/download)', () => {
    const link = (query: string) => `${server.base}/v1/sessions/${session.id}/video/download?${query}`;
    it.each([
      { name: 'no query', url: () => link(''), error: 'forbidden' },
      { name: 'a tampered signature', url: () => tamperSignature(link(signedQuery(videoResource(session.id)))), error: 'forbidden' },
      { name: 'the signature of another session’s video', url: () => link(signedQuery(videoResource(other.id))), error: 'forbidden' },
      { name: 'the capture page’s signature for this session', url: () => link(new URL(session.capture_url).search.slice(1)), error: 'forbidden' },
      { name: 'a correctly signed link that expired', url: () => link(signedQuery(videoResource(session.id), now() - 5)), error: 'link_expired' },
    ])('$name → 403 $error', async ({ url, error }) => {
      await expectVerilock(await fetch(url()), 403, error);
    });
    it('a valid link to a session with no video yet → 404 not_found', async () => {
      await expectVerilock(await fetch(link(signedQuery(videoResource(session.id)))), 404, 'not_found');
    });
  });

  describe('the capture page (GET /capture/{id}) and its selfie check', () => {
    it.each([
      { name: 'no signature', url: () => `${server.base}/capture/${session.id}`, status: 403 },
      { name: 'a tampered signature', url: () => tamperSignature(session.capture_url), status: 403 },
      { name: 'the selfie upload link’s signature', url: () => withQuery(session.capture_url, new URL(session.capture.selfie.upload_url).search.slice(1)), status: 403 },
      { name: 'a correctly signed link that expired', url: () => withQuery(session.capture_url, signedQuery(capturePageResource(session.id), now() - 5)), status: 410 },
    ])('$name → $status (HTML page)', async ({ url, status }) => {
      const res = await fetch(url());
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });
    it('a tampered link to the selfie check → 403', async () => {
      const check = `${server.base}/capture/${session.id}/selfie-check?${new URL(tamperSignature(session.capture_url)).search.slice(1)}`;
      await expectVerilock(await postUrl(check, input('greyJpeg'), { 'Content-Type': 'image/jpeg' }), 403);
    });
  });

  describe('HyperVerge links: croppedImage and the session recording', () => {
    const crop = (id: string, query: string) => `${server.base}/v1/croppedImage/${id}?${query}`;
    const cropId = '5f0c0000-0000-4000-8000-000000000000';
    it.each([
      ['croppedImage without a query', () => crop(cropId, '')],
      ['croppedImage with a garbled signature', () => crop(cropId, `expires=${now() + 60}&signature=zz`)],
      ['croppedImage with a negative expires', () => crop(cropId, `expires=-1&signature=${signer.signature(`croppedImage/${cropId}`, -1)}`)],
      ['croppedImage, a correctly signed link that expired', () => crop(cropId, signedQuery(`croppedImage/${cropId}`, now() - 5))],
      ['croppedImage, another crop’s signature', () => crop(cropId, signedQuery('croppedImage/6f0c0000-0000-4000-8000-000000000000'))],
      ['croppedImage, a session video’s signature for the same id', () => crop(cropId, signedQuery(videoResource(cropId)))],
      ['a session recording link, tampered', () => tamperSignature(recordingUrl)],
      ['a session recording link, expired', () => withQuery(recordingUrl, signedQuery(`hv-recording:${new URL(recordingUrl).pathname.split('/').pop()}`, now() - 5))],
      ['a session recording link, signature flipped in its last digit', () => recordingUrl.replace(/signature=([0-9a-f]+)/, (_m, hex: string) => `signature=${flipHexDigit(hex)}`)],
    ])('%s → 403 "Unauthorized Access to API"', async (_name, url) => {
      expect(recordingUrl, 'the session recording case above stored a recording').not.toBe('');
      await expectHyperVerge(await fetch(url()), FORBIDDEN);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Slow clients

describe('slow clients (HTTP_HEADERS_TIMEOUT_SECONDS=1, HTTP_REQUEST_TIMEOUT_SECONDS=2: Node answers 408 and closes)', () => {
  if (!SLOW_CLIENT_SETTINGS) {
    it.todo('headers that never end → 408, connection closed (needs HTTP_HEADERS_TIMEOUT_SECONDS in src/config.ts)');
    it.todo('headers, then no body → 408, connection closed (needs HTTP_REQUEST_TIMEOUT_SECONDS in src/config.ts)');
    it.todo('a Content-Length larger than the body, socket left open → 408, connection closed');
    return;
  }
  const head = (port: number, contentLength: number) =>
    `POST /v1/checkLiveness HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nappId: hostile\r\nappKey: ${APP_KEY}\r\ntransactionId: slow\r\n` +
    `Content-Type: multipart/form-data; boundary=slow-boundary\r\nContent-Length: ${contentLength}\r\n\r\n`;
  // The three clients run at once (each waits out a timeout); each case checks its own.
  let answers: Promise<Awaited<ReturnType<typeof rawExchange>>>[] = [];
  beforeAll(() => {
    const port = slow!.port;
    answers = [
      rawExchange(port, `POST /v1/checkLiveness HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nappId: hostile\r\n`, { after: 'stay', waitMs: 20_000 }),
      rawExchange(port, head(port, 5000), { after: 'stay', waitMs: 20_000 }),
      rawExchange(port, Buffer.concat([Buffer.from(head(port, 5000)), Buffer.from('--slow-boundary\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n')]), {
        after: 'stay',
        waitMs: 20_000,
      }),
    ];
  });
  it.each([
    ['headers that never end', 0],
    ['complete headers, then no body', 1],
    ['a Content-Length larger than the body, socket left open', 2],
  ])('%s → 408, connection closed by the server', async (_name, index) => {
    const answer = await answers[index]!;
    expect({ status: answer.status, closedByServer: answer.closedByServer }).toEqual({ status: 408, closedByServer: true });
  });
  it('the slow-client server still answers afterwards', async () => {
    await Promise.all(answers);
    expect((await fetch(`${slow!.base}/health`)).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// After every case

describe('after every hostile case', () => {
  it('the server still answers a real selfie: obama-480p.jpg through checkLiveness → 200', async () => {
    const res = await post('/v1/checkLiveness', formOf([['image', file(photo(OBAMA), 'image/jpeg'), 'obama-480p.jpg']]));
    const body = await bodyOf(res);
    expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    expectJsonHeaders(res);
    expect(body).toMatchObject({ status: 'success', statusCode: 200, metadata: { transactionId: 'hostile-13' } });
  });

  it('no child process of the server is left (ffmpeg, ffprobe)', async () => {
    expect(commandOf(server.pid), 'the service process itself was found').toContain('src/main.ts');
    // The session-processing job may still be winding down its last ffprobe: give it a moment.
    let extra: number[] = [];
    for (let tries = 0; tries < 20; tries++) {
      extra = descendantsOf(server.pid).filter((pid) => !baselineChildren.includes(pid));
      if (extra.length === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(extra.map((pid) => `${pid} ${commandOf(pid)}`)).toEqual([]);
  });

  it('no temp file or directory the server created is left (TMPDIR, DATA_DIR/media/tmp)', () => {
    // The service's temp directories are where this check looks (TMPDIR was honoured).
    expect(baselineTempFiles).toEqual(expect.arrayContaining(['TMPDIR/face-liveness-service/video']));
    expect(tempFiles()).toEqual(baselineTempFiles);
  });

  it('nothing reached a 5xx path: no route logged an internal error (ADVANCE.AI and Tencent answer those as 200 ERROR / InternalError)', () => {
    if (process.env.HOSTILE_DEBUG) console.log(server.service.output(), baselineTempFiles, baselineChildren.map(commandOf));
    const internalErrorLog =
      /unhandled error on |\b(?:INTERNAL|INFERENCE_FAILED|MODEL_INPUT_INVALID|MODEL_INVALID|EXECUTION_PROVIDER_UNAVAILABLE|CONFIG_INVALID) on |sessions API (?:GET|POST) |capture page (?:GET|POST) |^error on |ADVANCE\.AI API |Tencent ESS API /m;
    expect(server.service.output()).not.toMatch(internalErrorLog);
  });
});
