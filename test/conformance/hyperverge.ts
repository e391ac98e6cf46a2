/**
 * HyperVerge checkLiveness and matchFace through the document-only client (test/clients/hyperverge.ts), each answer
 * checked key by key against ../shared/seeds/hyperverge-check-liveness.txt: the success body against the "Success
 * Response" example with the "Success Response Details" table's types and listed values; each error against its
 * "Error Responses" example, literally (status, message, summary codes and messages), placeholders aside.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HyperVergeClient,
  isFailure,
  QUALITY_CHECK_FIELDS,
  readLivenessResult,
  type ImageFile,
  type LivenessSuccess,
  type MatchSuccess,
} from '../clients/hyperverge.js';
import { readHyperVergeExamples, type Json, type JsonObject } from '../helpers/hyperverge-document.js';
import { packageDir, sharedData } from '../helpers/reference.js';
import { at, check, mismatches, type Check, type MatchOptions } from './compare.js';
import { hyperVergeSuccessFields } from './documents.js';
import type { ConformanceTarget } from './target.js';

const examples = readHyperVergeExamples();
const successFields = hyperVergeSuccessFields();

/**
 * This service's documented extensions (README "checkLiveness API", "matchFace API"): keys a HyperVerge client ignores.
 * Anything else beyond the document fails.
 */
const SUCCESS_EXTENSIONS = [
  /^result\.details\.liveFace\.(score|signals|limitations|attackType)$/,
  /^result\.details\.qualityChecks\.[A-Za-z]+\.(score|basis)$/,
  /^result\.details\.ageRange\.estimate$/,
  /^result\.details\.gender\.score$/,
  /^result\.details\.match\.score$/,
];
const ERROR_EXTENSIONS = [/^result\.reason$/];

const file = (relative: string): ImageFile => ({ bytes: new Uint8Array(readFileSync(sharedData(relative))), filename: path.basename(relative) });
const OBAMA = 'identity/face_recognition_ageitgey/obama/obama.jpg';
const OBAMA_2 = 'identity/face_recognition_ageitgey/obama/obama2.jpg';
/** Labelled "no face" in ../shared/data/labels/attributes.csv. */
const NO_FACE = 'attributes/inspireface/crop_no_face.png';

/** The "Summary Object" example with a detail: the shape of one `summary.details` item. */
const summaryItem = (): Json => {
  const fail = examples.summaries.find((s) => (s.body.summary as JsonObject).action === 'fail')!.body.summary as JsonObject;
  return (fail.details as Json[])[0]!;
};

/** The success example's checks, from the "Success Response Details" table: each row's type and listed values. */
function successChecks(transactionId: string): MatchOptions {
  const rows = successFields
    .filter((f) => f.type !== 'array')
    .map((f): readonly [RegExp, Check] => {
      const typed = f.type === 'integer' ? check.integer : check.string;
      return [at(f.path), f.values ? check.both(typed, check.oneOf(...f.values)) : typed];
    });
  return {
    checks: [
      // The header's value comes back ("The transaction ID passed in the request header").
      [at('metadata.transactionId'), check.equal(transactionId)],
      [at('result.croppedImageUrl'), check.absoluteUrl],
      [/^result\.summary\.details\[\d+\]\.(code|message)$/, check.string],
      ...rows,
    ],
    items: [[at('result.summary.details'), summaryItem()]],
    extensions: SUCCESS_EXTENSIONS,
  };
}

/** An error example by `"<statusCode> <result.error>"`, as the "Error Response Details" table lists them. */
function errorExample(key: string): JsonObject {
  const example = examples.errors.find((e) => `${String(e.body.statusCode)} ${String((e.body.result as JsonObject).error)}` === key);
  if (!example) throw new Error(`hyperverge-check-liveness.txt has no "${key}" error example`);
  return example.body;
}

const errorChecks = (transactionId: string): MatchOptions => ({
  checks: [
    [at('metadata.requestId'), check.string],
    [at('metadata.transactionId'), check.equal(transactionId)],
  ],
  extensions: ERROR_EXTENSIONS,
});

