/**
 * Contract tests for POST /v1/matchFace through app.request() (no socket), with a test double of the
 * MatchFace use case: both image fields, every request error, the 422 naming the image without a face,
 * credentials / rate limit / busy reuse, the decision rules' matchFace section, and the OpenAPI entry.
 */
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/errors.js';
import { parseRules, type DecisionRules } from '../../src/pipeline/decision.js';
import { matchVerdict, MATCH_DISTANCE_THRESHOLD, type MatchFace, type MatchOutcome } from '../../src/pipeline/match-face.js';
import { withoutRequestId } from '../helpers/envelope.js';
import { matchFaceDeps, postForm, testApp, testApps, testClock, type TestApp, type TestClock } from '../helpers/contract.js';

const SELFIE = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const ID = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 5, 6, 7]);

const sameHigh: MatchOutcome = { match: { value: true, score: 91.23456, confidence: 'high' }, distance: 0.43 };

const apps = testApps([
  { appId: 'acme', appKey: 'acme-secret-key', allowedApis: ['matchFace'], rateLimitPerMinute: 2 },
  { appId: 'liveness-only', appKey: 'liveness-key', allowedApis: ['checkLiveness'] },
  { appId: 'unlimited', appKey: 'unlimited-key', allowedApis: ['*'] },
]);
const unlimited = { appId: 'unlimited', appKey: 'unlimited-key', transactionId: 'txn-9' };

interface Harness {
  app: TestApp;
  matchFace: ReturnType<typeof vi.fn<MatchFace>>;
  clock: TestClock;
}

function harness(options: { matchFace?: MatchFace; rules?: DecisionRules; concurrency?: number; queueSize?: number; bodyLimitBytes?: number } = {}): Harness {
  const clock = testClock(Date.UTC(2025, 0, 1, 12, 0, 30));
  const matchFace = vi.fn<MatchFace>(options.matchFace ?? (async () => sameHigh));
  return { app: testApp({ matchFace: matchFaceDeps({ ...options, apps, clock, matchFace }) }), matchFace, clock };
}

function post(h: Harness, fields: Record<string, string | Blob | null> = {}, headers: Record<string, string> = unlimited): Promise<Response> {
  return postForm(h.app, '/v1/matchFace', { selfie: new Blob([SELFIE]), id: new Blob([ID]), ...fields }, headers);
}


describe('POST /v1/matchFace: success bodies', () => {
  it('same person → match yes with its score (two decimals) and a pass summary; the use case gets both images', async () => {
    const h = harness();
    const res = await post(h);
    expect(res.status).toBe(200);
    expect(await withoutRequestId(res)).toEqual({
      status: 'success',
      statusCode: 200,
      metadata: { transactionId: 'txn-9' },
      result: { details: { match: { value: 'yes', confidence: 'high', score: 91.23 } }, summary: { action: 'pass', details: [] } },
    });
    expect(h.matchFace).toHaveBeenCalledTimes(1);
    const images = h.matchFace.mock.calls[0]![0];
    expect(Array.from(images.selfie)).toEqual(Array.from(SELFIE));
    expect(Array.from(images.id)).toEqual(Array.from(ID));
  });

  it('different person → fail FACE_MISMATCH; near the threshold → manualReview (default rules)', async () => {
    const mismatch = await post(harness({ matchFace: async () => ({ match: matchVerdict(0.8), distance: 0.8 }) }));
    const body = await withoutRequestId(mismatch);
    expect(body.result.details.match.value).toBe('no');
    expect(body.result.details.match.confidence).toBe('high');
    expect(body.result.details.match.score).toBeLessThan(1);
    expect(body.result.summary).toEqual({ action: 'fail', details: [{ code: 'FACE_MISMATCH', message: 'Selfie and ID photo are of different people' }] });

    const near = MATCH_DISTANCE_THRESHOLD - 0.01;
    const doubtful = await withoutRequestId(await post(harness({ matchFace: async () => ({ match: matchVerdict(near), distance: near }) })));
    expect(doubtful.result.details.match).toMatchObject({ value: 'yes', confidence: 'low' });
    expect(doubtful.result.summary.action).toBe('manualReview');
    expect(doubtful.result.summary.details.map((d: { code: string }) => d.code)).toEqual(['FACE_MATCH_LOW_CONFIDENCE']);
  });

  it('uses the matchFace rules in force at request time', async () => {
    const rules = parseRules(
      JSON.stringify({ rules: [], matchFace: { rules: [{ when: { result: 'match', value: 'yes' }, action: 'manualReview', code: 'ALWAYS_LOOK', message: 'look' }] } }),
      'inline',
    );
    const body = await withoutRequestId(await post(harness({ rules })));
    expect(body.result.summary).toEqual({ action: 'manualReview', details: [{ code: 'ALWAYS_LOOK', message: 'look' }] });
  });
});

