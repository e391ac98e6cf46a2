/**
 * face-api SsdMobilenetv1 (MobileNetV1 + SSD box predictors, TF object-detection API export) as an ONNX
 * graph, rebuilt from the weights-only manifest `model/ssd_mobilenetv1_model-weights_manifest.json`.
 *
 * Follows face-api src/ssdMobilenetv1/SsdMobilenetv1.ts `forwardInput`: input normalisation, mobileNetV1.ts,
 * predictionLayer.ts + boxPredictionLayer.ts, and outputLayer.ts (anchor decoding + sigmoid). NMS, the
 * score threshold and scaling back to image pixels are left to src/inference/faceapi-ssd-mobilenetv1.ts.
 *
 * The manifest also holds int32 shape constants of the original TF graph (`…/stack_1/1`, `Postprocessor/…`,
 * `Preprocessor/…`); face-api ignores them (extractParamsFromWeightMap.ts reads only the names used here), so do we.
 */
import { GraphBuilder, f } from '../onnx-builder.js';
import { type ModelRecipe, packageSource } from '../recipe.js';
import { type WeightMap, floatWeight, weight } from '../tfjs-weights.js';
import { conv2d, depthwiseConv2d, faceApiModelFiles, loadFaceApiModelWeights } from './layers.js';

export const SSD_MOBILENETV1_ID = 'faceapi-ssd-mobilenetv1';

const MODEL_NAME = 'ssd_mobilenetv1_model';

/** face-api SsdMobilenetv1.forwardInput: toBatchTensor(512). */
export const SSD_INPUT_SIZE = 512;
/** Anchors in `Output/extra_dim` [1, 5118, 4]: 32²·3 + 16²·6 + 8²·6 + 4²·6 + 2²·6 + 1²·6. */
export const SSD_ANCHOR_COUNT = 5118;

/** face-api src/ssdMobilenetv1/mobileNetV1.ts `epsilon` of tf.batchNorm. */
const BATCH_NORM_EPSILON = 0.0010000000474974513;

/** tf.clipByValue(x, 0, 6) (mobileNetV1.ts, pointwiseConvLayer.ts). */
function relu6(g: GraphBuilder, x: string): string {
  return g.node('Clip', [x, g.floats([0], []), g.floats([6], [])]);
}

/** src/ssdMobilenetv1/pointwiseConvLayer.ts: conv2d 'same' with stride + convolution_bn_offset, clip 0–6. */
function pointwiseConvLayer(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, stride: number): string {
  return relu6(g, conv2d(g, x, weights, `${prefix}/weights`, `${prefix}/convolution_bn_offset`, { stride, padding: 'same', hint: prefix }));
}

/** src/ssdMobilenetv1/mobileNetV1.ts depthwiseConvLayer: depthwise 'same', tf.batchNorm, clip 0–6. */
function depthwiseConvLayer(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, stride: number): string {
  const dw = depthwiseConv2d(g, x, weights, `${prefix}/depthwise_weights`, { stride, padding: 'same', hint: prefix });
  const param = (name: string) => {
    const full = `${prefix}/BatchNorm/${name}`;
    const data = floatWeight(weights, full);
    return g.constant(full, data, [data.length]);
  };
  const bn = g.node(
    'BatchNormalization',
    [dw, param('gamma'), param('beta'), param('moving_mean'), param('moving_variance')],
    { epsilon: f(BATCH_NORM_EPSILON) },
    `${prefix}/BatchNorm`,
  );
  return relu6(g, bn);
}

/** mobileNetV1.ts getStridesForLayerIdx: layers 2, 4, 6 and 12 have stride 2. */
const strideOfLayer = (layer: number) => ([2, 4, 6, 12].includes(layer) ? 2 : 1);

/**
 * src/ssdMobilenetv1/boxPredictionLayer.ts: 1×1 convLayers reshaped NHWC-wise to [batch, cells·anchors, 4]
 * (box encodings) and [batch, cells·anchors, 3] (class logits). Our tensors are NCHW, so transpose first.
 */
