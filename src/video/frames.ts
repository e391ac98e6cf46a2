/**
 * Frame sampling: ffmpeg decodes the video once, and for each sampling plan keeps `fps` frames per second (the `fps`
 * filter), scales them down, and writes them as raw RGB24 to a pipe of its own (file descriptors 3, 4, …), which is
 * read and cut into frames: no frame ever touches the disk. Several plans share the decode (ffmpeg feeds one decoded
 * stream to every output), and each output's frames are byte for byte those a run with that plan alone gives: the
 * same filters on the same decoded frames. Container rotation is applied by ffmpeg (autorotate, on by default), so
 * frames come out upright.
 *
 * Frames are handed over as they are decoded (streamFrames), so that the analysis of the first frames runs while ffmpeg
 * decodes the rest. For that ffmpeg must not wait on its pipe: a pipe holds 64 KiB (Linux pipe(7)), less than one
 * frame, and this thread reads it only between model runs (onnxruntime-node runs a model synchronously on the thread
 * that calls it), so ffmpeg used to stall after every 64 KiB while the models ran. Each output therefore goes through
 * ffmpeg's `fifo` muxer (FFmpeg formats documentation, "fifo"), which writes from a thread of its own out of a queue of
 * up to READ_AHEAD_BYTES of frames: the decoder keeps decoding while the pipe is full, and the bytes written are
 * those of the plain `rawvideo` muxer.
 *
 * ffmpeg is spawned directly (as src/video/probe.ts runs ffprobe): fluent-ffmpeg, used before, pipes one output only.
 * Every path ends with the ffmpeg process gone: on success it has exited; on a decode error, the timeout or a caller's
 * cancel it is SIGKILLed, and `done` settles only after its `close` event (process gone, pipes closed).
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

/**
 * Decoded frames ffmpeg may hold per output while this process has not read them yet (the fifo muxer's queue), bytes:
 * 16 MiB, 24 frames at 640×360 (the default VIDEO_FRAME_MAX_SIDE), 6 s of the 4 fps sampling. Enough for the decoder
 * never to be what the analysis waits for: a kept frame takes 6–16 ms to decode (0.24 s for the 10 s clip's 40 frames
 * at 640×360, 0.42–0.65 s at 1280×720) against ≈ 50 ms to analyse (bench/RESULTS.md "verifyVideo: following the
 * face"), so ffmpeg runs ahead and stays there. The bound is what a slow reader makes ffmpeg keep; at least one frame.
 */
export const READ_AHEAD_BYTES = 16 * 1024 * 1024;

/** Frames of `plan` that fit in READ_AHEAD_BYTES (at least 1, at most the plan's frames). */
export function readAheadFrames(plan: SamplingPlan): number {
  return Math.max(1, Math.min(plan.frames, Math.floor(READ_AHEAD_BYTES / (plan.width * plan.height * 3))));
}

/**
 * ffmpeg arguments of one output: `plan`'s frames as raw RGB24 on file descriptor `fd`, through the fifo muxer. The fifo
 * muxer has no default codec, so ffmpeg would select no stream for it: the output names the first video stream (the one
 * src/video/probe.ts describes and the plan is made from) and the rawvideo encoder (the rawvideo muxer's default).
 */
function outputArguments(plan: SamplingPlan, fd: number): string[] {
  return [
    ...['-map', '0:v:0', '-an', '-frames:v', String(plan.frames), '-filter:v', `fps=fps=${plan.fps.toFixed(6)},scale=${plan.width}:${plan.height}`],
    ...['-pix_fmt', 'rgb24', '-c:v', 'rawvideo', '-f', 'fifo', '-fifo_format', 'rawvideo', '-queue_size', String(readAheadFrames(plan)), `pipe:${fd}`],
  ];
}

/**
 * One plan's frames while they are decoded: iterating gives every frame in time order as soon as it has arrived and ends
 * once ffmpeg has ended well (after the last frame), or throws the decode's failure (VIDEO_INVALID) as soon as it is
 * known. May be iterated more than once (each iteration starts from the first frame). Frames already all decoded may be
 * given as an array (`for await` takes both).
 */
export type FrameStream = AsyncIterable<VideoFrame> | Iterable<VideoFrame>;

/** A decode in progress (streamFrames). */
export interface DecodingFrames {
  /** Each plan's frames, in the plans' order, as they are decoded. */
  streams: FrameStream[];
  /**
   * Settles once ffmpeg is gone: every plan's frames, or VIDEO_INVALID (ffmpeg failed, gave a plan no frame, ran past
   * the timeout or was cancelled). Never left unhandled: a caller that only iterates does not crash the process.
   */
  done: Promise<VideoFrame[][]>;
  /** Kills ffmpeg (a caller that stops before the end, on an error of its own); `done` then rejects. */
  cancel(): void;
}

/**
 * Decodes `file` once and returns the frames of each plan, in the plans' order. Throws VIDEO_INVALID when ffmpeg fails,
 * produces no frame for a plan (an undecodable or truncated stream) or runs past the timeout.
 */
export function extractFrames(file: string, plans: readonly SamplingPlan[], options: ExtractOptions): Promise<VideoFrame[][]> {
  return streamFrames(file, plans, options).done;
}

/**
 * Starts decoding `file` and hands each plan's frames over as they are decoded (DecodingFrames). Every frame is kept
 * until the decode ends (`done` gives them all), so memory is what extractFrames' frames take, plus ffmpeg's read-ahead.
 */
export function streamFrames(file: string, plans: readonly SamplingPlan[], options: ExtractOptions): DecodingFrames {
  if (plans.length === 0) throw new RangeError('streamFrames: no sampling plan');
  const firstFd = 3;
  const args = ['-v', 'error', '-nostdin', '-i', file, ...plans.flatMap((plan, k) => outputArguments(plan, firstFd + k))];
  const child = spawn(options.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe', ...plans.map(() => 'pipe' as const)], windowsHide: true });
  const sets = plans.map((): VideoFrame[] => []);
  let stderr = '';
  let failure: AppError | undefined;
  let settled = false;
  // Iterations waiting for a frame or for the end: woken on every frame and once at the end.
  let waiting: (() => void)[] = [];
  const wake = () => {
    const woken = waiting;
    waiting = [];
    for (const resume of woken) resume();
  };
  let resolveDone!: (frames: VideoFrame[][]) => void;
  let rejectDone!: (error: AppError) => void;
  const done = new Promise<VideoFrame[][]>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {});

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
    if (!failure && sets.some((frames) => frames.length === 0)) failure = new AppError('VIDEO_INVALID', 'no frame could be decoded from the video');
    if (failure) rejectDone(failure);
    else resolveDone(sets);
    wake();
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
      let arrived = false;
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
          arrived = true;
        }
      }
      if (arrived) wake();
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

  const stream = (frames: readonly VideoFrame[]): FrameStream => ({
    async *[Symbol.asyncIterator]() {
      for (let i = 0; ; i++) {
        while (i >= frames.length && !settled) await new Promise<void>((resume) => waiting.push(resume));
        if (i < frames.length && !failure) yield frames[i]!;
        else if (failure) throw failure;
        else return;
      }
    },
  });
  return {
    streams: sets.map(stream),
    done,
    cancel() {
      failure ??= new AppError('VIDEO_INVALID', 'the decoding of the video was cancelled');
      kill();
    },
  };
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n').map((l) => l.trim()).find((l) => l.length > 0)?.slice(0, 200) ?? '';
}
