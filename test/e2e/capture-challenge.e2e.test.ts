/**
 * The active liveness challenge on the hosted capture page, end to end (issue #14): the real service on a socket, headless
 * Chromium with a fake camera that plays one fixed recording, the page showing the session's challenge one step at a
 * time while MediaRecorder records, the upload carrying the challenge id, and the service's processing judging it.
 *
 * The fake camera plays a test recording that performs turnLeft → lookDown → turnRight (test/helpers/challenge-
 * recordings.ts: pieces of videos/liveness_tranvanluyt/real.mp4), then a second of rest, then 0.6 s of magenta; Chromium
 * loops the file. The test starts the recording on the first frame after the magenta (watching the preview's frames in
 * the page), so the recording starts where the performance starts, whatever the moment the camera was opened.
 *  - A session's own, randomly drawn challenge fails on this recording (any draw but this one sequence: a draw equal to
 *    it, 1 in 150, is redrawn by creating another session).
 *  - The same flow with the session's challenge pinned to the recording's sequence and windows (the test writes it into
 *    the service's database before the page is opened, as the issuing side would have drawn it) passes.
 *  - That session's recording, downloaded and uploaded again to a new session of the same app (its challenge pinned the
 *    same way, so that only the replay can decline it), is flagged `replayed_recording` of the first and declined.
 * The random and the pinned flows run under two apps: the camera plays the same loop in both, and replays are looked
 * for within an app.
 * Screenshots go to test-artifacts/capture-challenge/ (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TEXT_VERSION } from '../../src/capture/consent.js';
import type { ChallengeAction } from '../../src/pipeline/challenge.js';
import { challengePromptsFor } from '../../src/sessions/prompts.js';
import { buildChallengeRecording, CHALLENGE_SOURCE, recordingWindows } from '../helpers/challenge-recordings.js';
import { launchWithFakeCamera } from '../helpers/chromium.js';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'capture-challenge');
/** The recording's sequence: three steps, no blink (a blink's closed frames are the first thing a camera loop at a low rate or a low bitrate loses). */
const SEQUENCE: readonly ChallengeAction[] = ['turnLeft', 'lookDown', 'turnRight'];
/** 12 s holds exactly a three-step challenge (src/sessions/challenge-draw.ts: 2 s + 3 × 3 s + 1 s), so every draw has three steps. */
const VIDEO_MAX_DURATION = 12;
/** How much earlier than the recording's windows the pinned ones open, seconds (see pinChallenge). */
const PIN_LEAD_SECONDS = 0.25;

interface SessionBody {
  id: string;
  capture_url: string;
  capture: Record<string, { upload_url: string }>;
  challenge: { id: string; steps: { action: ChallengeAction; window_s: [number, number] }[]; recording_seconds: number };
}

