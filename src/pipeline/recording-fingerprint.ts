/**
 * Replayed recordings (issue 14 item 4): a perceptual fingerprint of a self-record session's processed recording, kept
 * so that a later upload of the same app that re-uses it (the same file, or the same footage re-encoded, rescaled,
 * trimmed, transcoded or retouched) is flagged `replayed_recording` and never approved (src/pipeline/decision.ts
 * replayedRecording). Pure: it works on the frames verifyVideo has already decoded (src/video/frames.ts: frame i at
 * i ÷ fps seconds; ≤ 4 fps, ≤ 40 frames, ≤ 640 px with the default VIDEO_* settings, so a 12–15 s challenge recording
 * is read at 2.7–3.3 fps and the 20.7 s real.mp4 at 1.93 fps); no I/O, no model. Every number below is measured in
 * bench/RESULTS.md "2026-12-01: replayed recordings: the fingerprint" (`npm run bench -- replay`).
 *
 * Algorithm:
 * - per frame, a DCT hash in the manner of pHash (phash.org ph_dct_imagehash; C. Zauner, "Implementation and
 *   Benchmarking of Perceptual Image Hash Functions", 2010): ITU-R BT.601 luma, an exact area average down to 32 × 32
 *   (aspect ratio not kept, so a rescaled copy gives the same thumbnail), a 2-D DCT-II, and one bit per coefficient of
 *   the 8 × 8 lowest frequencies without the DC term, set when the coefficient is above the median of the 63.
 *   Brightness moves only the DC term and contrast scales every coefficient alike, so neither moves a bit (the eq
 *   filter's copy: ≤ 2 bits). pHash takes coefficients 1–8 of both axes, dropping row and column 0; keeping them keeps
 *   the purely horizontal and vertical structure that most of a selfie frame is (a head's outline against a wall): in
 *   an exploratory run, not kept in the bench, pHash's block left the hamilton VP8 transcode a 3.8 s shared stretch
 *   where this one leaves 9.3 s (draft thresholds);
 * - per recording, the hashes in frame order and the sampling rate: 8 bytes a frame, 336 bytes encoded for 40 frames;
 * - comparison, as video fingerprints are matched (J. Oostveen, T. Kalker, J. Haitsma, "Feature Extraction and a
 *   Database Strategy for Video Fingerprinting", VISUAL 2002, LNCS 2314: a run of consecutive frames whose bit errors
 *   stay under a threshold): the two recordings are aligned at every time offset some pair of matching frames implies
 *   (a trimmed copy starts later, and two readings of one footage sample at different rates: the rate follows the
 *   length); at each offset every frame of the sparser recording is paired with the nearest frame of the other, and
 *   the longest stretch of pairs of which ≥ MIN_MATCHED_FRACTION match is measured. The recordings share footage when
 *   some stretch lasts ≥ MIN_SHARED_SECONDS, holds ≥ MIN_SHARED_FRAMES frames and changes by ≥ MIN_CHANGE_BITS.
 *
 * The thresholds (RESULTS tables 1, 2, 4 and 5; each changed alone in table 5):
 * - FRAME_MATCH_MAX_BITS = 6 bits: the same frame re-encoded (CRF 35, 240 px wide, VP8, eq; the same sampling
 *   instants) differs by ≤ 4 bits; one person at rest in one place at two moments (real.mp4's lead-in vs its tail) by
 *   ≥ 10 bits at 4 fps, ≥ 8 at 10 fps. Distances are always even (every hash has 31 bits set), so 6 is the one value
 *   between. 4 loses the hamilton VP8 transcode; 8 lets 4 of 60 synthetic "other moments" pairs match.
 * - MIN_MATCHED_FRACTION = 0.7: two readings of one recording sample instants up to half a frame interval apart (0.26 s
 *   at 1.93 fps), and in fast motion those frames differ: hamilton (a stage performance) against its VP8 transcode keeps
 *   22 of 37 frames within 6 bits at 4 fps, its best stretch at ≥ 70 % lasting 4.8 s. 0.6 lets 1 of 60 synthetic pairs
 *   match; 0.8 loses the hamilton VP8 transcode.
 * - MIN_SHARED_SECONDS = 4 s: different moments of one clip (real.mp4, fake.mp4 and hamilton cut into 6 s and 4.5 s
 *   pieces) share stretches of ≤ 0.5 s, the synthetic worst case ≤ 3.5 s; re-uses share their whole length, the
 *   smallest being hamilton's VP8 transcode at 4 fps (4.8 s). 3 s lets 2 of 60 synthetic pairs match; 5 s loses
 *   hamilton VP8.
 * - MIN_SHARED_FRAMES = 6: not measured (no dev clip is long enough): a clip over 26.7 s is sampled below 1.5 fps
 *   (40 frames; VIDEO_MAX_SECONDS allows 60 s, i.e. 0.67 fps), where 4 s would be 2 or 3 frames; 6 is what 3 s holds
 *   at 2 fps (a 20 s recording, CHALLENGE_MAX_RECORDING_SECONDS).
 * - MIN_CHANGE_BITS = 16 bits: re-used stretches change by 30–48 bits (a head turns, the scene moves); a person nearly
 *   still recorded twice in one place gives 10 s stretches with ≥ 97 % of frames matching, and without this rule all
 *   60 synthetic such pairs match.
 *
 * Short overlaps: a recording that shares a stretch of ≥ 4 s with an earlier one is flagged wherever the stretch sits
 * (a 6 s piece cut from real.mp4 matches it; two pieces sharing 5 s or 4 s match; sharing 2 s they do not). A person
 * recording again never reproduces 4 s of footage frame for frame, and a challenge recording lasts 12–15 s (2 s lead-in,
 * three or four 3 s windows, 1 s tail: src/sessions/challenge-draw.ts), so a re-use cut below 4 s could not answer a
 * challenge anyway. The flip side: recordings made by joining pieces of one source (test/helpers/challenge-recordings.ts)
 * match each other when they share ≥ 4 s of it, as they should (RESULTS table 3).
 *
 * Limits:
 * - a camera filming a screen that plays an earlier recording is NOT the same recording (other framing, the screen's
 *   edges and moiré, another exposure): fake.mp4, real.mp4 replayed on a phone and filmed, shares no frame with it
 *   (0 of 39 within 6 bits). That attack is the passive liveness models' and the context signals' job
 *   (src/attack-signals/), and the active challenge's;
 * - cropping, mirroring, rotation, letterboxing, picture-in-picture and speed changes are not handled (the thumbnail
 *   covers the whole frame; times are compared at the same speed);
 * - a still recording is never flagged (MIN_CHANGE_BITS): a still picture of a place matches any other of it. Such a
 *   recording answers no challenge;
 * - coincidence: the synthetic worst case (one room, one head, nothing else) reaches 3.5 s of the 4 s needed. Two real
 *   performances of one challenge step by one person in one place, with the same framing and timing for 4 s, would be
 *   flagged; no dev clip performs an action twice, so this is not measured on real video. A false flag sends the
 *   session to the replayedRecording rule (decline or review), never to approval;
 * - cost (2-core Xeon under a load of 4–5): hashing ≈ 1.2 ms a frame (50 ms for 40 frames of 360 × 640), a comparison
 *   0.01–0.02 ms for unrelated 40-frame recordings and 0.4 ms for a matching pair (1.8 ms at 200 frames). An upload is
 *   compared with every earlier fingerprint of its app: ≈ 1 s per 100,000 stored recordings; past that an index (hash
 *   buckets) is needed.
 */
