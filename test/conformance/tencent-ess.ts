/**
 * Tencent ESS DescribeSignFaceVideo through Tencent's official Node SDK (test/clients/tencent-ess.ts), the answers
 * checked against ../shared/seeds/tencent-ess-describe-sign-face-video.txt: the output parameters ("3. 输出参数":
 * exactly those keys, each of its type or null where the page says "may be null"), the output example's VideoData
 * ("输出示例"), and the API's error codes ("5. 错误码").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { essClient, type EssClient, type TencentSdkError } from '../clients/tencent-ess.js';
import type { JsonObject } from '../helpers/hyperverge-document.js';
import { check, mismatches } from './compare.js';
import { tencentErrorCodes, tencentOutputExample, tencentOutputFields } from './documents.js';
import type { ConformanceTarget } from './target.js';

const outputFields = tencentOutputFields();
const errorCodes = tencentErrorCodes();
const outputExample = tencentOutputExample();

/** What the SDK throws for `Response.Error`, or a failure saying the call succeeded. */
async function sdkError(call: Promise<unknown>): Promise<TencentSdkError> {
  try {
    const answer = await call;
    throw new Error(`the call succeeded where an error was expected: ${JSON.stringify(answer).slice(0, 200)}`);
  } catch (error) {
    return error as TencentSdkError;
  }
}

/** Every difference between a DescribeSignFaceVideo answer (the SDK's `Response`) and the output table. */
function outputMismatches(response: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const field of outputFields) {
    if (!(field.name in response)) {
      found.push(`${field.name}: missing (3. 输出参数 lists it)`);
      continue;
    }
    const value = response[field.name];
    if (value === null && field.nullable) continue;
    // String → a string; every other type on the page is a structure (a JSON object).
    const ok = field.type === 'String' ? check.string.test(value) : typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!ok) found.push(`${field.name}: expected ${field.type}${field.nullable ? ' or null' : ''}, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  for (const key of Object.keys(response)) if (!outputFields.some((f) => f.name === key)) found.push(`${key}: not in 3. 输出参数`);
  return found;
}

export function tencentEssSuite(target: () => ConformanceTarget): void {
  describe('Tencent ESS DescribeSignFaceVideo (the official tencentcloud-sdk-nodejs, unmodified)', () => {
    let client: EssClient;
    beforeAll(() => {
      client = essClient(target().baseUrl, { secretId: target().appId, secretKey: target().appKey });
    });

    it('a wrong SecretKey: AuthFailure.SignatureFailure, as the SDK reports it', async () => {
      // A common error code (the page's "公共错误码", not on the page itself): the signature does not verify.
      const wrong = essClient(target().baseUrl, { secretId: target().appId, secretKey: `${target().appKey}x` });
      const error = await sdkError(wrong.DescribeSignFaceVideo({ Operator: { UserId: 'conformance' }, FlowId: 'conformance-flow', SignId: 'ses_conformance_unknown' }));
      expect(error.code, error.message).toBe('AuthFailure.SignatureFailure');
      expect(error.requestId).toMatch(/\S/);
    });

    it('an unknown SignId: ResourceNotFound, one of the page\'s error codes', async () => {
      expect(errorCodes).toContain('ResourceNotFound');
      const error = await sdkError(client.DescribeSignFaceVideo({ Operator: { UserId: 'conformance' }, FlowId: 'conformance-flow', SignId: `ses_conformance_unknown_${Date.now()}` }));
      expect(error.code, error.message).toBe('ResourceNotFound');
      expect(error.requestId).toMatch(/\S/);
    });

    it('a recorded session: the output parameters, VideoData.LiveNessVideo the video in base64', async (context) => {
      const recorded = target().recorded;
      if ('missing' in recorded) return context.skip(recorded.missing);
      if (!recorded.flowId) return context.skip('no FlowId for the recorded session: set CONFORMANCE_FLOW_ID (the session\'s external_id)');
      const response = (await client.DescribeSignFaceVideo({ Operator: { UserId: 'conformance' }, FlowId: recorded.flowId, SignId: recorded.livenessId })) as unknown as Record<string, unknown>;
      expect(outputMismatches(response)).toEqual([]);
      // The example's VideoData: `{"LiveNessVideo": "<base64>"}`.
      expect(mismatches(outputExample.Response.VideoData!, response.VideoData, { checks: [[/^LiveNessVideo$/, check.string]] })).toEqual([]);
      const video = Buffer.from((response.VideoData as JsonObject).LiveNessVideo as string, 'base64');
      expect(video.toString('base64')).toBe((response.VideoData as JsonObject).LiveNessVideo);
      if (recorded.video) expect(Buffer.compare(video, recorded.video)).toBe(0);
      else expect(video.byteLength).toBeGreaterThan(0);
    });
  });
}
