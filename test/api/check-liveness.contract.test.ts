/**
 * Contract tests for the HyperVerge-compatible API through app.request() (no socket), with a test
 * double of the CheckLiveness pipeline: every form field, every quality check, every error status with
 * its exact body, credentials, limits, signed crop links, and the OpenAPI document.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { RulesFile } from '../../src/app/rules-file.js';
import { AppError } from '../../src/errors.js';
import { UrlSigner } from '../../src/http/signed-url.js';
import { parseRules, type DecisionRules } from '../../src/pipeline/decision.js';
import { QUALITY_CHECKS, type CheckLiveness, type LivenessOptions, type LivenessOutcome, type LivenessVerdict, type QualityCheck, type Verdict } from '../../src/pipeline/types.js';
import { flipHexDigit } from '../helpers/tamper.js';
import { json, withoutRequestId } from '../helpers/envelope.js';
import { DEFAULT_RULES, livenessDeps, postForm, captureLog, testApp, testApps, testClock, type TestApp, type TestClock } from '../helpers/contract.js';

const IMAGE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const CROP = new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 9, 9, 9]);
const RESPONSE_KEY: Record<QualityCheck, string> = { ...Object.fromEntries(QUALITY_CHECKS.map((c) => [c, c])), occlusion: 'faceOccluded' } as Record<QualityCheck, string>;
const defaultRules: DecisionRules = DEFAULT_RULES;

const SIGNALS = { minifasnet: 0.95, humanLiveness: 0.9, presentationDevice: 0, hands: 0, framingEdges: 0.1, screenRecapture: 0 };
const live: LivenessVerdict = { value: true, score: 0.97, confidence: 'high', signals: SIGNALS, limitations: [] };
const no: Verdict = { value: false, score: 0.1234, confidence: 'high' };
/** liveFace as the wire shows it for `live`. */
const LIVE_WIRE = { value: 'yes', confidence: 'high', score: 0.97, signals: SIGNALS, limitations: [] };

/** Pipeline test double: answers every quality check "no" (high confidence), whatever was asked. */
function outcomeFor(options: LivenessOptions, overrides: Partial<LivenessOutcome> = {}): LivenessOutcome {
  return {
    liveFace: live,
    qualityChecks: Object.fromEntries(QUALITY_CHECKS.map((c) => [c, no])),
    ageRange: { low: 19, high: 25, estimate: 22.46, confidence: 'high' },
    gender: { value: 'Female', score: 0.912, confidence: 'high' },
    ...(options.croppedImage ? { croppedFace: CROP } : {}),
    ...overrides,
  };
}

interface Harness {
  app: TestApp;
  pipeline: ReturnType<typeof vi.fn<CheckLiveness>>;
  clock: TestClock;
}

const apps = testApps([
  { appId: 'acme', appKey: 'acme-secret-key', allowedApis: ['checkLiveness'], rateLimitPerMinute: 3 },
  { appId: 'unlimited', appKey: 'unlimited-key', allowedApis: ['*'] },
  { appId: 'suspended', appKey: 'suspended-key', allowedApis: [] },
]);

function harness(options: { pipeline?: CheckLiveness; concurrency?: number; queueSize?: number; bodyLimitBytes?: number; publicBaseUrl?: string; rules?: DecisionRules } = {}): Harness {
  const clock = testClock(Date.UTC(2025, 0, 1, 12, 0, 30));
  const pipeline = vi.fn<CheckLiveness>(options.pipeline ?? (async (_image, o) => outcomeFor(o)));
  // /health is not exercised here, so the registry is never touched.
  return { app: testApp({ liveness: livenessDeps({ ...options, apps, clock, checkLiveness: pipeline }), telemetry: { log: log.logger } }), pipeline, clock };
}

const unlimited = { appId: 'unlimited', appKey: 'unlimited-key' };

