/**
 * The hosted capture page end to end, in headless Chromium with a fake camera (a real person's clip turned into
 * a .y4m file): the real service on a socket creates a session; the page is opened at its capture_url on a
 * phone-sized viewport; consent (by keyboard) → selfie (waiting for the quality feedback) → video (recorded by
 * MediaRecorder, stopped by the countdown) → upload. The session must complete with both scores, and the
 * stored video must be the WebM the page recorded and play back. Screenshots of every step are written to
 * test-artifacts/capture/ (git-ignored) for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TEXT_VERSION } from '../../src/capture/consent.js';
import { launchWithFakeCamera } from '../helpers/chromium.js';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';
import { tamperSignature } from '../helpers/tamper.js';

const require = createRequire(import.meta.url);
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'capture');
/** Short enough to keep the test quick, long enough for the video pipeline to see motion. */
const VIDEO_MAX_DURATION = 5;

describe('capture page in headless Chromium', () => {
  let service: ServiceProcess;
  let base: string;
  let browser: Browser;
  const appKey = randomBytes(24).toString('hex');

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The fake camera: 6 s of a real person (Chromium loops the file), 640 px wide, 15 fps, raw YUV 4:2:0.
    const work = mkdtempSync(path.join(tmpdir(), 'capture-e2e-'));
    const y4m = path.join(work, 'camera.y4m');
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-t', '6', '-i', sharedData('videos/liveness_tranvanluyt/real.mp4'), '-vf', 'scale=640:-2,fps=15', '-pix_fmt', 'yuv420p', y4m]);
    const appsFile = path.join(work, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([{ appId: 'capture-e2e', appKeySha256: createHash('sha256').update(appKey).digest('hex'), allowedApis: ['*'], rateLimitPerMinute: 1000 }]));
    service = startService({
      APPS_FILE: appsFile,
      MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'capture-e2e-nopacks-')),
      VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), 'capture-e2e-video-')),
    });
    browser = await launchWithFakeCamera(y4m, ['--disable-quic']);
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const api = (pathname: string, init: RequestInit = {}) => fetch(`${base}${pathname}`, { ...init, headers: { Authorization: `Bearer ${appKey}`, 'Content-Type': 'application/json', ...init.headers } });

  it('consent → selfie with feedback → recorded video → upload: the session completes with scores and the WebM plays', async () => {
    const created = await api('/v1/sessions', { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_max_duration: VIDEO_MAX_DURATION, video_language: 'en' }, external_id: 'capture-e2e' }) });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; capture_url: string };
    expect(session.capture_url).toMatch(new RegExp(`^${base}/capture/${session.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`));

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`${r.status()} ${r.url()}`));
    const response = await page.goto(session.capture_url);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain("default-src 'none'");

    // Consent, by keyboard only: every control is reachable with Tab and has an accessible name.
    await page.locator('#step-consent h1').waitFor();
    expect(await page.locator('#consent-text').textContent()).toMatch(/camera/);
    expect(await page.locator('#consent-version').textContent()).toContain(CONSENT_TEXT_VERSION);
    expect(await page.getByLabel(/I agree/).count()).toBe(1);
    expect(await page.locator('#consent-continue').isDisabled()).toBe(true);
    await shot(page, '01-consent');
    const tabbed: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      tabbed.push(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    expect(tabbed[0]).toBe('consent-agree');
    await page.locator('#consent-agree').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('consent-continue');
    await shot(page, '02-consent-agreed');
    await page.keyboard.press('Enter');

    // Selfie: the preview runs, the photo is taken and checked (dull / eyes closed / several faces / head turned).
    await page.locator('#step-selfie h1').waitFor();
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await page.waitForTimeout(800);
    await shot(page, '03-selfie-preview');
    const unnamedButtons = await page.evaluate(() =>
      Array.from(document.querySelectorAll('button')).filter((b) => !(b.textContent ?? '').trim() && !b.getAttribute('aria-label')).length,
    );
    expect(unnamedButtons).toBe(0);
    await page.locator('#selfie-take').click();
    await page.waitForFunction(() => document.body.dataset.selfieCheck && document.body.dataset.selfieCheck !== 'pending', undefined, { timeout: 60_000 });
    await shot(page, '04-selfie-feedback');
    const feedback = await page.locator('#selfie-feedback').textContent();
    expect(await page.evaluate(() => document.body.dataset.selfieCheck), `selfie feedback: ${feedback}`).toBe('ok');
    await page.locator('#selfie-continue').click();

    // Video: prompts, countdown from video_max_duration, MediaRecorder stops by itself, then the upload.
    await page.locator('#step-video h1').waitFor();
    expect(await page.locator('#prompt-list li').count()).toBe(4);
    expect(await page.locator('#countdown').textContent()).toBe(`0:0${VIDEO_MAX_DURATION}`);
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await shot(page, '05-video-ready');
    // The first video upload breaks off mid-connection: the page must retry by itself.
    let videoPosts = 0;
    await page.route(/\/v1\/sessions\/[^/]+\/video\?/, async (route) => {
      videoPosts += 1;
      if (videoPosts === 1) await route.abort('connectionreset');
      else await route.continue();
    });
    await page.locator('#video-start').click();
    await page.waitForTimeout(2200);
    await shot(page, '06-video-recording');
    const countdown = await page.locator('#countdown').textContent();
    expect(Number(countdown!.split(':')[1])).toBeLessThan(VIDEO_MAX_DURATION);
    await page.waitForFunction(() => /Trying again/.test(document.getElementById('upload-status')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await shot(page, '07-upload-retrying');
    await page.waitForFunction(() => document.body.dataset.step === 'done' || document.body.dataset.step === 'error', undefined, { timeout: 60_000 });
    await shot(page, '08-done');
    expect(await page.evaluate(() => document.body.dataset.step), await page.locator('main').innerText()).toBe('done');
    const recordedType = await page.evaluate(() => document.body.dataset.recordedType);
    expect(recordedType).toMatch(/^video\/webm/);
    expect(videoPosts).toBe(2);
    // The aborted attempt is the only failed request.
    expect(consoleErrors.filter((e) => !/ERR_CONNECTION_RESET/.test(e))).toEqual([]);

    // The service processes the upload: completed, with both scores.
    let result: any;
    const deadline = Date.now() + 150_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      result = await (await api(`/v1/sessions/${session.id}/video`)).json();
    } while (result.status !== 'completed' && Date.now() < deadline);
    const stored = (await (await api(`/v1/sessions/${session.id}`)).json()) as any;
    expect(result.status, `result_reason: ${stored.result_reason}`).toBe('completed');
    expect(typeof result.face_match_score, `result_reason: ${stored.result_reason}`).toBe('number');
    expect(typeof result.liveness_score).toBe('number');
    expect(result.duration_seconds).toBeLessThanOrEqual(VIDEO_MAX_DURATION);
    expect(stored.consent).toMatchObject({ text_version: CONSENT_TEXT_VERSION, ip: '127.0.0.1' });
    expect(stored.consent.user_agent).toMatch(/Chrome/);
    console.log(`capture e2e: result=${result.result} face_match_score=${result.face_match_score} liveness_score=${result.liveness_score} duration=${result.duration_seconds}s reason=${stored.result_reason}`);

    // The stored video is the page's WebM: ffprobe reads a VP8/VP9 stream, and Chromium plays it back.
    const download = await fetch(result.video_url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/webm');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'capture-e2e-dl-')), 'video.webm');
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    const probe = JSON.parse(execFileSync(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', file], { encoding: 'utf8' })) as { streams: { codec_type: string; codec_name: string }[] };
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toMatch(/^vp[89]$/);
    const player = await context.newPage();
    await player.goto(`${base}/health`);
    const playback = await player.evaluate(async (url) => {
      const video = document.createElement('video');
      video.muted = true;
      video.src = url;
      document.body.appendChild(video);
      await new Promise((resolve, reject) => {
        video.addEventListener('loadeddata', resolve, { once: true });
        video.addEventListener('error', () => reject(new Error(`media error ${video.error?.code}`)), { once: true });
      });
      await video.play();
      await new Promise((r) => setTimeout(r, 500));
      return { readyState: video.readyState, width: video.videoWidth, currentTime: video.currentTime };
    }, result.video_url as string);
    expect(playback.readyState).toBeGreaterThanOrEqual(2);
    expect(playback.width).toBeGreaterThan(0);
    expect(playback.currentTime).toBeGreaterThan(0);

    // Opening the page again after the upload says it is done; a tampered link says so.
    await page.goto(session.capture_url);
    await page.locator('#step-error h1').waitFor();
    expect(await page.locator('#error-title').textContent()).toBe('Already done');
    const tampered = await page.goto(tamperSignature(session.capture_url));
    expect(tampered!.status()).toBe(403);
    await page.locator('#step-error h1').waitFor();
    expect(await page.locator('#error-title').textContent()).toBe('This link is not valid');
    await shot(page, '09-invalid-link');
    await context.close();
  }, 360_000);

  it('selfie-check: no face and a dark photo get retake advice; a tampered link is refused', async () => {
    const created = await api('/v1/sessions', { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }) });
    const { capture_url: captureUrl, id } = (await created.json()) as { capture_url: string; id: string };
    const checkUrl = captureUrl.replace(`/capture/${id}?`, `/capture/${id}/selfie-check?`);
    const check = async (body: Buffer, url = checkUrl) => {
      const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: new Blob([new Uint8Array(body)]) });
      return { status: response.status, body: (await response.json()) as { ok: boolean; issues: { check: string; message: string }[] } };
    };
    const grey = await sharp({ create: { width: 480, height: 640, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
    expect(await check(grey)).toMatchObject({ status: 200, body: { ok: false, issues: [{ check: 'noFace' }] } });
    const face = await sharp(sharedData('identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png')).jpeg().toBuffer();
    const good = await check(face);
    expect(good, JSON.stringify(good.body)).toMatchObject({ status: 200, body: { ok: true, issues: [] } });
    const dark = await check(await sharp(face).linear(0.3, 0).jpeg().toBuffer());
    expect(dark.body.ok).toBe(false);
    expect(dark.body.issues.map((i) => i.check)).toContain('dull');
    expect((await check(face, checkUrl.replace(/signature=([0-9a-f])/, (_m, d: string) => `signature=${d === '0' ? '1' : '0'}`))).status).toBe(403);
  });

  it('says clearly when the browser cannot use a camera', async () => {
    const created = await api('/v1/sessions', { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_max_duration: VIDEO_MAX_DURATION } }) });
    const session = (await created.json()) as { capture_url: string };
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    // A browser without MediaRecorder (e.g. an old in-app webview).
    await page.addInitScript(() => Object.defineProperty(window, 'MediaRecorder', { value: undefined }));
    await page.goto(session.capture_url);
    await page.locator('#consent-agree').check();
    await page.locator('#consent-continue').click();
    await page.locator('#step-error h1').waitFor();
    expect(await page.locator('#error-title').textContent()).toBe('This browser is not supported');
    await shot(page, '10-unsupported-browser');
    // Camera permission refused.
    const denied = await context.newPage();
    await denied.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await denied.goto(session.capture_url);
    await denied.locator('#consent-agree').check();
    await denied.locator('#consent-continue').click();
    await denied.locator('#step-error h1').waitFor();
    expect(await denied.locator('#error-title').textContent()).toBe('Camera access is blocked');
    await shot(denied, '11-camera-denied');
    await context.close();
  });
});
