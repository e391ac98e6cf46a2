/**
 * The recording fingerprint on synthetic recordings: a textured "room" (smooth seeded noise) with a large textured
 * disk (a head) moving over it, rendered at any time and frame rate, so that trims, other sampling grids, other
 * moments and still scenes are exact. The real-video checks are in test/pipeline/recording-fingerprint.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import type { RgbImage } from '../imaging/image.js';
import type { VideoFrame } from '../video/frames.js';
import {
  compareFingerprints,
  decodeFingerprint,
  encodeFingerprint,
  fingerprintRecording,
  FINGERPRINT_VERSION,
  FRAME_MATCH_MAX_BITS,
  HASH_BYTES,
  hashDistance,
  hashFrame,
  MIN_SHARED_SECONDS,
  type RecordingFingerprint,
} from './recording-fingerprint.js';

const WIDTH = 160;
const HEIGHT = 120;

/** A smooth random field over the frame, 0–1: a few seeded low-frequency waves. */
function smoothField(seed: number): (x: number, y: number) => number {
  const random = seededRandom(seed);
  const waves = Array.from({ length: 6 }, () => ({ fx: random() * 0.08, fy: random() * 0.08, phase: random() * 2 * Math.PI, weight: 0.5 + random() }));
  const total = waves.reduce((s, w) => s + w.weight, 0);
  return (x, y) => 0.5 + waves.reduce((s, w) => s + w.weight * Math.cos(w.fx * x + w.fy * y + w.phase), 0) / (2 * total);
}

/** Where the head is at time t, pixels. */
type Path = (t: number) => { x: number; y: number };

/** A scene: the room `roomSeed`, a disk of radius 35 px textured by `headSeed`, moving along `path`. */
function scene(roomSeed: number, headSeed: number, path: Path): (t: number) => RgbImage {
  const room = smoothField(roomSeed);
  const head = smoothField(headSeed);
  return (t) => {
    const { x: cx, y: cy } = path(t);
    const data = new Uint8Array(WIDTH * HEIGHT * 3);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < 35 ** 2;
        const value = inside ? 0.3 + 0.6 * head(x - cx + 50, y - cy + 50) : room(x, y);
        const p = (y * WIDTH + x) * 3;
        data[p] = Math.round(255 * value);
        data[p + 1] = Math.round(230 * value);
        data[p + 2] = Math.round(200 * value);
      }
    }
    return { data, width: WIDTH, height: HEIGHT };
  };
}

/** A head turning left and right (period 4 s) and nodding (period 3 s): a selfie recording's motion. */
const turning: Path = (t) => ({ x: 80 + 35 * Math.sin((2 * Math.PI * t) / 4), y: 60 + 15 * Math.sin((2 * Math.PI * t) / 3) });
/** The same head later: other movements at other times. */
const otherMoments: Path = (t) => ({ x: 80 + 30 * Math.sin((2 * Math.PI * t) / 5 + 2), y: 60 + 20 * Math.cos((2 * Math.PI * t) / 2.5) });
const still: Path = () => ({ x: 80, y: 60 });

/** `seconds` of `render` sampled at `fps` from `start` seconds of the scene, as src/video/frames.ts gives frames. */
function record(render: (t: number) => RgbImage, seconds: number, fps: number, start = 0): RecordingFingerprint {
  const frames: VideoFrame[] = Array.from({ length: Math.round(seconds * fps) }, (_, i) => ({ timeSeconds: i / fps, image: render(start + i / fps) }));
  return fingerprintRecording(frames, fps);
}

const bitsSet = (hash: Uint8Array) => hash.reduce((s, byte) => s + byte.toString(2).replaceAll('0', '').length, 0);
const distance = hashDistance;

const person = scene(1, 2, turning);