describe('POST /v1/matchFace: request errors (400)', () => {
  const badRequest = async (res: Response, reason: string | RegExp) => {
    expect(res.status).toBe(400);
    const body = await withoutRequestId(res);
    expect(body).toMatchObject({ status: 'failure', statusCode: 400, result: { error: 'Error while parsing request body' } });
    if (typeof reason === 'string') expect(body.result.reason).toBe(reason);
    else expect(body.result.reason).toMatch(reason);
    expect(body.result.summary).toBeUndefined();
  };

  it('missing selfie, missing id, text instead of a file, an empty file, a field sent twice → 400 naming the field', async () => {
    const h = harness();
    await badRequest(await post(h, { selfie: null }), /^form field "selfie" \(the selfie; a JPG, JPEG, PNG or WebP file\) is mandatory$/);
    await badRequest(await post(h, { id: null }), /^form field "id" \(the reference: an ID-card photo or another selfie; a JPG, JPEG, PNG or WebP file\) is mandatory$/);
    await badRequest(await post(h, { selfie: null, id: null }), /"selfie".*mandatory/);
    await badRequest(await post(h, { id: 'a text' }), 'form field "id" must be a file upload, not text');
    await badRequest(await post(h, { selfie: new Blob([]) }), 'form field "selfie" is empty');
    const twice = new FormData();
    twice.append('selfie', new Blob([SELFIE]), 'a.jpg');
    twice.append('id', new Blob([ID]), 'b.jpg');
    twice.append('id', new Blob([ID]), 'c.jpg');
    await badRequest(await h.app.request('/v1/matchFace', { method: 'POST', headers: unlimited, body: twice }), 'form field "id" was sent 2 times; send it once');
    expect(h.matchFace).not.toHaveBeenCalled();
  });

  it('missing transactionId, not multipart → 400', async () => {
    const h = harness();
    await badRequest(await post(h, {}, { appId: 'unlimited', appKey: 'unlimited-key' }), 'the transactionId header is mandatory');
    await badRequest(
      await h.app.request('/v1/matchFace', { method: 'POST', headers: { ...unlimited, 'content-type': 'application/json' }, body: '{}' }),
      'send the request as multipart/form-data',
    );
    expect(h.matchFace).not.toHaveBeenCalled();
  });
});

describe('POST /v1/matchFace: use-case errors name the image', () => {
  for (const name of ['selfie', 'id'] as const) {
    it(`UNSUPPORTED_FILE_TYPE in ${name} → 400 "Unsupported file type", summary fail 111 in the document's words, reason naming "${name}" and the types`, async () => {
      const message = `form field "${name}": unsupported image type gif: expected JPEG, PNG or WebP`;
      const error = new AppError('UNSUPPORTED_FILE_TYPE', message, { subject: name, acceptedFormats: ['jpeg', 'png', 'webp'] });
      const res = await post(harness({ matchFace: async () => Promise.reject(error) }));
      expect(res.status).toBe(400);
      expect(await withoutRequestId(res)).toEqual({
        statusCode: 400,
        status: 'failure',
        result: {
          error: 'Unsupported file type',
          summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] },
          reason: message,
        },
        metadata: { transactionId: 'txn-9' },
      });
    });

    it(`NO_FACE_DETECTED in ${name} → 422 "No face detected", summary fail 121 naming the ${name} image`, async () => {
      const message = `no face detected in the "${name}" image`;
      const res = await post(harness({ matchFace: async () => Promise.reject(new AppError('NO_FACE_DETECTED', message, { subject: name })) }));
      expect(res.status).toBe(422);
      expect(await withoutRequestId(res)).toEqual({
        statusCode: 422,
        status: 'failure',
        result: {
          error: 'No face detected',
          summary: { action: 'fail', details: [{ code: '121', message: `Face Not detected in ${name} image` }] },
          reason: message,
        },
        metadata: { transactionId: 'txn-9' },
      });
    });
  }

  it('IMAGE_TOO_LARGE → 413 with the reason; an unexpected throw → 500 with no details', async () => {
    const tooLarge = await post(harness({ matchFace: async () => Promise.reject(new AppError('IMAGE_TOO_LARGE', 'form field "id": image is 9000×9000', { subject: 'id' })) }));
    expect(tooLarge.status).toBe(413);
    expect((await withoutRequestId(tooLarge)).result.reason).toBe('form field "id": image is 9000×9000');
    const crash = await post(harness({ matchFace: async () => Promise.reject(new Error('secret internals')) }));
    expect(crash.status).toBe(500);
    const body = await withoutRequestId(crash);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(body.result).toEqual({ error: 'Internal Server Error', summary: { action: 'manualReview', details: [{ code: '110', message: 'Server Error. Please contact support' }] } });
  });
});

