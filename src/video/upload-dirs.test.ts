/**
 * Issue #13, defect 4: a process killed (SIGKILL) while ffmpeg read an upload left the person's video in
 * `<VIDEO_TEMP_DIR>/upload-*` for ever. The reader now sweeps, when it is created at start-up, the upload
 * directories of processes that are gone, and keeps every directory a running process may still be using.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { repoRoot, sharedData } from '../../test/helpers/reference.js';
import { videoBinaries } from './binaries.js';
import { createVideoReader } from './read-video.js';
import { currentOwner, hostTagOf, LEGACY_UPLOAD_DIR_MAX_AGE_MS, processAlive, staleReason, uploadDirPrefix, type UploadDirOwner } from './upload-dirs.js';

const work = mkdtempSync(path.join(tmpdir(), 'upload-dirs-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Children this file started, ended by their id after each test. */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The id of a process that has run and exited (and been reaped): what a killed server leaves in a directory name. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  expect(processAlive(pid)).toBe(false);
  return pid;
}

const readerOptions = (tempDir: string, log: (message: string) => void = () => {}) => ({
  binaries: videoBinaries(),
  tempDir,
  timeoutMs: 30_000,
  maxDurationSeconds: 60,
  maxPixels: 3840 * 2160,
  fps: 4,
  maxFrames: 40,
  maxSide: 640,
  log,
});

/** An upload directory as a reader leaves it: `<name>/video`, its modification time set to `modifiedAtMs`. */
function leftover(tempDir: string, name: string, modifiedAtMs = Date.now()): string {
  const dir = path.join(tempDir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'video'), 'a face video');
  utimesSync(dir, modifiedAtMs / 1000, modifiedAtMs / 1000);
  return name;
}

describe('staleReason (who may still use a directory)', () => {
  const owner: UploadDirOwner = { hostTag: hostTagOf('host-a'), pid: 4242, startedAtMs: 1_773_828_000_000 };
  const now = owner.startedAtMs + 60_000;
  const aliveOnly = (...pids: number[]) => (pid: number) => pids.includes(pid);
  const name = (hostTag: string, pid: number) => `${uploadDirPrefix({ hostTag, pid })}Ab12Cd`;

  it('a dead process on this host: stale; a live one, another host, or a name that is not an upload: kept', () => {
    expect(staleReason(name(owner.hostTag, 77), now, owner, aliveOnly(), now)).toMatch(/process 77, which is no longer running/);
    expect(staleReason(name(owner.hostTag, 77), now, owner, aliveOnly(77), now)).toBeUndefined();
    expect(staleReason(name(hostTagOf('host-b'), 77), now, owner, aliveOnly(), now)).toBeUndefined();
    expect(staleReason('upload-notes.txt', 0, owner, aliveOnly(), now)).toBeUndefined();
  });

  it('this process id: stale only when older than this process (an earlier process with the same id)', () => {
    expect(staleReason(name(owner.hostTag, owner.pid), owner.startedAtMs + 1, owner, aliveOnly(owner.pid), now)).toBeUndefined();
    expect(staleReason(name(owner.hostTag, owner.pid), owner.startedAtMs - 3_600_000, owner, aliveOnly(owner.pid), now)).toMatch(/earlier process with id 4242/);
  });

  it('an ownerless directory of an earlier version: stale once untouched for an hour', () => {
    expect(staleReason('upload-Ab12Cd', now - LEGACY_UPLOAD_DIR_MAX_AGE_MS + 1000, owner, aliveOnly(), now)).toBeUndefined();
    expect(staleReason('upload-Ab12Cd', now - LEGACY_UPLOAD_DIR_MAX_AGE_MS - 1000, owner, aliveOnly(), now)).toMatch(/earlier version/);
  });
});

describe('createVideoReader sweeps the video temp dir at start-up', () => {
  it('removes the uploads of dead processes; keeps live processes\', other hosts\', its own and other files', () => {
    const tempDir = path.join(work, 'shared-temp');
    mkdirSync(tempDir, { recursive: true });
    const me = currentOwner();
    const sleeper = spawn('sleep', ['60']);
    started.push(sleeper);
    const dead = deadPid();

    const gone = [
      leftover(tempDir, `${uploadDirPrefix({ hostTag: me.hostTag, pid: dead })}Ab12Cd`),
      leftover(tempDir, `${uploadDirPrefix(me)}Old123`, me.startedAtMs - 3_600_000), // this pid, before this process
      leftover(tempDir, 'upload-Legacy', Date.now() - 2 * LEGACY_UPLOAD_DIR_MAX_AGE_MS), // pre-fix name, 2 h old
    ];
    const kept = [
      leftover(tempDir, `${uploadDirPrefix({ hostTag: me.hostTag, pid: sleeper.pid! })}Live12`), // a live server's request
      leftover(tempDir, `${uploadDirPrefix(me)}Mine12`), // a request of this process
      leftover(tempDir, `${uploadDirPrefix({ hostTag: hostTagOf('another-host'), pid: dead })}Other1`), // another host
      leftover(tempDir, 'upload-Fresh1'), // pre-fix name, recent: an older server may be reading it now
    ];
    writeFileSync(path.join(tempDir, 'README'), 'not an upload');

    const logged: string[] = [];
    createVideoReader(readerOptions(tempDir, (message) => logged.push(message)));
    expect(readdirSync(tempDir).sort()).toEqual([...kept, 'README'].sort());
    expect(logged).toEqual([`video temp dir ${tempDir}: removed ${gone.length} upload(s) left by stopped processes`]);
  });

  it('a server killed with SIGKILL while ffmpeg reads an upload leaves it behind; the next start removes it', async () => {
    const tempDir = path.join(work, 'killed-temp');
    const video = sharedData('videos/liveness_tranvanluyt/real.mp4');
    // A reader in a separate Node process, reading the clip over and over, as a server busy with verifyVideo.
    const script = `
      import { readFileSync } from 'node:fs';
      import { videoBinaries } from './src/video/binaries.ts';
      import { createVideoReader } from './src/video/read-video.ts';
      const read = createVideoReader({ binaries: videoBinaries(), tempDir: process.env.TEMP_DIR, timeoutMs: 30000, maxDurationSeconds: 60, maxPixels: 8294400, fps: 4, maxFrames: 40, maxSide: 640 });
      const bytes = new Uint8Array(readFileSync(process.env.VIDEO));
      for (;;) await read(bytes);`;
    const server = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, TEMP_DIR: tempDir, VIDEO: video }, stdio: 'ignore' });
    started.push(server);

    // Wait for an ffmpeg child of that process (it decodes about half the time), then kill the process outright.
    const ffmpegChildren = () =>
      execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([, ppid, comm]) => Number(ppid) === server.pid && /ffmpeg/.test(comm ?? ''))
        .map(([pid]) => Number(pid));
    const deadline = Date.now() + 60_000;
    let decoding: number[] = [];
    while (decoding.length === 0 && Date.now() < deadline && server.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      decoding = ffmpegChildren();
    }
    expect(decoding, 'the reader process never ran ffmpeg').not.toEqual([]);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
    // The orphaned ffmpeg dies of the broken pipe; make sure, by its id, so this test leaves no process behind.
    for (const pid of decoding) if (processAlive(pid)) process.kill(pid, 'SIGKILL');

    const left = readdirSync(tempDir);
    expect(left).toHaveLength(1);
    expect(existsSync(path.join(tempDir, left[0]!, 'video'))).toBe(true); // the person's video, still on disk

    createVideoReader(readerOptions(tempDir)); // what src/main.ts does at start-up
    expect(readdirSync(tempDir)).toEqual([]);
  });
});