describe('hashFrame', () => {
  const image = person(0.7);

  it('gives 8 bytes: 31 of the 63 DCT bits set (above the median), bit 63 clear', () => {
    const hash = hashFrame(image);
    expect(hash).toHaveLength(HASH_BYTES);
    expect(bitsSet(hash)).toBe(31);
    expect(hash[7]! & 1).toBe(0);
    expect(hashFrame(image)).toEqual(hash);
  });

  it('is unchanged by brightness and contrast (an affine change of luma) and nearly so by rescaling', () => {
    const hash = hashFrame(image);
    const retouched = { ...image, data: image.data.map((v) => Math.round(0.8 * v + 30)) };
    expect(distance(hashFrame(retouched), hash)).toBeLessThanOrEqual(2);
    // Half size by 2 × 2 box averages: what a rescaled upload gives once decoded.
    const half = new Uint8Array((WIDTH / 2) * (HEIGHT / 2) * 3);
    for (let y = 0; y < HEIGHT / 2; y++) {
      for (let x = 0; x < WIDTH / 2; x++) {
        for (let c = 0; c < 3; c++) {
          const at = (dx: number, dy: number) => image.data[((2 * y + dy) * WIDTH + 2 * x + dx) * 3 + c]!;
          half[(y * (WIDTH / 2) + x) * 3 + c] = Math.round((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4);
        }
      }
    }
    expect(distance(hashFrame({ data: half, width: WIDTH / 2, height: HEIGHT / 2 }), hash)).toBeLessThanOrEqual(2);
  });

  it('tells another room or another pose apart (more than FRAME_MATCH_MAX_BITS bits)', () => {
    const hash = hashFrame(image);
    expect(distance(hashFrame(scene(7, 2, turning)(0.7)), hash)).toBeGreaterThan(FRAME_MATCH_MAX_BITS);
    expect(distance(hashFrame(person(1.7)), hash)).toBeGreaterThan(FRAME_MATCH_MAX_BITS);
  });

  it('hashDistance counts the differing bits', () => {
    const a = hashFrame(person(0.7));
    const b = hashFrame(person(2.9));
    expect(hashDistance(a, a)).toBe(0);
    expect(hashDistance(a, b)).toBe(bitsSet(a.map((byte, i) => byte ^ b[i]!)));
    expect(() => hashDistance(a, b.subarray(1))).toThrow(/8-byte hashes/);
  });

  it('hashes images smaller than the thumbnail as their enlargement, and refuses a wrong byte count', () => {
    // 20 × 12 pixels (a tiny upload): the same as the same picture with every pixel repeated 3 × 3.
    const small = { ...scene(3, 4, still)(0), width: 20, height: 12 };
    small.data = small.data.subarray(0, 20 * 12 * 3);
    const enlarged = new Uint8Array(60 * 36 * 3);
    for (let y = 0; y < 36; y++) for (let x = 0; x < 60; x++) enlarged.set(small.data.subarray((Math.floor(y / 3) * 20 + Math.floor(x / 3)) * 3, (Math.floor(y / 3) * 20 + Math.floor(x / 3)) * 3 + 3), (y * 60 + x) * 3);
    expect(hashFrame(small)).toEqual(hashFrame({ data: enlarged, width: 60, height: 36 }));
    expect(() => hashFrame({ data: new Uint8Array(10), width: 40, height: 40 })).toThrow(/expected 4800/);
    expect(() => hashFrame({ data: new Uint8Array(0), width: 0, height: 0 })).toThrow(/positive integer size/);
  });
});

describe('fingerprintRecording and its encoding', () => {
  it('keeps one hash per frame and refuses frames off the index ÷ fps grid, no frames, or no frame rate', () => {
    const fingerprint = record(person, 2, 4);
    expect(fingerprint).toMatchObject({ version: FINGERPRINT_VERSION, fps: 4 });
    expect(fingerprint.hashes).toHaveLength(8 * HASH_BYTES);
    const frames = [0, 0.25, 0.6].map((t) => ({ timeSeconds: t, image: person(t) }));
    expect(() => fingerprintRecording(frames, 4)).toThrow(/frame 2 is at 0.6 s, expected 0.5 s/);
    expect(() => fingerprintRecording([], 4)).toThrow(/no frame/);
    expect(() => fingerprintRecording(frames.slice(0, 1), 0)).toThrow(/positive frame rate/);
  });

  it('round-trips through bytes (16 + 8 per frame) and refuses what is not a fingerprint of this version', () => {
    const fingerprint = record(person, 4, 2.5);
    const bytes = encodeFingerprint(fingerprint);
    expect(bytes).toHaveLength(16 + 10 * HASH_BYTES);
    expect(decodeFingerprint(bytes)).toEqual(fingerprint);
    expect(decodeFingerprint(new Uint8Array(Buffer.from(bytes.toString('base64'), 'base64')))).toEqual(fingerprint);
    expect(() => decodeFingerprint(new Uint8Array(bytes.length))).toThrow(/no "RF" header/);
    const otherVersion = Uint8Array.from(bytes);
    otherVersion[2] = 2;
    expect(() => decodeFingerprint(otherVersion)).toThrow(/version 2/);
    expect(() => decodeFingerprint(bytes.subarray(0, bytes.length - 1))).toThrow(/do not hold 10 frame hashes/);
  });
});

describe('compareFingerprints', () => {
  it('matches a recording with itself: every frame, offset 0', () => {
    const a = record(person, 10, 4);
    const result = compareFingerprints(a, a);
    expect(result).toMatchObject({ matched: true, similarity: 1, offsetSeconds: 0, matchedFrames: 40, comparedFrames: 40, sharedFrames: 40 });
    expect(result.sharedSeconds).toBeCloseTo(10, 6);
  });

  it('matches a trimmed copy sampled on another grid (a shorter clip is sampled at another rate) and finds the trim', () => {
    // The original: 12 s at 3.33 fps (40 frames); the copy: its 1.5–11 s, 9.5 s at 4 fps.
    const original = record(person, 12, 40 / 12);
    const trimmed = record(person, 9.5, 4, 1.5);
    const result = compareFingerprints(original, trimmed);
    expect(result.matched).toBe(true);
    expect(result.offsetSeconds).toBeCloseTo(-1.5, 0);
    expect(result.similarity).toBeGreaterThan(0.6);
    // The same answer the other way round, the offset's sign flipped.
    const reverse = compareFingerprints(trimmed, original);
    expect(reverse.matched).toBe(true);
    expect(reverse.offsetSeconds).toBeCloseTo(-result.offsetSeconds, 6);
  });

  it('does not match another room, or the same person in the same room at other moments', () => {
    const a = record(person, 10, 4);
    const otherRoom = compareFingerprints(a, record(scene(7, 8, turning), 10, 4));
    expect(otherRoom.matched).toBe(false);
    expect(otherRoom.similarity).toBeLessThan(0.2);
    const later = compareFingerprints(a, record(scene(1, 2, otherMoments), 10, 4));
    expect(later.matched).toBe(false);
    expect(later.sharedSeconds).toBeLessThan(MIN_SHARED_SECONDS);
  });

  it('does not match a still recording, even with itself: a still picture of a place matches any other of it', () => {
    const a = record(scene(1, 2, still), 10, 4);
    const result = compareFingerprints(a, a);
    expect(result.similarity).toBe(1);
    expect(result.sharedSeconds).toBeCloseTo(10, 6);
    expect(result.changeBits).toBe(0);
    expect(result.matched).toBe(false);
  });

  it('matches footage shared for 5 s, not for 3 s (MIN_SHARED_SECONDS = 4 s)', () => {
    // Two 6 s recordings of one scene: 0–6 s and 3–9 s share 3 s; 0–6 s and 1–7 s share 5 s.
    const first = record(person, 6, 4);
    const threeSeconds = compareFingerprints(first, record(person, 6, 4, 3));
    expect(threeSeconds.matched).toBe(false);
    expect(threeSeconds.sharedSeconds).toBeCloseTo(3, 6);
    const fiveSeconds = compareFingerprints(first, record(person, 6, 4, 1));
    expect(fiveSeconds.matched).toBe(true);
    expect(fiveSeconds.offsetSeconds).toBeCloseTo(-1, 6);
    expect(fiveSeconds.sharedSeconds).toBeCloseTo(5, 6);
  });

  it('never matches a one-frame recording, and refuses a fingerprint of another version', () => {
    const a = record(person, 10, 4);
    expect(compareFingerprints(a, record(person, 0.25, 4)).matched).toBe(false);
    expect(() => compareFingerprints(a, { ...a, version: 2 as typeof FINGERPRINT_VERSION })).toThrow(/version 2/);
  });
});
