/**
 * ADVANCE.AI's token request and Get Video through the document-only client (test/clients/advance-ai.ts), each answer
 * checked key by key against the example of its code in ../shared/seeds/advance-ai-get-video.txt ("Response Examples"):
 * code, message, data and pricingStrategy as printed; transactionId "the max length is 64"; extra, "Extra response info
 * (Exception Message)", null or a message.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AdvanceAiClient, type AdvanceAnswer, type TokenData, type VideoData } from '../clients/advance-ai.js';
import type { JsonObject } from '../helpers/hyperverge-document.js';
import { at, check, mismatches, type MatchOptions } from './compare.js';
import { advanceCodeMessages, advanceExamples, advanceVideoDataFields } from './documents.js';
import type { ConformanceTarget, RecordedSession } from './target.js';

const examples = advanceExamples();
const videoDataFields = advanceVideoDataFields();
const tableMessages = advanceCodeMessages();

const envelopeChecks: MatchOptions['checks'] = [
  [at('transactionId'), { test: (v) => typeof v === 'string' && v.length > 0 && v.length <= 64, says: 'a string of 1 to 64 characters' }],
  [at('extra'), check.nullOr(check.string)],
];

function example(code: string): JsonObject {
  const body = examples.get(code);
  if (!body) throw new Error(`advance-ai-get-video.txt has no ${code} example`);
  return body;
}

/**
 * The page's answers carry the outcome in `code` and say nothing of HTTP statuses; this service answers every one with
 * HTTP 200 (README "ADVANCE.AI Get Video"), which is what a client that reads only `code` relies on.
 */
const HTTP_STATUS = 200;

