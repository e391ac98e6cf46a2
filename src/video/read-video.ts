/**
 * Upload → frames: the upload is written to one private temp file (MP4 keeps its index, the `moov` box,
 * wherever the recorder put it, often at the end, so probing and decoding need a seekable file, not a
 * pipe), probed, checked against the limits and for truncation, and sampled; the temp directory is removed
 * on every path, errors included, and, for a process killed before it could, by the next reader to start
 * (src/video/upload-dirs.ts). `open` hands the frames over while ffmpeg decodes them (src/video/frames.ts
 * streamFrames), so that a caller analyses the first frames while the rest are decoded; a plain read waits for them all.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VideoBinaries } from './binaries.js';
import { type FrameStream, samplingPlan, type SamplingOptions, type SamplingPlan, streamFrames, type VideoFrame } from './frames.js';
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

/** One sampling of a video: how it was planned and the frames it gave. */
export interface SampledFrames {
  plan: SamplingPlan;
  /** In time order; `timeSeconds` = index ÷ plan.fps. */
  frames: VideoFrame[];
}

export interface SampledVideo extends SampledFrames {
  info: VideoInfo;
  /**
   * The `extraSampling` asked for, when one was: its frames come from the same decode as `frames` (one ffmpeg run), and
   * `frames` are byte for byte those a read without it gives.
   */
  extra?: SampledFrames;
}

/**
 * Reads a video with the reader's sampling (VideoReaderOptions fps, maxFrames, maxSide) and, when `extraSampling` is
 * given, a second sampling of the same decode (its fields not given are the reader's): verifyVideo's 10 fps frames for
 * an active liveness challenge beside its passive analysis' frames, for one decoding instead of two.
 */
export interface VideoReader {
  (bytes: Uint8Array, extraSampling?: Partial<SamplingOptions>): Promise<SampledVideo>;
  /**
   * The same read, answered once the video is probed and checked (its refusals are this promise's), with the frames
   * handed over while ffmpeg decodes them. Optional: a reader without it (a test's stand-in) is read whole by openVideo.
   */
  open?: (bytes: Uint8Array, extraSampling?: Partial<SamplingOptions>) => Promise<OpenedVideo>;
}

/** A video being read: probed, checked, and decoding (VideoReader.open). */
export interface OpenedVideo {
  info: VideoInfo;
  plan: SamplingPlan;
  /** The reader's sampling, frame by frame as decoded (src/video/frames.ts FrameStream). */
  frames: FrameStream;
  /** The `extraSampling` asked for, when one was, from the same decode. */
  extra?: { plan: SamplingPlan; frames: FrameStream };
  /**
   * Settles once ffmpeg has ended and the temp directory is removed: the whole read (what the reader itself answers), or
   * VIDEO_INVALID. Never left unhandled.
   */
  done: Promise<SampledVideo>;
  /** Stops the decode (a caller that fails before the end); `done` then rejects, once ffmpeg is gone and the files too. */
  cancel(): void;
}

/** `reader.open(bytes, extraSampling)`, or for a reader without `open` its whole read, handed over frame by frame. */
export async function openVideo(reader: VideoReader, bytes: Uint8Array, extraSampling?: Partial<SamplingOptions>): Promise<OpenedVideo> {
  if (reader.open) return reader.open(bytes, extraSampling);
  const video = await reader(bytes, extraSampling);
  return {
    info: video.info,
    plan: video.plan,
    frames: video.frames,
    ...(video.extra ? { extra: { plan: video.extra.plan, frames: video.extra.frames } } : {}),
    done: Promise.resolve(video),
    cancel: () => {},
  };
}

/** Built once at start-up (src/main.ts): sweeps what killed processes left in `tempDir`, then reads videos. */
export function createVideoReader(options: VideoReaderOptions): VideoReader {
  const log = options.log ?? console.log;
  mkdirSync(options.tempDir, { recursive: true, mode: 0o700 });
  const owner = currentOwner();
  const removed = sweepStaleUploadDirs(options.tempDir, { owner, log });
  if (removed.length > 0) log(`video temp dir ${options.tempDir}: removed ${removed.length} upload(s) left by stopped processes`);
  const prefix = path.join(options.tempDir, uploadDirPrefix(owner));
  async function open(bytes: Uint8Array, extraSampling?: Partial<SamplingOptions>): Promise<OpenedVideo> {
    const dir = await mkdtemp(prefix);
    let decoding: ReturnType<typeof streamFrames>;
    let info: VideoInfo;
    let plan: SamplingPlan;
    let extraPlan: SamplingPlan | undefined;
    try {
      const file = path.join(dir, 'video');
      await writeFile(file, bytes, { mode: 0o600 });
      const probed = await probeVideo(options.binaries.ffprobe, file, options.timeoutMs);
      checkVideo(probed, options);
      checkComplete(probed);
      const { packetEndSeconds: _, ...header } = probed;
      info = header;
      plan = samplingPlan(info, options);
      extraPlan = extraSampling
        ? samplingPlan(info, { fps: extraSampling.fps ?? options.fps, maxFrames: extraSampling.maxFrames ?? options.maxFrames, maxSide: extraSampling.maxSide ?? options.maxSide })
        : undefined;
      decoding = streamFrames(file, extraPlan ? [plan, extraPlan] : [plan], { ffmpeg: options.binaries.ffmpeg, timeoutMs: options.timeoutMs });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    // The temp file is read by ffmpeg until it ends: removed once it has, whatever the outcome.
    const done = decoding.done.finally(() => rm(dir, { recursive: true, force: true })).then(([frames, extraFrames]): SampledVideo => ({
      info,
      plan,
      frames: frames!,
      ...(extraPlan ? { extra: { plan: extraPlan, frames: extraFrames! } } : {}),
    }));
    done.catch(() => {});
    const [frames, extraFrames] = decoding.streams;
    return { info, plan, frames: frames!, ...(extraPlan ? { extra: { plan: extraPlan, frames: extraFrames! } } : {}), done, cancel: decoding.cancel };
  }
  const readVideo: VideoReader = async (bytes, extraSampling) => (await open(bytes, extraSampling)).done;
  readVideo.open = open;
  return readVideo;
}
