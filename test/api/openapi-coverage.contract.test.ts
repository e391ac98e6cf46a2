/**
 * GET /openapi.json against the app that serves it (issue #19, item 3):
 * - the document is valid OpenAPI 3.1 (@readme/openapi-parser: the OpenAPI Initiative's JSON schema plus the rules
 *   it does not cover: path parameters declared, operationIds unique);
 * - it documents every route Hono registered, and nothing that is not registered (hono/dev inspectRoutes over the
 *   app with every optional API present); a fixture app with one route more shows the check fails;
 * - the answers the routes really send fit the documented response schemas (Ajv, JSON Schema 2020-12, the dialect
 *   of OpenAPI 3.1 schemas), for the ADVANCE.AI and Tencent facades, the capture page, health and its probes;
 * - the facades' documented codes and fields cover the vendors' own pages (../shared/seeds).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Hono } from 'hono';
import { inspectRoutes } from 'hono/dev';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { openApiDocument } from '../../src/http/openapi.js';
import type { ModelRegistry } from '../../src/inference/registry.js';
import { QUALITY_CHECKS, type LivenessOutcome } from '../../src/pipeline/types.js';
import { blurVerdict } from '../../src/quality/blur.js';
import { brightVerdict } from '../../src/quality/bright.js';
import { dullVerdict } from '../../src/quality/dull.js';
import type { EyeRegionMeasurement } from '../../src/quality/eye-region.js';
import { eyesClosedVerdict } from '../../src/quality/eyes-closed.js';
import { eyewearVerdict } from '../../src/quality/eyewear.js';
import { headTurnedVerdict } from '../../src/quality/head-turned.js';
import { faceTooSmallVerdict, lowQualityVerdict } from '../../src/quality/low-quality.js';
import { multipleFacesVerdict } from '../../src/quality/multiple-faces.js';
import { nonWhiteBackgroundVerdict } from '../../src/quality/non-white-background.js';
import { nudityVerdict } from '../../src/quality/nudity.js';
import { occlusionFromLowerFace } from '../../src/quality/occlusion.js';
import { readingGlassesVerdict } from '../../src/quality/reading-glasses.js';
import { sunglassesVerdict } from '../../src/quality/sunglasses.js';
import { everyRouteDeps } from '../helpers/every-route-app.js';

type OpenApiDocument = { openapi: string; tags: { name: string }[]; paths: Record<string, Record<string, Operation>> };
type Operation = { operationId: string; tags?: string[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };

const SEEDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'seeds');
/** The validator's own document type is narrower than this test's view of the document. */
const validate = (doc: unknown) => validateOpenApi(doc as Parameters<typeof validateOpenApi>[0]);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Registered routes that are not operations, each with why. Anything else Hono registered must be in the document.
 */
const NOT_OPERATIONS: Readonly<Record<string, string>> = {
  'ALL /v1/sessions/*': "the sessions API's 404 for unknown endpoints under /v1/sessions/ (in its Verilock error body instead of the HyperVerge one)",
  'ALL /v1/agent/*': "live agent mode's 404 for unknown agent endpoints (Verilock error body)",
  'ALL /v1/agents/*': "live agent mode's 404 for unknown agents endpoints (Verilock error body)",
  'ALL /v1/sessions/{id}/live/*': "live agent mode's 404 for unknown live-call endpoints of a session (Verilock error body)",
};

/** Hono's path syntax in OpenAPI's: `:id` → `{id}`, and a regex-constrained `:file{a\.js|b\.css}` → `{file}`. */
function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(?:\{(?:[^{}\\]|\\.)*\})?/g, '{$1}');
}

/**
 * `METHOD /path` of every route `app` registered. app.use() middleware is registered for method ALL; hono/dev tells
 * it from a handler by arity (`(c, next)`), so an ALL entry counts only as a handler. Any entry for one method
 * counts, whatever its arity: a route whose last handler takes `next` is still a route.
 */
function registeredOperations(app: Hono<any>): string[] {
  const operations = inspectRoutes(app)
    .filter((route) => route.method !== 'ALL' || !route.isMiddleware)
    .map((route) => `${route.method} ${openApiPath(route.path)}`);
  return [...new Set(operations)].sort();
}

