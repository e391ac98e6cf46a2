/**
 * GET /v1/croppedImage/<id>?expires=<unix s>&signature=<hex>: the face crop behind a checkLiveness
 * croppedImageUrl. No appId/appKey: the signed link is the credential, so it can be handed to a
 * browser. Bad or tampered signature, or past `expires` → 403; valid link to an unknown (or already
 * swept) image → 404.
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
    const image = await deps.croppedImages.get(id);
    if (!image) throw new AppError('NOT_FOUND', 'no image under this id (expired images are deleted)');
    return c.body(new Uint8Array(image.bytes), 200, {
      'Content-Type': image.contentType,
      // The link dies at `expires`: let private caches keep it no longer (RFC 9111 §5.2.2.1, §5.2.2.7).
      'Cache-Control': `private, max-age=${Math.max(0, Number(expires) - deps.signer.nowSeconds())}`,
      'X-Content-Type-Options': 'nosniff',
    });
  });
  return route;
}
