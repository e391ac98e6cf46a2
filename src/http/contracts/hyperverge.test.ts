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
      if (status >= 500) expect(body.reason, code).toBeUndefined();
      else expect(body.reason, code).toBe('detail');
    }
    expect(errorBody(undefined, metadata)).toEqual({
      status: 500,
      body: { status: 'failure', statusCode: 500, metadata, error: 'Internal Server Error', result: { summary: { action: 'manualReview', details: [{ code: '110', message: 'Internal Server Error' }] } } },
    });
  });

  it('does not share summary objects between responses', () => {
    const a = errorBody(new AppError('NO_FACE_DETECTED', 'x'), metadata).body;
    a.result!.summary.details.push({ code: 'x', message: 'y' });
    expect(errorBody(new AppError('NO_FACE_DETECTED', 'x'), metadata).body.result!.summary.details).toHaveLength(1);
  });
});
