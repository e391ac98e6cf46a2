/**
 * The agent console for live agent video KYC (issue #21): the page an agent opens to sign in with their agent token,
 * watch their app's queue, take the next person and run the call (live video, selfie, document photo, automatic
 * checks, prompts, snapshots, notes, decision).
 *   GET /agent                               the page
 *   GET /agent/assets/{console.js|console.css} its static assets
 * The page holds no secret of its own: the agent types their token, which the page keeps in sessionStorage and sends
 * as `Authorization: Bearer agt_…` to the agent endpoints under /v1/agent/ (src/http/routes/ for the API). It is
 * plain HTML/CSS/JS in src/agent-console/page/ (no framework, no build step), like the capture page.
 */
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { ApiEnv } from '../context.js';
import { readStaticAsset, serveStaticAsset, type StaticAsset } from '../static-asset.js';

/** The page and its assets, read once at start-up (they are part of the source tree). */
const PAGE_DIR = new URL('../../agent-console/page/', import.meta.url);
const loadAsset = (name: string, type: string): StaticAsset => readStaticAsset(new URL(name, PAGE_DIR), type);

/**
 * Own script, style and origin only, as the capture page (src/http/routes/capture.ts). `img-src 'self'`: the selfie and
 * document photo come from the call's signed media links on this origin; `blob:`: the snapshots' thumbnails; `media-src
 * mediastream:`: the person's live video is a MediaStream from the WebRTC connection. `frame-ancestors 'none'`: the
 * console shows identity documents and must not be framed by another site (CSP Level 3 §6.4.2).
 */
export const AGENT_CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function agentConsoleRoute(): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  const page = readFileSync(new URL('index.html', PAGE_DIR), 'utf8');
  const assets: Record<string, StaticAsset> = {
    'console.js': loadAsset('console.js', 'text/javascript; charset=utf-8'),
    'console.css': loadAsset('console.css', 'text/css; charset=utf-8'),
  };

  // Revalidated after 5 minutes (static-asset.ts): a redeploy reaches the agents' browsers without versioned names.
  route.get('/agent/assets/:file{console\\.js|console\\.css}', function agentConsoleAsset(c) {
    return serveStaticAsset(c, assets[c.req.param('file')]!);
  });

  // The page links its assets relative to /agent ("agent/assets/…"), so /agent/ is sent to the one address that
  // resolves them (RFC 9110 §15.4.2: 301, the address is permanent).
  route.get('/agent/', (c) => c.redirect('/agent', 301));

  route.get('/agent', function agentConsolePage(c) {
    c.header('Content-Type', 'text/html; charset=utf-8');
    // The page shows people's faces and documents once signed in: never cached, never in a Referer (RFC 9111 §5.2.2.3).
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', AGENT_CONSOLE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    // The agent's own camera and microphone for the call, on this page only (Permissions Policy).
    c.header('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
    return c.body(page, 200);
  });

  return route;
}
