/**
 * Boxes and non-maximum suppression shared by every detector wrapper.
 * Coordinates are pixels of the image the detector was given unless a name says otherwise.
 */

/** Axis-aligned box, in pixels: top-left corner plus size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function area(b: Box): number {
  return Math.max(0, b.width) * Math.max(0, b.height);
}

/** Intersection over union, 0–1. */
export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

export interface NmsOptions {
  /** Boxes overlapping a kept box by more than this IoU (0–1) are dropped. */
  iouThreshold: number;
  /** Candidates scoring below this (same scale as `scores`) are ignored. */
  scoreThreshold: number;
  /** At most this many boxes are kept. */
  maxResults: number;
}

/**
 * Greedy NMS as in tf.image.nonMaxSuppression: highest score first, drop boxes whose IoU with a kept
 * box exceeds the threshold. Returns indices into `boxes`, best first.
 */
export function nonMaxSuppression(boxes: readonly Box[], scores: ArrayLike<number>, options: NmsOptions): number[] {
  const order = Array.from(boxes.keys())
    .filter((i) => scores[i]! >= options.scoreThreshold)
    .sort((a, b) => scores[b]! - scores[a]!);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= options.maxResults) break;
    if (kept.every((k) => iou(boxes[k]!, boxes[i]!) <= options.iouThreshold)) kept.push(i);
  }
  return kept;
}

/** Clamps a box to an image of the given size (pixels). */
export function clampBox(b: Box, width: number, height: number): Box {
  const x1 = Math.min(Math.max(b.x, 0), width);
  const y1 = Math.min(Math.max(b.y, 0), height);
  const x2 = Math.min(Math.max(b.x + b.width, 0), width);
  const y2 = Math.min(Math.max(b.y + b.height, 0), height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}
