/**
 * face-api TinyFaceDetector (a Tiny-YOLOv2 with depthwise-separable convolutions) as an ONNX graph,
 * rebuilt from the weights-only manifest `model/tiny_face_detector_model-weights_manifest.json`.
 *
 * Architecture: face-api src/tinyYolov2/TinyYolov2Base.ts `forwardInput` + `runMobilenet` with the
 * TinyFaceDetector config of src/tinyFaceDetector/TinyFaceDetector.ts (withSeparableConvs: true,
 * isFirstLayerConv2d: true, filterSizes of 7 entries → no conv6/conv7, one class, no class scores).
 *
 * The graph outputs face-api's raw YOLO grid (what `forwardInput` returns); decoding (sigmoid, anchors,
 * correction for the padded square) and NMS are pure TypeScript in src/inference/faceapi-tiny-face-detector.ts,
 * mirroring `TinyYolov2Base.extractBoxes` + `detect`. Height and width are dynamic: face-api accepts any
 * input size that is a multiple of 32 (src/tinyYolov2/TinyYolov2Options.ts) and the grid is size / 32 cells.
 */
import { GraphBuilder, f } from '../onnx-builder.js';
import { type ModelRecipe, packageSource } from '../recipe.js';
import type { WeightMap } from '../tfjs-weights.js';
import { convLayer, faceApiModelFiles, loadFaceApiModelWeights, separableConv } from './layers.js';

export const TINY_FACE_DETECTOR_ID = 'faceapi-tiny-face-detector';

const MODEL_NAME = 'tiny_face_detector_model';

/** face-api src/tinyFaceDetector/const.ts MEAN_RGB, subtracted before dividing by 255 (TinyYolov2Base.forwardInput). */
export const TINY_FACE_DETECTOR_MEAN_RGB = [117.001, 114.697, 97.404] as const;

/** Number of anchors per grid cell (face-api src/tinyFaceDetector/const.ts BOX_ANCHORS) and values per anchor (x, y, w, h, objectness). */
export const TINY_FACE_DETECTOR_ANCHOR_COUNT = 5;
export const TINY_FACE_DETECTOR_BOX_ENCODING_SIZE = 5;

/**
 * face-api src/tinyYolov2/leaky.ts: relu(x − 0.1x) + 0.1x, i.e. LeakyReLU with slope
 * 0.10000000149011612 (the float32 nearest 0.1, the constant face-api writes out).
 */
function leaky(g: GraphBuilder, x: string): string {
  return g.node('LeakyRelu', [x], { alpha: f(0.10000000149011612) });
}

/** TF maxPool 2×2 'same' (extra padding bottom/right, padded cells ignored) = ONNX MaxPool SAME_UPPER. */
function maxPool(g: GraphBuilder, x: string, stride: number): string {
  return g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [stride, stride], auto_pad: 'SAME_UPPER' });
}

/**
 * src/tinyYolov2/depthwiseSeparableConv.ts: pad 1 on each side then a 'valid' 3×3 separable conv, which
 * is 'same' padding for a 3×3 stride-1 kernel; then bias and leaky.
 */
function separableConvLeaky(g: GraphBuilder, x: string, weights: WeightMap, prefix: string): string {
  return leaky(g, separableConv(g, x, weights, prefix, 1));
}