import type { RgbImage } from '../imaging/image.js';
import type { VideoFrame } from '../video/frames.js';

/** Names the frame hash and encodeFingerprint's byte layout; a stored fingerprint of another version is refused. */
export const FINGERPRINT_VERSION = 1;

/** Side of the grayscale thumbnail a frame is reduced to before its DCT, pixels. */
export const THUMBNAIL_SIDE = 32;

/** Low DCT frequencies kept per axis: the 8 × 8 lowest minus the DC term = 63 coefficients, one bit each. */
export const HASH_FREQUENCIES = 8;

/** Bytes per frame hash: 63 bits in 8 bytes, the last bit always 0. */
export const HASH_BYTES = 8;

/** A frame differs from another by at most this many of its 63 hash bits to count as the same picture. */
export const FRAME_MATCH_MAX_BITS = 6;

/** Share of the frames of a stretch that must match, 0–1 (the others are sampling misalignment during fast motion). */
export const MIN_MATCHED_FRACTION = 0.7;

/** A shared stretch must last this long, seconds of recording, to count as reused footage. */
export const MIN_SHARED_SECONDS = 4;

/** …and hold at least this many sampled frames (a long recording is sampled sparsely: 40 frames over up to 60 s). */
export const MIN_SHARED_FRAMES = 6;