function boxPredictionLayer(g: GraphBuilder, x: string, weights: WeightMap, index: number): { encodings: string; classes: string } {
  const prefix = `Prediction/BoxPredictor_${index}`;
  const head = (name: string, size: number) => {
    const out = conv2d(g, x, weights, `${prefix}/${name}/weights`, `${prefix}/${name}/biases`, { padding: 'same', hint: `${prefix}/${name}` });
    const nhwc = g.node('Transpose', [out], { perm: [0, 2, 3, 1] });
    return g.node('Reshape', [nhwc, g.int64s([0, -1, size])]);
  };
  return { encodings: head('BoxEncodingPredictor', 4), classes: head('ClassPredictor', 3) };
}

/**
 * Anchor centres and sizes from `Output/extra_dim` ([y1, x1, y2, x2] per anchor), computed as
 * outputLayer.ts getCenterCoordinatesAndSizesLayer does in float32: size = v2 − v0, centre = v0 + size / 2.
 */
export function anchorCentresAndSizes(anchors: Float32Array): { centres: Float32Array; sizes: Float32Array } {
  const n = anchors.length / 4;
  const centres = new Float32Array(n * 2);
  const sizes = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      const size = Math.fround(anchors[i * 4 + 2 + k]! - anchors[i * 4 + k]!);
      sizes[i * 2 + k] = size;
      centres[i * 2 + k] = Math.fround(anchors[i * 4 + k]! + Math.fround(size / 2));
    }
  }
  return { centres, sizes };
}

