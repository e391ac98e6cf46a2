/**
 * Straight edges framing the face (issue #12, context signals): the bezel of a phone, tablet or monitor, the border
 * of a print, the straight cut of a cut-out, around a face that is shown to the camera rather than present.
 * Komulainen, Hadid and Pietikäinen, "Context based face anti-spoofing" (BTAS 2013) showed that the attack
 * medium's border around the face is a cue the face crop alone cannot see. This signal looks for it with line
 * segments (LSD, src/imaging/line-segments.ts) and geometry relative to the face box; no learned model.
 *
 * An edge frames the face when it passes every rule below, each from what a presentation medium physically is
 * (the numbers are in FRAMING_RULES, in face sizes):
 * - Long and continuous: the medium shows at least the whole face, so its edge beside the face is about as long
 *   as the face, and it is one contrast step visible along most of its length. Collinear pieces across a
 *   finger-wide gap are joined, and so are parallel pieces a bezel's width apart (the screen edge and the body
 *   edge of a phone take turns being visible between fingers).
 * - Beside the face, never across it: the medium is flat and convex and the face lies on it, so the supporting
 *   line of each of its edges leaves the whole face on one side (this drops shelves and table edges at face height).
 * - Alongside: the edge runs beside at least half of the face's extent, not only beside a corner of the face box
 *   (collars, arms and shadows do; so does a shelf that stops where the head interrupts it).
 * - Near: within a few face sizes of the face box.
 * - Not one of many: a medium has one border per side (two with a bezel); an edge with several long parallel lines
 *   on the same side of the face belongs to curtains, blinds, shelving or panelling.
 * - Not padding: a border parallel to the picture's edge with a flat band of one colour outside it was added after
 *   capture (letterbox, canvas); it says nothing about what was in front of the camera.
 * - In front of the scene: an occluding border makes T-junctions (background lines stop at it); an edge that
 *   lines run across (X-junctions, e.g. shelves across a bookcase's upright) lies on the same surface as they do.
 * - Clear of the head: a top edge through the hair is the head's contour or something behind it.
 * - Not cut off by the body: a side edge that stops beside the face or at the shoulders, away from the picture
 *   border and not in a corner with a bottom edge, runs behind the person.
 * The best edge per side then scores by how much of a frame they make: one edge is weak evidence (rooms are full
 * of straight lines), an opposite pair or a corner encloses the face from two sides, three sides or a convex
 * quadrilateral around the face enclose it.
 */
import type { Box } from '../imaging/geometry.js';
import { type LineSegment, type LineSegmentScratch, detectLineSegments, lumaFromRgb, segmentLength } from '../imaging/line-segments.js';
import type { ContextView, SignalResult } from './types.js';

export type FaceSide = 'left' | 'right' | 'top' | 'bottom';

/** A point, pixels of the context view. */
export interface ViewPoint {
  x: number;
  y: number;
}

/** One framing edge (after joining its collinear pieces), pixels of the context view. */
export interface FramingSegment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Which side of the face it lies on. */
  side: FaceSide;
  /** Length, pixels. */
  length: number;
  /** Gap between the face box and the edge's line, pixels. */
  distance: number;
  /** 0–1: how much this edge alone says "frame": its length over 1.5 face sizes, at most 1. */
  strength: number;
  /** Other long lines parallel to this one on the same side of the face (outside its bezel band). */
  parallelLines: number;
}

/** Why a long straight edge near the face was judged not to frame it (the rules in the module comment). */
export type RejectionReason =
  | 'crossesFace'
  | 'far'
  | 'notAlongside'
  | 'repetitive'
  | 'padding'
  | 'crossed'
  | 'throughHead'
  | 'cutByBody';