/** …and change by at least this many bits inside it: a still picture matches any other still picture of a place. */
export const MIN_CHANGE_BITS = 16;

/** The decision's thresholds (compareFingerprints' third argument): REPLAY_THRESHOLDS unless a bench tries others. */
export interface ReplayThresholds {
  /** FRAME_MATCH_MAX_BITS. */
  frameMatchMaxBits: number;
  /** MIN_MATCHED_FRACTION, 0–1. */
  minMatchedFraction: number;
  /** MIN_SHARED_SECONDS. */
  minSharedSeconds: number;
  /** MIN_SHARED_FRAMES. */
  minSharedFrames: number;
  /** MIN_CHANGE_BITS. */
  minChangeBits: number;
}

export const REPLAY_THRESHOLDS: Readonly<ReplayThresholds> = Object.freeze({
  frameMatchMaxBits: FRAME_MATCH_MAX_BITS,
  minMatchedFraction: MIN_MATCHED_FRACTION,
  minSharedSeconds: MIN_SHARED_SECONDS,
  minSharedFrames: MIN_SHARED_FRAMES,
  minChangeBits: MIN_CHANGE_BITS,
});

/** A recording's perceptual fingerprint: one 64-bit hash per sampled frame, frames at index ÷ fps seconds. */
export interface RecordingFingerprint {
  version: typeof FINGERPRINT_VERSION;
  /** Frames per second the recording was sampled at (src/video/frames.ts samplingPlan; below 4 for clips over 10 s). */
  fps: number;
  /** HASH_BYTES per frame, in frame order. */
  hashes: Uint8Array;
}

/** What compareFingerprints found at the best alignment of the two recordings. */
export interface FingerprintComparison {
  /**
   * True when the recordings share footage: at some offset, a stretch of ≥ MIN_SHARED_SECONDS and ≥ MIN_SHARED_FRAMES
   * frames, ≥ MIN_MATCHED_FRACTION of them matching, that changes by ≥ MIN_CHANGE_BITS.
   */
  matched: boolean;
  /** 0–1: matchedFrames ÷ comparedFrames at offsetSeconds. Descriptive: the decision is `matched`'s stretch rule. */
  similarity: number;
  /** Seconds to add to a time of `a` to reach the same moment of `b` (b = a + offset); 0 when nothing matched. */
  offsetSeconds: number;
  /** Frames of the more sparsely sampled recording with a frame of the other within half a frame interval, at offsetSeconds. */
  comparedFrames: number;
  /** Of those, frames whose hashes differ by ≤ FRAME_MATCH_MAX_BITS bits. */
  matchedFrames: number;
  /** Longest stretch at offsetSeconds with ≥ MIN_MATCHED_FRACTION of its frames matching, from a match to a match, seconds. */
  sharedSeconds: number;
  /** Frames in that stretch. */
  sharedFrames: number;
  /** Largest difference between the stretch's first matched frame and its other matched frames, bits (0–63). */
  changeBits: number;
}

/** ITU-R BT.601 luma weights ×1000 (JPEG/JFIF's Y, the grayscale pHash hashes): integer sums stay exact. */
const LUMA_R = 299;
const LUMA_G = 587;
const LUMA_B = 114;

/**
 * Where each of `inSize` samples falls among THUMBNAIL_SIDE equal bins of an exact area average: bin[s] holds
 * [s, s + 1) wholly or, when a bin edge cuts it, its first part (share[s] of it; the rest goes to bin[s] + 1). Needs
 * bins at least one sample wide (inSize ≥ THUMBNAIL_SIDE), so that no sample spans three bins: lumaThumbnail
 * enlarges smaller images first.
 */
function binsOf(inSize: number): { bin: Int32Array; share: Float64Array } {
  const bin = new Int32Array(inSize);
  const share = new Float64Array(inSize);
  const width = inSize / THUMBNAIL_SIDE;
  for (let s = 0; s < inSize; s++) {
    const b = Math.min(THUMBNAIL_SIDE - 1, Math.floor(s / width));
    bin[s] = b;
    share[s] = Math.min(1, (b + 1) * width - s);
  }
  return { bin, share };
}

