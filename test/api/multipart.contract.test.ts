/**
 * Hostile multipart headers through app.request() (issue #13, item 10): a boundary longer than RFC 2046 §5.1.1's
 * 70 characters, one outside its alphabet, and a Content-Type with a parameter given twice get the route's
 * documented 400 ("Error while parsing request body", HyperVerge envelope) and never reach the use case; the same
 * requests with a well-formed header are answered 200.
 */
import { describe, expect, it, vi } from 'vitest';
import type { MatchFace } from '../../src/pipeline/match-face.js';
import type { CheckLiveness } from '../../src/pipeline/types.js';
import { seededRandom } from '../helpers/random.js';
import { withoutRequestId } from '../helpers/envelope.js';
import { apiDeps, testApp, testApps, testCropStore, testSigner } from '../helpers/contract.js';

const apps = testApps([{ appId: 'acme', appKey: 'acme-key', allowedApis: ['*'] }]);
const headers = { appId: 'acme', appKey: 'acme-key', transactionId: 'txn-13' };

function harness() {
  const checkLiveness = vi.fn<CheckLiveness>(async () => ({ liveFace: { value: true, score: 0.9, confidence: 'high', signals: { humanLiveness: 0.9 }, limitations: [] }, qualityChecks: {} }));
  const matchFace = vi.fn<MatchFace>(async () => ({ match: { value: true, score: 90, confidence: 'high' }, distance: 0.4 }));
  const shared = apiDeps({ apps });
  const app = testApp({ liveness: { ...shared, checkLiveness, croppedImages: testCropStore(), signer: testSigner() }, matchFace: { ...shared, matchFace } });
  return { app, checkLiveness, matchFace };
}

/** A raw multipart body (RFC 7578) with the route's image fields, under `boundary`. */
function body(boundary: string, files: readonly string[]): string {
  const parts = files.map((name) => [`--${boundary}`, `Content-Disposition: form-data; name="${name}"; filename="${name}.jpg"`, 'Content-Type: image/jpeg', '', '\xff\xd8\xff\xe0JPEG'].join('\r\n'));
  return `${parts.join('\r\n')}\r\n--${boundary}--\r\n`;
}

const ROUTES = [
  { path: '/v1/checkLiveness', files: ['image'], useCase: 'checkLiveness' },
  { path: '/v1/matchFace', files: ['selfie', 'id'], useCase: 'matchFace' },
] as const;

function randomToken(random: () => number, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

describe.each(ROUTES)('$path: hostile Content-Type headers → 400 in the HyperVerge envelope', ({ path: route, files, useCase }) => {
  const random = seededRandom(2046);
  const ok = randomToken(random, 70);
  const tooLong = randomToken(random, 200);

  it('a 70-character boundary is read; 71 and 200 characters are refused', async () => {
    const h = harness();
    const accepted = await h.app.request(route, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${ok}` }, body: body(ok, files) });
    expect(accepted.status).toBe(200);
    expect(h[useCase]).toHaveBeenCalledTimes(1);
    for (const boundary of [`${ok}x`, tooLong]) {
      const res = await h.app.request(route, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: body(boundary, files) });
      expect(res.status).toBe(400);
      expect(await withoutRequestId(res)).toEqual({
        statusCode: 400,
        status: 'failure',
        result: {
          error: 'Error while parsing request body',
          reason: `Content-Type: the boundary must be 1–70 characters (RFC 2046 §5.1.1), got ${boundary.length}`,
        },
        metadata: { transactionId: 'txn-13' },
      });
    }
    expect(h[useCase]).toHaveBeenCalledTimes(1);
  });

  it('a duplicated boundary parameter is refused, whichever of the two the body uses', async () => {
    const h = harness();
    const [first, second] = [randomToken(random, 24), randomToken(random, 24)];
    for (const [header, used] of [
      [`multipart/form-data; boundary=${first}; boundary=${second}`, first],
      [`multipart/form-data; boundary=${first}; boundary=${second}`, second],
      [`multipart/form-data; boundary="${first}"; Boundary=${first}`, first],
    ] as const) {
      const res = await h.app.request(route, { method: 'POST', headers: { ...headers, 'content-type': header }, body: body(used, files) });
      expect(res.status, header).toBe(400);
      expect(await withoutRequestId(res)).toMatchObject({
        statusCode: 400,
        result: { error: 'Error while parsing request body', reason: 'Content-Type: parameter "boundary" is given more than once; send it once' },
      });
    }
    expect(h[useCase]).not.toHaveBeenCalled();
  });

  it('a boundary outside the RFC 2046 alphabet or ending with a space is refused', async () => {
    const h = harness();
    for (const boundary of ['a@b', 'abc ', 'a[1]']) {
      const res = await h.app.request(route, { method: 'POST', headers: { ...headers, 'content-type': `multipart/form-data; boundary="${boundary}"` }, body: body(boundary, files) });
      expect(res.status, boundary).toBe(400);
      expect((await withoutRequestId(res)).result.reason).toMatch(/^Content-Type: the boundary may use letters, digits, space and .* \(RFC 2046 §5\.1\.1\)$/);
    }
    expect(h[useCase]).not.toHaveBeenCalled();
  });
});
