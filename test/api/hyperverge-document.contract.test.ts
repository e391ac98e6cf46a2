/**
 * Every example body of HyperVerge's Selfie Validation API page (../shared/seeds/hyperverge-check-liveness.txt),
 * read out of the document at test time, against the service's real answer through app.request(), key by key:
 * the success body ("Success Response"), the summary objects ("The Summary Object") and every error body ("Error
 * Responses"), for checkLiveness and, in the same envelope, matchFace. Keys beyond the document's are allowed only
 * where they are this service's documented extensions (README "checkLiveness API", "matchFace API").
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { decodeImage, JPEG_PNG_WEBP } from '../../src/imaging/decode.js';
import { parseRules, type DecisionRules } from '../../src/pipeline/decision.js';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import { QUALITY_CHECKS, type CheckLiveness, type LivenessOutcome } from '../../src/pipeline/types.js';
import { UUID } from '../helpers/envelope.js';
import { differences, readHyperVergeExamples, type CompareOptions, type DocumentExample, type JsonObject } from '../helpers/hyperverge-document.js';
import { apiDeps, DEFAULT_RULES, postForm, testApp, testApps, testClock, testCropStore, testSigner, type TestApp } from '../helpers/contract.js';

const examples = readHyperVergeExamples();
const TRANSACTION_ID = 'doc-txn-1';
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const defaultRules: DecisionRules = DEFAULT_RULES;

const apps = testApps([
  { appId: 'acme', appKey: 'acme-key', allowedApis: ['*'] },
  { appId: 'limited', appKey: 'limited-key', allowedApis: ['*'], rateLimitPerMinute: 1 },
  { appId: 'suspended', appKey: 'suspended-key', allowedApis: [] },
]);
const acme = { appId: 'acme', appKey: 'acme-key', transactionId: TRANSACTION_ID };

/**
 * The pipeline's answer that the document's success example shows: live, 19–25, Female, every check "no", all high;
 * each check but hat with the basis the real checks report (README "checkLiveness API"), so the extension is compared too.
 */
function documentOutcome(): LivenessOutcome {
  const no = { value: false, score: 0.02, confidence: 'high' as const };
  const basis = { method: 'documentExample', measurements: { measured: 0.1234 } };
  return {
    liveFace: { value: true, score: 0.98, confidence: 'high', signals: { humanLiveness: 0.97, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 }, limitations: [] },
    qualityChecks: Object.fromEntries(QUALITY_CHECKS.map((c) => [c, c === 'hat' ? no : { ...no, basis }])),
    ageRange: { low: 19, high: 25, estimate: 22, confidence: 'high' },
    gender: { value: 'Female', score: 0.95, confidence: 'high' },
    croppedFace: JPEG,
  };
}

interface HarnessOptions {
  checkLiveness?: CheckLiveness;
  matchFace?: MatchFace;
  concurrency?: number;
  rules?: DecisionRules;
}

function harness(options: HarnessOptions = {}) {
  const clock = testClock(Date.UTC(2025, 0, 1, 12, 0, 30));
  const shared = apiDeps({ apps, clock, concurrency: options.concurrency, rules: options.rules });
  return testApp({
    liveness: { ...shared, checkLiveness: options.checkLiveness ?? (async () => documentOutcome()), croppedImages: testCropStore(clock), signer: testSigner(clock) },
    matchFace: { ...shared, matchFace: options.matchFace ?? (async () => ({ match: { value: true, score: 90, confidence: 'high' }, distance: 0.4 })) },
  });
}
type App = TestApp;
type Api = 'checkLiveness' | 'matchFace';

function post(app: App, api: Api, headers: Record<string, string> = acme, image: Uint8Array<ArrayBuffer> = JPEG, fields: Record<string, string> = {}): Promise<Response> {
  const files = api === 'checkLiveness' ? { image: [new Blob([image]), 'selfie.jpg'] as const } : { selfie: new Blob([image]), id: new Blob([image]) };
  return postForm(app, `/v1/${api}`, { ...files, ...fields }, headers);
}

let gif: Uint8Array<ArrayBuffer>;
beforeAll(async () => {
  gif = new Uint8Array(await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).gif().toBuffer());
});