export interface FramingEvidence {
  /** Sides of the face closed by a framing edge. */
  sides: FaceSide[];
  /** The edge chosen per side, in `sides` order. */
  segments: FramingSegment[];
  /** Pairs of adjacent sides whose edges meet in a corner, with the corner point. */
  corners: { sides: [FaceSide, FaceSide]; point: ViewPoint }[];
  /** With four sides: the corners top-left, top-right, bottom-right, bottom-left, when they form a convex quadrilateral around the face. */
  quadrilateral?: [ViewPoint, ViewPoint, ViewPoint, ViewPoint];
  /** Line segments LSD found in the searched region (at least a finger's width long). */
  segmentsDetected: number;
  /** Joined edges long and continuous enough to be judged by the rules. */
  longEdges: number;
  /** Long edges set aside, counted per reason. */
  rejected: Record<RejectionReason, number>;
  /** The region searched around the face, pixels of the view. */
  searchRegion: Box;
}

/** The numbers behind the rules, each in units of the face size ((width + height) / 2 of the face box) unless stated. */
export interface FramingRules {
  /** The search region extends this far beyond the face box on every side. */
  searchMargin: number;
  /** LSD runs at the scale where the face is this many pixels; the edges sought are as long as the face. */
  workingFaceSizePixels: number;
  /** Shortest framing edge. */
  minEdgeLength: number;
  /** Farthest an edge's line may pass from the face box. */
  maxDistance: number;
  /** The face box shrunk by this share per side is what an edge's line must not cross (detector boxes are loose). */
  faceBoxSlack: number;
  /** Joining pieces of one edge: largest gap along it, and largest offset across it. */
  maxJoinGap: number;
  maxJoinOffset: number;
  /** Joining and "same line" tests: largest angle between the pieces, degrees. */
  maxCollinearAngleDegrees: number;
  /** Share of the face's extent along an edge that the edge must run beside, 0–1. */
  minAlongside: number;
  /** Opposite sides count as a pair when their angles differ by at most this, degrees. */
  maxPairAngleDegrees: number;
  /** Adjacent sides meet in a corner when their lines cross within this of each edge's end. */
  maxCornerGap: number;
  /** A top edge must pass at least this far above the face box (the skull and hair above the brows). */
  headClearance: number;
  /** An edge crossed by this many lines is part of a structure (one crossing can be a coincidence: a medium
   * showing the same room lines up one of its lines with one outside). */
  minCrossings: number;
  /** A line crossing an edge counts when it is at least this long and reaches this far past it on both sides. */
  minCrossingLength: number;
  minCrossingOverhang: number;
  /** Shortest line segment kept at all (shorter ones cannot make up an edge, a band or a crossing). */
  minPieceLength: number;
  /** Shortest piece that may join a border band with a parallel piece a bezel's width away. */
  minBandPartLength: number;
  /** Share of a joined edge's length its detected parts must cover, 0–1. */
  minCoverage: number;
  /** How far below the chin the shoulders reach: a side edge ending above this was cut off by the body. */
  shoulderDepth: number;
  /** Lines within this of an edge, across it, belong to the same border (a bezel's inner and outer edge). */
  bezelWidth: number;
  /** Lines within this angle of an edge count as parallel to it, degrees. */
  parallelAngleDegrees: number;
  /** An edge with more long parallel lines than this on the same side of the face is part of a repetitive structure. */
  maxParallelLines: number;
  /** A band along the picture border whose luma varies less than this (standard deviation, grey levels) is padding. */
  maxPaddingDeviation: number;
}

