/**
 * Frame sampling: ffmpeg (through fluent-ffmpeg) decodes the video, keeps `fps` frames per second
 * (the `fps` filter), scales them down, and writes them as raw RGB24 to its stdout, which is read from
 * the pipe and cut into frames: no frame ever touches the disk. Container rotation is applied by ffmpeg
 * (autorotate, on by default), so frames come out upright.
 *
 * Every path ends with the ffmpeg process gone: on success it has exited; on a decode error, a stream
 * error or the timeout it is SIGKILLed and the promise settles only after its `exit` event.
 */
import ffmpeg from 'fluent-ffmpeg';
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

/**
 * Decodes the planned frames of `file`. Throws VIDEO_INVALID when ffmpeg fails, produces no frame (an
 * undecodable or truncated stream) or runs past the timeout.
 */
export function extractFrames(file: string, plan: SamplingPlan, options: ExtractOptions): Promise<VideoFrame[]> {
  const frameBytes = plan.width * plan.height * 3;
  return new Promise((resolve, reject) => {
    const frames: VideoFrame[] = [];
    // The frame being filled from the pipe, and how many of its bytes have arrived: each byte is copied once, straight
    // into its frame (joining every chunk onto the unread rest copied a frame's bytes again with each of the ≈ 11 chunks
    // of 64 KiB a 640 × 360 frame arrives in).
    let current: Uint8Array | undefined;
    let filled = 0;
    let failure: AppError | undefined;
    let finished = false;
    let exited = false;
    let timer: NodeJS.Timeout | undefined;

    const command = ffmpeg(file)
      .setFfmpegPath(options.ffmpeg)
      .inputOptions(['-v', 'error'])
      .noAudio()
      .videoFilters([`fps=fps=${plan.fps.toFixed(6)}`, `scale=${plan.width}:${plan.height}`])
      .frames(plan.frames)
      .outputOptions(['-pix_fmt', 'rgb24'])
      .format('rawvideo');

    const settle = () => {
      // Both: fluent-ffmpeg has reported (end or error) and the child process has exited.
      if (!finished || !exited) return;
      if (timer) clearTimeout(timer);
      if (failure) return reject(failure);
      if (frames.length === 0) return reject(new AppError('VIDEO_INVALID', 'no frame could be decoded from the video'));
      resolve(frames);
    };

    command.on('start', () => {
      const child = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
      if (!child) return;
      child.once('exit', () => {
        exited = true;
        settle();
      });
      timer = setTimeout(() => {
        failure = new AppError('VIDEO_INVALID', `the video could not be decoded within ${options.timeoutMs / 1000} s`);
        child.kill('SIGKILL');
      }, options.timeoutMs);
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      const child = (command as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
      // The message may quote the temp file's path: the caller sees the upload as "video".
      const reason = (firstLine(stderr) || error.message).split(file).join('video');
      failure ??= new AppError('VIDEO_INVALID', `the video could not be decoded (${reason})`, { cause: error });
      finished = true;
      if (!child) exited = true; // it never started (spawn failed)
      else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      settle();
    });
    command.on('end', () => {
      finished = true;
      settle();
    });

    const output = command.pipe();
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
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n').map((l) => l.trim()).find((l) => l.length > 0)?.slice(0, 200) ?? '';
}
