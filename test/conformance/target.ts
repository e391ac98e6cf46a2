/**
 * The deployment the conformance suite talks to.
 *
 * Remote (CONFORMANCE_BASE_URL set): any deployment, given an app that may call checkLiveness, matchFace and sessions
 * (CONFORMANCE_APP_ID, CONFORMANCE_APP_KEY; the key must be stored encrypted there, as the Tencent and ADVANCE.AI
 * signatures need it). A recorded session is optional: CONFORMANCE_LIVENESS_ID (its id: ADVANCE.AI's livenessId,
 * Tencent's SignId) and CONFORMANCE_FLOW_ID (its external_id: Tencent's FlowId, ADVANCE.AI's signatureId); without
 * them the success cases of Get Video and DescribeSignFaceVideo are skipped, saying so.
 *
 * Local (no CONFORMANCE_BASE_URL): the real service, started as `npm start` would run it (tsx src/main.ts) on a
 * loopback port, with embedded models and no packs, an APPS_FILE written by the operator CLI (npm run apps -- add)
 * holding the app's key encrypted under a fresh SECRETS_KEY, and a session recorded through the Sessions API with a
 * real selfie and a short real clip, as a customer's capture page would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run as appsCli } from '../../scripts/apps.js';
import { sharedData } from '../helpers/reference.js';
import { type ServiceProcess, startService, waitForOutput } from '../helpers/server.js';

export interface RecordedSession {
  /** The session id: ADVANCE.AI `livenessId`, Tencent `SignId`. */
  livenessId: string;
  /** The session's external_id: Tencent `FlowId`, ADVANCE.AI `signatureId`; undefined when not given (remote). */
  flowId?: string;
  /** The recorded bytes, when this suite uploaded them (local). */
  video?: Uint8Array;
}

export interface ConformanceTarget {
  mode: 'local' | 'remote';
  baseUrl: string;
  appId: string;
  appKey: string;
  /** A session with a recorded video, or why there is none. */
  recorded: RecordedSession | { missing: string };
  /** Stops what was started (local); checks that the service exits cleanly. */
  close(): Promise<void>;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is required with CONFORMANCE_BASE_URL (README "Conformance")`);
  return value;
}

export async function openTarget(env: NodeJS.ProcessEnv = process.env): Promise<ConformanceTarget> {
  const baseUrl = env.CONFORMANCE_BASE_URL?.trim();
  if (baseUrl) {
    if (!/^https?:\/\//.test(baseUrl)) throw new Error(`CONFORMANCE_BASE_URL must be an http(s) URL, got "${baseUrl}"`);
    const livenessId = env.CONFORMANCE_LIVENESS_ID?.trim();
    const flowId = env.CONFORMANCE_FLOW_ID?.trim();
    return {
      mode: 'remote',
      baseUrl: baseUrl.replace(/\/+$/, ''),
      appId: required(env, 'CONFORMANCE_APP_ID'),
      appKey: required(env, 'CONFORMANCE_APP_KEY'),
      recorded: livenessId
        ? { livenessId, ...(flowId ? { flowId } : {}) }
        : { missing: 'no recorded session to read: set CONFORMANCE_LIVENESS_ID (a session id with a recorded video) and CONFORMANCE_FLOW_ID (its external_id)' },
      close: async () => {},
    };
  }
  return startLocal();
}

const LOCAL_APP_ID = 'conformance';
const FLOW_ID = 'conformance-flow-1';

async function startLocal(): Promise<ConformanceTarget> {
  const dir = mkdtempSync(path.join(tmpdir(), 'conformance-'));
  const secretsKey = randomBytes(32).toString('base64');
  const appsFile = path.join(dir, 'apps.json');
  // The operator CLI, as README "Credentials" has an operator add an app: the key is printed once, stored encrypted.
  let appKey = '';
  appsCli(['add', LOCAL_APP_ID, '--allowed-apis', '*', '--rate-limit-per-minute', '600', '--file', appsFile], { SECRETS_KEY: secretsKey }, {
    out: (line) => (appKey = line.startsWith('appKey=') ? line.slice('appKey='.length) : appKey),
    note: () => {},
  });
  if (!appKey) throw new Error('npm run apps -- add printed no appKey');
  const service: ServiceProcess = startService({
    APPS_FILE: appsFile,
    SECRETS_KEY: secretsKey,
    SECRETS_KEY_FILE: '',
    MODEL_PACKS_DIR: mkdtempSync(path.join(dir, 'no-packs-')),
    DATA_DIR: mkdtempSync(path.join(dir, 'data-')),
    VIDEO_TEMP_DIR: mkdtempSync(path.join(dir, 'video-')),
  });
  const close = async () => {
    if (service.child.exitCode === null) service.child.kill('SIGTERM');
    const code = await service.exited;
    if (code !== 0) throw new Error(`the local service exited with ${code}:\n${service.output()}`);
  };
  try {
    const baseUrl = `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]}`;
    const recorded = await recordSession(baseUrl, appKey);
    return { mode: 'local', baseUrl, appId: LOCAL_APP_ID, appKey, recorded, close };
  } catch (error) {
    service.child.kill('SIGTERM');
    await service.exited;
    throw error;
  }
}

/**
 * A session with a recorded video, through the Sessions API (README "Sessions API") as a capture page uploads it: a
 * selfie, then a short real clip with the consent fields. Processing runs in the background; Get Video and
 * DescribeSignFaceVideo need only the stored video.
 */
async function recordSession(baseUrl: string, appKey: string): Promise<RecordedSession> {
  const created = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${appKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_mode: 'self_record', video_language: 'en' }, external_id: FLOW_ID }),
  });
  if (created.status !== 201) throw new Error(`POST /v1/sessions: HTTP ${created.status} ${await created.text()}`);
  const session = (await created.json()) as { id: string; capture: Record<'selfie' | 'video', { upload_url: string }> };

  const selfie = new FormData();
  selfie.append('image', new Blob([readFileSync(sharedData('identity/face_recognition_ageitgey/obama/obama.jpg'))]), 'selfie.jpg');
  const selfieUpload = await fetch(session.capture.selfie.upload_url, { method: 'POST', body: selfie });
  if (selfieUpload.status !== 201) throw new Error(`selfie upload: HTTP ${selfieUpload.status} ${await selfieUpload.text()}`);

  // face-api.js's 5-frame test clip (0.2 s, 52 kB, a TV-show scene): the shortest real video in the data; what it
  // shows does not matter here, only that it is stored and served back byte for byte.
  const video = new Uint8Array(readFileSync(sharedData('videos/faceapi/video.mp4')));
  const form = new FormData();
  form.append('video', new Blob([video], { type: 'video/mp4' }), 'clip.mp4');
  form.append('consent_given_at', new Date().toISOString());
  form.append('consent_text_version', 'conformance-consent-v1');
  const videoUpload = await fetch(session.capture.video.upload_url, { method: 'POST', body: form });
  if (videoUpload.status !== 201) throw new Error(`video upload: HTTP ${videoUpload.status} ${await videoUpload.text()}`);
  return { livenessId: session.id, flowId: FLOW_ID, video };
}