function post(
  h: Harness,
  fields: Record<string, string | Blob> = {},
  headers: Record<string, string> = { ...unlimited, transactionId: 'txn-1' },
  image: Blob | null = new Blob([IMAGE], { type: 'image/jpeg' }),
): Promise<Response> {
  return postForm(h.app, '/v1/checkLiveness', { image: image && [image, 'selfie.jpg'], ...fields }, headers);
}

/** The service's log lines of the test's app (a 5xx's details go there, never to the caller). */
let log = captureLog();
beforeEach(() => {
  log = captureLog();
});

describe('POST /v1/checkLiveness: success bodies', () => {
  it('answers a bare request with liveFace and a pass summary, calling the pipeline with the defaults', async () => {
    const h = harness();
    const res = await post(h);
    expect(res.status).toBe(200);
    expect(await withoutRequestId(res)).toEqual({
      status: 'success',
      statusCode: 200,
      metadata: { transactionId: 'txn-1' },
      result: {
        details: { liveFace: LIVE_WIRE },
        summary: { action: 'pass', details: [] },
      },
    });
    expect(h.pipeline).toHaveBeenCalledTimes(1);
    const [image, options] = h.pipeline.mock.calls[0]!;
    expect([...image]).toEqual([...IMAGE]);
    expect(options).toEqual({ qualityChecks: [], ageRange: false, gender: false, croppedImage: false });
  });

  it('gives every request its own requestId', async () => {
    const h = harness();
    const ids = await Promise.all([post(h), post(h)].map(async (r) => (await json(await r)).metadata.requestId));
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('runs and reports every quality check, age range and gender when all are "yes" (occlusion → faceOccluded)', async () => {
    const h = harness();
    const fields = Object.fromEntries(QUALITY_CHECKS.map((c) => [`qualityChecks.${c}`, 'yes']));
    const res = await post(h, { ...fields, ageRange: 'yes', checkGender: 'yes', returnCroppedImageURL: 'no', 'preferences.returnScore': 'yes' });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(h.pipeline.mock.calls[0]![1]).toEqual({ qualityChecks: [...QUALITY_CHECKS], ageRange: true, gender: true, croppedImage: false });
    expect(body.result.details.qualityChecks).toEqual(
      Object.fromEntries(QUALITY_CHECKS.map((c) => [RESPONSE_KEY[c], { value: 'no', confidence: 'high', score: 0.1234 }])),
    );
    expect(Object.keys(body.result.details.qualityChecks)).toContain('faceOccluded');
    expect(Object.keys(body.result.details.qualityChecks)).not.toContain('occlusion');
    expect(body.result.details.ageRange).toEqual({ low: 19, high: 25, value: '19-25', confidence: 'high', estimate: 22.5 });
    expect(body.result.details.gender).toEqual({ value: 'Female', confidence: 'high', score: 0.912 });
    expect(body.result.croppedImageUrl).toBeUndefined();
    expect(body.result.summary).toEqual({ action: 'pass', details: [] });
  });

  it.each(QUALITY_CHECKS.map((c) => [c]))('qualityChecks.%s=yes alone: only that check is asked for and reported', async (check) => {
    const h = harness();
    const body = await json(await post(h, { [`qualityChecks.${check}`]: 'yes' }));
    expect(h.pipeline.mock.calls[0]![1].qualityChecks).toEqual([check]);
    // The double answers all 14 checks; only the requested one may appear.
    expect(body.result.details.qualityChecks).toEqual({ [RESPONSE_KEY[check]]: { value: 'no', confidence: 'high', score: 0.1234 } });
    expect(body.result.details.ageRange).toBeUndefined();
    expect(body.result.details.gender).toBeUndefined();
  });

  it('treats "no" like absent for every flag', async () => {
    const h = harness();
    const fields = Object.fromEntries([...QUALITY_CHECKS.map((c) => `qualityChecks.${c}`), 'ageRange', 'checkGender', 'returnCroppedImageURL'].map((f) => [f, 'no']));
    const body = await json(await post(h, fields));
    expect(h.pipeline.mock.calls[0]![1]).toEqual({ qualityChecks: [], ageRange: false, gender: false, croppedImage: false });
    expect(body.result.details).toEqual({ liveFace: LIVE_WIRE });
  });

  it('summarises with the decision rules: not live → fail, a failing check → manualReview', async () => {
    const notLive = harness({ pipeline: async (_i, o) => outcomeFor(o, { liveFace: { ...live, value: false, score: 0.02, attackType: 'screen' } }) });
    const notLiveBody = await json(await post(notLive));
    expect(notLiveBody.result.summary).toEqual({ action: 'fail', details: [{ code: 'LIVENESS_FAILED', message: 'Selfie is not of a live person' }] });
    expect(notLiveBody.result.details.liveFace).toEqual({ ...LIVE_WIRE, value: 'no', score: 0.02, attackType: 'screen' });

    const uncertain = harness({ pipeline: async (_i, o) => outcomeFor(o, { liveFace: { ...live, value: false, score: 0.3, confidence: 'low', attackType: 'unknown' } }) });
    expect((await json(await post(uncertain))).result.summary).toEqual({
      action: 'manualReview',
      details: [{ code: 'LIVENESS_UNCERTAIN', message: 'Selfie looks more like a presentation attack than a live person, but not clearly; a person should look at it' }],
    });

    const blurred = harness({
      pipeline: async (_i, o) => outcomeFor(o, { qualityChecks: { blur: { value: true, score: 0.8, confidence: 'low' }, hat: { value: true, score: 0.9, confidence: 'high' } } }),
    });
    const body = await json(await post(blurred, { 'qualityChecks.blur': 'yes' }));
    // hat was not requested, so it neither appears nor counts.
    expect(body.result.details.qualityChecks).toEqual({ blur: { value: 'yes', confidence: 'low', score: 0.8 } });
    expect(body.result.summary).toEqual({
      action: 'manualReview',
      details: [
        { code: 'IMAGE_BLURRED', message: 'Selfie is blurred' },
        { code: 'QUALITY_CHECK_LOW_CONFIDENCE', message: 'Quality check blur answered with low confidence' },
      ],
    });
  });

  it("sends each quality check's basis after HyperVerge's keys, four significant digits; a check without one (hat) sends none", async () => {
    const eyewear = {
      value: true,
      score: 0.987654,
      confidence: 'high' as const,
      basis: { method: 'frameBars', measurements: { lensDarkShare: 0.123456, lensColourDistance: 12.3456, skinReferenceIsForehead: 0, frameBars: 0.41239 } },
    };
    // NaN: a measurement JSON cannot carry is left out, not sent as null or 0.
    const blur = { value: false, score: 0.0123, confidence: 'high' as const, basis: { method: 'laplacianVariance', measurements: { log10LaplacianVariance: 2.718281828, notMeasured: Number.NaN } } };
    const hat = { value: false, score: 0.2, confidence: 'low' as const };
    const fields = { 'qualityChecks.eyewear': 'yes', 'qualityChecks.blur': 'yes', 'qualityChecks.hat': 'yes' };
    const explained = harness({ pipeline: async (_i, o) => outcomeFor(o, { qualityChecks: { eyewear, blur, hat } }) });
    const text = await (await post(explained, fields)).text();
    const body = JSON.parse(text) as Record<string, any>;
    expect(body.result.details.qualityChecks).toEqual({
      blur: { value: 'no', confidence: 'high', score: 0.0123, basis: { method: 'laplacianVariance', measurements: { log10LaplacianVariance: 2.718 } } },
      hat: { value: 'no', confidence: 'low', score: 0.2 },
      eyewear: {
        value: 'yes',
        confidence: 'high',
        score: 0.9877,
        basis: { method: 'frameBars', measurements: { lensDarkShare: 0.1235, lensColourDistance: 12.35, skinReferenceIsForehead: 0, frameBars: 0.4124 } },
      },
    });
    // HyperVerge's keys come first, byte for byte as an answer without basis sends them; the extension only follows.
    expect(text).toContain('"blur":{"value":"no","confidence":"high","score":0.0123,"basis":{"method":"laplacianVariance","measurements":{"log10LaplacianVariance":2.718}}}');
    expect(text).toContain('"hat":{"value":"no","confidence":"low","score":0.2}');

    // Reporting only: the same answers without their basis give the same body, summary included, less `basis`.
    const strip = <T extends object>(v: T) => Object.fromEntries(Object.entries(v).filter(([key]) => key !== 'basis'));
    const plain = harness({ pipeline: async (_i, o) => outcomeFor(o, { qualityChecks: { eyewear: strip(eyewear), blur: strip(blur), hat } as LivenessOutcome['qualityChecks'] }) });
    const plainBody = await withoutRequestId(await post(plain, fields));
    delete body.metadata.requestId;
    for (const key of ['blur', 'eyewear']) delete body.result.details.qualityChecks[key].basis;
    expect(JSON.stringify(plainBody)).toBe(JSON.stringify(body));
  });

  it('uses the rules in force at request time (operator-supplied rules)', async () => {
    const rules = parseRules(JSON.stringify({ rules: [{ when: { result: 'liveFace', value: 'yes' }, action: 'fail', code: 'X1', message: 'custom' }] }), 'inline');
    const body = await json(await post(harness({ rules })));
    expect(body.result.summary).toEqual({ action: 'fail', details: [{ code: 'X1', message: 'custom' }] });
  });
});

describe('POST /v1/checkLiveness: request errors (400)', () => {
  const parseError = (reason: string, transactionId: string | null = 'txn-1') => ({
    statusCode: 400,
    status: 'failure',
    result: { error: 'Error while parsing request body', reason },
    metadata: transactionId === null ? {} : { transactionId },
  });

  it.each([...QUALITY_CHECKS.map((c) => `qualityChecks.${c}`), 'ageRange', 'checkGender', 'returnCroppedImageURL', 'preferences.returnScore'].map((f) => [f]))(
    '%s other than yes/no → 400 naming the field',
    async (field) => {
      const h = harness();
      const res = await post(h, { [field]: 'YES' });
      expect(res.status).toBe(400);
      expect(await withoutRequestId(res)).toEqual(parseError(`form field "${field}" must be "yes" or "no", got "YES"`));
      expect(h.pipeline).not.toHaveBeenCalled();
    },
  );

  it('missing transactionId header → 400, metadata without transactionId', async () => {
    const res = await post(harness(), {}, unlimited);
    expect(res.status).toBe(400);
    expect(await withoutRequestId(res)).toEqual(parseError('the transactionId header is mandatory', null));
  });

  it('missing image, image as text, empty image, a field sent twice, an unknown check, not multipart → 400', async () => {
    const h = harness();
    const cases: [Promise<Response>, string][] = [
      [post(h, {}, undefined, null), 'form field "image" (a JPG, JPEG or PNG file) is mandatory'],
      [post(h, { image: 'not a file' }, undefined, null), 'form field "image" must be a file upload, not text'],
      [post(h, {}, undefined, new Blob([])), 'form field "image" is empty'],
      [post(h, { 'qualityChecks.blurr': 'yes' }), expect.stringMatching(/^unknown quality check "qualityChecks.blurr"; known: qualityChecks.blur, /) as unknown as string],
      [
        Promise.resolve(h.app.request('/v1/checkLiveness', { method: 'POST', headers: { ...unlimited, transactionId: 'txn-1', 'content-type': 'application/json' }, body: '{}' })),
        'send the request as multipart/form-data',
      ],
    ];
    for (const [response, reason] of cases) {
      const res = await response;
      expect(res.status).toBe(400);
      expect(await withoutRequestId(res)).toEqual(parseError(reason));
    }
    const twice = new FormData();
    twice.append('image', new Blob([IMAGE]), 'a.jpg');
    twice.append('ageRange', 'yes');
    twice.append('ageRange', 'no');
    const res = await h.app.request('/v1/checkLiveness', { method: 'POST', headers: { ...unlimited, transactionId: 'txn-1' }, body: twice });
    expect(await withoutRequestId(res)).toEqual(parseError('form field "ageRange" was sent 2 times; send it once'));
    expect(h.pipeline).not.toHaveBeenCalled();
  });

  it('a malformed multipart body → 400', async () => {
    const res = await harness().app.request('/v1/checkLiveness', {
      method: 'POST',
      headers: { ...unlimited, transactionId: 'txn-1', 'content-type': 'multipart/form-data; boundary=xyz' },
      body: 'garbage without boundaries',
    });
    expect(res.status).toBe(400);
    const body = await withoutRequestId(res);
    expect(body.result.error).toBe('Error while parsing request body');
    expect(body.result.reason).toMatch(/^malformed multipart body/);
  });
});

describe('POST /v1/checkLiveness: pipeline errors map to HyperVerge bodies', () => {
  const failing = (error: unknown) => harness({ pipeline: async () => Promise.reject(error) });

  it('UNSUPPORTED_FILE_TYPE → 400 "Unsupported file type", summary fail 111 "Bad Request. Please refer the documentation"', async () => {
    const res = await post(failing(new AppError('UNSUPPORTED_FILE_TYPE', 'image bytes are not JPEG or PNG')));
    expect(res.status).toBe(400);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 400,
      status: 'failure',
      result: {
        error: 'Unsupported file type',
        summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] },
        reason: 'image bytes are not JPEG or PNG',
      },
      metadata: { transactionId: 'txn-1' },
    });
  });

  it('NO_FACE_DETECTED → 422 "No face detected", summary fail 121 "Face Not detected in selfie image"', async () => {
    const res = await post(failing(new AppError('NO_FACE_DETECTED', 'No face detected')));
    expect(res.status).toBe(422);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 422,
      status: 'failure',
      result: { error: 'No face detected', summary: { action: 'fail', details: [{ code: '121', message: 'Face Not detected in selfie image' }] } },
      metadata: { transactionId: 'txn-1' },
    });
  });

  it('IMAGE_TOO_LARGE (pixel limit) → 413 "Content Too Large" with the reason', async () => {
    const res = await post(failing(new AppError('IMAGE_TOO_LARGE', 'image is 20000×20000 px; the limit is 40 megapixels')));
    expect(res.status).toBe(413);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 413,
      status: 'failure',
      result: { error: 'Content Too Large', reason: 'image is 20000×20000 px; the limit is 40 megapixels' },
      metadata: { transactionId: 'txn-1' },
    });
  });

  it.each([
    ['an unknown Error', new Error('secret internal detail /var/lib/x')],
    ['a thrown string', 'boom'],
    ['an internal AppError', new AppError('INFERENCE_FAILED', 'ORT says: secret detail')],
  ])('%s → 500 "Internal Server Error", summary manualReview 110, details only in the log', async (_name, error) => {
    const res = await post(failing(error));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/secret|boom/);
    expect(await withoutRequestId(new Response(text))).toEqual({
      statusCode: 500,
      status: 'failure',
      result: { error: 'Internal Server Error', summary: { action: 'manualReview', details: [{ code: '110', message: 'Server Error. Please contact support' }] } },
      metadata: { transactionId: 'txn-1' },
    });
    // The details: one error line with the error, and the request's access line with its status and code.
    const errorLine = log.lines().find((l) => l.level === 'error' && l.msg !== 'request')!;
    expect(JSON.stringify(errorLine.err)).toMatch(/secret|boom/);
    expect(log.lines().filter((l) => l.msg === 'request')).toMatchObject([{ level: 'error', status: 500, route: '/v1/checkLiveness', errorCode: expect.any(String) }]);
  });
});

