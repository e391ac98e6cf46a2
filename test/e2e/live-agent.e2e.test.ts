/**
 * Live agent video KYC end to end (issue #21): the real service on a socket, and headless Chromium with two browser
 * contexts: the person's capture page, whose fake camera plays a real person's clip (a .y4m made from
 * videos/liveness_tranvanluyt/real.mp4), and the agent console at /agent.
 *  1. The person consents and joins the queue; the session shows the queue position.
 *  2. The agent signs in with their token, sees the person in the queue and takes them; the console receives the
 *     person's camera over WebRTC (host candidates on loopback): the <video> element's time advances and two canvas
 *     samples a second apart differ and are not black; the same holds for the agent's camera on the person's page.
 *  3. The agent hangs up: the person's page offers to rejoin, and rejoining puts them back at the head of the queue.
 *  4. The agent takes them again, sends a prompt (shown on the person's page), takes a snapshot and approves with notes.
 *  5. The person's page uploads its recording of the call; the session completes with result approved, agent_id and
 *     agent_notes; video.completed and video.reviewed reach a local receiver with valid signatures; the recording is
 *     served at video_url, ffprobe reads its video stream and Chromium plays it.
 * A second service with short clocks (SHORT_CLOCKS) shows, in the same browsers, a wait that expires (the page says so,
 * the session is expired) and a call dropped by the person's tab closing (the console says so after the grace time; the
 * reopened page rejoins ahead of someone who joined meanwhile), and a page that deletes on load the call recordings
 * the browser kept (IndexedDB) that it will not send: expired ones and other sessions'.
 * Screenshots go to test-artifacts/live-agent/ (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_CONSENT_TEXT_VERSION } from '../../src/capture/consent.js';
import { verifySignature } from '../../src/webhooks/sign.js';
import { launchWithFakeCamera } from '../helpers/chromium.js';
import { repoRoot, sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const ffmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const ffprobe = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'live-agent');
const SOURCE = 'videos/liveness_tranvanluyt/real.mp4';
/** The recording the person's page uploads lasts at most this, seconds (the page stops its recorder there). */
const VIDEO_MAX_DURATION = 10;
/** Chromium hides host candidates behind mDNS names by default, which a headless browser may not resolve on loopback. */
const WEBRTC_FLAGS = ['--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

interface Delivery {
  body: string;
  signature: string | undefined;
  event: string | undefined;
}

/** A grey-level sample of a <video> element (64×48, Rec. 601 luma 0–255) and its currentTime, seconds. */
interface FrameSample {
  time: number;
  width: number;
  luma: number[];
}

const sampleVideo = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const video = document.querySelector(sel) as HTMLVideoElement;
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(video, 0, 0, 64, 48);
    const data = context.getImageData(0, 0, 64, 48).data;
    const luma: number[] = [];
    for (let i = 0; i < data.length; i += 4) luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
    return { time: video.currentTime, width: video.videoWidth, luma };
  }, selector) as Promise<FrameSample>;

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** A service under test: its address and its app's key. */
interface Target {
  base: string;
  appKey: string;
}

/** The database in which the capture page keeps a call's recording (src/capture/page/capture.js): one store, keyed by [session, seq]. */
const RECORDING_DB = 'capture-live-recording';

/** A kept recording's record: seq 0 describes it (with `expiresAt`, ms since the epoch), 1… are its chunks. */
interface KeptRecord {
  session: string;
  seq: number;
  expiresAt?: number;
}

/** Writes `records` into the page origin's recording database as the capture page writes them (a chunk gets a small blob). */
const seedRecordings = (page: Page, records: KeptRecord[]) =>
  page.evaluate(
    async ({ name, records }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name, 1);
        request.onupgradeneeded = () => request.result.createObjectStore('chunks', { keyPath: ['session', 'seq'] });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      await new Promise((resolve, reject) => {
        const tx = db.transaction('chunks', 'readwrite');
        for (const record of records) {
          tx.objectStore('chunks').put(record.seq === 0 ? { ...record, type: 'video/webm' } : { ...record, blob: new Blob([new Uint8Array(64)], { type: 'video/webm' }) });
        }
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      db.close();
    },
    { name: RECORDING_DB, records },
  );

/** The keys ([session, seq]) left in the page origin's recording database. */
const keptRecordKeys = (page: Page) =>
  page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const request = db.transaction('chunks').objectStore('chunks').getAllKeys();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return keys;
  }, RECORDING_DB);