/** The real decoder's refusal, as each use case raises it (matchFace names the image: src/pipeline/match-face.ts). */
async function decodeRefusal(api: Api, bytes: Uint8Array): Promise<never> {
  if (api === 'checkLiveness') await decodeImage(bytes, { maxPixels: 40_000_000 });
  try {
    await decodeImage(bytes, { maxPixels: 40_000_000, formats: JPEG_PNG_WEBP });
  } catch (error) {
    if (error instanceof AppError) throw new AppError(error.code, `form field "selfie": ${error.message}`, { cause: error, subject: 'selfie', ...(error.acceptedFormats ? { acceptedFormats: error.acceptedFormats } : {}) });
    throw error;
  }
  throw new Error(`the decoder took ${bytes.length} bytes of GIF`);
}

/**
 * One request per documented error, keyed `"<statusCode> <result.error>"` as the document prints them: each answers
 * the example it is named after, by the same path a real client would take (nothing is short-circuited but the models).
 */
const scenarios: Record<string, (api: Api) => Promise<Response>> = {
  '400 Error while parsing request body': (api) =>
    Promise.resolve(harness().request(`/v1/${api}`, { method: 'POST', headers: { ...acme, 'content-type': 'application/json' }, body: '{}' })),
  '400 Unsupported file type': (api) => {
    const refuse = () => decodeRefusal(api, gif);
    return post(harness({ checkLiveness: refuse, matchFace: refuse }), api, acme, gif);
  },
  '401 Missing/Invalid credentials': (api) => post(harness(), api, { appId: 'acme', appKey: 'wrong', transactionId: TRANSACTION_ID }),
  '403 Unauthorized Access to API': (api) => post(harness(), api, { appId: 'suspended', appKey: 'suspended-key', transactionId: TRANSACTION_ID }),
  '404 Not Found': (api) => Promise.resolve(harness().request(`/v1/${api}Typo`, { method: 'POST', headers: acme })),
  '422 No face detected': (api) => {
    const noFace = async (): Promise<never> => {
      throw api === 'checkLiveness'
        ? new AppError('NO_FACE_DETECTED', 'no face detected in the image')
        : new AppError('NO_FACE_DETECTED', 'no face detected in the "selfie" image', { subject: 'selfie' });
    };
    return post(harness({ checkLiveness: noFace, matchFace: noFace }), api);
  },
  '429 Rate limit error': async (api) => {
    const app = harness();
    const limited = { appId: 'limited', appKey: 'limited-key', transactionId: TRANSACTION_ID };
    expect((await post(app, api, limited)).status).toBe(200);
    return post(app, api, limited);
  },
  '500 Internal Server Error': (api) => {
    const crash = async (): Promise<never> => {
      throw new Error('model run failed: internal detail');
    };
    return post(harness({ checkLiveness: crash, matchFace: crash }), api);
  },
  '503 SERVER BUSY - retry after sometime': async (api) => {
    let release = () => {};
    const hold = () => new Promise<never>((_resolve, reject) => (release = () => reject(new Error('released'))));
    const app = harness({ concurrency: 1, checkLiveness: hold, matchFace: hold });
    const first = post(app, api);
    await new Promise((r) => setTimeout(r, 20));
    const refused = await post(app, api);
    release();
    await first;
    return refused;
  },
};

/** The service's documented extensions: `reason` says what to fix (4xx), beside HyperVerge's fixed `error`. */
const ERROR_EXTENSIONS = [/^result\.reason$/];
/**
 * checkLiveness success extensions (README "checkLiveness API"): scores, the evidence behind liveFace, how each quality
 * check decided, the age estimate.
 */
const SUCCESS_EXTENSIONS = [
  /^result\.details\.liveFace\.(score|signals|limitations)$/,
  /^result\.details\.qualityChecks\.[A-Za-z]+\.(score|basis)$/,
  /^result\.details\.ageRange\.estimate$/,
  /^result\.details\.gender\.score$/,
];

const compare = (extensions: readonly RegExp[]): CompareOptions => ({
  extensions,
  placeholders: {
    '<Request_ID>': (v) => typeof v === 'string' && UUID.test(v),
    '<Transaction_ID>': (v) => v === TRANSACTION_ID,
    '<signed_URL_of_the_cropped_face_image>': (v) => typeof v === 'string' && new URL(v).searchParams.has('signature'),
  },
});

const keyOf = (example: DocumentExample) => `${String(example.body.statusCode)} ${String((example.body.result as JsonObject | undefined)?.error)}`;