describe('active liveness challenge on the capture page, headless Chromium', () => {
  let service: ServiceProcess;
  let base: string;
  let browser: Browser;
  let dataDir: string;
  let selfie: Buffer;
  /** Two apps: `random` and `pinned` (see the module comment). */
  const appKeys = { random: randomBytes(24).toString('hex'), pinned: randomBytes(24).toString('hex') };
  type AppName = keyof typeof appKeys;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const work = mkdtempSync(path.join(tmpdir(), 'capture-challenge-e2e-'));
    const recording = buildChallengeRecording(work, SEQUENCE, ffmpeg);
    // The camera's loop: the performance (11.8 s), a second of rest (real.mp4 19.7–20.7 s, as the recording's tail), then
    // 0.6 s of magenta, the marker the test starts recording after. 30 fps, as the source: a camera at 15 fps would
    // drop half of each movement's frames. Raw YUV 4:2:0 (y4m), which Chromium's fake capture device reads.
    const y4m = path.join(work, 'camera.y4m');
    execFileSync(ffmpeg, [
      '-v', 'error', '-y',
      '-i', recording.file,
      '-ss', '19.7', '-t', '1.0', '-i', sharedData(CHALLENGE_SOURCE),
      '-f', 'lavfi', '-i', 'color=c=magenta:s=368x656:r=30:d=0.6',
      '-filter_complex', '[0:v]fps=30,setsar=1[a];[1:v]setpts=PTS-STARTPTS,fps=30,setsar=1[b];[2:v]setsar=1[c];[a][b][c]concat=n=3:v=1:a=0,format=yuv420p[out]',
      '-map', '[out]', y4m,
    ]);
    // The selfie is uploaded through the API (a still of the same person at rest), so the page goes from consent
    // straight to the video step and the camera's loop never has to be caught at a frontal moment for a photo.
    selfie = execFileSync(ffmpeg, ['-v', 'error', '-ss', '0.5', '-i', sharedData(CHALLENGE_SOURCE), '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '2', 'pipe:1'], { maxBuffer: 16 << 20 });
    const appsFile = path.join(work, 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify(
        Object.entries(appKeys).map(([name, key]) => ({ appId: `challenge-e2e-${name}`, appKeySha256: createHash('sha256').update(key).digest('hex'), allowedApis: ['*'], rateLimitPerMinute: 1000 })),
      ),
    );
    dataDir = mkdtempSync(path.join(tmpdir(), 'capture-challenge-data-'));
    service = startService({
      APPS_FILE: appsFile,
      DATA_DIR: dataDir,
      MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'capture-challenge-nopacks-')),
      VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), 'capture-challenge-video-')),
    });
    browser = await launchWithFakeCamera(y4m);
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });

  const api = (app: AppName, pathname: string, init: RequestInit = {}) =>
    fetch(`${base}${pathname}`, { ...init, headers: { Authorization: `Bearer ${appKeys[app]}`, 'Content-Type': 'application/json', ...init.headers } });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** A session with its selfie uploaded; `notSequence`: redrawn until its challenge differs from it. */
  async function readySession(app: AppName, notSequence?: readonly ChallengeAction[]): Promise<SessionBody> {
    for (;;) {
      const created = await api(app, '/v1/sessions', { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_max_duration: VIDEO_MAX_DURATION, video_language: 'en' } }) });
      expect(created.status).toBe(201);
      const session = (await created.json()) as SessionBody;
      expect(session.challenge.steps).toHaveLength(3);
      if (notSequence && session.challenge.steps.map((s) => s.action).join() === notSequence.join()) continue;
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(selfie)], { type: 'image/jpeg' }), 'selfie.jpg');
      const uploaded = await fetch(session.capture.selfie!.upload_url, { method: 'POST', body: form });
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
      return session;
    }
  }

  /**
   * Pins the session's challenge to the recording's sequence and windows in the service's database (the challenges
   * table, src/sessions/challenge-repository.ts), as if the issuer had drawn it. The windows open PIN_LEAD_SECONDS
   * earlier than the recording's: the page starts recording a frame or more after the marker ends (the click, then
   * MediaRecorder's first frame), so each movement lands that much earlier in the upload, and the first one starts
   * 0.1–0.3 s into its window (turnLeft's head is at −19° 0.2 s in).
   */
  function pinChallenge(sessionId: string): { action: ChallengeAction; windowSeconds: [number, number] }[] {
    const windows = recordingWindows(SEQUENCE.length).map(([start, end]) => [start - PIN_LEAD_SECONDS, end - PIN_LEAD_SECONDS] as [number, number]);
    const steps = SEQUENCE.map((action, k) => ({ action, windowSeconds: windows[k]! }));
    const db = new Database(path.join(dataDir, 'store.sqlite'));
    try {
      db.pragma('busy_timeout = 5000');
      const changed = db.prepare('UPDATE challenges SET steps = ?, recording_seconds = ? WHERE session_id = ? AND used_at IS NULL').run(JSON.stringify(steps), VIDEO_MAX_DURATION, sessionId).changes;
      expect(changed).toBe(1);
    } finally {
      db.close();
    }
    return steps;
  }

  /**
   * Opens the page, gives consent, and records on the first camera frame after the magenta marker; returns the phases
   * the page showed, in order, and what it said during the first step.
   */
  async function recordOnPage(session: SessionBody, label: string): Promise<{ shown: string; firstStepText: string; config: any }> {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    await page.goto(session.capture_url);
    const config = JSON.parse((await page.locator('#capture-config').textContent())!);
    await page.locator('#consent-agree').check();
    await page.locator('#consent-continue').click();
    await page.locator('#step-video h1').waitFor();
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    // Before Start: the challenge panel (not the fixed prompt list) and the lead-in instruction.
    expect(await page.locator('#challenge-panel').isVisible()).toBe(true);
    expect(await page.locator('#prompt-list').isVisible()).toBe(false);
    expect(await page.locator('#challenge-text').textContent()).toBe(challengePromptsFor('en').leadIn);
    expect(await page.locator('#countdown').textContent()).toBe(`0:${String(Math.ceil(Math.min(config.challenge.recordingSeconds, VIDEO_MAX_DURATION - 0.3))).padStart(2, '0')}`);
    await shot(page, `${label}-1-ready`);
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const video = document.getElementById('preview') as HTMLVideoElement;
          const canvas = document.createElement('canvas');
          canvas.width = 8;
          canvas.height = 8;
          const context2d = canvas.getContext('2d', { willReadFrequently: true })!;
          let marker = false;
          const onFrame = () => {
            context2d.drawImage(video, 0, 0, 8, 8);
            const pixels = context2d.getImageData(0, 0, 8, 8).data;
            let r = 0;
            let g = 0;
            let b = 0;
            for (let i = 0; i < pixels.length; i += 4) {
              r += pixels[i]!;
              g += pixels[i + 1]!;
              b += pixels[i + 2]!;
            }
            const n = pixels.length / 4;
            const magenta = r / n > 150 && g / n < 100 && b / n > 150;
            if (magenta) marker = true;
            else if (marker) {
              (document.getElementById('video-start') as HTMLButtonElement).click();
              return resolve();
            }
            video.requestVideoFrameCallback(onFrame);
          };
          video.requestVideoFrameCallback(onFrame);
        }),
    );
    // During the first step's window: its instruction, its countdown, "Instruction 1 of 3".
    const firstWindow = config.challenge.steps[0].windowSeconds as [number, number];
    await page.waitForTimeout((firstWindow[0] + 0.8) * 1000);
    const firstStepText = (await page.locator('#challenge-text').textContent())!;
    expect(await page.locator('#challenge-progress').textContent()).toBe(`Instruction 1 of ${config.challenge.steps.length}`);
    expect(Number(await page.locator('#challenge-countdown').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#video-stop').isDisabled()).toBe(true);
    await shot(page, `${label}-2-first-step`);
    await page.waitForFunction(() => document.body.dataset.step === 'done' || document.body.dataset.step === 'error', undefined, { timeout: 90_000 });
    expect(await page.evaluate(() => document.body.dataset.step), await page.locator('main').innerText()).toBe('done');
    const shown = (await page.evaluate(() => document.body.dataset.challengeShown))!;
    expect(errors).toEqual([]);
    await context.close();
    return { shown, firstStepText, config };
  }

  async function completed(app: AppName, sessionId: string): Promise<{ video: any; session: any }> {
    const deadline = Date.now() + 150_000;
    let video: any;
    do {
      await new Promise((r) => setTimeout(r, 500));
      video = await (await api(app, `/v1/sessions/${sessionId}/video`)).json();
    } while (video.status !== 'completed' && Date.now() < deadline);
    const session = await (await api(app, `/v1/sessions/${sessionId}`)).json();
    expect(video.status, JSON.stringify(session)).toBe('completed');
    return { video, session };
  }

  it('a random challenge: the page shows its steps in order, the fixed recording does not perform them, the session is declined', async () => {
    const session = await readySession('random', SEQUENCE);
    const drawn = session.challenge.steps.map((s) => s.action);
    const { shown, firstStepText, config } = await recordOnPage(session, 'random');
    // The page ran the session's own challenge: the same id, steps and windows as the session's body.
    expect(config.challenge.id).toBe(session.challenge.id);
    expect(config.challenge.steps.map((s: any) => [s.action, s.windowSeconds])).toEqual(session.challenge.steps.map((s) => [s.action, s.window_s]));
    expect(shown).toBe(['leadIn', ...drawn, 'tail'].join(' '));
    expect(firstStepText).toBe(challengePromptsFor('en')[drawn[0]!]);
    const { video, session: stored } = await completed('random', session.id);
    console.log(`capture challenge e2e (random ${drawn.join(' → ')}): result=${video.result} steps=${JSON.stringify(video.challenge?.steps.map((s: any) => [s.action, s.detected_at_s, s.amplitude]))}`);
    expect(video.challenge).toMatchObject({ id: session.challenge.id, passed: false });
    expect(video.result).toBe('declined');
    expect(video.liveness_score).toBe(0);
    expect(stored.result_reason).toMatch(/The active liveness challenge was not performed: /);
    expect(video.replayed_recording).toBeNull();
  }, 300_000);

  let pinnedSession: { id: string; videoUrl: string } | undefined;

  it('the same recording with the challenge pinned to what it performs: shown, performed, passed', async () => {
    const session = await readySession('pinned');
    const pinned = pinChallenge(session.id);
    const { shown, firstStepText, config } = await recordOnPage(session, 'pinned');
    expect(config.challenge.steps.map((s: any) => [s.action, s.windowSeconds])).toEqual(pinned.map((s) => [s.action, s.windowSeconds]));
    expect(shown).toBe(['leadIn', ...SEQUENCE, 'tail'].join(' '));
    expect(firstStepText).toBe(challengePromptsFor('en').turnLeft);
    const { video, session: stored } = await completed('pinned', session.id);
    console.log(`capture challenge e2e (pinned): result=${video.result} liveness=${video.liveness_score} steps=${JSON.stringify(video.challenge?.steps.map((s: any) => [s.action, s.detected_at_s, s.amplitude]))} reason=${stored.result_reason}`);
    expect(video.challenge, JSON.stringify(video.challenge)).toMatchObject({ id: session.challenge.id, passed: true });
    expect(video.challenge.steps.map((s: any) => s.passed)).toEqual([true, true, true]);
    expect(stored.result_reason ?? '').not.toMatch(/challenge/);
    expect(video.replayed_recording).toBeNull();
    pinnedSession = { id: session.id, videoUrl: video.video_url };
  }, 300_000);

  it('the recording uploaded again to another session of the app: flagged replayed_recording of the first, declined, though its challenge passes', async () => {
    expect(pinnedSession, 'runs after the pinned flow').toBeDefined();
    const recorded = await fetch(pinnedSession!.videoUrl);
    expect(recorded.status).toBe(200);
    const bytes = new Uint8Array(await recorded.arrayBuffer());
    const session = await readySession('pinned');
    pinChallenge(session.id);
    const form = new FormData();
    form.append('consent_given_at', new Date().toISOString());
    form.append('consent_text_version', CONSENT_TEXT_VERSION);
    form.append('video', new Blob([bytes], { type: 'video/webm' }), 'capture.webm');
    const uploaded = await fetch(session.capture.video!.upload_url, { method: 'POST', body: form });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const { video, session: stored } = await completed('pinned', session.id);
    console.log(`capture challenge e2e (replayed): result=${video.result} replayed_recording=${JSON.stringify(video.replayed_recording)} reason=${stored.result_reason}`);
    expect(video.challenge).toMatchObject({ passed: true });
    expect(video.replayed_recording).toMatchObject({ session_id: pinnedSession!.id });
    expect(video.replayed_recording.similarity).toBeGreaterThan(0.9);
    expect(video.result).toBe('declined');
    expect(stored.result_reason).toContain(`The video is a recording already uploaded to session ${pinnedSession!.id}`);
  }, 300_000);
});