export function advanceAiSuite(target: () => ConformanceTarget): void {
  describe('ADVANCE.AI token and Get Video (client written from the Get Video and Token Authentication pages)', () => {
    let client: AdvanceAiClient;
    let token: AdvanceAnswer<TokenData>;
    beforeAll(async () => {
      client = new AdvanceAiClient({ baseUrl: target().baseUrl, accessKey: target().appId, secretKey: target().appKey });
      token = await client.generateToken();
    });

    it('the token request signed sha256(accessKey + secretKey + timestamp) gets a token in the SUCCESS envelope', () => {
      expect(token.httpStatus).toBe(HTTP_STATUS);
      // The Token Authentication page is not captured: the envelope is the Get Video page's SUCCESS example, `data`
      // being the token API's {token, expiredTime}.
      const expected = { ...example('SUCCESS'), data: { token: 'token', expiredTime: 0 } };
      expect(mismatches(expected, token.body, { checks: [...envelopeChecks!, [at('data.token'), check.string], [at('data.expiredTime'), check.integer]] })).toEqual([]);
      expect(token.body.data!.expiredTime).toBeGreaterThan(Date.now());
    });

    it('periodSecond sets the token\'s lifetime: expiredTime is that many seconds ahead, in milliseconds', async () => {
      const before = Date.now();
      const short = await client.generateToken(120);
      expect(short.body.code).toBe('SUCCESS');
      // A minute of slack either way for the target's clock and the round trip.
      expect(short.body.data!.expiredTime - before).toBeGreaterThan(60_000);
      expect(short.body.data!.expiredTime - before).toBeLessThan(180_000);
    });

    it('a token request signed with another secret is refused, with no token', async () => {
      const refused = await new AdvanceAiClient({ baseUrl: target().baseUrl, accessKey: target().appId, secretKey: `${target().appKey}x` }).generateToken();
      expect(refused.httpStatus).toBe(HTTP_STATUS);
      expect(refused.body.code).not.toBe('SUCCESS');
      expect(refused.body.data).toBeNull();
    });

    it('get-video of an unknown livenessId answers the LIVENESS_ID_NOT_EXIST example', async () => {
      const answer = await client.getVideo({ livenessId: `ses_conformance_unknown_${Date.now()}` }, token.body.data!.token);
      expect(answer.httpStatus).toBe(HTTP_STATUS);
      expect(mismatches(example('LIVENESS_ID_NOT_EXIST'), answer.body, { checks: envelopeChecks })).toEqual([]);
    });

    it('get-video of an unknown signatureId answers the SIGNATURE_ID_NOT_EXIST example', async () => {
      const answer = await client.getVideo({ signatureId: `conformance-unknown-${Date.now()}` }, token.body.data!.token);
      expect(answer.httpStatus).toBe(HTTP_STATUS);
      expect(mismatches(example('SIGNATURE_ID_NOT_EXIST'), answer.body, { checks: envelopeChecks })).toEqual([]);
    });

    it('get-video with a token that was never issued answers the IAM_FAILED example', async () => {
      const answer = await client.getVideo({ livenessId: 'ses_conformance_unknown' }, `${token.body.data!.token}x`);
      expect(answer.httpStatus).toBe(HTTP_STATUS);
      expect(mismatches(example('IAM_FAILED'), answer.body, { checks: envelopeChecks })).toEqual([]);
      const none = await client.getVideo({ livenessId: 'ses_conformance_unknown' }, '');
      expect(mismatches(example('IAM_FAILED'), none.body, { checks: envelopeChecks })).toEqual([]);
    });

    it('get-video with neither livenessId nor signatureId answers the PARAMETER_ERROR example, with either of its messages', async () => {
      // "livenessId or signatureId must be provided". The page gives this code two messages: the "Response Code"
      // table's and the examples' longer one; either is the document's.
      const answer = await client.getVideo({} as never, token.body.data!.token);
      expect(answer.httpStatus).toBe(HTTP_STATUS);
      const expected = example('PARAMETER_ERROR');
      const documented = check.oneOf(expected.message as string, tableMessages.get('PARAMETER_ERROR')!);
      expect(mismatches(expected, answer.body, { checks: [...envelopeChecks!, [at('message'), documented]] })).toEqual([]);
    });

    /** A SUCCESS answer against the example, and its videoUrl fetched: the recorded bytes when this suite uploaded them. */
    async function expectVideo(answer: AdvanceAnswer<VideoData>, recorded: RecordedSession): Promise<void> {
      expect(answer.httpStatus).toBe(HTTP_STATUS);
      // The example's `data` shows videoUrl only; the "Response Description" row lists videoCreateTime (a long) too.
      const expected = { ...example('SUCCESS'), data: Object.fromEntries([...videoDataFields].map(([name, type]) => [name, type === 'long' ? 0 : 'text'])) };
      const checks: MatchOptions['checks'] = [...envelopeChecks!, [at('data.videoUrl'), check.absoluteUrl], [at('data.videoCreateTime'), check.integer]];
      expect(mismatches(expected, answer.body, { checks })).toEqual([]);
      const video = await fetch(answer.body.data!.videoUrl);
      expect(video.status).toBe(200);
      const bytes = new Uint8Array(await video.arrayBuffer());
      if (recorded.video) expect(Buffer.compare(bytes, recorded.video)).toBe(0);
      else expect(bytes.byteLength).toBeGreaterThan(0);
    }

    it('get-video of a recorded session by livenessId answers the SUCCESS example with a working videoUrl', async (context) => {
      const recorded = target().recorded;
      if ('missing' in recorded) return context.skip(recorded.missing);
      await expectVideo(await client.getVideo({ livenessId: recorded.livenessId }, token.body.data!.token), recorded);
    });

    it('get-video of a recorded session by signatureId (the session\'s external_id) answers the same', async (context) => {
      const recorded = target().recorded;
      if ('missing' in recorded) return context.skip(recorded.missing);
      if (!recorded.flowId) return context.skip('no external_id for the recorded session: set CONFORMANCE_FLOW_ID');
      await expectVideo(await client.getVideo({ signatureId: recorded.flowId }, token.body.data!.token), recorded);
    });
  });
}
