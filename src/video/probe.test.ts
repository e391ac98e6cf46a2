import { describe, expect, it } from 'vitest';
import { samplingPlan } from './frames.js';
import { checkComplete, checkVideo, displaySize, packetEnd, parseProbe, probedVideo, probeFailureReason, TRUNCATION_TOLERANCE_SECONDS, truncationReason, type VideoInfo } from './probe.js';

const mp4: VideoInfo = { container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSeconds: 10, durationSource: 'header', videoCodec: 'h264', audioCodec: 'aac', width: 1280, height: 720, rotation: 0, frameCount: 300 };
const limits = { maxDurationSeconds: 60, maxPixels: 3840 * 2160 };
const reason = (info: VideoInfo) => {
  try {
    checkVideo(info, limits);
    return 'accepted';
  } catch (error) {
    expect((error as { code: string }).code).toBe('VIDEO_INVALID');
    return (error as Error).message;
  }
};

describe('checkVideo (limits, before decoding)', () => {
  it('accepts MP4/MOV H.264 and WebM VP8/VP9 within the limits', () => {
    expect(reason(mp4)).toBe('accepted');
    expect(reason({ ...mp4, container: 'matroska,webm', videoCodec: 'vp9', audioCodec: 'opus' })).toBe('accepted');
    expect(reason({ ...mp4, container: 'matroska,webm', videoCodec: 'vp8' })).toBe('accepted');
  });
  it.each([
    [{ container: 'avi' }, /avi container; send MP4, MOV or WebM/],
    [{ videoCodec: undefined }, /no video stream \(audio only: aac\)/],
    [{ videoCodec: 'mpeg4' }, /codec mpeg4 is not supported/],
    [{ durationSeconds: 0 }, /empty \(zero length\)/],
    [{ durationSeconds: 600 }, /600\.0 s long; the limit is 60 s/],
    [{ width: 7680, height: 4320 }, /7680×4320 \(33177600 pixels per frame\); the limit is 8294400/],
  ])('refuses %j', (change, message) => {
    expect(reason({ ...mp4, ...change } as VideoInfo)).toMatch(message);
  });
});

describe('parseProbe', () => {
  it('reads streams, duration and rotation (display-matrix side data or the old rotate tag)', () => {
    const info = parseProbe({
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '9.5' },
      streams: [
        { codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080, nb_frames: '285', side_data_list: [{ rotation: -90 }] },
        { codec_type: 'audio', codec_name: 'aac' },
      ],
    });
    expect(info).toEqual({ container: 'mov,mp4,m4a,3gp,3g2,mj2', durationSeconds: 9.5, durationSource: 'header', videoCodec: 'h264', audioCodec: 'aac', width: 1920, height: 1080, rotation: 90, frameCount: 285 });
    expect(displaySize(info)).toEqual({ width: 1080, height: 1920 });
    expect(parseProbe({ streams: [{ codec_type: 'video', codec_name: 'h264', width: 4, height: 2, tags: { rotate: '270' } }] }).rotation).toBe(270);
    expect(parseProbe({ format: { format_name: 'mp3', duration: 'N/A' }, streams: [{ codec_type: 'audio', codec_name: 'mp3' }] })).toMatchObject({ durationSeconds: 0, width: 0 });
  });
  it('packetEnd: where packets end (pts + duration), skipping unknown times', () => {
    expect(packetEnd([{ pts_time: '0.000000', duration_time: '0.033000' }, { pts_time: '4.567000', duration_time: '0.033000' }, { pts_time: '4.500000', duration_time: 'N/A' }])).toBeCloseTo(4.6, 6);
    expect(packetEnd([{ pts_time: '0.000', duration_time: 'N/A' }, { pts_time: '2.250' }])).toBe(2.25);
    expect(packetEnd([{ pts_time: 'N/A', duration_time: 'N/A' }, {}])).toBe(0);
  });
  it('probedVideo: a streamed WebM\'s length from its first video stream\'s packets; the packet end of every stream', () => {
    const streams = [
      { index: 0, codec_type: 'audio', codec_name: 'opus' },
      { index: 1, codec_type: 'video', codec_name: 'vp8', width: 640, height: 480 },
    ];
    const packets = [
      { stream_index: 1, pts_time: '0.000', duration_time: '0.033' },
      { stream_index: 1, pts_time: '4.500', duration_time: '0.033' },
      { stream_index: 0, pts_time: '4.600', duration_time: '0.020' },
    ];
    const webm = probedVideo({ format: { format_name: 'matroska,webm' }, streams, packets });
    expect(webm.durationSource).toBe('packets');
    expect(webm.durationSeconds).toBeCloseTo(4.533, 6);
    expect(webm.packetEndSeconds).toBeCloseTo(4.62, 6);
    const mp4 = probedVideo({ format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.000' }, streams, packets });
    expect(mp4).toMatchObject({ durationSeconds: 10, durationSource: 'header' });
    expect(mp4.packetEndSeconds).toBeCloseTo(4.62, 6);
    expect(() => checkComplete(mp4)).toThrow(/truncated: its header says 10\.0 s, the file holds 4\.6 s/);
    expect(() => checkComplete(webm)).not.toThrow();
  });
  it('probeFailureReason hides the server-side path', () => {
    expect(probeFailureReason('/tmp/x/upload-1/video: Invalid data found when processing input\n', '/tmp/x/upload-1/video')).toBe('Invalid data found when processing input');
  });
});

describe('truncationReason (the header says more than the file holds)', () => {
  it('a file whose packets end at or near the header duration is whole', () => {
    expect(truncationReason(mp4, 10)).toBeUndefined();
    expect(truncationReason(mp4, 10.03)).toBeUndefined(); // the last audio packet past the header's rounding
    expect(truncationReason(mp4, 10 - TRUNCATION_TOLERANCE_SECONDS)).toBeUndefined();
  });
  it('packets ending well before it: truncated, with both lengths in the reason', () => {
    expect(truncationReason(mp4, 4.2)).toBe('the video is truncated: its header says 10.0 s, the file holds 4.2 s; send the whole file');
    expect(truncationReason(mp4, 0)).toMatch(/file holds 0\.0 s/);
  });
  it('a streamed WebM (duration taken from its packets) has no header duration to contradict', () => {
    expect(truncationReason({ ...mp4, container: 'matroska,webm', videoCodec: 'vp8', durationSource: 'packets' }, 4.2)).toBeUndefined();
  });
});

describe('samplingPlan', () => {
  const options = { fps: 4, maxFrames: 40, maxSide: 640 };
  it('4 fps for a short clip, spread over the whole clip when the frame cap binds', () => {
    expect(samplingPlan({ ...mp4, durationSeconds: 5 }, options)).toEqual({ fps: 4, frames: 20, width: 640, height: 360 });
    const long = samplingPlan({ ...mp4, durationSeconds: 50 }, options);
    expect(long.frames).toBe(40);
    expect(long.fps).toBeCloseTo(0.8, 10);
  });
  it('scales down (never up) to the longer side, in display orientation, to even sizes', () => {
    expect(samplingPlan({ ...mp4, rotation: 90 }, options)).toMatchObject({ width: 360, height: 640 });
    expect(samplingPlan({ ...mp4, width: 321, height: 241 }, options)).toMatchObject({ width: 322, height: 242 });
  });
});