export function buildTinyFaceDetectorGraph(weights: WeightMap): Uint8Array {
  const g = new GraphBuilder('faceapi_tiny_face_detector');
  const input = g.input('input', ['batch', 3, 'height', 'width']);

  // TinyYolov2Base.forwardInput: normalize(x, meanRgb) (src/ops/normalize.ts subtracts the per-channel mean), then div(255).
  const centred = g.node('Sub', [input, g.floats([...TINY_FACE_DETECTOR_MEAN_RGB], [1, 3, 1, 1])], {}, 'normalize/sub_mean');
  let x = g.node('Div', [centred, g.floats([255], [])], {}, 'normalize/div255');

  // TinyYolov2Base.runMobilenet with isFirstLayerConv2d: leaky(convLayer(x, conv0, 'valid')).
  x = leaky(g, convLayer(g, x, weights, 'conv0', 'valid'));
  x = maxPool(g, x, 2);
  for (const layer of ['conv1', 'conv2', 'conv3', 'conv4']) {
    x = separableConvLeaky(g, x, weights, layer);
    x = maxPool(g, x, 2);
  }
  x = separableConvLeaky(g, x, weights, 'conv5');
  x = maxPool(g, x, 1);
  // conv6 / conv7 are absent for TinyFaceDetector (7 filter sizes); conv8 is a 1×1 'valid' conv with bias.
  if (weights.has('conv6/bias') || weights.has('conv7/bias')) throw new Error('tiny_face_detector: expected no conv6/conv7 weights, found some');
  const grid = convLayer(g, x, weights, 'conv8', 'valid');
  g.output('grid', grid, ['batch', TINY_FACE_DETECTOR_ANCHOR_COUNT * TINY_FACE_DETECTOR_BOX_ENCODING_SIZE, 'grid_height', 'grid_width']);
  return g.toBytes('face-api TinyFaceDetector (tiny_face_detector_model), raw YOLO grid');
}

export const tinyFaceDetectorRecipe: ModelRecipe = {
  id: TINY_FACE_DETECTOR_ID,
  sourceFiles: () => faceApiModelFiles(MODEL_NAME).absolute,
  build: () => ({
    bytes: buildTinyFaceDetectorGraph(loadFaceApiModelWeights(MODEL_NAME)),
    entry: {
      id: TINY_FACE_DETECTOR_ID,
      task: 'detection',
      description:
        'face-api TinyFaceDetector: Tiny-YOLOv2 with depthwise-separable convolutions, 5 anchors per cell, one class (face). ' +
        'Outputs the raw grid; decoding and NMS (IoU 0.4) are done in src/inference/faceapi-tiny-face-detector.ts.',
      source: packageSource('@vladmandic/face-api', faceApiModelFiles(MODEL_NAME).relative, 'https://github.com/justadudewhohacks/face-api.js', 'MIT'),
      inputs: [
        {
          name: 'input',
          shape: ['batch', 3, 'height', 'width'],
          // face-api's default inputSize (src/tinyYolov2/TinyYolov2Options.ts).
          typicalShape: [1, 3, 416, 416],
          dtype: 'float32',
          layout: 'NCHW',
          colorOrder: 'RGB',
          mean: [0, 0, 0],
          std: [1, 1, 1],
          inGraphNormalization:
            '(pixel − [117.001, 114.697, 97.404]) / 255 per RGB channel (face-api src/tinyYolov2/TinyYolov2Base.ts forwardInput, ' +
            'MEAN_RGB from src/tinyFaceDetector/const.ts)',
          preprocessing:
            'Image zero-padded at the bottom or right to a square, then resized bilinearly (tf.image.resizeBilinear, alignCorners=false, ' +
            'halfPixelCenters=false) to inputSize × inputSize; inputSize a multiple of 32, default 416 (face-api src/dom/NetInput.ts toBatchTensor, ' +
            'src/tinyYolov2/TinyYolov2Options.ts). Values are floats in 0–255.',
        },
      ],
      outputs: [
        {
          name: 'grid',
          shape: ['batch', 25, 'grid_height', 'grid_width'],
          meaning:
            'Raw YOLO grid, grid size = input size / 32 (13×13 at 416). Channel = anchor × 5 + k, anchors (in cells) ' +
            '[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308]; ' +
            'k = 0 tx, 1 ty (cell centre offset = sigmoid), 2 tw, 3 th (size = exp(t) × anchor cells), 4 objectness logit (score = sigmoid, 0–1). ' +
            'Unbounded logits.',
        },
      ],
    },
  }),
};
