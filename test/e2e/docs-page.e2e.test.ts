/**
 * The API reference page at /docs in headless Chromium (issue #19, item 3), served by the app on a real socket with
 * every API present: it renders from the service alone (every request the page makes goes to the service; any
 * other is refused and fails the test, as on a host with no internet), under its Content-Security-Policy with no
 * violation, and lists checkLiveness with its form fields and the ADVANCE.AI and Tencent facades. A screenshot lands
 * in test-artifacts/docs/ (git-ignored) for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { CHROMIUM } from '../helpers/chromium.js';
import { everyRouteDeps } from '../helpers/every-route-app.js';

const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'docs');

describe('/docs in headless Chromium', () => {
  let fixture: ReturnType<typeof everyRouteDeps>;
  let server: ServerType;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian/Ubuntu), or set CHROMIUM_PATH`);
    mkdirSync(ARTIFACTS, { recursive: true });
    fixture = everyRouteDeps();
    const app = createApp(fixture.deps);
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // No network of its own either: no component updates, no background requests that could hide a CDN load.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await fixture?.close();
  });

  it('renders from the service alone, under its CSP, and lists checkLiveness and the vendor facades', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const offOrigin: string[] = [];
    // Every request leaves through here: the service's own are served, anything else (a CDN, fonts, an online
    // validator) is refused and recorded.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${base}/`)) return route.continue();
      offOrigin.push(url);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Resource failures are checked by URL below (Chromium's own favicon request is not the page's).
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
    });

    const response = await page.goto(`${base}/docs`);
    expect(response!.status()).toBe(200);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(response!.headers()['x-content-type-options']).toBe('nosniff');

    // Swagger UI draws one block per operation once it has fetched and parsed /openapi.json.
    const checkLiveness = page.locator('.opblock', { hasText: '/v1/checkLiveness' });
    await checkLiveness
      .first()
      .waitFor({ timeout: 30_000 })
      .catch((error: Error) => {
        throw new Error(`${error.message}\nrequests off the service: ${JSON.stringify(offOrigin)}\nproblems: ${JSON.stringify(problems)}`);
      });
    await expect(page.locator('.opblock').count()).resolves.toBeGreaterThanOrEqual(30);
    await expect(checkLiveness.locator('.opblock-summary-operation-id').textContent()).resolves.toBe('checkLiveness');
    for (const tag of ['Liveness and face match', 'ADVANCE.AI Get Video', 'Tencent ESS DescribeSignFaceVideo', 'Capture page', 'Service']) {
      await expect(page.locator('.opblock-tag', { hasText: tag }).count(), tag).resolves.toBeGreaterThan(0);
    }
    await expect(page.locator('.opblock', { hasText: '/liveness/ext/v1/get-video' }).count()).resolves.toBe(1);

    // Opened, checkLiveness shows its multipart form fields from the document.
    await checkLiveness.locator('.opblock-summary').click();
    await checkLiveness.getByText('returnCroppedImageURL', { exact: true }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png'), fullPage: false });

    expect(offOrigin).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