export function buildSsdMobilenetv1Graph(weights: WeightMap): Uint8Array {
  const g = new GraphBuilder('faceapi_ssd_mobilenetv1');
  const input = g.input('input', ['batch', 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE]);

  // SsdMobilenetv1.forwardInput: tf.sub(tf.div(x, 127.5), 1), "input is normalized -1..1".
  let x = g.node('Sub', [g.node('Div', [input, g.floats([127.5], [])], {}, 'normalize/div'), g.floats([1], [])], {}, 'normalize/sub');

  // mobileNetV1.ts
  x = pointwiseConvLayer(g, x, weights, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11 = '';
  for (let layer = 1; layer <= 13; layer++) {
    x = depthwiseConvLayer(g, x, weights, `MobilenetV1/Conv2d_${layer}_depthwise`, strideOfLayer(layer));
    x = pointwiseConvLayer(g, x, weights, `MobilenetV1/Conv2d_${layer}_pointwise`, 1);
    if (layer === 11) conv11 = x;
  }

  // predictionLayer.ts: extra feature maps, strides 1, 2, 1, 2, 1, 2, 1, 2.
  const extra: string[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwiseConvLayer(g, y, weights, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    extra.push(y);
  }
  const featureMaps = [conv11, x, extra[1]!, extra[3]!, extra[5]!, extra[7]!];
  const predictions = featureMaps.map((map, i) => boxPredictionLayer(g, map, weights, i));
  const encodings = g.node('Concat', predictions.map((p) => p.encodings), { axis: 1 }, 'box_encodings');
  const classes = g.node('Concat', predictions.map((p) => p.classes), { axis: 1 }, 'class_logits');

  // outputLayer.ts decodeBoxesLayer, per anchor, [y, x] pairs side by side:
  //   centre = t_yx / 10 · size + anchorCentre;  half = exp(t_hw / 5) · size / 2;  box = [centre − half, centre + half].
  const anchors = weight(weights, 'Output/extra_dim', [1, SSD_ANCHOR_COUNT, 4]);
  const { centres, sizes } = anchorCentresAndSizes(anchors.data as Float32Array);
  const anchorCentres = g.constant('anchor_centres_yx', centres, [1, SSD_ANCHOR_COUNT, 2]);
  const anchorSizes = g.constant('anchor_sizes_hw', sizes, [1, SSD_ANCHOR_COUNT, 2]);
  const axis2 = g.int64s([2]);
  const tYx = g.node('Slice', [encodings, g.int64s([0]), g.int64s([2]), axis2], {}, 't_yx');
  const tHw = g.node('Slice', [encodings, g.int64s([2]), g.int64s([4]), axis2], {}, 't_hw');
  const centre = g.node('Add', [g.node('Mul', [g.node('Div', [tYx, g.floats([10], [])]), anchorSizes]), anchorCentres], {}, 'centre_yx');
  const half = g.node('Div', [g.node('Mul', [g.node('Exp', [g.node('Div', [tHw, g.floats([5], [])])]), anchorSizes]), g.floats([2], [])], {}, 'half_hw');
  const boxes = g.node('Concat', [g.node('Sub', [centre, half]), g.node('Add', [centre, half])], { axis: 2 }, 'boxes_yxyx');
  g.output('boxes', boxes, ['batch', SSD_ANCHOR_COUNT, 4]);

  // outputLayer.ts: sigmoid of class logits 1.. and keep the first of them (class 1 = face; 0 is background).
  const faceLogit = g.node('Slice', [classes, g.int64s([1]), g.int64s([2]), axis2], {}, 'face_logit');
  const scores = g.node('Sigmoid', [g.node('Squeeze', [faceLogit, axis2])], {}, 'face_score');
  g.output('scores', scores, ['batch', SSD_ANCHOR_COUNT]);
  return g.toBytes('face-api SsdMobilenetv1 (ssd_mobilenetv1_model), anchor-decoded boxes and face scores');
}

export const ssdMobilenetv1Recipe: ModelRecipe = {
  id: SSD_MOBILENETV1_ID,
  sourceFiles: () => faceApiModelFiles(MODEL_NAME).absolute,
  build: () => ({
    bytes: buildSsdMobilenetv1Graph(loadFaceApiModelWeights(MODEL_NAME)),
    entry: {
      id: SSD_MOBILENETV1_ID,
      task: 'detection',
      description:
        'face-api SsdMobilenetv1: MobileNetV1 SSD face detector, 5118 anchors on 6 feature maps, anchor decoding and sigmoid in the graph. ' +
        'NMS (IoU 0.5, minConfidence 0.5, maxResults 100) is done in src/inference/faceapi-ssd-mobilenetv1.ts.',
      source: packageSource('@vladmandic/face-api', faceApiModelFiles(MODEL_NAME).relative, 'https://github.com/justadudewhohacks/face-api.js', 'MIT'),
      inputs: [
        {
          name: 'input',
          shape: ['batch', 3, SSD_INPUT_SIZE, SSD_INPUT_SIZE],
          dtype: 'float32',
          layout: 'NCHW',
          colorOrder: 'RGB',
          mean: [0, 0, 0],
          std: [1, 1, 1],
          inGraphNormalization: 'pixel / 127.5 − 1 (to −1…1; face-api src/ssdMobilenetv1/SsdMobilenetv1.ts forwardInput)',
          preprocessing:
            'Image zero-padded at the bottom or right to a square, then resized bilinearly (tf.image.resizeBilinear, alignCorners=false, ' +
            'halfPixelCenters=false) to 512 × 512 (face-api src/dom/NetInput.ts toBatchTensor). Values are floats in 0–255.',
        },
      ],
      outputs: [
        {
          name: 'boxes',
          shape: ['batch', SSD_ANCHOR_COUNT, 4],
          meaning:
            'Decoded boxes [y1, x1, y2, x2] (top, left, bottom, right), normalised 0–1 to the padded square input ' +
            '(not clipped; may fall slightly outside 0–1). Anchors from Output/extra_dim, variances 10 (centre) and 5 (size) as in outputLayer.ts.',
        },
        { name: 'scores', shape: ['batch', SSD_ANCHOR_COUNT], meaning: 'Face probability per anchor, 0–1 (sigmoid of the class-1 logit).' },
      ],
    },
  }),
};
