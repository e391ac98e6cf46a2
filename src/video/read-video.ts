/**
 * Upload → frames: the upload is written to one private temp file (MP4 keeps its index, the `moov` box,
 * wherever the recorder put it, often at the end, so probing and decoding need a seekable file, not a
 * pipe), probed, checked against the limits, and sampled; the temp directory is removed on every path,
 * errors included.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VideoBinaries } from './binaries.js';
import { extractFrames, samplingPlan, type SamplingOptions, type SamplingPlan, type VideoFrame } from './frames.js';
import { checkVideo, probeVideo, type VideoInfo, type VideoLimits } from './probe.js';

export interface VideoReaderOptions extends VideoLimits, SamplingOptions {
  binaries: VideoBinaries;
  /** ffprobe and ffmpeg each get this long, milliseconds, before they are killed. */
  timeoutMs: number;
  /** Parent directory for the per-request temp directory (created when missing). */
  tempDir: string;
}

export interface SampledVideo {
  info: VideoInfo;
  plan: SamplingPlan;
  frames: VideoFrame[];
}

export type VideoReader = (bytes: Uint8Array) => Promise<SampledVideo>;

export function createVideoReader(options: VideoReaderOptions): VideoReader {
  mkdirSync(options.tempDir, { recursive: true, mode: 0o700 });
  return async function readVideo(bytes) {
    const dir = await mkdtemp(path.join(options.tempDir, 'upload-'));
    try {
      const file = path.join(dir, 'video');
      await writeFile(file, bytes, { mode: 0o600 });
      const info = await probeVideo(options.binaries.ffprobe, file, options.timeoutMs);
      checkVideo(info, options);
      const plan = samplingPlan(info, options);
      const frames = await extractFrames(file, plan, { ffmpeg: options.binaries.ffmpeg, timeoutMs: options.timeoutMs });
      return { info, plan, frames };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