export const FRAMING_RULES: Readonly<FramingRules> = Object.freeze({
  // A phone or print held up shows the face at 30–60 % of its width, so its edges lie within about one face size of
  // the face box (every framing edge found on the dev attacks lies within 1.25 face sizes, a monitor's video window
  // within 0.92); 1.5 leaves room for a face shown smaller. Farther lines are the room's (door frames, shelves,
  // windows), and LSD's work grows with the square of the margin (bench/RESULTS.md "Liveness with context", cost).
  searchMargin: 1.5,
  // 56 px faces leave face-long edges at ≥ 42 px, well above LSD's shortest meaningful segment (about 15 px at this
  // size: IPOL 2012 §2.6, −log NT / log p), while the search region stays ≤ 224² working pixels. Measured on the dev
  // set (full-frame samples): 64 px and 56 px find the same edges on the attack stills (scores within 0.03, ROC AUC
  // 0.969 vs 0.970) and 56 px does 17 % less work; at 48 px the print (F1) and the held phone lose a side (0.25).
  workingFaceSizePixels: 56,
  // "A device or print edge spans at least about the face's height"; 0.75 leaves room for the part of it that
  // fingers or the picture border hide.
  minEdgeLength: 0.75,
  // As far as the search reaches.
  maxDistance: 1.5,
  // SSD face boxes run past the cheeks and forehead by about a tenth of their size.
  faceBoxSlack: 0.1,
  // A finger across a phone's edge is about a quarter of a face wide.
  maxJoinGap: 0.3,
  // LSD's rectangles are 1–2 working pixels wide: 3 % of a 64 px face.
  maxJoinOffset: 0.03,
  // LSD's angle for a segment 30 working pixels long is good to about 2°.
  maxCollinearAngleDegrees: 3,
  minAlongside: 0.5,
  // A rectangle seen in perspective: opposite edges converge; a medium tilted by 30° to the camera gives < 20°.
  maxPairAngleDegrees: 25,
  // A corner hidden under a fingertip or rounded (phones: 5–10 mm radius) leaves the edges short of it.
  maxCornerGap: 0.35,
  // SSD boxes start at the brows; skull and hair reach a quarter to a third of the face's height above them
  // (Farkas, "Anthropometry of the head and face", 1994: trichion–glabella ≈ 0.3 × glabella–gnathion).
  headClearance: 0.2,
  // One crossing can be a coincidence (a medium showing the same room lines up one of its lines with one outside);
  // a structure is crossed again and again (every shelf of a bookcase).
  minCrossings: 2,
  minCrossingLength: 0.3,
  minCrossingOverhang: 0.15,
  // "Visible along most of its length": a quarter may be hidden by fingers or lost where the content's contrast
  // with the border vanishes.
  minCoverage: 0.75,
  // A finger's width: the shortest stretch of a border visible between two fingers.
  minPieceLength: 0.15,
  // A third of the shortest framing edge.
  minBandPartLength: 0.25,
  // The shoulder line lies about half to three quarters of a face height below the chin (neck length, Farkas 1994).
  shoulderDepth: 0.75,
  // A phone's or tablet's bezel is 2–5 mm; a face shown on it is 30–60 mm wide, so the bezel is about a tenth of it.
  bezelWidth: 0.1,
  parallelAngleDegrees: 10,
  // A monitor shows at most about four nested borders on a side (outer bezel, screen edge, window, video frame).
  maxParallelLines: 3,
  // JPEG noise on a flat colour is about 1 grey level; any photographed surface varies by more than a few.
  maxPaddingDeviation: 2.5,
});

/** How much a configuration of sides says "a medium around the face", 0–1 (multiplied by the sides' mean strength). */
const STRUCTURE = Object.freeze({
  quadrilateral: 1,
  threeSides: 0.8,
  oppositePair: 0.6,
  corner: 0.55,
  twoSides: 0.4,
  oneSide: 0.25,
});

interface Edge {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  length: number;
  /** Unit direction. */
  dx: number;
  dy: number;
  /** The detected segments joined into this edge. */
  parts: Segment[];
}

type Segment = Pick<LineSegment, 'x1' | 'y1' | 'x2' | 'y2'>;

function toEdge(s: Segment, parts: Segment[] = [s]): Edge {
  const length = segmentLength(s);
  return { x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2, length, dx: (s.x2 - s.x1) / length, dy: (s.y2 - s.y1) / length, parts };
}