/** DCT-II basis, orthonormal scaling, the HASH_FREQUENCIES lowest frequencies × THUMBNAIL_SIDE samples. */
const DCT_BASIS = (() => {
  const n = THUMBNAIL_SIDE;
  const basis = new Float64Array(HASH_FREQUENCIES * n);
  for (let k = 0; k < HASH_FREQUENCIES; k++) {
    const scale = Math.sqrt((k === 0 ? 1 : 2) / n);
    for (let x = 0; x < n; x++) basis[k * n + x] = scale * Math.cos((Math.PI * (2 * x + 1) * k) / (2 * n));
  }
  return basis;
})();

/** `image` with every pixel repeated `across` times across and `down` times down. */
function repeatPixels(image: RgbImage, across: number, down: number): RgbImage {
  const width = image.width * across;
  const height = image.height * down;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sourceRow = Math.floor(y / down) * image.width;
    for (let x = 0; x < width; x++) data.set(image.data.subarray((sourceRow + Math.floor(x / across)) * 3, (sourceRow + Math.floor(x / across)) * 3 + 3), (y * width + x) * 3);
  }
  return { data, width, height };
}

/**
 * The THUMBNAIL_SIDE² luma thumbnail of `image`, 0–255: each pixel the exact area average of its box of the image
 * (aspect ratio not kept, so a rescaled copy gives the same thumbnail).
 */
export function lumaThumbnail(image: RgbImage): Float64Array {
  const { data, width, height } = image;
  const n = THUMBNAIL_SIDE;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`lumaThumbnail: expected a positive integer size, got ${width}×${height}`);
  if (data.length !== width * height * 3) throw new Error(`lumaThumbnail: image data holds ${data.length} bytes, expected ${width * height * 3} for ${width}×${height} RGB`);
  // A frame under THUMBNAIL_SIDE pixels on a side (a tiny or very elongated upload): each pixel repeated as a block,
  // which leaves every area average as it is and gives the single pass below bins at least one pixel wide.
  if (width < n || height < n) return lumaThumbnail(repeatPixels(image, Math.ceil(n / width), Math.ceil(n / height)));
  const columns = binsOf(width);
  const rows = binsOf(height);
  const rowBins = new Float64Array(n + 1);
  const out = new Float64Array((n + 1) * n);
  let p = 0;
  for (let y = 0; y < height; y++) {
    rowBins.fill(0);
    for (let x = 0; x < width; x++, p += 3) {
      const luma = LUMA_R * data[p]! + LUMA_G * data[p + 1]! + LUMA_B * data[p + 2]!;
      const b = columns.bin[x]!;
      const share = columns.share[x]!;
      if (share === 1) {
        rowBins[b]! += luma;
      } else {
        rowBins[b]! += share * luma;
        rowBins[b + 1]! += (1 - share) * luma;
      }
    }
    const top = rows.bin[y]! * n;
    const share = rows.share[y]!;
    for (let c = 0; c < n; c++) {
      out[top + c]! += share * rowBins[c]!;
      out[top + n + c]! += (1 - share) * rowBins[c]!;
    }
  }
  // Sums → means (a box holds width × height ÷ n² pixels), luma weights back to 0–1.
  const scale = (n * n) / (width * height * 1000);
  const thumbnail = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) thumbnail[i] = out[i]! * scale;
  return thumbnail;
}

/**
 * The frame's 64-bit perceptual hash (HASH_BYTES bytes): luma thumbnail → 2-D DCT-II → the 8 × 8 lowest frequencies
 * without the DC term → bit k (k = 8u + v − 1, most significant bit of byte 0 first) is 1 when coefficient (u, v) is
 * above the median of the 63. Bit 63 is always 0.
 */