describe('credentials, rate limit, busy, body limit, unknown routes', () => {
  it('missing or wrong credentials → 401 before any work; metadata holds the requestId only, as the document shows it', async () => {
    const h = harness();
    const cases: Record<string, string>[] = [
      { transactionId: 't' },
      { appId: 'unlimited', transactionId: 't' },
      { appId: 'unlimited', appKey: 'wrong', transactionId: 't' },
      { appId: 'nobody', appKey: 'unlimited-key', transactionId: 't' },
    ];
    for (const headers of cases) {
      const res = await post(h, {}, headers);
      expect(res.status).toBe(401);
      expect(await withoutRequestId(res)).toEqual({
        statusCode: 401,
        status: 'failure',
        result: { error: 'Missing/Invalid credentials', reason: 'send the appId and appKey headers of a configured app' },
        metadata: {},
      });
    }
    expect(h.pipeline).not.toHaveBeenCalled();
  });

  it('an app not allowed the API → 403', async () => {
    const res = await post(harness(), {}, { appId: 'suspended', appKey: 'suspended-key', transactionId: 't' });
    expect(res.status).toBe(403);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 403,
      status: 'failure',
      result: { error: 'Unauthorized Access to API', reason: 'app "suspended" may not call checkLiveness' },
      metadata: { transactionId: 't' },
    });
  });

  it('over rateLimitPerMinute → 429 with Retry-After; the next minute is allowed again', async () => {
    const h = harness();
    const acme = { appId: 'acme', appKey: 'acme-secret-key', transactionId: 't' };
    for (let i = 0; i < 3; i++) expect((await post(h, {}, acme)).status).toBe(200);
    const res = await post(h, {}, acme);
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('30');
    // The document's 429 body has no metadata.
    expect(await json(res)).toEqual({
      statusCode: 429,
      status: 'failure',
      result: { error: 'Rate limit error', reason: 'app "acme" is over its limit of 3 requests per minute; retry in 30 s' },
    });
    // Other apps have their own budget.
    expect((await post(h)).status).toBe(200);
    h.clock.ms += 30_000;
    expect((await post(h, {}, acme)).status).toBe(200);
    expect(h.pipeline).toHaveBeenCalledTimes(5);
  });

  it('all slots busy and the queue full → 503 at once; queued requests run when a slot frees', async () => {
    const releases: (() => void)[] = [];
    const h = harness({
      concurrency: 1,
      queueSize: 1,
      pipeline: (_image, o) => new Promise((resolve) => releases.push(() => resolve(outcomeFor(o)))),
    });
    const first = post(h);
    await vi.waitFor(() => expect(releases).toHaveLength(1));
    const queued = post(h);
    // Give the queued request time to reach the limiter (it must not start the pipeline).
    await new Promise((r) => setTimeout(r, 20));
    expect(releases).toHaveLength(1);
    const refused = await post(h);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('1');
    expect(await withoutRequestId(refused)).toEqual({
      statusCode: 503,
      status: 'failure',
      result: { error: 'SERVER BUSY - retry after sometime' },
      metadata: { transactionId: 'txn-1' },
    });
    releases[0]!();
    expect((await first).status).toBe(200);
    await vi.waitFor(() => expect(releases).toHaveLength(2));
    releases[1]!();
    expect((await queued).status).toBe(200);
    expect(h.pipeline).toHaveBeenCalledTimes(2);
  });

  it('a body over BODY_LIMIT_BYTES → 413 before parsing (Content-Length and streamed)', async () => {
    const h = harness({ bodyLimitBytes: 2048 });
    const big = new Blob([new Uint8Array(4096)]);
    const res = await post(h, {}, undefined, big);
    expect(res.status).toBe(413);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 413,
      status: 'failure',
      result: { error: 'Content Too Large', reason: 'request body is over the limit of 2048 bytes (BODY_LIMIT_BYTES)' },
      metadata: { transactionId: 'txn-1' },
    });
    const declared = await h.app.request('/v1/checkLiveness', {
      method: 'POST',
      headers: { ...unlimited, transactionId: 'txn-1', 'content-type': 'multipart/form-data; boundary=x', 'content-length': '999999' },
      body: 'x',
    });
    expect(declared.status).toBe(413);
    expect(h.pipeline).not.toHaveBeenCalled();
    // Just under the limit still works.
    expect((await post(h)).status).toBe(200);
  });

  it('unknown /v1 routes → 404 "Not Found" in the HyperVerge envelope; others keep the service format', async () => {
    const h = harness();
    const res = await h.app.request('/v1/checkFaceMatch', { method: 'POST', headers: { transactionId: 'abc' } });
    expect(res.status).toBe(404);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 404,
      status: 'failure',
      result: { error: 'Not Found', reason: 'no route for POST /v1/checkFaceMatch' },
      // The document's 404 body holds the requestId only.
      metadata: {},
    });
    const get = await h.app.request('/v1/checkLiveness');
    expect(get.status).toBe(404);
    expect((await h.app.request('/nope')).status).toBe(404);
    expect(await (await h.app.request('/nope')).json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
  });
});

