/**
 * The API reference page (issue #19, item 3): Swagger UI over GET /openapi.json, served whole by this service.
 *   GET /docs                                      the page (@hono/swagger-ui's HTML)
 *   GET /docs/assets/swagger-ui-dist/{file}        swagger-ui-dist's bundled script and stylesheet, from node_modules
 * Nothing is fetched from elsewhere at run time: @hono/swagger-ui points the page at a CDN unless given `baseUrl`,
 * so it is given this service's own asset path, and Swagger UI's online spec validator (validator.swagger.io, its
 * default `validatorUrl`) is switched off with "none" (Swagger UI configuration docs, "validatorUrl"). The page's
 * Content-Security-Policy holds the browser to that: scripts and styles from this origin only, plus the one inline
 * script @hono/swagger-ui writes, allowed by its SHA-256 hash (CSP Level 3 §8.4, hash-source) rather than
 * 'unsafe-inline'.
 * Links are relative (`openapi.json`, `docs/assets/…` resolved against /docs), so the page also works behind a
 * reverse proxy that adds a path prefix.
 */
import { readStaticAsset, serveStaticAsset, type StaticAsset } from '../static-asset.js';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SwaggerUI, swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';

/** Relative to the page URL /docs, so `<prefix>/docs` finds `<prefix>/docs/assets/swagger-ui-dist/…`. */
const ASSETS_BASE = 'docs/assets';

/** What the page configures Swagger UI with (its option names; @hono/swagger-ui writes them into the inline script). */
const SWAGGER_UI_OPTIONS = {
  url: 'openapi.json',
  baseUrl: ASSETS_BASE,
  // No call to validator.swagger.io: the document is validated in this project's tests (test/api/openapi-coverage.contract.test.ts).
  validatorUrl: 'none',
  // Shows operationId (checkLiveness, matchFace …), the names the README and the vendors' documents use.
  displayOperationId: true,
  deepLinking: true,
  docExpansion: 'list',
} as const;

/** The swagger-ui-dist files the page loads, with their media types; anything else under the assets path is a 404. */
export const DOCS_ASSET_TYPES: Readonly<Record<string, string>> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
};

/** The SHA-256 hash-sources of the inline scripts in the HTML @hono/swagger-ui renders for `options`. */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => `'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`);
}

/**
 * Only this origin, and the one inline script by hash. `img-src data:`: Swagger UI's stylesheet draws its icons as
 * data: SVGs. `connect-src 'self'`: the document and "Try it out" requests go to this service only. As on the capture
 * page (routes/capture.ts): no base element, no form posts, no framing (clickjacking; CSP Level 3 §6.4.2).
 */
export function docsContentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${scriptHashes.join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function docsRoute(): Hono {
  const route = new Hono();
  const page = swaggerUI({ ...SWAGGER_UI_OPTIONS, title: 'face-liveness-service API reference' });
  const csp = docsContentSecurityPolicy(inlineScriptHashes(SwaggerUI(SWAGGER_UI_OPTIONS)));
  // swagger-ui-dist has no "exports" map: its files resolve by path, and it ships no Node entry point worth loading here.
  const distDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  // Read on first use (1.9 MB of text), then kept: most processes never serve the page.
  const assets = new Map<string, StaticAsset>();
  const assetNamed = (name: string): StaticAsset => {
    let asset = assets.get(name);
    if (!asset) {
      asset = readStaticAsset(path.join(distDir, name), DOCS_ASSET_TYPES[name]!);
      assets.set(name, asset);
    }
    return asset;
  };

  // One parameter, not (c, next): Hono (hono/dev inspectRoutes) tells a route's handler from middleware by its arity.
  route.get('/docs', async function docsPage(c) {
    // The page itself names no secret; no-referrer and nosniff as on the capture page (routes/capture.ts).
    c.header('Content-Security-Policy', csp);
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-cache');
    return (await page(c, async () => {})) as Response;
  });

  // As the capture page's assets (static-asset.ts): an upgrade of swagger-ui-dist reaches browsers without versioned names.
  route.get('/docs/assets/swagger-ui-dist/:file{swagger-ui-bundle\\.js|swagger-ui\\.css}', function docsAsset(c) {
    return serveStaticAsset(c, assetNamed(c.req.param('file')));
  });

  return route;
}
