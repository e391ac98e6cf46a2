/**
 * GET /v1/croppedImage/<id>?expires=<unix s>&signature=<hex>: the face crop behind a checkLiveness
 * croppedImageUrl. No appId/appKey: the signed link is the credential, so it can be handed to a
 * browser. Bad or tampered signature, or past `expires` → 403; valid link to an unknown (or already
 * swept) image → 404. With S3_PUBLIC_URLS=presigned (crops in the bucket, DATABASE_URL), a valid GET answers 302 Found
 * (RFC 9110 §15.4.3) to a presigned GetObject URL that dies with the link, as video links do (../media-response.ts).
 */
import { Hono } from 'hono';
import { AppError } from '../../errors.js';
import type { ImageStore } from '../../store/image-store.js';
import type { ApiEnv } from '../context.js';
import type { UrlSigner } from '../signed-url.js';

const resource = (id: string) => `croppedImage/${id}`;

/** Absolute link for a stored crop; `base` is an origin with an optional path prefix, no trailing slash needed. */
export function croppedImageUrl(base: string, id: string, signer: UrlSigner): string {
  const { expires, signature } = signer.sign(resource(id));
  return `${base.replace(/\/+$/, '')}/v1/croppedImage/${encodeURIComponent(id)}?expires=${expires}&signature=${signature}`;
}

export function croppedImageRoute(deps: { croppedImages: ImageStore; signer: UrlSigner }): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  route.get('/croppedImage/:id', async function croppedImageHandler(c) {
    const id = c.req.param('id');
    const expires = c.req.query('expires');
    const check = deps.signer.check(resource(id), expires, c.req.query('signature'));
    if (check === 'invalid') throw new AppError('FORBIDDEN', 'the link signature is not valid');
    if (check === 'expired') throw new AppError('FORBIDDEN', 'the link has expired');
    const remainingSeconds = Number(expires) - deps.signer.nowSeconds();
    if (c.req.method === 'GET' && deps.croppedImages.directUrl && remainingSeconds >= 1) {
      const location = await deps.croppedImages.directUrl(id, remainingSeconds);
      // The Location is itself a credential until it expires: keep the redirect out of caches and referrers.
      if (location !== undefined) return c.body(null, 302, { Location: location, 'Cache-Control': 'private, no-store', 'Referrer-Policy': 'no-referrer' });
    }
    const image = await deps.croppedImages.get(id);
    if (!image) throw new AppError('NOT_FOUND', 'no image under this id (expired images are deleted)');
    return c.body(new Uint8Array(image.bytes), 200, {
      'Content-Type': image.contentType,
      // The link dies at `expires`: let private caches keep it no longer (RFC 9111 §5.2.2.1, §5.2.2.7).
      'Cache-Control': `private, max-age=${Math.max(0, remainingSeconds)}`,
      'X-Content-Type-Options': 'nosniff',
    });
  });
  return route;
}