describe('croppedImageUrl: signed, expiring links', () => {
  async function cropUrl(h: Harness): Promise<URL> {
    const body = await json(await post(h, { returnCroppedImageURL: 'yes' }));
    expect(h.pipeline.mock.calls.at(-1)![1].croppedImage).toBe(true);
    return new URL(body.result.croppedImageUrl as string);
  }

  it('returns an absolute link (origin from the request) that serves the crop', async () => {
    const h = harness();
    const url = await cropUrl(h);
    expect(url.origin).toBe('http://localhost');
    expect(url.pathname).toMatch(/^\/v1\/croppedImage\/[0-9a-f-]{36}$/);
    expect(Number(url.searchParams.get('expires'))).toBe(Math.floor(h.clock.ms / 1000) + 60);
    expect(url.searchParams.get('signature')).toMatch(/^[0-9a-f]{64}$/);
    const res = await h.app.request(url.pathname + url.search);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(CROP);
  });

  it('uses PUBLIC_BASE_URL when set', async () => {
    const url = await cropUrl(harness({ publicBaseUrl: 'https://kyc.example.com/liveness' }));
    expect(url.href).toMatch(/^https:\/\/kyc\.example\.com\/liveness\/v1\/croppedImage\//);
  });

  it('returnCroppedImageURL=no → no link even if the pipeline made a crop', async () => {
    const h = harness({ pipeline: async (_i, o) => outcomeFor(o, { croppedFace: CROP }) });
    expect((await json(await post(h))).result.croppedImageUrl).toBeUndefined();
  });

  it('tampered signature, tampered id, tampered expiry, missing parameters → 403', async () => {
    const h = harness();
    const url = await cropUrl(h);
    const signature = url.searchParams.get('signature')!;
    const expires = url.searchParams.get('expires')!;
    const id = url.pathname.split('/').at(-1)!;
    const flipped = flipHexDigit(signature, 0);
    const attempts = [
      `/v1/croppedImage/${id}?expires=${expires}&signature=${flipped}`,
      `/v1/croppedImage/${id}?expires=${Number(expires) + 3600}&signature=${signature}`,
      `/v1/croppedImage/${flipHexDigit(id)}?expires=${expires}&signature=${signature}`,
      `/v1/croppedImage/${id}?expires=${expires}`,
      `/v1/croppedImage/${id}`,
    ];
    for (const attempt of attempts) {
      const res = await h.app.request(attempt);
      expect(res.status).toBe(403);
      expect(await withoutRequestId(res)).toEqual({
        statusCode: 403,
        status: 'failure',
        result: { error: 'Unauthorized Access to API', reason: 'the link signature is not valid' },
        metadata: {},
      });
    }
  });

  it('an expired link → 403 even with a valid signature', async () => {
    const h = harness();
    const url = await cropUrl(h);
    h.clock.ms += 61_000;
    const res = await h.app.request(url.pathname + url.search);
    expect(res.status).toBe(403);
    expect((await json(res)).result.reason).toBe('the link has expired');
  });

  it('a validly signed link to an unknown id → 404', async () => {
    const h = harness();
    const unknownId = '00000000-0000-4000-8000-000000000000';
    // Sign with the same signer the app uses, as a link from before a cleanup would be.
    const url = new URL(await cropUrl(h));
    const signer = new UrlSigner('test-signing-secret-of-at-least-32-chars', 60, () => Math.floor(h.clock.ms / 1000));
    const { expires, signature } = signer.sign(`croppedImage/${unknownId}`);
    const res = await h.app.request(`/v1/croppedImage/${unknownId}?expires=${expires}&signature=${signature}`);
    expect(url.pathname).not.toContain(unknownId);
    expect(res.status).toBe(404);
    expect(await withoutRequestId(res)).toEqual({
      statusCode: 404,
      status: 'failure',
      result: { error: 'Not Found', reason: 'no image under this id (expired images are deleted)' },
      metadata: {},
    });
  });
});

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document covering every form field and every status the route answers', async () => {
    const res = await harness().app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('9.9.9');
    const op = doc.paths['/v1/checkLiveness'].post;
    const fields = Object.keys(op.requestBody.content['multipart/form-data'].schema.properties);
    expect(fields).toEqual(expect.arrayContaining(['image', 'returnCroppedImageURL', 'ageRange', 'checkGender', ...QUALITY_CHECKS.map((c) => `qualityChecks.${c}`)]));
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '413', '422', '429', '500', '503']);
    expect(Object.keys(op.responses['200'].content['application/json'].schema.properties.result.properties.details.properties.qualityChecks.properties)).toContain('faceOccluded');
    expect(doc.paths['/v1/croppedImage/{id}'].get.responses['403']).toBeDefined();
    // liveFace: HyperVerge's value/confidence plus the documented extensions, and nothing the service sends is undocumented.
    const liveFace = op.responses['200'].content['application/json'].schema.properties.result.properties.details.properties.liveFace;
    expect(Object.keys(liveFace.properties).sort()).toEqual(['attackType', 'confidence', 'limitations', 'score', 'signals', 'value']);
    const notLive = harness({ pipeline: async (_i, o) => outcomeFor(o, { liveFace: { ...live, value: false, score: 0.1, attackType: 'screen', limitations: ['tightFaceCrop'] } }) });
    const sent = (await json(await post(notLive))).result.details.liveFace;
    for (const key of Object.keys(sent)) expect(liveFace.properties, key).toHaveProperty(key);
    for (const key of Object.keys(sent.signals)) expect(liveFace.properties.signals.properties, key).toHaveProperty(key);
    // Each quality check: HyperVerge's verdict plus the basis extension, described per check.
    const qualityChecks = op.responses['200'].content['application/json'].schema.properties.result.properties.details.properties.qualityChecks.properties;
    for (const check of QUALITY_CHECKS) {
      const schema = qualityChecks[RESPONSE_KEY[check]];
      expect(Object.keys(schema.properties).sort(), check).toEqual(['basis', 'confidence', 'score', 'value']);
      expect(schema.required, check).not.toContain('basis');
      expect(schema.properties.basis.description, check).toMatch(/method |not reported yet/);
    }
  });
});

describe('the committed default rules file', () => {
  it('loads and gives HyperVerge-style outcomes', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), 'r.json');
    writeFileSync(file, JSON.stringify(defaultRules));
    expect(new RulesFile(file).current()).toEqual(defaultRules);
    expect(defaultRules.rules.length).toBeGreaterThan(QUALITY_CHECKS.length);
  });
});