/** `METHOD /path` of every operation of `doc`. */
function documentedOperations(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([pathTemplate, item]) => Object.keys(item).filter((key) => HTTP_METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${pathTemplate}`))
    .sort();
}

/** Registered operations the document lacks (NOT_OPERATIONS aside). */
function undocumented(app: Hono<any>, doc: OpenApiDocument): string[] {
  const documented = new Set(documentedOperations(doc));
  return registeredOperations(app).filter((operation) => !documented.has(operation) && !(operation in NOT_OPERATIONS));
}

const document = () => openApiDocument('9.9.9') as unknown as OpenApiDocument;

let fixture: ReturnType<typeof everyRouteDeps>;
let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  fixture = everyRouteDeps();
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(async () => {
  errorLog.mockRestore();
  await fixture.close();
});

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 (the document /openapi.json serves)', async () => {
    const served = (await (await createApp(fixture.deps).request('/openapi.json')).json()) as OpenApiDocument;
    expect(served).toEqual(JSON.parse(JSON.stringify(document())));
    const result = await validate(structuredClone(served));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(served.openapi).toBe('3.1.0');
  });

  it('the validator is not a rubber stamp: an undeclared path parameter, a repeated operationId, a stray field fail', async () => {
    const undeclared = structuredClone(document());
    const get = undeclared.paths['/v1/sessions/{id}']!.get as unknown as { parameters?: unknown[] };
    delete get.parameters;
    expect((await validate(undeclared)).valid).toBe(false);
    const repeated = structuredClone(document());
    repeated.paths['/liveness/ext/v1/get-video']!.get!.operationId = 'checkLiveness';
    expect((await validate(repeated)).valid).toBe(false);
    // The defect this validator found in the sessions upload: a description on a Media Type Object, which has none.
    const stray = structuredClone(document()) as any;
    stray.paths['/'].post.requestBody.content['application/json'].description = 'not a Media Type Object field';
    expect((await validate(stray)).valid).toBe(false);
  });

  it('every operation carries one of the document\'s tags (the docs page groups by them)', () => {
    const doc = document();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [pathTemplate, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.tags, `${method} ${pathTemplate}`).toHaveLength(1);
        expect(tags.has(operation.tags![0]!), `${method} ${pathTemplate}: ${operation.tags![0]}`).toBe(true);
      }
    }
  });
});

describe('the document covers every route Hono registered', () => {
  it('the app with every API: each registered route is documented, and each documented operation is registered', () => {
    const app = createApp(fixture.deps);
    expect(undocumented(app, document())).toEqual([]);
    const registered = new Set(registeredOperations(app));
    expect(documentedOperations(document()).filter((operation) => !registered.has(operation))).toEqual([]);
    // The routes the issue names, so a mistake in the enumeration itself cannot pass silently.
    expect([...registered]).toEqual(
      expect.arrayContaining([
        'POST /v1/checkLiveness',
        'GET /liveness/ext/v1/get-video',
        'POST /openapi/auth/ticket/v1/generate-token',
        'POST /',
        'GET /capture/{id}',
        'POST /capture/{id}/selfie-check',
        'GET /capture/assets/{file}',
        'POST /v1/sessions/{id}/{step}',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'GET /docs',
        'GET /docs/assets/swagger-ui-dist/{file}',
      ]),
    );
    for (const operation of Object.keys(NOT_OPERATIONS)) expect(registered.has(operation), operation).toBe(true);
  });

  it('fails for a route the document lacks: a fixture app with one route more, on the app and in a sub-app', () => {
    const app = createApp(fixture.deps);
    const extra = new Hono();
    extra.use('/extra/*', async function extraMiddleware(_c, next) {
      await next();
    });
    extra.get('/extra/:id{[0-9]+}', (c) => c.text('x'));
    app.route('/v1', extra);
    app.post('/metrics-reset', (c) => c.text('x'));
    // A last handler that takes `next` (looks like middleware to hono/dev) is still a route.
    app.get('/statistics', async function statistics(c, _next) {
      return c.text('x');
    });
    expect(undocumented(app, document())).toEqual(['GET /statistics', 'GET /v1/extra/{id}', 'POST /metrics-reset']);
  });

  it('the app with no optional API registers only documented routes', () => {
    const app = createApp({ registry: fixture.deps.registry, versions: fixture.deps.versions });
    expect(undocumented(app, document())).toEqual([]);
    expect(registeredOperations(app)).toEqual(['GET /docs', 'GET /docs/assets/swagger-ui-dist/{file}', 'GET /health', 'GET /health/live', 'GET /health/ready', 'GET /openapi.json']);
  });

  it('maps Hono path syntax to OpenAPI templates', () => {
    expect(openApiPath('/v1/sessions/:id/:step{document|selfie|video}')).toBe('/v1/sessions/{id}/{step}');
    expect(openApiPath('/capture/assets/:file{capture\\.js|capture\\.css}')).toBe('/capture/assets/{file}');
    expect(openApiPath('/v1/croppedImage/:id')).toBe('/v1/croppedImage/{id}');
  });
});

describe('the answers the routes send fit the documented schemas', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  /** Validates `res`'s JSON body against the documented schema for its status and media type. */
  async function expectDocumented(res: Response, method: string, pathTemplate: string) {
    const operation = document().paths[pathTemplate]![method]!;
    const response = operation.responses[String(res.status)];
    expect(response, `${method} ${pathTemplate}: status ${res.status} is not documented`).toBeDefined();
    const schema = response!.content?.['application/json']?.schema;
    expect(schema, `${method} ${pathTemplate} ${res.status}: no JSON schema`).toBeDefined();
    const body = await res.json();
    const check = ajv.compile(schema as object);
    expect(check(body), `${method} ${pathTemplate} ${res.status}: ${JSON.stringify(check.errors)}\n${JSON.stringify(body)}`).toBe(true);
    return body as Record<string, any>;
  }

  it('checkLiveness: a success with every quality check, each with the basis its real check reports, and one without a basis', async () => {
    const exposure = { face: { mean: 130, std: 30, darkFraction: 0, brightFraction: 0.01, count: 900 }, image: { mean: 120, std: 50, darkFraction: 0, brightFraction: 0.02, count: 9000 }, imageP95: 230 };
    const eyes: EyeRegionMeasurement = { lensDarkShare: 0.21, lensColourDistance: 6.2, frameBars: 0.4, skinReference: 'cheeks' };
    const primary = { box: { x: 100, y: 100, width: 120, height: 120 }, score: 0.99 };
    const qualityChecks: LivenessOutcome['qualityChecks'] = {
      blur: blurVerdict(2.41),
      eyesClosed: eyesClosedVerdict({ left: 0.29, right: 0.31 }),
      occlusion: occlusionFromLowerFace({ chromaDistance: 27.3, skinReference: 'forehead', faceScore: 0.98, pixels: 9000 }),
      multipleFaces: multipleFacesVerdict([primary, { box: { x: 400, y: 90, width: 100, height: 100 }, score: 0.8 }], primary),
      headTurned: headTurnedVerdict({ yaw: -3.2, pitch: 41.5 }),
      // A check may report no basis (the type allows it): such an answer must fit the schema too.
      hat: { value: false, score: 0.2, confidence: 'low' },
      eyewear: eyewearVerdict(eyes),
      readingGlasses: readingGlassesVerdict(eyes),
      sunglasses: sunglassesVerdict(eyes),
      dull: dullVerdict(exposure),
      bright: brightVerdict(exposure),
      nonWhiteBackground: nonWhiteBackgroundVerdict({ whiteFraction: 0.12, backgroundShare: 0.6 }),
      nudity: nudityVerdict({ Drawing: 0.01, Hentai: 0.002, Neutral: 0.95, Porn: 0.003, Sexy: 0.035 }),
      lowQuality: lowQualityVerdict([faceTooSmallVerdict(151.3), blurVerdict(2.41), dullVerdict(exposure), brightVerdict(exposure)]),
    };
    const outcome: LivenessOutcome = {
      liveFace: { value: true, score: 0.97, confidence: 'high', signals: { humanLiveness: 0.97, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 }, limitations: [] },
      qualityChecks,
    };
    const app = createApp({ ...fixture.deps, liveness: { ...fixture.deps.liveness!, checkLiveness: async () => outcome } });
    const form = new FormData();
    form.set('image', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2])]), 'selfie.jpg');
    for (const check of QUALITY_CHECKS) form.set(`qualityChecks.${check}`, 'yes');
    const res = await app.request('/v1/checkLiveness', { method: 'POST', headers: { appId: 'acme', appKey: 'acme-key', transactionId: 't-1' }, body: form });
    expect(res.status).toBe(200);
    const body = await expectDocumented(res, 'post', '/v1/checkLiveness');
    const sent = body.result.details.qualityChecks as Record<string, { basis?: { method: string; measurements: Record<string, number> } }>;
    expect(Object.keys(sent)).toHaveLength(QUALITY_CHECKS.length);
    expect(Object.entries(sent).filter(([, v]) => !v.basis).map(([key]) => key)).toEqual(['hat']);
    expect(sent.headTurned!.basis).toEqual({ method: 'pitch', measurements: { yawDeg: -3.2, pitchDeg: 41.5 } });

    // The schema does check the extension: a measurement that is not a number is refused.
    const operation = document().paths['/v1/checkLiveness']!.post!;
    const check = ajv.compile(operation.responses['200']!.content!['application/json']!.schema as object);
    expect(check(body)).toBe(true);
    sent.blur!.basis!.measurements.log10LaplacianVariance = 'sharp' as unknown as number;
    expect(check(body)).toBe(false);
  });

  it('ADVANCE.AI: token and Get Video envelopes', async () => {
    const app = createApp(fixture.deps);
    const token = '/openapi/auth/ticket/v1/generate-token';
    const empty = await expectDocumented(await app.request(token, { method: 'POST', body: '' }), 'post', token);
    expect(empty.code).toBe('PARAMETER_ERROR');
    const granted = await expectDocumented(
      await app.request(token, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ accessKey: 'acme', secretKey: 'acme-key', timestamp: Date.now() }) }),
      'post',
      token,
    );
    expect(granted.code).toBe('SUCCESS');
    const getVideo = '/liveness/ext/v1/get-video';
    expect((await expectDocumented(await app.request(`${getVideo}?livenessId=ses_x`), 'get', getVideo)).code).toBe('IAM_FAILED');
    const headers = { 'X-ACCESS-TOKEN': granted.data.token };
    expect((await expectDocumented(await app.request(`${getVideo}?livenessId=ses_x`, { headers }), 'get', getVideo)).code).toBe('LIVENESS_ID_NOT_EXIST');
    expect((await expectDocumented(await app.request(getVideo, { headers }), 'get', getVideo)).code).toBe('PARAMETER_ERROR');
  });

  it('Tencent ESS: Response.Error answers', async () => {
    const app = createApp(fixture.deps);
    const call = (headers: Record<string, string>, body: unknown) => app.request('/', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const request = { Operator: { UserId: 'u1' }, FlowId: 'f1', SignId: 'ses_x' };
    expect((await expectDocumented(await call({}, request), 'post', '/')).Response.Error.Code).toBe('MissingParameter');
    const action = { 'X-TC-Action': 'DescribeSignFaceVideo' };
    expect((await expectDocumented(await call(action, request), 'post', '/')).Response.Error.Code).toBe('AuthFailure.InvalidAuthorization');
    const bearer = { ...action, Authorization: 'Bearer acme-key' };
    expect((await expectDocumented(await call(bearer, request), 'post', '/')).Response.Error.Code).toBe('ResourceNotFound');
    expect((await expectDocumented(await call(bearer, { FlowId: 'f1' }), 'post', '/')).Response.Error.Code).toBe('MissingParameter');
  });

  it('capture page: the selfie check refused on a bad link; the page itself is HTML', async () => {
    const app = createApp(fixture.deps);
    const selfie = '/capture/ses_x/selfie-check?expires=1&signature=' + '0'.repeat(64);
    const refused = await expectDocumented(await app.request(selfie, { method: 'POST', body: new Uint8Array([1]) }), 'post', '/capture/{id}/selfie-check');
    expect(refused.error).toBe('invalid_link');
    const page = await app.request('/capture/ses_x?expires=1&signature=' + '0'.repeat(64));
    expect(page.status).toBe(403);
    expect(document().paths['/capture/{id}']!.get!.responses['403']!.content).toHaveProperty(page.headers.get('Content-Type')!.split(';')[0]!);
  });

  it('health, its probes, the full report and the metrics', async () => {
    // No models, no packs: enough for the full report's shape (its contents on real models: test/health.test.ts).
    const modelless = { executionProvider: 'cpu', inferenceThread: 'main', packs: [], notLoaded: [], list: () => [] } as unknown as ModelRegistry;
    const reporting = createApp({ ...fixture.deps, registry: modelless });
    expect((await expectDocumented(await reporting.request('/health'), 'get', '/health')).status).toBe('ok');
    const report = await expectDocumented(await reporting.request('/health?details=1', { headers: { Authorization: 'Bearer acme-key' } }), 'get', '/health');
    expect(report.executionProvider).toBe('cpu');
    await expectDocumented(await reporting.request('/health?details=1'), 'get', '/health');
    await expectDocumented(await reporting.request('/health?details=x', { headers: { Authorization: 'Bearer acme-key' } }), 'get', '/health');
    expect((await expectDocumented(await reporting.request('/health/ready'), 'get', '/health/ready')).checks.modelsLoaded).toBe(false);

    let draining = false;
    const app = createApp({ ...fixture.deps, ready: () => !draining, storeWritable: async () => {} });
    await expectDocumented(await app.request('/health/live'), 'get', '/health/live');
    expect((await expectDocumented(await app.request('/health/ready'), 'get', '/health/ready')).status).toBe('ready');
    draining = true;
    expect((await expectDocumented(await app.request('/health/ready'), 'get', '/health/ready')).status).toBe('not_ready');
    expect((await expectDocumented(await app.request('/health'), 'get', '/health')).status).toBe('draining');
    await expectDocumented(await app.request('/metrics'), 'get', '/metrics');
    const metrics = await app.request('/metrics', { headers: { Authorization: 'Bearer acme-key' } });
    expect(metrics.status).toBe(200);
    expect(Object.keys(document().paths['/metrics']!.get!.responses['200']!.content!)).toContain(metrics.headers.get('Content-Type')!.split(';')[0]);
  });
});

describe("the facades' documentation covers the vendors' pages (../shared/seeds)", () => {
  it('ADVANCE.AI Get Video: every response code of the page, its parameters and response fields', () => {
    const page = readFileSync(path.join(SEEDS, 'advance-ai-get-video.txt'), 'utf8');
    const table = page.slice(page.indexOf('Response Code'), page.indexOf('Response Examples'));
    // Rows run code and message together ("IAM_FAILEDAccess denied …", "SUCCESSOK"): the code ends where the message starts.
    const pageCodes = [...table.matchAll(/^([A-Z_]{4,}?)(?=[A-Z][a-z]|OK$)/gm)].map((m) => m[1]);
    expect(pageCodes).toEqual(['SUCCESS', 'SIGNATURE_ID_NOT_EXIST', 'LIVENESS_ID_NOT_EXIST', 'VIDEO_NOT_FOUND', 'PARAMETER_ERROR', 'ERROR', 'IAM_FAILED']);
    const operation = document().paths['/liveness/ext/v1/get-video']!.get! as any;
    const envelope = operation.responses['200'].content['application/json'].schema;
    expect(envelope.properties.code.enum).toEqual(expect.arrayContaining(pageCodes));
    // "Response Description": code, transactionId, pricingStrategy, message, data (videoUrl, videoCreateTime), extra.
    expect(Object.keys(envelope.properties).sort()).toEqual(['code', 'data', 'extra', 'message', 'pricingStrategy', 'transactionId']);
    expect(Object.keys(envelope.properties.data.oneOf[0].properties).sort()).toEqual(['videoCreateTime', 'videoUrl']);
    expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['livenessId', 'signatureId']);
    expect(operation.security).toEqual([{ advanceAccessToken: [] }]);
    expect((openApiDocument('1') as any).components.securitySchemes.advanceAccessToken.name).toBe('X-ACCESS-TOKEN');
  });

  it('Tencent ESS DescribeSignFaceVideo: the input and output parameters and the error codes of the page', () => {
    const page = readFileSync(path.join(SEEDS, 'tencent-ess-describe-sign-face-video.txt'), 'utf8');
    const section = (from: string, to: string) => page.slice(page.indexOf(from), to ? page.indexOf(to) : undefined);
    const names = (text: string) => [...text.matchAll(/^([A-Z][A-Za-z.]+) \|/gm)].map((m) => m[1]!);
    const inputs = names(section('2. 输入参数', '3. 输出参数')).filter((name) => !['Action', 'Version', 'Region'].includes(name));
    const outputs = names(section('3. 输出参数', '4. 示例'));
    const errorCodes = names(section('5. 错误码', ''));
    expect(inputs).toEqual(['Operator', 'FlowId', 'SignId', 'Agent']);
    expect(outputs).toEqual(['VideoData', 'IntentionQuestionResult', 'IntentionActionResult', 'RequestId']);
    expect(errorCodes.length).toBeGreaterThanOrEqual(5);
    const operation = document().paths['/']!.post! as any;
    expect(Object.keys(operation.requestBody.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(inputs));
    expect(operation.requestBody.content['application/json'].schema.properties.Operator.required).toEqual(['UserId']);
    const [success, failure] = operation.responses['200'].content['application/json'].schema.oneOf;
    expect(Object.keys(success.properties.Response.properties).sort()).toEqual([...outputs].sort());
    expect(success.properties.Response.properties.VideoData.required).toEqual(['LiveNessVideo']);
    expect(failure.properties.Response.properties.Error.properties.Code.enum).toEqual(expect.arrayContaining(errorCodes));
    expect(operation.parameters.find((p: { name: string }) => p.name === 'X-TC-Action').schema.enum).toEqual(['DescribeSignFaceVideo']);
  });
});
