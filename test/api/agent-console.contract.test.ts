/**
 * The agent console's page and assets (GET /agent, /agent/assets/*; issue #21) through app.request(): the page's
 * headers (strict CSP, no caching, no camera), its script and style resolving to served assets with validators, and
 * every element the script looks up by id existing in the page (a renamed id would break the console silently).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_CONSOLE_CSP, agentConsoleRoute } from '../../src/http/routes/agent-console.js';

const route = agentConsoleRoute();
const pageDir = new URL('../../src/agent-console/page/', import.meta.url);

describe('agent console page', () => {
  it('serves the page with a strict CSP, no caching, and the camera and microphone for this page only', async () => {
    const response = await route.request('/agent');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(AGENT_CONSOLE_CSP);
    expect(AGENT_CONSOLE_CSP).toContain("default-src 'none'");
    expect(AGENT_CONSOLE_CSP).toContain("script-src 'self'");
    expect(AGENT_CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('permissions-policy')).toBe('camera=(self), microphone=(self), geolocation=()');
    const html = await response.text();
    // No inline script or style: the CSP would block it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('links assets that resolve, from /agent, to served files with an ETag and 304 revalidation', async () => {
    const html = await (await route.request('/agent')).text();
    const links = [...html.matchAll(/(?:src|href)="(agent\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(links.sort()).toEqual(['agent/assets/console.css', 'agent/assets/console.js']);
    for (const link of links) {
      const pathname = new URL(link, 'http://service.test/agent').pathname;
      const asset = await route.request(pathname);
      expect(asset.status, pathname).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(pathname.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      const etag = asset.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect((await route.request(pathname, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    }
    expect((await route.request('/agent/assets/other.js')).status).toBe(404);
  });

  it('sends /agent/ to /agent, where the relative asset links resolve', async () => {
    const response = await route.request('/agent/');
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/agent');
  });

  it('has every element the script looks up by id', () => {
    const html = readFileSync(new URL('index.html', pageDir), 'utf8');
    const script = readFileSync(new URL('console.js', pageDir), 'utf8');
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const used = [...new Set([...script.matchAll(/\$\('([a-z-]+)'\)/g)].map((m) => m[1]!))];
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((id) => !ids.has(id))).toEqual([]);
  });
});