describe('POST /v1/matchFace: credentials, rate limit, busy, body limit', () => {
  it('missing or wrong credentials → 401 (metadata: requestId only, as the document shows); an app allowed only checkLiveness → 403 naming matchFace', async () => {
    const h = harness();
    const cases: Record<string, string>[] = [{ transactionId: 't' }, { appId: 'unlimited', appKey: 'wrong', transactionId: 't' }];
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
    const forbidden = await post(h, {}, { appId: 'liveness-only', appKey: 'liveness-key', transactionId: 't' });
    expect(forbidden.status).toBe(403);
    expect(await withoutRequestId(forbidden)).toEqual({
      statusCode: 403,
      status: 'failure',
      result: { error: 'Unauthorized Access to API', reason: 'app "liveness-only" may not call matchFace' },
      metadata: { transactionId: 't' },
    });
    expect(h.matchFace).not.toHaveBeenCalled();
  });

  it('over rateLimitPerMinute → 429 with Retry-After', async () => {
    const h = harness();
    const acme = { appId: 'acme', appKey: 'acme-secret-key', transactionId: 't' };
    for (let i = 0; i < 2; i++) expect((await post(h, {}, acme)).status).toBe(200);
    const res = await post(h, {}, acme);
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('30');
    // The document's 429 body has no metadata.
    expect(await res.json()).toEqual({
      statusCode: 429,
      status: 'failure',
      result: { error: 'Rate limit error', reason: 'app "acme" is over its limit of 2 requests per minute; retry in 30 s' },
    });
    expect(h.matchFace).toHaveBeenCalledTimes(2);
  });

  it('all slots busy and no queue → 503 with Retry-After', async () => {
    let release: () => void = () => {};
    const h = harness({ concurrency: 1, queueSize: 0, matchFace: () => new Promise((resolve) => (release = () => resolve(sameHigh))) });
    const first = post(h);
    await vi.waitFor(() => expect(h.matchFace).toHaveBeenCalledTimes(1));
    const refused = await post(h);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('1');
    expect(await withoutRequestId(refused)).toEqual({ statusCode: 503, status: 'failure', result: { error: 'SERVER BUSY - retry after sometime' }, metadata: { transactionId: 'txn-9' } });
    release();
    expect((await first).status).toBe(200);
  });

  it('a body over BODY_LIMIT_BYTES (both images together) → 413 before parsing', async () => {
    const h = harness({ bodyLimitBytes: 2048 });
    const res = await post(h, { id: new Blob([new Uint8Array(4096)]) });
    expect(res.status).toBe(413);
    expect(await withoutRequestId(res)).toMatchObject({ result: { error: 'Content Too Large', reason: 'request body is over the limit of 2048 bytes (BODY_LIMIT_BYTES)' } });
    expect(h.matchFace).not.toHaveBeenCalled();
  });
});

describe('GET /openapi.json: matchFace', () => {
  it('documents both fields, the match object and every status the route answers', async () => {
    const doc = (await (await harness().app.request('/openapi.json')).json()) as Record<string, any>;
    const op = doc.paths['/v1/matchFace'].post;
    expect(op.requestBody.content['multipart/form-data'].schema.required).toEqual(['selfie', 'id']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '413', '422', '429', '500', '503']);
    const match = op.responses['200'].content['application/json'].schema.properties.result.properties.details.properties.match;
    expect(match.required).toEqual(['value', 'confidence', 'score']);
    expect(match.properties.score).toMatchObject({ minimum: 0, maximum: 100 });
  });
});
