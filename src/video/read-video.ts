/**
 * Upload → frames: the upload is written to one private temp file (MP4 keeps its index, the `moov` box,
 * wherever the recorder put it, often at the end, so probing and decoding need a seekable file, not a
 * pipe), probed, checked against the limits and for truncation, and sampled; the temp directory is removed
 * on every path, errors included, and, for a process killed before it could, by the next reader to start
 * (src/video/upload-dirs.ts).
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VideoBinaries } from './binaries.js';
import { extractFrames, samplingPlan, type SamplingOptions, type SamplingPlan, type VideoFrame } from './frames.js';
import { checkComplete, checkVideo, probeVideo, type VideoInfo, type VideoLimits } from './probe.js';
import { currentOwner, sweepStaleUploadDirs, uploadDirPrefix } from './upload-dirs.js';

export interface VideoReaderOptions extends VideoLimits, SamplingOptions {
  binaries: VideoBinaries;
  /** ffprobe and ffmpeg each get this long, milliseconds, before they are killed. */
  timeoutMs: number;
  /**
   * Parent directory for the per-request temp directories (created when missing). It may be shared by several
   * processes: each removes only its own directories, and at start the ones of processes no longer running.
   */
  tempDir: string;
  /** Where the start-up sweep reports what it removed. Default console. */
  log?: (message: string) => void;
}

export interface SampledVideo {
  info: VideoInfo;
  plan: SamplingPlan;
  frames: VideoFrame[];
}

export type VideoReader = (bytes: Uint8Array) => Promise<SampledVideo>;

/** Built once at start-up (src/main.ts): sweeps what killed processes left in `tempDir`, then reads videos. */
export function createVideoReader(options: VideoReaderOptions): VideoReader {
  const log = options.log ?? console.log;
  mkdirSync(options.tempDir, { recursive: true, mode: 0o700 });
  const owner = currentOwner();
  const removed = sweepStaleUploadDirs(options.tempDir, { owner, log });
  if (removed.length > 0) log(`video temp dir ${options.tempDir}: removed ${removed.length} upload(s) left by stopped processes`);
  const prefix = path.join(options.tempDir, uploadDirPrefix(owner));
  return async function readVideo(bytes) {
    const dir = await mkdtemp(prefix);
    try {
      const file = path.join(dir, 'video');
      await writeFile(file, bytes, { mode: 0o600 });
      const info = await probeVideo(options.binaries.ffprobe, file, options.timeoutMs);
      checkVideo(info, options);
      await checkComplete(options.binaries.ffprobe, file, info, options.timeoutMs);
      const plan = samplingPlan(info, options);
      const frames = await extractFrames(file, plan, { ffmpeg: options.binaries.ffmpeg, timeoutMs: options.timeoutMs });
      return { info, plan, frames };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
