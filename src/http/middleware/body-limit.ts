/**
 * Request body limit before any parsing: Hono's bodyLimit (rejects on Content-Length at once, or
 * counts streamed/chunked bytes) answering IMAGE_TOO_LARGE (413, RFC 9110 §15.5.14) in the route's
 * error format instead of its plain-text default.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { AppError } from '../../errors.js';

export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const limit = honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('IMAGE_TOO_LARGE', `request body is over the limit of ${maxBytes} bytes (BODY_LIMIT_BYTES)`);
    },
  });
  return async function bodyLimitMiddleware(c, next) {
    await limit(c, next);
  };
}
