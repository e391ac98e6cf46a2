/**
 * Frame sampling: ffmpeg decodes the video once, and for each sampling plan keeps `fps` frames per second (the `fps`
 * filter), scales them down, and writes them as raw RGB24 to a pipe of its own (file descriptors 3, 4, …), which is
 * read and cut into frames: no frame ever touches the disk. Several plans share the decode (ffmpeg feeds one decoded
 * stream to every output), and each output's frames are byte for byte those a run with that plan alone gives: the
 * same filters on the same decoded frames. Container rotation is applied by ffmpeg (autorotate, on by default), so
 * frames come out upright.
 *
 * ffmpeg is spawned directly (as src/video/probe.ts runs ffprobe): fluent-ffmpeg, used before, pipes one output only.
 * Every path ends with the ffmpeg process gone: on success it has exited; on a decode error or the timeout it is
 * SIGKILLed, and the promise settles only after its `close` event (process gone, pipes closed).
 */
import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';
import type { RgbImage } from '../imaging/image.js';
import { displaySize, type VideoInfo } from './probe.js';

export interface SamplingOptions {
  /** Frames per second to keep at most. */
  fps: number;
  /** Frames to keep at most; longer videos are sampled more sparsely so the samples span the whole clip. */
  maxFrames: number;
  /** Longest side of a kept frame, pixels (frames are scaled down to fit, never up). */
  maxSide: number;
}

export interface SamplingPlan {
  /** Frames per second passed to ffmpeg's fps filter. */
  fps: number;
  /** Frames to read at most. */
  frames: number;
  /** Output frame size, pixels (even numbers: what most pixel formats and filters expect). */
  width: number;
  height: number;
}

export interface VideoFrame {
  /** Time of the frame from the start of the video, seconds (index ÷ fps: the fps filter's output grid). */
  timeSeconds: number;
  image: RgbImage;
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** How to sample a probed video (pure). */
export function samplingPlan(info: VideoInfo, options: SamplingOptions): SamplingPlan {
  const fps = Math.min(options.fps, options.maxFrames / Math.max(info.durationSeconds, 1e-3));
  const frames = Math.max(1, Math.min(options.maxFrames, Math.ceil(info.durationSeconds * fps)));
  const { width, height } = displaySize(info);
  const scale = Math.min(1, options.maxSide / Math.max(width, height));
  return { fps, frames, width: even(width * scale), height: even(height * scale) };
}

export interface ExtractOptions {
  ffmpeg: string;
  /** Kill ffmpeg and refuse the video after this long, milliseconds. */
  timeoutMs: number;
}

/** ffmpeg arguments of one output: `plan`'s frames as raw RGB24 on file descriptor `fd`. */
function outputArguments(plan: SamplingPlan, fd: number): string[] {
  return ['-an', '-frames:v', String(plan.frames), '-filter:v', `fps=fps=${plan.fps.toFixed(6)},scale=${plan.width}:${plan.height}`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', `pipe:${fd}`];
}

/**
 * Decodes `file` once and returns the frames of each plan, in the plans' order. Throws VIDEO_INVALID when ffmpeg fails,
 * produces no frame for a plan (an undecodable or truncated stream) or runs past the timeout.
 */
export function extractFrames(file: string, plans: readonly SamplingPlan[], options: ExtractOptions): Promise<VideoFrame[][]> {
  if (plans.length === 0) throw new RangeError('extractFrames: no sampling plan');
  const firstFd = 3;
  const args = ['-v', 'error', '-nostdin', '-i', file, ...plans.flatMap((plan, k) => outputArguments(plan, firstFd + k))];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe', ...plans.map(() => 'pipe' as const)], windowsHide: true });
    const sets = plans.map((): VideoFrame[] => []);
    let stderr = '';
    let failure: AppError | undefined;
    let settled = false;

    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      failure ??= new AppError('VIDEO_INVALID', `the video could not be decoded within ${options.timeoutMs / 1000} s`);
      kill();
    }, options.timeoutMs);
    const settle = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!failure && code !== 0) {
        // The message may quote the temp file's path: the caller sees the upload as "video".
        const reason = (firstLine(stderr) || `ffmpeg exited with ${code === null ? 'a signal' : `code ${code}`}`).split(file).join('video');
        failure = new AppError('VIDEO_INVALID', `the video could not be decoded (${reason})`);
      }
      if (failure) return reject(failure);
      if (sets.some((frames) => frames.length === 0)) return reject(new AppError('VIDEO_INVALID', 'no frame could be decoded from the video'));
      resolve(sets);
    };

    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < 4096) stderr += text;
    });
    plans.forEach((plan, k) => {
      const frames = sets[k]!;
      const frameBytes = plan.width * plan.height * 3;
      // The frame being filled from the pipe, and how many of its bytes have arrived: each byte is copied once, straight
      // into its frame (joining every chunk onto the unread rest copied a frame's bytes again with each of the ≈ 11
      // chunks of 64 KiB a 640 × 360 frame arrives in).
      let current: Uint8Array | undefined;
      let filled = 0;
      const output = child.stdio[firstFd + k] as NodeJS.ReadableStream;
      output.on('error', (error: Error) => {
        failure ??= new AppError('VIDEO_INVALID', `the video could not be decoded (${error.message})`, { cause: error });
        kill();
      });
      output.on('data', (chunk: Buffer) => {
        let offset = 0;
        while (offset < chunk.length) {
          current ??= new Uint8Array(frameBytes);
          const take = Math.min(frameBytes - filled, chunk.length - offset);
          current.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === frameBytes) {
            frames.push({ timeSeconds: frames.length / plan.fps, image: { data: current, width: plan.width, height: plan.height } });
            current = undefined;
            filled = 0;
          }
        }
      });
    });
    child.on('error', (error) => {
      // Spawning failed (the binary is checked at start-up, src/video/binaries.ts), or killing it did.
      failure ??= new AppError('VIDEO_INVALID', `the video could not be decoded (${error.message})`, { cause: error });
      kill();
      if (child.pid === undefined) settle(null);
    });
    // 'close': the process has exited and every pipe is drained, so every frame written has been read.
    child.on('close', (code) => settle(code));
  });
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n').map((l) => l.trim()).find((l) => l.length > 0)?.slice(0, 200) ?? '';
}
