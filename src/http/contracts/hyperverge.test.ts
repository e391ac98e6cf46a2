import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, type ErrorCode } from '../../errors.js';
import { QUALITY_CHECKS } from '../../pipeline/types.js';
import { ERROR_SHAPES, errorBody, QUALITY_CHECK_RESPONSE_KEYS, requestedOnly, successBody, roundScore } from './hyperverge.js';

const metadata = { requestId: 'r', transactionId: 't' };
const NO_SIGNALS = { humanLiveness: 1, presentationDevice: 0, hands: 0, framingEdges: 0, screenRecapture: 0 };

describe('HyperVerge contract mapping', () => {
  it('keeps scores 0–1, four decimals, clamped', () => {
    expect([roundScore(0), roundScore(0.5), roundScore(0.123456), roundScore(1), roundScore(1.2), roundScore(-1), roundScore(Number.NaN)]).toEqual([0, 0.5, 0.1235, 1, 1, 0, 0]);
  });

  it('maps occlusion to faceOccluded and keeps every other check name', () => {
    expect(QUALITY_CHECK_RESPONSE_KEYS.occlusion).toBe('faceOccluded');
    for (const c of QUALITY_CHECKS.filter((c) => c !== 'occlusion')) expect(QUALITY_CHECK_RESPONSE_KEYS[c]).toBe(c);
  });

  it('requestedOnly drops unrequested checks, age, gender and crop', () => {
    const v = { value: true, score: 1, confidence: 'high' as const };
    const lv = { ...v, signals: NO_SIGNALS, limitations: [] };
    const full = { liveFace: lv, qualityChecks: { blur: v, hat: v }, ageRange: { low: 1, high: 2, estimate: 1.5, confidence: 'low' as const }, gender: { value: 'Male' as const, score: 0.6, confidence: 'low' as const }, croppedFace: new Uint8Array(1) };
    expect(requestedOnly(full, { qualityChecks: ['hat'], ageRange: false, gender: false, croppedImage: false })).toEqual({ liveFace: lv, qualityChecks: { hat: v } });
    expect(Object.keys(requestedOnly(full, { qualityChecks: [], ageRange: true, gender: true, croppedImage: true })).sort()).toEqual(['ageRange', 'croppedFace', 'gender', 'liveFace', 'qualityChecks']);
  });

  it('builds the success body without optional sections when absent', () => {
    const body = successBody({ metadata, outcome: { liveFace: { value: false, score: 0.2, confidence: 'low', signals: NO_SIGNALS, limitations: [] }, qualityChecks: {} }, summary: { action: 'fail', details: [] } });
    expect(body).toEqual({
      status: 'success',
      statusCode: 200,
      metadata,
      result: { details: { liveFace: { value: 'no', confidence: 'low', score: 0.2, signals: NO_SIGNALS, limitations: [] } }, summary: { action: 'fail', details: [] } },
    });
  });

  it('liveFace keeps HyperVerge\'s value/confidence and adds signals (four decimals), attackType when not live, and the limitations with their messages', () => {
    const signals = { minifasnet: 0.123456, humanLiveness: 0.9, presentationDevice: 0.87654, hands: 0, framingEdges: 0.5, screenRecapture: 0.1 };
    const notLive = successBody({
      metadata,
      outcome: { liveFace: { value: false, score: 0.05, confidence: 'high', signals, attackType: 'screen', limitations: [] }, qualityChecks: {} },
      summary: { action: 'fail', details: [] },
    }).result.details.liveFace;
    expect(notLive).toEqual({
      value: 'no',
      confidence: 'high',
      score: 0.05,
      signals: { minifasnet: 0.1235, humanLiveness: 0.9, presentationDevice: 0.8765, hands: 0, framingEdges: 0.5, screenRecapture: 0.1 },
      attackType: 'screen',
      limitations: [],
    });
    const live = successBody({
      metadata,
      outcome: { liveFace: { value: true, score: 0.6, confidence: 'low', signals: NO_SIGNALS, attackType: 'print', limitations: ['antiSpoofingPackMissing', 'tightFaceCrop'] }, qualityChecks: {} },
      summary: { action: 'manualReview', details: [] },
    }).result.details.liveFace;
    expect(live).not.toHaveProperty('attackType');
    expect(live.limitations.map((l) => l.code)).toEqual(['antiSpoofingPackMissing', 'tightFaceCrop']);
    expect(live.limitations[0]!.message).toMatch(/not installed.*npm run models:fetch/);
    expect(live.limitations[1]!.message).toMatch(/fills the picture/);
  });

  it('has a body for every AppError code; internal codes share the generic 500 without a reason', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const { status, body } = errorBody(new AppError(code, 'detail'), metadata);
      expect(status, code).toBe(ERROR_SHAPES[code].status);
      expect(body.status).toBe('failure');
      expect(body.statusCode).toBe(status);
      expect(body.result.error, code).toBe(ERROR_SHAPES[code].error);
      expect(body, code).not.toHaveProperty('error');
      expect(body, code).not.toHaveProperty('reason');
      if (status >= 500) expect(body.result.reason, code).toBeUndefined();
      else expect(body.result.reason, code).toBe('detail');
    }
    expect(errorBody(undefined, metadata)).toEqual({
      status: 500,
      body: {
        statusCode: 500,
        status: 'failure',
        result: { error: 'Internal Server Error', summary: { action: 'manualReview', details: [{ code: '110', message: 'Server Error. Please contact support' }] } },
        metadata,
      },
    });
  });

  it('keys in the document\'s order: statusCode, status, result, metadata', () => {
    expect(Object.keys(errorBody(new AppError('BAD_REQUEST', 'x'), metadata).body)).toEqual(['statusCode', 'status', 'result', 'metadata']);
  });

  it('shows metadata as the document does per status: none on 429, requestId only on 401 and 404, both ids elsewhere', () => {
    const shown = (code: ErrorCode) => errorBody(new AppError(code, 'x'), metadata).body.metadata;
    expect(shown('RATE_LIMITED')).toBeUndefined();
    expect(errorBody(new AppError('RATE_LIMITED', 'x'), metadata).body).not.toHaveProperty('metadata');
    expect(shown('UNAUTHENTICATED')).toEqual({ requestId: 'r' });
    expect(shown('NOT_FOUND')).toEqual({ requestId: 'r' });
    for (const code of ['BAD_REQUEST', 'UNSUPPORTED_FILE_TYPE', 'FORBIDDEN', 'NO_FACE_DETECTED', 'INTERNAL', 'BUSY', 'IMAGE_TOO_LARGE', 'VIDEO_INVALID'] as const) {
      expect(shown(code), code).toEqual(metadata);
    }
  });

  it('111 says the document\'s words whatever the endpoint accepts; 121 names the image a multi-image request lacked a face in', () => {
    const webp = errorBody(new AppError('UNSUPPORTED_FILE_TYPE', 'gif: expected JPEG, PNG or WebP', { acceptedFormats: ['jpeg', 'png', 'webp'] }), metadata).body;
    expect(webp.result.summary).toEqual({ action: 'fail', details: [{ code: '111', message: 'Bad Request. Please refer the documentation' }] });
    expect(webp.result.reason).toBe('gif: expected JPEG, PNG or WebP');
    expect(errorBody(new AppError('NO_FACE_DETECTED', 'x', { subject: 'id' }), metadata).body.result.summary!.details).toEqual([{ code: '121', message: 'Face Not detected in id image' }]);
  });

  it('does not share summary objects between responses', () => {
    const a = errorBody(new AppError('NO_FACE_DETECTED', 'x'), metadata).body;
    a.result.summary!.details.push({ code: 'x', message: 'y' });
    expect(errorBody(new AppError('NO_FACE_DETECTED', 'x'), metadata).body.result.summary!.details).toHaveLength(1);
  });
});