/** Clocks of the second service (src/config.ts): the shortest queue wait it accepts, and a short drop grace. */
const SHORT_CLOCKS = { LIVE_QUEUE_WAIT_SECONDS: '10', LIVE_DROP_GRACE_SECONDS: '2' };

describe('live agent call: person page and agent console in headless Chromium', () => {
  let service: ServiceProcess;
  let shortService: ServiceProcess;
  let base: string;
  let browser: Browser;
  let receiver: Server;
  let still: Buffer;
  const appKey = randomBytes(24).toString('hex');
  /** The second service, with SHORT_CLOCKS, for the queue expiry and the dropped call. */
  const short: Target = { base: '', appKey: randomBytes(24).toString('hex') };
  const webhookSecret = randomBytes(24).toString('hex');
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const work = mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-'));
    // The fake camera: 6 s of a real person (Chromium loops the file), 640 px wide, 15 fps, raw YUV 4:2:0 (y4m).
    const y4m = path.join(work, 'camera.y4m');
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-t', '6', '-i', sharedData(SOURCE), '-vf', 'scale=640:-2,fps=15', '-pix_fmt', 'yuv420p', y4m]);
    // A still of the same person, uploaded as both the selfie and the document photo through the API, so the page
    // goes from consent straight to the call.
    still = execFileSync(ffmpeg, ['-v', 'error', '-ss', '0.5', '-i', sharedData(SOURCE), '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '2', 'pipe:1'], { maxBuffer: 16 << 20 });

    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        deliveries.push({ body, signature: req.headers['x-webhook-signature'] as string | undefined, event: req.headers['x-webhook-event'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const appsFile = path.join(work, 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify([
        {
          appId: 'live-agent-e2e',
          appKeySha256: createHash('sha256').update(appKey).digest('hex'),
          allowedApis: ['*'],
          rateLimitPerMinute: 1000,
          webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
          webhookSecret,
        },
      ]),
    );
    service = startService({
      APPS_FILE: appsFile,
      MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-nopacks-')),
      VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-video-')),
      WEBHOOK_POLL_INTERVAL_MS: '100',
      ICE_SERVERS: '[]',
    });
    const shortAppsFile = path.join(work, 'apps-short.json');
    writeFileSync(shortAppsFile, JSON.stringify([{ appId: 'live-agent-e2e-short', appKeySha256: createHash('sha256').update(short.appKey).digest('hex'), allowedApis: ['*'], rateLimitPerMinute: 1000 }]));
    shortService = startService({
      APPS_FILE: shortAppsFile,
      MODEL_PACKS_DIR: mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-nopacks-')),
      VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-video-')),
      ...SHORT_CLOCKS,
    });
    browser = await launchWithFakeCamera(y4m, WEBRTC_FLAGS);
    base = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
    short.base = `http://127.0.0.1:${(await waitForOutput(shortService, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const child of [service, shortService]) {
      if (!child) continue;
      child.child.kill('SIGTERM');
      await child.exited;
    }
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** A request with the app's key, to the main service or to `target`. */
  const api = (pathname: string, init: RequestInit = {}, target: Target = { base, appKey }) =>
    fetch(`${target.base}${pathname}`, { ...init, headers: { Authorization: `Bearer ${target.appKey}`, 'Content-Type': 'application/json', ...init.headers } });
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const bodyData = (page: Page, key: string) => page.evaluate((k) => document.body.dataset[k], key);
  /** Waits until the page's body has data-`key`="`value`"; on a timeout, says what the page showed instead. */
  const waitForData = async (page: Page, key: string, value: string, timeout = 30_000) => {
    try {
      await page.waitForFunction(([k, v]) => document.body.dataset[k!] === v, [key, value] as const, { timeout });
    } catch (error) {
      const state = await page.evaluate(() => ({ data: { ...document.body.dataset }, text: document.querySelector('main')?.innerText })).catch(() => undefined);
      throw new Error(`waiting for data-${key}="${value}" on ${page.url()}: ${(error as Error).message}\npage state: ${JSON.stringify(state)}`);
    }
  };

  /** Collects uncaught errors and failed requests of a page (both pages must have none). */
  function watch(page: Page, errors: string[], label: string) {
    page.on('pageerror', (error) => errors.push(`${label}: ${error.message}`));
    page.on('response', (r) => r.status() >= 400 && errors.push(`${label}: ${r.status()} ${r.request().method()} ${r.url()}`));
  }

  /** The agent takes the next person and the console shows their camera: time advances, frames differ, not black. */
  async function takeAndSeeVideo(agent: Page, label: string): Promise<{ first: FrameSample; second: FrameSample }> {
    await page2Queue(agent, 1);
    await agent.locator('#take-next').click();
    await waitForData(agent, 'view', 'call');
    const samples = await twoSamples(agent, '#remote-video');
    await shot(agent, `${label}-agent-video`);
    return samples;
  }

  /** Waits until a <video> plays (frames, time past 0.5 s), then samples it twice, 1.2 s apart. */
  async function twoSamples(page: Page, selector: string): Promise<{ first: FrameSample; second: FrameSample }> {
    await page.waitForFunction((sel) => {
      const video = document.querySelector(sel) as HTMLVideoElement;
      return video.videoWidth > 0 && video.currentTime > 0.5;
    }, selector, { timeout: 45_000 });
    const first = await sampleVideo(page, selector);
    await page.waitForTimeout(1200);
    const second = await sampleVideo(page, selector);
    return { first, second };
  }

  /** Waits until the console's polled queue lists `count` people. */
  const page2Queue = (agent: Page, count: number) => waitForData(agent, 'queueLength', String(count), 20_000);

  function expectLiveFrames({ first, second }: { first: FrameSample; second: FrameSample }) {
    expect(first.width).toBeGreaterThan(0);
    expect(second.time).toBeGreaterThan(first.time);
    // Not black: a camera frame of a lit face averages far above the ~16 of video black (BT.601 footroom).
    expect(mean(first.luma)).toBeGreaterThan(40);
    expect(mean(second.luma)).toBeGreaterThan(40);
    expect(Math.max(...second.luma) - Math.min(...second.luma)).toBeGreaterThan(60);
    // Moving: the person moves between the samples (a frozen frame gives a mean difference near 0).
    const difference = mean(first.luma.map((v, i) => Math.abs(v - second.luma[i]!)));
    expect(difference).toBeGreaterThan(1);
    return difference;
  }

  /** A live agent session with its document and selfie uploaded (so the page goes from consent to the call). */
  async function readySession(target: Target = { base, appKey }): Promise<{ id: string; capture_url: string }> {
    const created = await api(
      '/v1/sessions',
      { method: 'POST', body: JSON.stringify({ profile: { steps: ['document', 'selfie', 'video'], video_mode: 'live_agent', video_max_duration: VIDEO_MAX_DURATION, video_language: 'en' } }) },
      target,
    );
    expect(created.status, await created.clone().text()).toBe(201);
    const session = (await created.json()) as { id: string; capture_url: string; capture: Record<string, { upload_url: string }> };
    for (const [step, field] of [['document', 'front'], ['selfie', 'image']] as const) {
      const form = new FormData();
      form.append(field, new Blob([new Uint8Array(still)], { type: 'image/jpeg' }), `${step}.jpg`);
      const uploaded = await fetch(session.capture[step]!.upload_url, { method: 'POST', body: form });
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    }
    return session;
  }

  /** An agent account of the target's app: its id and token. */
  async function newAgent(name: string, target: Target = { base, appKey }): Promise<{ id: string; token: string }> {
    const created = await api('/v1/agents', { method: 'POST', body: JSON.stringify({ name }) }, target);
    expect(created.status, await created.clone().text()).toBe(201);
    return (await created.json()) as { id: string; token: string };
  }

  /** Opens the person's page, consents and joins the queue; returns the page's embedded capture info. */
  async function joinOnPage(page: Page, captureUrl: string): Promise<any> {
    expect((await page.goto(captureUrl))!.status()).toBe(200);
    const config = JSON.parse((await page.locator('#capture-config').textContent())!);
    await page.locator('#consent-agree').check();
    await page.locator('#consent-continue').click();
    await page.locator('#step-live h1').waitFor();
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLVideoElement).videoWidth > 0);
    await page.locator('#live-join').click();
    await waitForData(page, 'live', 'waiting');
    return config;
  }

  async function signIn(agent: Page, target: Target, token: string) {
    await agent.goto(`${target.base}/agent`);
    await waitForData(agent, 'view', 'sign-in');
    await agent.locator('#token').fill(token);
    await agent.locator('#sign-in').click();
    await waitForData(agent, 'view', 'queue');
  }

  it('person joins, agent takes the call and sees live video, hang-up and rejoin at the head, prompt, snapshot, approval; webhooks and the recording', async () => {
    // An agent of the app, and a live agent session with its document and selfie uploaded.
    const agentAccount = await newAgent('Ana Agent');
    expect(agentAccount.token).toMatch(/^agt_/);

    const session = await readySession();

    const errors: string[] = [];
    const personContext: BrowserContext = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const agentContext: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const person = await personContext.newPage();
    const agent = await agentContext.newPage();
    watch(person, errors, 'person');
    watch(agent, errors, 'agent');

    // 1. The person consents (to the live call's wording) and joins the queue.
    const config = await joinOnPage(person, session.capture_url);
    expect(Object.keys(config.live ?? {}).sort()).toEqual(['events_url', 'ice_servers', 'join_url', 'leave_url', 'signal_url']);
    expect(config.consent.version).toBe(LIVE_CONSENT_TEXT_VERSION);
    expect(await bodyData(person, 'queuePosition')).toBe('1');
    expect(await person.locator('#live-status').textContent()).toMatch(/next in line/);
    await shot(person, '1-person-waiting');
    const waiting = (await (await api(`/v1/sessions/${session.id}`)).json()) as any;
    expect(waiting.live).toMatchObject({ state: 'waiting', queue_position: 1, agent_id: null });

    // 2. The agent signs in, sees the person waiting, takes them and sees their camera.
    const consolePage = await agent.goto(`${base}/agent`);
    expect(consolePage!.status()).toBe(200);
    expect(consolePage!.headers()['content-security-policy']).toContain("default-src 'none'");
    await waitForData(agent, 'view', 'sign-in');
    await agent.locator('#token').fill('agt_not-a-real-token');
    await agent.locator('#sign-in').click();
    await agent.waitForFunction(() => /not valid/.test(document.getElementById('sign-in-error')!.textContent ?? ''));
    // The refused sign-in is the one expected failed request.
    expect(errors.splice(0).filter((e) => !/401|403/.test(e))).toEqual([]);
    await agent.locator('#token').fill(agentAccount.token);
    await agent.locator('#sign-in').click();
    await waitForData(agent, 'agentId', agentAccount.id);
    expect(await agent.locator('#agent-name').textContent()).toContain('Ana Agent');
    await page2Queue(agent, 1);
    expect(await agent.locator('#queue-rows').textContent()).toContain(session.id);
    await shot(agent, '2-agent-queue');
    const firstCall = expectLiveFrames(await takeAndSeeVideo(agent, '3'));
    await waitForData(person, 'live', 'in_call');
    expect(await agent.locator('#call-session').textContent()).toBe(session.id);
    // And the other way: the console answers with the agent's camera (the same fake device here), which the person's page plays.
    expect(await agent.locator('#local-video').isVisible()).toBe(true);
    const agentOnPersonPage = expectLiveFrames(await twoSamples(person, '#agent-video'));
    await shot(person, '3-person-in-call');
    const inCall = (await (await api(`/v1/sessions/${session.id}`)).json()) as any;
    expect(inCall.live).toMatchObject({ state: 'in_call', agent_id: agentAccount.id });
    expect(inCall.status).toBe('in_progress');

    // 3. The agent hangs up without a decision: the person may rejoin, at the head of the queue.
    await agent.locator('#hangup').click();
    await waitForData(agent, 'lastEnded', 'hung_up');
    await waitForData(person, 'liveEnded', 'dropped');
    // Waits for the button to show (the page reveals it after setting liveEnded; isVisible() right away raced it in CI).
    await person.locator('#live-rejoin').waitFor({ state: 'visible', timeout: 5000 });
    await shot(person, '4-person-dropped');
    await person.locator('#live-rejoin').click();
    await waitForData(person, 'live', 'waiting');
    expect(await bodyData(person, 'queuePosition')).toBe('1');

    // 4. The agent takes them again: video, evidence and checks, a prompt, a snapshot, the approval with notes.
    const secondCall = expectLiveFrames(await takeAndSeeVideo(agent, '5'));
    console.log(`live agent e2e: mean luma difference over 1.2 s: person's camera on the console ${firstCall.toFixed(1)} (first call), ${secondCall.toFixed(1)} (second call); agent's camera on the person's page ${agentOnPersonPage.toFixed(1)}`);
    await agent.waitForFunction(() => (document.getElementById('selfie') as HTMLImageElement).naturalWidth > 0 && (document.getElementById('document') as HTMLImageElement).naturalWidth > 0);
    expect(await agent.locator('#check-face-match').textContent()).toMatch(/^\d+(\.\d)? \/ 100$|^not available$/);
    const prompt = (await agent.locator('button.prompt').first().getAttribute('data-prompt'))!;
    await agent.locator('button.prompt').first().click();
    await person.waitForFunction((text) => document.body.dataset.livePrompt === text, prompt);
    expect(await person.locator('#live-prompt').textContent()).toBe(prompt);
    await shot(person, '6-person-prompt');
    await agent.locator('#snapshot').click();
    await waitForData(agent, 'snapshots', '1');
    expect(await agent.locator('#snapshot-list img').count()).toBe(1);
    const notes = 'Document front shown and matches the face; head turn performed.';
    await agent.locator('#notes').fill(notes);
    await shot(agent, '7-agent-call');
    await agent.locator('#approve').click();
    await waitForData(agent, 'decision', 'approved');
    await waitForData(agent, 'lastEnded', 'decided');

    // 5. The person's page uploads the recording of the call and says the result.
    await waitForData(person, 'liveResult', 'approved');
    await person.waitForFunction(() => document.body.dataset.step === 'done' || document.body.dataset.step === 'error', undefined, { timeout: 60_000 });
    expect(await bodyData(person, 'step'), await person.locator('main').innerText()).toBe('done');
    expect(await person.locator('#done-message').textContent()).toMatch(/approved/);
    expect(await bodyData(person, 'recordedType')).toMatch(/^video\/webm/);
    await shot(person, '8-person-done');
    expect(errors).toEqual([]);
    // Sent: the copy the page kept in IndexedDB is gone from the device.
    await expect.poll(() => keptRecordKeys(person), { timeout: 10_000 }).toEqual([]);

    // The session: completed by the agent's decision, the automatic scores filled by the recording's processing.
    let video: any;
    const deadline = Date.now() + 150_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      video = await (await api(`/v1/sessions/${session.id}/video`)).json();
    } while (!(video.status === 'completed' && video.video_url && typeof video.face_match_score === 'number') && Date.now() < deadline);
    const stored = (await (await api(`/v1/sessions/${session.id}`)).json()) as any;
    console.log(`live agent e2e: result=${video.result} face_match_score=${video.face_match_score} liveness_score=${video.liveness_score} duration=${video.duration_seconds}s reason=${stored.result_reason}`);
    expect(video, JSON.stringify(stored)).toMatchObject({ session_id: session.id, video_mode: 'live_agent', status: 'completed', result: 'approved', agent_id: agentAccount.id, agent_notes: notes });
    expect(typeof video.face_match_score).toBe('number');
    expect(typeof video.liveness_score).toBe('number');
    expect(video.duration_seconds).toBeGreaterThan(0);
    expect(video.duration_seconds).toBeLessThanOrEqual(VIDEO_MAX_DURATION);
    expect(stored.consent).toMatchObject({ text_version: config.consent.version, ip: '127.0.0.1' });
    expect(stored.live).toMatchObject({ state: 'ended' });

    // Both webhooks, signed with the app's secret.
    const hookDeadline = Date.now() + 30_000;
    const has = (event: string) => deliveries.some((d) => d.event === event);
    while (!(has('video.completed') && has('video.reviewed')) && Date.now() < hookDeadline) await new Promise((r) => setTimeout(r, 200));
    // README "Webhooks": data.status is "completed" in video.completed and the decision in video.reviewed.
    for (const [event, status] of [['video.completed', 'completed'], ['video.reviewed', 'approved']] as const) {
      const hook = deliveries.find((d) => d.event === event);
      expect(hook, `${event} delivered (got ${deliveries.map((d) => d.event).join(', ')})`).toBeDefined();
      expect(verifySignature(webhookSecret, hook!.body, hook!.signature)).toMatchObject({ ok: true });
      expect(verifySignature('x'.repeat(48), hook!.body, hook!.signature).ok).toBe(false);
      const payload = JSON.parse(hook!.body);
      expect(payload).toMatchObject({ event, data: { session_id: session.id, video_mode: 'live_agent', status } });
    }

    // The recording: served at video_url, a VP8/VP9 WebM with a video stream, which Chromium plays.
    const download = await fetch(video.video_url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/webm');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'live-agent-e2e-dl-')), 'call.webm');
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    const probe = JSON.parse(execFileSync(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', file], { encoding: 'utf8' })) as { streams: { codec_type: string; codec_name: string }[] };
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toMatch(/^vp[89]$/);
    const player = await agentContext.newPage();
    await player.goto(`${base}/health`);
    const playback = await player.evaluate(async (url) => {
      const element = document.createElement('video');
      element.muted = true;
      element.src = url;
      document.body.appendChild(element);
      await new Promise((resolve, reject) => {
        element.addEventListener('loadeddata', resolve, { once: true });
        element.addEventListener('error', () => reject(new Error(`media error ${element.error?.code}`)), { once: true });
      });
      await element.play();
      await new Promise((r) => setTimeout(r, 500));
      return { readyState: element.readyState, width: element.videoWidth, currentTime: element.currentTime };
    }, video.video_url as string);
    expect(playback.readyState).toBeGreaterThanOrEqual(2);
    expect(playback.width).toBeGreaterThan(0);
    expect(playback.currentTime).toBeGreaterThan(0);
    await personContext.close();
    await agentContext.close();
  }, 360_000);
  it('nobody takes the call: the wait expires, the page says so and the session is expired', async () => {
    const session = await readySession(short);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const person = await context.newPage();
    const started = Date.now();
    await joinOnPage(person, session.capture_url);
    expect(await bodyData(person, 'queuePosition')).toBe('1');
    // LIVE_QUEUE_WAIT_SECONDS = 10, applied by the service's sweep once a second.
    await person.locator('#step-error h1').waitFor({ timeout: 30_000 });
    const waitedSeconds = (Date.now() - started) / 1000;
    expect(await bodyData(person, 'error')).toBe('queueExpired');
    expect(await person.locator('#error-title').textContent()).toBe('No agent was available');
    await shot(person, '9-person-queue-expired');
    expect(waitedSeconds).toBeGreaterThanOrEqual(Number(SHORT_CLOCKS.LIVE_QUEUE_WAIT_SECONDS) - 1);
    const expired = (await (await api(`/v1/sessions/${session.id}`, {}, short)).json()) as any;
    expect(expired.status).toBe('expired');
    expect(expired.live).toMatchObject({ state: 'ended', last_call_end: 'expired' });
    await context.close();
  }, 120_000);

  it("the page deletes the call recordings the browser kept that it will not send: expired ones and other sessions'", async () => {
    const session = await readySession(short);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors: string[] = [];
    watch(page, errors, 'person');
    const HOUR_MS = 3_600_000;
    // Left by earlier pages of this origin: this session's recording, expired a minute ago (a page closed after the
    // decision whose link has run out), and another session's, not expired.
    await page.goto(`${short.base}/health`);
    await seedRecordings(page, [
      { session: session.id, seq: 0, expiresAt: Date.now() - 60_000 },
      { session: session.id, seq: 1 },
      { session: 'another-session', seq: 0, expiresAt: Date.now() + HOUR_MS },
      { session: 'another-session', seq: 1 },
      { session: 'another-session', seq: 2 },
    ]);
    expect(await keptRecordKeys(page)).toHaveLength(5);
    expect((await page.goto(session.capture_url))!.status()).toBe(200);
    await expect.poll(() => keptRecordKeys(page), { timeout: 10_000 }).toEqual([]);
    await waitForData(page, 'recordingsChecked', 'true', 10_000);

    // This session's own recording, not expired, stays (a reopened page may still send it); another session's goes.
    await seedRecordings(page, [
      { session: session.id, seq: 0, expiresAt: Date.now() + HOUR_MS },
      { session: session.id, seq: 1 },
      { session: 'another-session', seq: 0, expiresAt: Date.now() + HOUR_MS },
      { session: 'another-session', seq: 1 },
    ]);
    await page.reload();
    await waitForData(page, 'recordingsChecked', 'true', 10_000);
    expect(await keptRecordKeys(page)).toEqual([
      [session.id, 0],
      [session.id, 1],
    ]);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("the person's page closes during the call: the call drops after the grace time, the console says so, the person rejoins at the head of the queue", async () => {
    const agentAccount = await newAgent('Bo Agent', short);
    const dropped = await readySession(short);
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const agent = await agentContext.newPage();
    let personContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    let person = await personContext.newPage();
    await joinOnPage(person, dropped.capture_url);
    await signIn(agent, short, agentAccount.token);
    expectLiveFrames(await takeAndSeeVideo(agent, '10'));
    await waitForData(person, 'live', 'in_call');

    // The person's browser goes away (the tab is closed): no leave, only the event stream ending.
    await personContext.close();
    await waitForData(agent, 'lastEnded', 'dropped', 20_000);
    expect(await agent.locator('#last-outcome').textContent()).toMatch(/dropped/);
    await shot(agent, '11-agent-dropped');
    const afterDrop = (await (await api(`/v1/sessions/${dropped.id}`, {}, short)).json()) as any;
    expect(afterDrop.live).toMatchObject({ state: 'not_joined', last_call_end: 'dropped' });

    // Someone else joins meanwhile (through their page's signed join link); the dropped person, coming back, goes first.
    const other = await readySession(short);
    const otherPage = await (await fetch(other.capture_url)).text();
    const otherConfig = JSON.parse(otherPage.match(/<script id="capture-config" type="application\/json">([^<]*)<\/script>/)![1]!);
    const joined = await fetch(otherConfig.live.join_url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ consent_given_at: new Date().toISOString(), consent_text_version: otherConfig.consent.version }) });
    expect(joined.status, await joined.clone().text()).toBe(200);
    expect(((await joined.json()) as any).queue_position).toBe(1);
    personContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    person = await personContext.newPage();
    await joinOnPage(person, dropped.capture_url);
    expect(await bodyData(person, 'queuePosition')).toBe('1');
    const queue = (await (await fetch(`${short.base}/v1/agent/queue`, { headers: { Authorization: `Bearer ${agentAccount.token}` } })).json()) as any;
    expect(queue.waiting.map((w: any) => [w.session_id, w.queue_position])).toEqual([
      [dropped.id, 1],
      [other.id, 2],
    ]);
    await waitForData(agent, 'queueLength', '2');
    expect(await agent.locator('#queue-rows tr').first().getAttribute('data-session-id')).toBe(dropped.id);
    await personContext.close();
    await agentContext.close();
  }, 180_000);
});