export function hashFrame(image: RgbImage): Uint8Array {
  const n = THUMBNAIL_SIDE;
  const f = HASH_FREQUENCIES;
  const thumbnail = lumaThumbnail(image);
  // Separable DCT, only the low frequencies: rows first (n × f), then columns (f × f).
  const rowPass = new Float64Array(n * f);
  for (let y = 0; y < n; y++) {
    for (let v = 0; v < f; v++) {
      let sum = 0;
      for (let x = 0; x < n; x++) sum += thumbnail[y * n + x]! * DCT_BASIS[v * n + x]!;
      rowPass[y * f + v] = sum;
    }
  }
  const coefficients = new Float64Array(f * f - 1);
  for (let u = 0; u < f; u++) {
    for (let v = 0; v < f; v++) {
      if (u === 0 && v === 0) continue;
      let sum = 0;
      for (let y = 0; y < n; y++) sum += rowPass[y * f + v]! * DCT_BASIS[u * n + y]!;
      coefficients[u * f + v - 1] = sum;
    }
  }
  const median = Float64Array.from(coefficients).sort()[(coefficients.length - 1) / 2]!;
  const hash = new Uint8Array(HASH_BYTES);
  for (let k = 0; k < coefficients.length; k++) if (coefficients[k]! > median) hash[k >> 3]! |= 0x80 >> (k & 7);
  return hash;
}

/** Fingerprint of a sampled recording: `frames` as src/video/frames.ts decodes them (frame i at i ÷ fps seconds). */
export function fingerprintRecording(frames: readonly VideoFrame[], fps: number): RecordingFingerprint {
  if (!(Number.isFinite(fps) && fps > 0)) throw new Error(`fingerprintRecording: expected a positive frame rate, got ${fps}`);
  if (frames.length === 0) throw new Error('fingerprintRecording: no frame to fingerprint');
  const hashes = new Uint8Array(frames.length * HASH_BYTES);
  frames.forEach((frame, i) => {
    // The comparison places frame i at i ÷ fps: a list with gaps or another start would be compared at the wrong times.
    if (Math.abs(frame.timeSeconds - i / fps) > 1e-3) throw new Error(`fingerprintRecording: frame ${i} is at ${frame.timeSeconds} s, expected ${i / fps} s (index ÷ fps)`);
    hashes.set(hashFrame(frame.image), i * HASH_BYTES);
  });
  return { version: FINGERPRINT_VERSION, fps, hashes };
}

/** encodeFingerprint's first two bytes, "RF" (recording fingerprint), then the version. */
const MAGIC = [0x52, 0x46] as const;
const HEADER_BYTES = 16;

/**
 * The fingerprint as bytes, for a BLOB/bytea column (16 + 8 × frames bytes: 336 for 40 frames): "RF", version (uint8),
 * 0, fps (float64 little-endian), frame count (uint32 little-endian), then the hashes.
 */
export function encodeFingerprint(fingerprint: RecordingFingerprint): Buffer {
  const frames = fingerprint.hashes.length / HASH_BYTES;
  if (!(Number.isInteger(frames) && frames > 0)) throw new Error(`encodeFingerprint: ${fingerprint.hashes.length} hash bytes is not a whole number of ${HASH_BYTES}-byte frames`);
  const bytes = Buffer.alloc(HEADER_BYTES + fingerprint.hashes.length);
  bytes[0] = MAGIC[0];
  bytes[1] = MAGIC[1];
  bytes[2] = fingerprint.version;
  bytes.writeDoubleLE(fingerprint.fps, 4);
  bytes.writeUInt32LE(frames, 12);
  bytes.set(fingerprint.hashes, HEADER_BYTES);
  return bytes;
}

/** Reads encodeFingerprint's bytes back; throws when they are not a fingerprint of this version (corrupt or foreign). */
export function decodeFingerprint(bytes: Uint8Array): RecordingFingerprint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) throw new Error('decodeFingerprint: not a recording fingerprint (no "RF" header)');
  if (bytes[2] !== FINGERPRINT_VERSION) throw new Error(`decodeFingerprint: fingerprint version ${bytes[2]}, this code reads version ${FINGERPRINT_VERSION}`);
  const fps = view.getFloat64(4, true);
  const frames = view.getUint32(12, true);
  if (!(Number.isFinite(fps) && fps > 0)) throw new Error(`decodeFingerprint: invalid frame rate ${fps}`);
  if (frames === 0 || bytes.length !== HEADER_BYTES + frames * HASH_BYTES) throw new Error(`decodeFingerprint: ${bytes.length} bytes do not hold ${frames} frame hashes`);
  return { version: FINGERPRINT_VERSION, fps, hashes: new Uint8Array(bytes.subarray(HEADER_BYTES)) };
}

