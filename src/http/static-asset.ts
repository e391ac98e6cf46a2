/**
 * Text assets the service serves itself (the capture page's script and stylesheet, the /docs page's Swagger UI): read
 * from disk once, answered with a strong ETag and revalidated after 5 minutes (RFC 9110 §13.1.2), so a redeploy or an
 * upgraded package reaches browsers without versioned file names.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'hono';

export interface StaticAsset {
  body: string;
  /** Content-Type, with its charset. */
  type: string;
  /** Quoted strong validator: the body's SHA-256, 22 base64url characters (132 bits). */
  etag: string;
}

export function readStaticAsset(file: string | URL, type: string): StaticAsset {
  const body = readFileSync(file, 'utf8');
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** The asset, or 304 when the browser's copy (If-None-Match) is current. */
export function serveStaticAsset(c: Context, asset: StaticAsset): Response {
  c.header('Cache-Control', 'public, max-age=300');
  c.header('ETag', asset.etag);
  c.header('X-Content-Type-Options', 'nosniff');
  if (c.req.header('If-None-Match') === asset.etag) return c.body(null, 304);
  c.header('Content-Type', asset.type);
  return c.body(asset.body, 200);
}
