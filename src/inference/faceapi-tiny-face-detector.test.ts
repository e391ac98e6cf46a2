import { describe, expect, it } from 'vitest';
import {
  TINY_FACE_DETECTOR_ANCHORS,
  decodeTinyFaceGrid,
  resolveTinyFaceDetectorOptions,
  tinyFaceDetections,
} from './faceapi-tiny-face-detector.js';

const CELLS = 2;
const PLANE = CELLS * CELLS;

/** A 2×2 grid (NCHW, 25 channels) where every objectness logit is −20 (score ≈ 0) unless set. */
function emptyGrid(): Float32Array {
  const grid = new Float32Array(25 * PLANE);
  for (let anchor = 0; anchor < 5; anchor++) grid.fill(-20, (anchor * 5 + 4) * PLANE, (anchor * 5 + 5) * PLANE);
  return grid;
}

function setCell(grid: Float32Array, row: number, col: number, anchor: number, values: [number, number, number, number, number]): void {
  values.forEach((v, k) => (grid[(anchor * 5 + k) * PLANE + row * CELLS + col] = v));
}

const squareInput = { inputSize: 64, reshapedWidth: 64, reshapedHeight: 64 };

describe('face-api TinyFaceDetector decoding (TinyYolov2Base.extractBoxes)', () => {
  it('decodes one cell: centre = (cell + sigmoid(t)) / cells, size = exp(t) × anchor / cells, score = sigmoid(objectness)', () => {
    const grid = emptyGrid();
    setCell(grid, 1, 0, 2, [0, 0, 0, Math.log(2), 3]);
    const [candidate, ...rest] = decodeTinyFaceGrid(grid, CELLS, CELLS, squareInput, 0.5);
    expect(rest).toHaveLength(0);
    const anchor = TINY_FACE_DETECTOR_ANCHORS[2]!;
    const width = anchor.x / CELLS;
    const height = (2 * anchor.y) / CELLS;
    expect(candidate!.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(candidate!.relativeBox.x).toBeCloseTo(0.25 - width / 2, 5);
    expect(candidate!.relativeBox.y).toBeCloseTo(0.75 - height / 2, 5);
    expect(candidate!.relativeBox.width).toBeCloseTo(width, 5);
    expect(candidate!.relativeBox.height).toBeCloseTo(height, 5);
  });

  it('drops cells whose score does not exceed the threshold', () => {
    const grid = emptyGrid();
    setCell(grid, 0, 0, 0, [0, 0, 0, 0, 0]); // score exactly 0.5
    expect(decodeTinyFaceGrid(grid, CELLS, CELLS, squareInput, 0.5)).toHaveLength(0);
    expect(decodeTinyFaceGrid(grid, CELLS, CELLS, squareInput, 0.4)).toHaveLength(1);
  });

  it('undoes the bottom padding: a landscape image filling half the square stretches y by inputSize / reshaped height', () => {
    const grid = emptyGrid();
    setCell(grid, 0, 1, 0, [0, 0, 0, 0, 5]);
    const [square] = decodeTinyFaceGrid(grid, CELLS, CELLS, squareInput, 0.5);
    const [wide] = decodeTinyFaceGrid(grid, CELLS, CELLS, { inputSize: 64, reshapedWidth: 64, reshapedHeight: 32 }, 0.5);
    expect(wide!.relativeBox.x).toBeCloseTo(square!.relativeBox.x, 6);
    expect(wide!.relativeBox.y).toBeCloseTo(2 * square!.relativeBox.y, 6);
    expect(wide!.relativeBox.height).toBeCloseTo(2 * square!.relativeBox.height, 6);
  });

  it('keeps the best of boxes overlapping by more than IoU 0.4 and scales relative boxes to image pixels', () => {
    const faces = tinyFaceDetections(
      [
        { relativeBox: { x: 0.1, y: 0.1, width: 0.2, height: 0.2 }, score: 0.7 },
        { relativeBox: { x: 0.11, y: 0.1, width: 0.2, height: 0.2 }, score: 0.9 },
        { relativeBox: { x: 0.6, y: 0.6, width: 0.2, height: 0.2 }, score: 0.6 },
      ],
      200,
      100,
    );
    expect(faces.map((f) => f.score)).toEqual([0.9, 0.6]);
    expect(faces[0]!.box.x).toBeCloseTo(22, 6);
    expect(faces[0]!.box.y).toBeCloseTo(10, 6);
    expect(faces[0]!.box.width).toBeCloseTo(40, 6);
    expect(faces[0]!.box.height).toBeCloseTo(20, 6);
  });

  it("applies face-api's defaults and rejects sizes that are not multiples of 32", () => {
    expect(resolveTinyFaceDetectorOptions()).toEqual({ inputSize: 416, scoreThreshold: 0.5 });
    expect(() => resolveTinyFaceDetectorOptions({ inputSize: 300 })).toThrow(/multiple of 32/);
    expect(() => resolveTinyFaceDetectorOptions({ scoreThreshold: 1 })).toThrow(/scoreThreshold/);
    // A caller's mistake, so a 4xx with a stable code, not a server error.
    expect(() => resolveTinyFaceDetectorOptions({ inputSize: 300 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', status: 400 }));
  });
});