describe('the HyperVerge document, as read', () => {
  it('has one success body, three summary objects and one error body per row of its error table', () => {
    expect(examples.summaries.map((s) => (s.body.summary as JsonObject).action)).toEqual(['pass', 'fail', 'manualReview']);
    expect(examples.errorTable.length).toBeGreaterThanOrEqual(9);
    expect(examples.errors.map((e) => [e.body.statusCode, (e.body.result as JsonObject).error])).toEqual(examples.errorTable);
  });

  it('the key-by-key comparison catches a moved key, an extra key, another message, another type and a bad placeholder', () => {
    const documented = examples.errors.find((e) => keyOf(e) === '400 Unsupported file type')!.body;
    const metadata = { transactionId: TRANSACTION_ID, requestId: '00000000-0000-4000-8000-000000000000' };
    const good = { statusCode: 400, status: 'failure', result: { error: 'Unsupported file type', summary: { action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] } }, metadata };
    const options = compare(ERROR_EXTENSIONS);
    expect(differences(documented, good, options)).toEqual([]);
    expect(differences(documented, { ...good, result: { ...good.result, reason: 'gif' } }, options)).toEqual([]);
    const { error, ...withoutError } = good.result;
    expect(differences(documented, { ...good, result: withoutError, error }, options)).toEqual(['result.error: missing (the document has "Unsupported file type")', 'error: not in the document ("Unsupported file type")']);
    expect(differences(documented, { ...good, statusCode: '400' }, options)).toEqual(['statusCode: expected number 400, got string "400"']);
    expect(differences(documented, { ...good, result: { ...good.result, summary: { action: 'fail', details: [{ code: '111', message: 'Unsupported file type' }] } } }, options)).toHaveLength(1);
    expect(differences(documented, { ...good, metadata: { ...metadata, requestId: 'r-1' } }, options)).toEqual(['metadata.requestId: expected a value for <Request_ID>, got "r-1"']);
    expect(differences(documented, { ...good, metadata: { requestId: metadata.requestId } }, options)).toEqual(['metadata.transactionId: missing (the document has "<Transaction_ID>")']);
  });

  it('has a request here for every error it documents', () => {
    expect(Object.keys(scenarios).sort()).toEqual(examples.errors.map(keyOf).sort());
  });
});

describe('POST /v1/checkLiveness answers the document\'s success and summary examples key by key', () => {
  it(`success (document line ${examples.success.line})`, async () => {
    const fields = Object.fromEntries([...QUALITY_CHECKS.map((c) => `qualityChecks.${c}`), 'ageRange', 'checkGender', 'returnCroppedImageURL'].map((f) => [f, 'yes']));
    const res = await post(harness(), 'checkLiveness', acme, JPEG, fields);
    expect(res.status).toBe(examples.success.body.statusCode);
    const body = (await res.json()) as { result: { details: { qualityChecks: Record<string, object> } } };
    expect(differences(examples.success.body, body, compare(SUCCESS_EXTENSIONS))).toEqual([]);
    // The basis extension was in the answer compared (every check but hat), and is allowed only where it is documented.
    expect(body.result.details.qualityChecks.blur).toHaveProperty('basis');
    expect(differences(examples.success.body, body, compare(SUCCESS_EXTENSIONS.filter((e) => !e.source.includes('basis'))))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^result\.details\.qualityChecks\.blur\.basis: not in the document/)]),
    );
  });

  it.each(examples.summaries.map((s) => [`${(s.body.summary as JsonObject).action} (document line ${s.line})`, s]))('summary %s', async (_name, example) => {
    const documented = example.body.summary as { action: string; details: { code: string; message: string }[] };
    // The summary's codes and messages come from the decision rules (configurable, as the document says): rules that
    // fire on this answer with the example's own action, code and message must give back exactly its summary object.
    const rules = documented.details.length
      ? parseRules(JSON.stringify({ rules: documented.details.map((d) => ({ when: { result: 'liveFace', value: 'yes' }, action: documented.action, code: d.code, message: d.message })) }), 'document example')
      : defaultRules;
    const body = (await (await post(harness({ rules }), 'checkLiveness')).json()) as { result: { summary: unknown } };
    expect(differences(example.body, { summary: body.result.summary })).toEqual([]);
  });
});

for (const api of ['checkLiveness', 'matchFace'] as const) {
  describe(`POST /v1/${api} answers every error body of the document key by key`, () => {
    it.each(examples.errors.map((e) => [`${keyOf(e)} (document line ${e.line})`, e]))('%s', async (_name, example) => {
      const scenario = scenarios[keyOf(example)];
      if (!scenario) throw new Error(`no request here produces the document's ${keyOf(example)} (line ${example.line})`);
      const res = await scenario(api);
      expect(res.status).toBe(example.body.statusCode);
      expect(differences(example.body, await res.json(), compare(ERROR_EXTENSIONS))).toEqual([]);
    });
  });
}