export function hyperVergeSuite(target: () => ConformanceTarget): void {
  describe('HyperVerge checkLiveness and matchFace (client written from the Selfie Validation page)', () => {
    let client: HyperVergeClient;
    let anonymous: HyperVergeClient;
    beforeAll(() => {
      client = new HyperVergeClient({ baseUrl: target().baseUrl, credentials: { appId: target().appId, appKey: target().appKey } });
      anonymous = new HyperVergeClient({ baseUrl: target().baseUrl });
    });

    it('the document reads as expected: every leaf of the success example has a row in the details table', () => {
      const leaves: string[] = [];
      const walk = (value: Json, where: string) => {
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, where ? `${where}.${k}` : k);
        else leaves.push(where);
      };
      walk(examples.success.body, '');
      expect(leaves.filter((leaf) => !successFields.some((f) => f.path === leaf))).toEqual([]);
      expect(successFields.find((f) => f.path === 'result.details.liveFace.value')?.values).toEqual(['yes', 'no']);
      expect(successFields.find((f) => f.path === 'result.summary.action')?.values).toEqual(['pass', 'fail', 'manualReview']);
      expect(successFields.find((f) => f.path === 'statusCode')?.values).toEqual([200]);
    });

    it('checkLiveness with every check enabled answers the "Success Response" example key by key', async () => {
      const transactionId = `conformance-${Date.now()}`;
      const response = await client.checkLiveness(file(OBAMA), { transactionId, returnCroppedImageURL: true, qualityChecks: QUALITY_CHECK_FIELDS, ageRange: true, checkGender: true });
      expect(response.httpStatus).toBe(200);
      expect(mismatches(examples.success.body, response.body, successChecks(transactionId))).toEqual([]);
      const body = response.body as LivenessSuccess;
      // "ageRange.value: The estimated age range of the individual (e.g., "19-25")", from `low` and `high`.
      const age = body.result.details.ageRange!;
      expect(age.value).toBe(`${age.low}-${age.high}`);
      expect(age.low).toBeLessThanOrEqual(age.high);
      // "Returns the estimated gender ... (e.g., "Female", "Male")".
      expect(['Female', 'Male']).toContain(body.result.details.gender!.value);
      // "Reading Results": a 200 answer is one of the three outcomes the page names.
      expect(['approved', 'rejected', 'manualReview']).toContain(readLivenessResult(response));
      // "The signed URL to access the cropped face image": it serves an image.
      const cropped = await fetch(body.result.croppedImageUrl!);
      expect(cropped.status).toBe(200);
      expect(cropped.headers.get('content-type')).toMatch(/^image\//);
      expect((await cropped.arrayBuffer()).byteLength).toBeGreaterThan(0);
    });

    it('checkLiveness with only the mandatory image answers liveFace and summary, and no check that was not asked for', async () => {
      const transactionId = `conformance-minimal-${Date.now()}`;
      const response = await client.checkLiveness(file(OBAMA), { transactionId });
      expect(response.httpStatus).toBe(200);
      const example = structuredClone(examples.success.body);
      const details = (example.result as JsonObject).details as JsonObject;
      // Each of these rows says "Returned when … is enabled", or belongs to returnCroppedImageURL.
      for (const key of ['ageRange', 'gender', 'qualityChecks']) delete details[key];
      delete (example.result as JsonObject).croppedImageUrl;
      expect(mismatches(example, response.body, successChecks(transactionId))).toEqual([]);
    });

    it('401 "Missing/Invalid credentials" without appId and appKey, and with a wrong appKey', async () => {
      const transactionId = 'conformance-401';
      const missing = await anonymous.checkLiveness(file(OBAMA), { transactionId });
      expect(missing.httpStatus).toBe(401);
      expect(mismatches(errorExample('401 Missing/Invalid credentials'), missing.body, errorChecks(transactionId))).toEqual([]);
      const wrong = await new HyperVergeClient({ baseUrl: target().baseUrl, credentials: { appId: target().appId, appKey: `${target().appKey}x` } }).checkLiveness(file(OBAMA), { transactionId });
      expect(wrong.httpStatus).toBe(401);
      expect(mismatches(errorExample('401 Missing/Invalid credentials'), wrong.body, errorChecks(transactionId))).toEqual([]);
      expect(readLivenessResult(wrong)).toBe('rejected');
    });

    it('400 "Unsupported file type" with summary 111 for a WebP photo (the page takes JPG, JPEG and PNG)', async () => {
      const transactionId = 'conformance-400';
      const webp = new Uint8Array(await sharp(path.join(packageDir('@vladmandic/face-api'), 'demo', 'sample1.jpg')).webp().toBuffer());
      const response = await client.checkLiveness({ bytes: webp, filename: 'sample1.webp' }, { transactionId });
      expect(response.httpStatus).toBe(400);
      expect(mismatches(errorExample('400 Unsupported file type'), response.body, errorChecks(transactionId))).toEqual([]);
    });

    it('422 "No face detected" with summary 121 for a photo without a face', async () => {
      const transactionId = 'conformance-422';
      const response = await client.checkLiveness(file(NO_FACE), { transactionId });
      expect(response.httpStatus).toBe(422);
      expect(mismatches(errorExample('422 No face detected'), response.body, errorChecks(transactionId))).toEqual([]);
    });

    /** matchFace's success: the Selfie Validation envelope with `result.details.match {value, confidence}` (see the client). */
    const matchExample = (): JsonObject => {
      const example = structuredClone(examples.success.body);
      const result = example.result as JsonObject;
      delete result.croppedImageUrl;
      result.details = { match: { value: 'yes', confidence: 'high' } };
      return example;
    };
    const matchChecks = (transactionId: string): MatchOptions => {
      const base = successChecks(transactionId);
      return { ...base, checks: [[at('result.details.match.value'), check.oneOf('yes', 'no')], [at('result.details.match.confidence'), check.oneOf('high', 'low')], ...base.checks!] };
    };

    it('matchFace of two photos of one person answers the envelope with match "yes"', async () => {
      const transactionId = `conformance-match-${Date.now()}`;
      const response = await client.matchFace(file(OBAMA), file(OBAMA_2), { transactionId });
      expect(response.httpStatus).toBe(200);
      expect(mismatches(matchExample(), response.body, matchChecks(transactionId))).toEqual([]);
      expect((response.body as MatchSuccess).result.details.match.value).toBe('yes');
    });

    it('matchFace with no face in the selfie answers the 422 "No face detected" example, summary 121', async () => {
      const transactionId = 'conformance-match-422';
      const response = await client.matchFace(file(NO_FACE), file(OBAMA), { transactionId });
      expect(response.httpStatus).toBe(422);
      expect(isFailure(response.body)).toBe(true);
      expect(mismatches(errorExample('422 No face detected'), response.body, errorChecks(transactionId))).toEqual([]);
    });

    it('matchFace without credentials answers the 401 example', async () => {
      const response = await anonymous.matchFace(file(OBAMA), file(OBAMA_2), { transactionId: 'conformance-match-401' });
      expect(response.httpStatus).toBe(401);
      expect(mismatches(errorExample('401 Missing/Invalid credentials'), response.body, errorChecks('conformance-match-401'))).toEqual([]);
    });
  });
}