/** Bits set in a 32-bit word (Hacker's Delight, 2nd ed., figure 5-2). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Bits that differ between two frame hashes (HASH_BYTES each), 0–63; always even (each hash has 31 bits set). */
export function hashDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== HASH_BYTES || b.length !== HASH_BYTES) throw new Error(`hashDistance: expected two ${HASH_BYTES}-byte hashes, got ${a.length} and ${b.length} bytes`);
  let bits = 0;
  for (let k = 0; k < HASH_BYTES; k++) bits += popcount32(a[k]! ^ b[k]!);
  return bits;
}

/** Frame `index`'s hash in `fingerprint`. */
export function frameHash(fingerprint: RecordingFingerprint, index: number): Uint8Array {
  return fingerprint.hashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
}

/** The hashes as two 32-bit words per frame (big-endian, as stored). */
function words(fingerprint: RecordingFingerprint): Uint32Array {
  const { hashes } = fingerprint;
  if (hashes.length === 0 || hashes.length % HASH_BYTES !== 0) throw new Error(`compareFingerprints: ${hashes.length} hash bytes is not a whole number of ${HASH_BYTES}-byte frames`);
  const view = new DataView(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  const out = new Uint32Array(hashes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, false);
  return out;
}

/** One candidate alignment, evaluated. */
interface Alignment {
  /** Time of the dense recording = time of the sparse one + shift, seconds. */
  shift: number;
  compared: number;
  matched: number;
  sharedFrames: number;
  /** Matched frames inside the stretch. */
  sharedMatched: number;
  sharedSeconds: number;
  changeBits: number;
  passes: boolean;
}

/**
 * Do `a` and `b` share footage? Every alignment (time offset) at which some frame of one matches a frame of the other
 * is tried; at each, every frame of the more sparsely sampled recording is paired with the nearest frame of the other
 * (never more than half a frame interval apart), and the longest stretch of pairs with ≥ MIN_MATCHED_FRACTION matches
 * is measured. `matched` when some alignment's stretch lasts ≥ MIN_SHARED_SECONDS, holds ≥ MIN_SHARED_FRAMES frames and
 * changes by ≥ MIN_CHANGE_BITS. Symmetric up to the sign of offsetSeconds (at equal rates, up to ties in the pairing).
 */
export function compareFingerprints(a: RecordingFingerprint, b: RecordingFingerprint, thresholds: Readonly<ReplayThresholds> = REPLAY_THRESHOLDS): FingerprintComparison {
  const { frameMatchMaxBits, minMatchedFraction, minSharedSeconds, minSharedFrames, minChangeBits } = thresholds;
  for (const f of [a, b]) if (f.version !== FINGERPRINT_VERSION) throw new Error(`compareFingerprints: fingerprint version ${f.version}, this code compares version ${FINGERPRINT_VERSION}`);
  // The sparse recording is the one whose frames are paired: each then has a partner within half of the dense
  // recording's (shorter) frame interval. Equal rates: `a`.
  const aIsSparse = a.fps <= b.fps;
  const sparse = aIsSparse ? a : b;
  const dense = aIsSparse ? b : a;
  const s = words(sparse);
  const d = words(dense);
  const sparseCount = s.length / 2;
  const denseCount = d.length / 2;

  // Every pair's distance once (≤ 200 × 200 for the 10 fps challenge reading), and the alignments its matches imply.
  const distance = new Uint8Array(sparseCount * denseCount);
  // Alignments closer than a quarter of the dense frame interval pair the frames alike: one evaluation each.
  const step = 1 / (4 * dense.fps);
  const candidates = new Set<number>([0]);
  for (let i = 0; i < sparseCount; i++) {
    for (let j = 0; j < denseCount; j++) {
      const bits = popcount32(s[2 * i]! ^ d[2 * j]!) + popcount32(s[2 * i + 1]! ^ d[2 * j + 1]!);
      distance[i * denseCount + j] = bits;
      if (bits <= frameMatchMaxBits) candidates.add(Math.round((j / dense.fps - i / sparse.fps) / step));
    }
  }

  const matchedFlags = new Uint8Array(sparseCount);
  const prefix = new Float64Array(sparseCount + 1);
  const ramp = new Int32Array(sparseCount + 1);
  function evaluate(shift: number): Alignment {
    // The sparse frames with a partner form one run [first, last]: times increase with the index.
    let first = -1;
    let last = -1;
    let matched = 0;
    for (let i = 0; i < sparseCount; i++) {
      const j = Math.round((i / sparse.fps + shift) * dense.fps);
      if (j < 0 || j >= denseCount) continue;
      if (first < 0) first = i;
      last = i;
      const hit = distance[i * denseCount + j]! <= frameMatchMaxBits ? 1 : 0;
      matchedFlags[i] = hit;
      matched += hit;
    }
    const compared = first < 0 ? 0 : last - first + 1;
    const none: Alignment = { shift, compared, matched, sharedFrames: 0, sharedMatched: 0, sharedSeconds: 0, changeBits: 0, passes: false };
    if (matched === 0) return none;
    // Longest run [p, q) with (matches − MIN_MATCHED_FRACTION × frames) ≥ 0, i.e. prefix[q] ≥ prefix[p]: the widest
    // ramp of the prefix sums, O(n) with a stack of its strictly falling minima (the classic "maximum width ramp").
    prefix[0] = 0;
    for (let k = 0; k < compared; k++) prefix[k + 1] = prefix[k]! + matchedFlags[first + k]! - minMatchedFraction;
    let top = 0;
    for (let k = 0; k <= compared; k++) if (top === 0 || prefix[k]! < prefix[ramp[top - 1]!]! - 1e-9) ramp[top++] = k;
    let p = 0;
    let q = 0;
    for (let k = compared; k >= 0 && top > 0; k--) {
      while (top > 0 && prefix[k]! >= prefix[ramp[top - 1]!]! - 1e-9) {
        const start = ramp[--top]!;
        if (k - start > q - p) [p, q] = [start, k];
      }
    }
    // Trimmed to matched ends (only raises its share of matches).
    while (p < q && !matchedFlags[first + p]) p++;
    while (q > p && !matchedFlags[first + q - 1]) q--;
    const sharedFrames = q - p;
    const sharedSeconds = sharedFrames / sparse.fps;
    let changeBits = 0;
    let sharedMatched = sharedFrames > 0 ? 1 : 0;
    const origin = first + p;
    for (let i = origin + 1; i < first + q; i++) {
      if (!matchedFlags[i]) continue;
      sharedMatched++;
      changeBits = Math.max(changeBits, popcount32(s[2 * i]! ^ s[2 * origin]!) + popcount32(s[2 * i + 1]! ^ s[2 * origin + 1]!));
    }
    const passes = sharedSeconds >= minSharedSeconds - 1e-9 && sharedFrames >= minSharedFrames && changeBits >= minChangeBits;
    return { shift, compared, matched, sharedFrames, sharedMatched, sharedSeconds, changeBits, passes };
  }

  // Best: one that passes, then the most matched frames in its stretch (the true alignment: a slightly shifted one
  // can stretch a little longer over slow motion with fewer matches), then the longest stretch, then the most matches
  // overall, then the smallest shift.
  const better = (x: Alignment, y: Alignment) =>
    x.passes !== y.passes
      ? x.passes
      : x.sharedMatched !== y.sharedMatched
        ? x.sharedMatched > y.sharedMatched
        : x.sharedFrames !== y.sharedFrames
          ? x.sharedFrames > y.sharedFrames
          : x.matched !== y.matched
            ? x.matched > y.matched
            : Math.abs(x.shift) < Math.abs(y.shift);
  let best: Alignment | undefined;
  for (const candidate of [...candidates].sort((x, y) => x - y)) {
    const alignment = evaluate(candidate * step);
    if (!best || better(alignment, best)) best = alignment;
  }
  const chosen = best!;
  const shift = chosen.matched === 0 ? 0 : chosen.shift;
  return {
    matched: chosen.passes,
    similarity: chosen.compared === 0 ? 0 : chosen.matched / chosen.compared,
    // shift is dense − sparse; the answer is b − a.
    offsetSeconds: (aIsSparse ? shift : -shift) + 0,
    comparedFrames: chosen.compared,
    matchedFrames: chosen.matched,
    sharedSeconds: chosen.sharedSeconds,
    sharedFrames: chosen.sharedFrames,
    changeBits: chosen.changeBits,
  };
}