/** Share of an edge's length covered by its detected parts, 0–1. */
function coverage(e: Edge): number {
  const intervals = e.parts
    .map((p) => [along(e, p.x1, p.y1), along(e, p.x2, p.y2)].sort((a, b) => a - b) as [number, number])
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reach = -Infinity;
  for (const [lo, hi] of intervals) {
    if (hi > reach) covered += hi - Math.max(lo, reach);
    reach = Math.max(reach, hi);
  }
  return Math.min(1, covered / e.length);
}

/** Angle between two undirected lines, radians 0–π/2. */
function lineAngle(a: Edge, b: Edge): number {
  return Math.acos(Math.min(1, Math.abs(a.dx * b.dx + a.dy * b.dy)));
}

/** Signed distance of a point from an edge's line (positive on the left of its direction), pixels. */
function signedDistance(e: Edge, x: number, y: number): number {
  return -(x - e.x1) * e.dy + (y - e.y1) * e.dx;
}

/** Position of a point along an edge's line, pixels from (x1, y1). */
function along(e: Edge, x: number, y: number): number {
  return (x - e.x1) * e.dx + (y - e.y1) * e.dy;
}

/** True when `b` lies on `a`'s line: parallel within the angle and both ends within the offset. */
function collinear(a: Edge, b: Edge, maxAngle: number, maxOffset: number): boolean {
  return lineAngle(a, b) <= maxAngle && Math.abs(signedDistance(a, b.x1, b.y1)) <= maxOffset && Math.abs(signedDistance(a, b.x2, b.y2)) <= maxOffset;
}

/** Joins collinear pieces separated by small gaps (LSD splits an edge where fingers, glare or noise interrupt it). */
function joinCollinear(edges: Edge[], maxAngle: number, maxOffset: number, maxGap: number): Edge[] {
  let current = [...edges].sort((a, b) => b.length - a.length);
  for (let pass = 0; pass < 3; pass++) {
    const joined: Edge[] = [];
    let changed = false;
    for (const piece of current) {
      const host = joined.find((e) => {
        if (!collinear(e, piece, maxAngle, maxOffset)) return false;
        const [p1, p2] = [along(e, piece.x1, piece.y1), along(e, piece.x2, piece.y2)];
        const gap = Math.max(Math.min(p1, p2) - e.length, -Math.max(p1, p2), 0);
        return gap <= maxGap;
      });
      if (!host) {
        joined.push(piece);
        continue;
      }
      changed = true;
      const ends = [0, host.length, along(host, piece.x1, piece.y1), along(host, piece.x2, piece.y2)];
      const [lo, hi] = [Math.min(...ends), Math.max(...ends)];
      const merged = toEdge({ x1: host.x1 + lo * host.dx, y1: host.y1 + lo * host.dy, x2: host.x1 + hi * host.dx, y2: host.y1 + hi * host.dy }, [...host.parts, ...piece.parts]);
      joined[joined.indexOf(host)] = merged;
    }
    current = joined.sort((a, b) => b.length - a.length);
    if (!changed) break;
  }
  return current;
}

function boxCorners(b: Box): ViewPoint[] {
  return [
    { x: b.x, y: b.y },
    { x: b.x + b.width, y: b.y },
    { x: b.x + b.width, y: b.y + b.height },
    { x: b.x, y: b.y + b.height },
  ];
}

function lineIntersection(a: Edge, b: Edge): ViewPoint | undefined {
  const cross = a.dx * b.dy - a.dy * b.dx;
  if (Math.abs(cross) < 1e-9) return undefined;
  const t = ((b.x1 - a.x1) * b.dy - (b.y1 - a.y1) * b.dx) / cross;
  return { x: a.x1 + t * a.dx, y: a.y1 + t * a.dy };
}

/** Distance from a point to the nearer end of an edge when the point lies beyond it, 0 when it lies along it. */
function distanceBeyondEnds(e: Edge, p: ViewPoint): number {
  const t = along(e, p.x, p.y);
  return Math.max(0, -t, t - e.length);
}

