/**
 * The lower-face cue of `occlusion` that needs no optional pack: is the face below the nose skin? A face mask, a scarf
 * or a cloth held over the mouth replaces it with fabric whose colour is not the wearer's skin colour.
 *
 * Measured in the aligned face crop (pipeline/analyze.ts) with FaceMesh (`human-facemesh`, shipped by default): the
 * pixels inside the mesh's face oval and below its nose tip, each compared in chroma (YCbCr Cb, Cr: luma left out, so
 * shade and a beard's darkness weigh little) with the skin between the eyes; the median of those distances is the
 * measurement. Also reported: FaceMesh's own face score, which drops on many masked faces (a face without mouth and
 * chin is not what the mesh was trained on) but stays near 1 on a hand over the mouth (docs/quality-checks.md).
 *
 * What it cannot see (measured, docs/quality-checks.md occlusion): a covering of the wearer's skin colour, above all a
 * bare hand, and skin-coloured masks.
 */
import { type FaceMesh, meshPointsInImage } from '../inference/human-facemesh.js';
import type { FaceAnalysis, Point } from '../face/types.js';
import type { RgbImage } from '../imaging/image.js';
import { faceRegions, landmarksInCrop } from './face-regions.js';
import { clampRect, type Rect, upperMedianInPlace } from './image-stats.js';

/**
 * FaceMesh's face oval, clockwise from the top of the forehead (MediaPipe face mesh topology, `FACEMESH_FACE_OVAL` of
 * mediapipe/python/solutions/face_mesh_connections.py; the 468-point model Human runs uses the same indices).
 */
const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109] as const;
/** FaceMesh point on the tip of the nose (MediaPipe canonical face model: index 1, "nose tip"). */
const NOSE_TIP = 1;

export interface LowerFaceMeasurement {
  /**
   * Median chroma distance of the lower-face pixels from the skin reference, in YCbCr Cb/Cr units (8-bit scale,
   * ITU-R BT.601 as JPEG uses; ≥ 0, 0 = the skin's colour; 0 too when the mesh put no pixel below the nose).
   */
  chromaDistance: number;
  /** Where the skin colour was read: the nose bridge between the eyes, or the forehead (sunglasses on the bridge). */
  skinReference: 'noseBridge' | 'forehead';
  /** FaceMesh face-presence probability, 0–1. */
  faceScore: number;
  /** Lower-face pixels measured (aligned-crop pixels; 0 when the mesh put no pixel there). */
  pixels: number;
}

/** Cb and Cr (BT.601, centred on 0) of pixel `i` of an RGB image. */
function chroma(data: Uint8Array, i: number): [number, number] {
  const [r, g, b] = [data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!];
  return [-0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b];
}

// Reordered in place: every caller passes a scratch array.
const median = upperMedianInPlace;

/** Per-channel median Cb, Cr of a rectangle of the crop. */
function medianChroma(image: RgbImage, rect: Rect): [number, number] {
  const r = clampRect(rect, image.width, image.height);
  const n = (r.x1 - r.x0) * (r.y1 - r.y0);
  const cb = new Float32Array(n);
  const cr = new Float32Array(n);
  let k = 0;
  for (let y = r.y0; y < r.y1; y++) {
    for (let x = r.x0; x < r.x1; x++, k++) [cb[k], cr[k]] = chroma(image.data, y * image.width + x);
  }
  return [median(cb), median(cr)];
}

/**
 * The x spans of row `y` (at the pixel centre y + 0.5) inside a polygon, even-odd rule: sorted crossings, paired. One
 * pass over the edges per row instead of per pixel.
 */
function rowSpans(polygon: readonly Point[], y: number): number[] {
  const cy = y + 0.5;
  const crossings: number[] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [a, b] = [polygon[i]!, polygon[j]!];
    if (a.y > cy !== b.y > cy) crossings.push(a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y));
  }
  return crossings.sort((p, q) => p - q);
}

/** The mesh's points in aligned-crop pixels (the same transform as the 68 landmarks: face-regions.ts landmarksInCrop). */
function meshInCrop(analysis: FaceAnalysis, mesh: FaceMesh): Point[] {
  return landmarksInCrop({ ...analysis, landmarks68: meshPointsInImage(mesh) });
}

/**
 * Measures the lower face. `sunglasses`: the sunglasses check's answer for this face; with sunglasses the frame may sit
 * on the nose bridge, so the nearer of the bridge's and the forehead's colour is the skin (a hat can make the forehead
 * wrong, but not both at once in the photos measured).
 */
export function measureLowerFace(analysis: FaceAnalysis, mesh: FaceMesh, sunglasses: boolean): LowerFaceMeasurement {
  const crop = analysis.alignedFace.image;
  const regions = faceRegions(landmarksInCrop(analysis));
  const points = meshInCrop(analysis, mesh);
  const oval = FACE_OVAL.map((i) => points[i]!);
  const noseY = points[NOSE_TIP]!.y;
  const box = clampRect({ x0: Math.min(...oval.map((p) => p.x)), x1: Math.max(...oval.map((p) => p.x)), y0: noseY, y1: Math.max(...oval.map((p) => p.y)) }, crop.width, crop.height);
  const cb: number[] = [];
  const cr: number[] = [];
  for (let y = box.y0; y < box.y1; y++) {
    if (y + 0.5 <= noseY) continue;
    const spans = rowSpans(oval, y);
    for (let k = 0; k + 1 < spans.length; k += 2) {
      // Pixels whose centre x + 0.5 lies inside [spans[k], spans[k + 1]).
      const [from, to] = [Math.max(box.x0, Math.ceil(spans[k]! - 0.5)), Math.min(box.x1, Math.ceil(spans[k + 1]! - 0.5))];
      for (let x = from; x < to; x++) {
        const [b, r] = chroma(crop.data, y * crop.width + x);
        cb.push(b);
        cr.push(r);
      }
    }
  }
  const distanceFrom = (skin: [number, number]) => {
    const distances = new Float32Array(cb.length);
    for (let i = 0; i < distances.length; i++) distances[i] = Math.hypot(cb[i]! - skin[0], cr[i]! - skin[1]);
    return median(distances);
  };
  const bridge = distanceFrom(medianChroma(crop, regions.noseBridge));
  const forehead = sunglasses ? distanceFrom(medianChroma(crop, regions.forehead)) : Number.POSITIVE_INFINITY;
  return { chromaDistance: Math.min(bridge, forehead), skinReference: forehead < bridge ? 'forehead' : 'noseBridge', faceScore: mesh.faceScore, pixels: cb.length };
}
