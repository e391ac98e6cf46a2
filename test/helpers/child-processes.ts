/** The child processes a test left running: for tests that every path ends with ffmpeg / ffprobe gone. */
import { execFileSync } from 'node:child_process';

/** ffmpeg / ffprobe processes whose parent is this test process, as "pid command". */
export function childMediaProcesses(): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && /ffmpeg|ffprobe/.test(comm ?? ''))
    .map(([pid, , comm]) => `${pid} ${comm}`);
}