const OPPOSITE: Record<FaceSide, FaceSide> = { left: 'right', right: 'left', top: 'bottom', bottom: 'top' };
const SIDE_ORDER: FaceSide[] = ['top', 'right', 'bottom', 'left'];

/**
 * Straight edges framing `view.face` in `view.image` (the shared ≤ 640 px context view): score 0–1 (0 = no edge
 * frames the face) and the edges, sides, corners and quadrilateral found, in view pixels.
 */
export function framingEdges(view: ContextView, rules: FramingRules = FRAMING_RULES, scratch?: LineSegmentScratch): SignalResult<FramingEvidence> {
  const { image, face } = view;
  const faceSize = (face.width + face.height) / 2;
  const x0 = Math.max(0, Math.floor(face.x - rules.searchMargin * faceSize));
  const y0 = Math.max(0, Math.floor(face.y - rules.searchMargin * faceSize));
  const x1 = Math.min(image.width, Math.ceil(face.x + face.width + rules.searchMargin * faceSize));
  const y1 = Math.min(image.height, Math.ceil(face.y + face.height + rules.searchMargin * faceSize));
  const searchRegion = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  const rejected: Record<RejectionReason, number> = { crossesFace: 0, far: 0, notAlongside: 0, repetitive: 0, padding: 0, crossed: 0, throughHead: 0, cutByBody: 0 };
  const empty: FramingEvidence = { sides: [], segments: [], corners: [], segmentsDetected: 0, longEdges: 0, rejected, searchRegion };
  if (!(faceSize > 0) || searchRegion.width < 2 || searchRegion.height < 2) return { score: 0, evidence: empty };

  const scale = Math.min(1, rules.workingFaceSizePixels / faceSize);
  const detected = detectLineSegments(lumaFromRgb(image, searchRegion, scratch), { scale, minLength: rules.minPieceLength * faceSize }, scratch).map((s) => ({
    ...s,
    x1: s.x1 + x0,
    y1: s.y1 + y0,
    x2: s.x2 + x0,
    y2: s.y2 + y0,
  }));
  // The picture's own border is not an edge of anything (LSD cannot see past it, but a letterbox or a rotated
  // scan leaves a straight step right along it): drop segments within 2 px of a border and parallel to it.
  const onBorder = (s: LineSegment) =>
    (Math.max(s.x1, s.x2) < 2 || Math.min(s.x1, s.x2) > image.width - 2 || Math.max(s.y1, s.y2) < 2 || Math.min(s.y1, s.y2) > image.height - 2);
  const maxAngle = (rules.maxCollinearAngleDegrees * Math.PI) / 180;
  // At least 2 view pixels: an LSD segment's position is good to about one pixel either way.
  const maxOffset = Math.max(2, rules.maxJoinOffset * faceSize);
  const detectedEdges = detected.filter((s) => !onBorder(s)).map((s) => toEdge(s));
  // Two joins. `pieces`: one line broken by noise or an occluder (collinear within the offset LSD's rectangles allow);
  // the crossing test uses these. `bands`: one border of a medium, whose inner (screen) and outer (body) edges a
  // bezel's width apart take turns being visible where fingers, glare or dark content hide the other; only pieces
  // long enough to be a border's part take part, so rows of book spines or tiles do not chain up.
  const pieces = joinCollinear(detectedEdges, maxAngle, maxOffset, rules.maxJoinGap * faceSize);
  const bandParts = pieces.filter((e) => e.length >= rules.minBandPartLength * faceSize);
  const bands = joinCollinear(bandParts, maxAngle, Math.max(maxOffset, rules.bezelWidth * faceSize), rules.maxJoinGap * faceSize);

  const core = {
    x: face.x + rules.faceBoxSlack * face.width,
    y: face.y + rules.faceBoxSlack * face.height,
    width: face.width * (1 - 2 * rules.faceBoxSlack),
    height: face.height * (1 - 2 * rules.faceBoxSlack),
  };
  const centre = { x: face.x + face.width / 2, y: face.y + face.height / 2 };
  // Long and continuous: book spines or tiles that happen to line up leave gaps at every shelf or joint.
  const long = bands.filter((e) => e.length >= rules.minEdgeLength * faceSize && coverage(e) >= rules.minCoverage);
  const candidates: (FramingSegment & { edge: Edge })[] = [];
  const parallelAngle = (rules.parallelAngleDegrees * Math.PI) / 180;
  const parallelLinesOnSameSide = (edge: Edge) => {
    const edgeSide = Math.sign(signedDistance(edge, centre.x, centre.y));
    return long.filter(
      (other) =>
        other !== edge &&
        lineAngle(edge, other) <= parallelAngle &&
        Math.sign(signedDistance(other, centre.x, centre.y)) === edgeSide &&
        Math.abs(signedDistance(edge, (other.x1 + other.x2) / 2, (other.y1 + other.y2) / 2)) > rules.bezelWidth * faceSize,
    ).length;
  };
  /** Why a long edge is not a framing edge, or the edge as a candidate side when it is one. */
  const judge = (edge: Edge): RejectionReason | (FramingSegment & { edge: Edge }) => {
    // Beside, never across: every corner of the (slack-trimmed) face box on the same side of the edge's line.
    const coreSides = boxCorners(core).map((c) => Math.sign(signedDistance(edge, c.x, c.y)));
    if (!coreSides.every((s) => s === coreSides[0]) || coreSides[0] === 0) return 'crossesFace';
    const faceCornerDistances = boxCorners(face).map((c) => signedDistance(edge, c.x, c.y));
    const gap = faceCornerDistances.every((d) => Math.sign(d) === Math.sign(faceCornerDistances[0]!)) ? Math.min(...faceCornerDistances.map(Math.abs)) : 0;
    if (gap > rules.maxDistance * faceSize) return 'far';
    // Alongside the face: the face lies on the medium, so the medium's edge runs beside at least half of the
    // face's extent along it. Lines beside only a corner of the face box are clothing edges, arms, shadows, or
    // background lines that stop at the head (a shelf interrupted by it).
    const faceAlong = boxCorners(face).map((c) => along(edge, c.x, c.y));
    const [faceLo, faceHi] = [Math.min(...faceAlong), Math.max(...faceAlong)];
    const overlap = Math.min(edge.length, faceHi) - Math.max(0, faceLo);
    if (overlap < rules.minAlongside * (faceHi - faceLo)) return 'notAlongside';
    const parallelLines = parallelLinesOnSameSide(edge);
    if (parallelLines > rules.maxParallelLines) return 'repetitive';
    if (isPaddingBorder(image, edge, centre, rules.maxPaddingDeviation)) return 'padding';
    // Occluding edges make T-junctions, surface markings X-junctions: the medium lies in front of the scene, so
    // background lines stop at its edge; a line that runs on across the candidate (a shelf across a bookcase's
    // upright, a mullion across a window frame) lies on the same surface as it.
    const overhang = rules.minCrossingOverhang * faceSize;
    const crossings = pieces.filter((other) => {
      if (other.length < rules.minCrossingLength * faceSize || lineAngle(edge, other) < Math.PI / 6) return false;
      const point = lineIntersection(edge, other);
      if (!point) return false;
      const onEdge = along(edge, point.x, point.y);
      const onOther = along(other, point.x, point.y);
      return onEdge > overhang && onEdge < edge.length - overhang && onOther > overhang && onOther < other.length - overhang;
    });
    if (crossings.length >= rules.minCrossings) return 'crossed';
    const towardsFace = { x: centre.x - (edge.x1 + edge.x2) / 2, y: centre.y - (edge.y1 + edge.y2) / 2 };
    const side: FaceSide =
      Math.abs(edge.dy) > Math.abs(edge.dx) ? (towardsFace.x > 0 ? 'left' : 'right') : towardsFace.y > 0 ? 'top' : 'bottom';
    // A straight line through the top of the head is its own contour or something behind it, not a medium's edge.
    if (side === 'top' && gap < rules.headClearance * faceSize) return 'throughHead';
    // Saturates at 1.5 face sizes: a phone showing a face is about 2–3 face heights long, a visible part of that
    // is as strong as the whole.
    const strength = Math.min(1, edge.length / (1.5 * faceSize));
    return { x1: edge.x1, y1: edge.y1, x2: edge.x2, y2: edge.y2, side, length: edge.length, distance: gap, strength, parallelLines, edge };
  };
  for (const edge of long) {
    const verdict = judge(edge);
    if (typeof verdict === 'string') rejected[verdict]++;
    else candidates.push(verdict);
  }

  // Not cut off by the body: a side edge that stops beside the face or at the shoulders, away from the picture
  // border, runs behind the person, unless it stops in a corner with a bottom edge (a video window showing head and
  // shoulders ends there).
  const shoulderDepth = rules.shoulderDepth * faceSize;
  // LSD cannot measure the last rows (2 × 2 gradient, Gaussian support), so an edge cut by the picture border ends
  // a few working pixels short of it.
  const borderTolerance = 3 / scale;
  const framing = candidates.filter((c) => {
    if (c.side !== 'left' && c.side !== 'right') return true;
    const lower = c.y1 > c.y2 ? { x: c.x1, y: c.y1 } : { x: c.x2, y: c.y2 };
    if (lower.y < centre.y || lower.y > face.y + face.height + shoulderDepth || lower.y >= image.height - borderTolerance) return true;
    const endsInCorner = candidates.some((b) => {
      if (b.side !== 'bottom') return false;
      const point = lineIntersection(c.edge, b.edge);
      return !!point && Math.hypot(point.x - lower.x, point.y - lower.y) <= rules.maxCornerGap * faceSize && distanceBeyondEnds(b.edge, point) <= rules.maxCornerGap * faceSize;
    });
    if (!endsInCorner) rejected.cutByBody++;
    return endsInCorner;
  });

  // The strongest edge per side.
  const best = new Map<FaceSide, FramingSegment & { edge: Edge }>();
  for (const c of framing) {
    const held = best.get(c.side);
    if (!held || c.strength > held.strength || (c.strength === held.strength && c.distance < held.distance)) best.set(c.side, c);
  }
  const sides = SIDE_ORDER.filter((s) => best.has(s));
  const maxPairAngle = (rules.maxPairAngleDegrees * Math.PI) / 180;
  const pairs = (['left', 'top'] as FaceSide[]).filter((s) => best.has(s) && best.has(OPPOSITE[s]) && lineAngle(best.get(s)!.edge, best.get(OPPOSITE[s])!.edge) <= maxPairAngle);
  const corners: FramingEvidence['corners'] = [];
  for (let i = 0; i < 4; i++) {
    const [a, b] = [SIDE_ORDER[i]!, SIDE_ORDER[(i + 1) % 4]!];
    const [ea, eb] = [best.get(a)?.edge, best.get(b)?.edge];
    if (!ea || !eb) continue;
    const point = lineIntersection(ea, eb);
    if (point && distanceBeyondEnds(ea, point) <= rules.maxCornerGap * faceSize && distanceBeyondEnds(eb, point) <= rules.maxCornerGap * faceSize) {
      corners.push({ sides: [a, b], point });
    }
  }
  let quadrilateral: FramingEvidence['quadrilateral'];
  if (sides.length === 4) {
    const points = SIDE_ORDER.map((s, i) => lineIntersection(best.get(SIDE_ORDER[(i + 3) % 4]!)!.edge, best.get(s)!.edge));
    if (points.every((p) => p !== undefined) && convexAround(points as ViewPoint[], centre)) quadrilateral = points as FramingEvidence['quadrilateral'];
  }

  // How much the configuration says "a medium around the face": one edge is weak (rooms have straight lines);
  // an opposite pair or a corner encloses the face from two sides; three sides or a quadrilateral enclose it.
  let structure = 0;
  if (quadrilateral) structure = STRUCTURE.quadrilateral;
  else if (sides.length >= 3) structure = STRUCTURE.threeSides;
  else if (pairs.length > 0) structure = STRUCTURE.oppositePair;
  else if (corners.length > 0) structure = STRUCTURE.corner;
  else if (sides.length === 2) structure = STRUCTURE.twoSides;
  else if (sides.length === 1) structure = STRUCTURE.oneSide;
  const meanStrength = sides.length > 0 ? sides.reduce((sum, s) => sum + best.get(s)!.strength, 0) / sides.length : 0;
  const segments = sides.map((s) => {
    const { edge: _edge, ...segment } = best.get(s)!;
    return segment;
  });
  return {
    score: structure * meanStrength,
    evidence: { sides, segments, corners, ...(quadrilateral ? { quadrilateral } : {}), segmentsDetected: detected.length, longEdges: long.length, rejected, searchRegion },
  };
}

