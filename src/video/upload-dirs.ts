/**
 * Per-request temp directories for video uploads, and the start-up sweep of the ones a killed process left.
 *
 * The video reader writes each upload to `<VIDEO_TEMP_DIR>/<dir>/video` and removes `<dir>` on every path it
 * controls, but a process killed with SIGKILL (or by the OOM killer, or a power cut) runs no `finally`: the
 * upload, a person's face video, stays on disk across restarts (issue #13). So every directory is named after
 * its owner, `upload-<host tag>-<pid>-XXXXXX` (XXXXXX: mkdtemp's random suffix), and a starting reader removes
 * those whose owner is gone, as src/inference/session.ts does for its ORT profile directories.
 *
 * Several processes may share one VIDEO_TEMP_DIR (the default is a fixed path under the OS temp directory, and
 * tests run servers side by side), so the sweep never touches a directory whose owner may still be running:
 *   - another host's directory (a temp dir on a shared volume; its process ids mean nothing here): kept;
 *   - a process id that is alive: kept (a reused id only delays the clean-up until that process ends);
 *   - this process's own id: removed only when the directory is older than this process, i.e. a previous
 *     process that had the same id (a container's PID 1 restarted in place keeps its /tmp and its id);
 *   - a dead process id: removed.
 * Directories named by earlier versions (`upload-XXXXXX`, no owner) are removed once older than
 * LEGACY_UPLOAD_DIR_MAX_AGE_MS, which no request of a live process can reach.
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** Who owns an upload directory: the host and the process on it. */
export interface UploadDirOwner {
  /** First 8 hex digits of SHA-256 of the host name: a fixed-length, file-name-safe stand-in for it. */
  hostTag: string;
  pid: number;
  /** When the process started, ms since the epoch. */
  startedAtMs: number;
}

export const hostTagOf = (host: string) => createHash('sha256').update(host).digest('hex').slice(0, 8);

/** This process. Its start is read from `process.uptime()`, which counts from process start in every thread. */
export function currentOwner(): UploadDirOwner {
  return { hostTag: hostTagOf(hostname()), pid: process.pid, startedAtMs: Date.now() - process.uptime() * 1000 };
}

/** The mkdtemp prefix of an owner's upload directories. */
export const uploadDirPrefix = (owner: Pick<UploadDirOwner, 'hostTag' | 'pid'>) => `upload-${owner.hostTag}-${owner.pid}-`;

/** `upload-<host tag>-<pid>-<mkdtemp suffix: 6 characters of [A-Za-z0-9]>` (Node's fs.mkdtemp). */
const OWNED_NAME = /^upload-([0-9a-f]{8})-(\d+)-[A-Za-z0-9]{6}$/;
/** What fs.mkdtemp made of the `upload-` prefix before directories carried their owner. */
const LEGACY_NAME = /^upload-[A-Za-z0-9]{6}$/;

/**
 * An ownerless directory older than this, milliseconds, belongs to no running request: a read held its directory
 * for at most one ffprobe run (the header and the packet list, src/video/probe.ts) and one decode, each killed at
 * VIDEO_TIMEOUT_SECONDS, whose largest allowed value is 600 s (src/config.ts), so 20 minutes; three times that for
 * margin (a slow write of the upload).
 */
export const LEGACY_UPLOAD_DIR_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * How long before this process's start a directory with its own id must date, milliseconds, to count as a
 * previous process's: absorbs the millisecond rounding of `process.uptime()` and file-system timestamp granularity.
 */
const SAME_PID_MARGIN_MS = 2000;

/** True when a process with this id is running (signal 0 checks without signalling; EPERM: alive, another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepOptions {
  owner?: UploadDirOwner;
  alive?: (pid: number) => boolean;
  now?: () => number;
  /** Where a directory that could not be removed is reported. */
  log?: (message: string) => void;
}

/** Why a directory entry is stale, or undefined to keep it (pure apart from the clock and liveness it is given). */
export function staleReason(name: string, modifiedAtMs: number, owner: UploadDirOwner, alive: (pid: number) => boolean, nowMs: number): string | undefined {
  const owned = OWNED_NAME.exec(name);
  if (owned) {
    const [, hostTag, pidText] = owned;
    const pid = Number(pidText);
    if (hostTag !== owner.hostTag) return undefined;
    if (pid === owner.pid) return modifiedAtMs < owner.startedAtMs - SAME_PID_MARGIN_MS ? `left by an earlier process with id ${pid}` : undefined;
    return alive(pid) ? undefined : `left by process ${pid}, which is no longer running`;
  }
  if (LEGACY_NAME.test(name) && nowMs - modifiedAtMs > LEGACY_UPLOAD_DIR_MAX_AGE_MS) return 'left by an earlier version, untouched for over an hour';
  return undefined;
}

/**
 * Removes the upload directories in `tempDir` that no running process owns; answers their names. Entries that
 * are not upload directories are left alone. A directory that cannot be removed is reported and skipped: it
 * must not stop the service from starting.
 */
export function sweepStaleUploadDirs(tempDir: string, options: SweepOptions = {}): string[] {
  const owner = options.owner ?? currentOwner();
  const alive = options.alive ?? processAlive;
  const now = (options.now ?? Date.now)();
  const log = options.log ?? console.warn;
  const removed: string[] = [];
  for (const name of readdirSync(tempDir)) {
    if (!name.startsWith('upload-')) continue;
    const dir = path.join(tempDir, name);
    try {
      const stats = statSync(dir);
      if (!stats.isDirectory() || staleReason(name, stats.mtimeMs, owner, alive, now) === undefined) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(name);
    } catch (error) {
      // Gone in between (another process swept it) is fine; anything else is worth a line in the log.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log(`could not remove the stale video upload ${dir}: ${String(error)}`);
    }
  }
  return removed;
}