/**
 * True when the edge is the inner border of padding: parallel to the picture's border (within 1.5°) with a flat
 * band of one colour between it and that border, on the side away from the face. A camera frame has no such band;
 * it comes from letterboxing or pasting the photo on a canvas after capture, so it says nothing about what was in
 * front of the camera ("ignore the image border itself").
 */
function isPaddingBorder(image: ContextView['image'], edge: Edge, centre: ViewPoint, maxDeviation: number): boolean {
  const vertical = Math.abs(edge.dx) < Math.sin((1.5 * Math.PI) / 180);
  const horizontal = Math.abs(edge.dy) < Math.sin((1.5 * Math.PI) / 180);
  if (!vertical && !horizontal) return false;
  const position = vertical ? (edge.x1 + edge.x2) / 2 : (edge.y1 + edge.y2) / 2;
  const towardsStart = vertical ? centre.x > position : centre.y > position;
  const limit = vertical ? image.width : image.height;
  const bandStart = towardsStart ? 0 : Math.ceil(position + 2);
  const bandEnd = towardsStart ? Math.floor(position - 2) : limit - 1;
  if (bandEnd < bandStart) return false;
  const spanStart = Math.max(0, Math.round(vertical ? Math.min(edge.y1, edge.y2) : Math.min(edge.x1, edge.x2)));
  const spanEnd = Math.min((vertical ? image.height : image.width) - 1, Math.round(vertical ? Math.max(edge.y1, edge.y2) : Math.max(edge.x1, edge.x2)));
  let n = 0;
  let sum = 0;
  let sumSquares = 0;
  // Every second pixel both ways: enough to see any texture, a quarter of the cost.
  for (let a = bandStart; a <= bandEnd; a += 2) {
    for (let b = spanStart; b <= spanEnd; b += 2) {
      const i = (vertical ? b * image.width + a : a * image.width + b) * 3;
      const luma = 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
      n++;
      sum += luma;
      sumSquares += luma * luma;
    }
  }
  if (n === 0) return false;
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sumSquares / n - mean * mean)) <= maxDeviation;
}

/** True when the points (in order) form a convex polygon with `inside` in its interior: every turn and every edge's view of `inside` has the same sense. */
function convexAround(points: ViewPoint[], inside: ViewPoint): boolean {
  const cross = (o: ViewPoint, a: ViewPoint, b: ViewPoint) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const signs = points.flatMap((a, i) => {
    const b = points[(i + 1) % points.length]!;
    const c = points[(i + 2) % points.length]!;
    return [Math.sign(cross(a, b, inside)), Math.sign(cross(a, b, c))];
  });
  return signs[0] !== 0 && signs.every((s) => s === signs[0]);
}
