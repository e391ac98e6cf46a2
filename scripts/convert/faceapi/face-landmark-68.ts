/**
 * face-api's FaceLandmark68Net as ONNX: the FaceFeatureExtractor (four dense blocks of separable
 * convolutions) followed by one fully connected layer that regresses 68 (x, y) points.
 *
 * Sources (node_modules/@vladmandic/face-api/src): faceLandmarkNet/FaceLandmark68Net.ts,
 * faceLandmarkNet/FaceLandmark68NetBase.ts, faceFeatureExtractor/FaceFeatureExtractor.ts,
 * faceFeatureExtractor/denseBlock.ts, faceProcessor/FaceProcessor.ts, common/*.ts, ops/normalize.ts.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { type BuiltModel, type ModelRecipe, packageSource } from '../recipe.js';
import type { WeightMap } from '../tfjs-weights.js';
import {
  conv2d,
  faceApiMeanRgbNormalize,
  faceApiModelFiles,
  faceApiFaceInput,
  fullyConnected,
  loadFaceApiModelWeights,
  separableConv,
} from './layers.js';

const WEIGHTS_NAME = 'face_landmark_68_model';
/** `input.toBatchTensor(112, true)` in FaceFeatureExtractor.forwardInput. */
export const FACE_LANDMARK_68_INPUT_SIZE = 112;
/** FaceLandmark68NetBase.getClassifierChannelsOut(): 68 points × (x, y). */
const LANDMARK_VALUES = 136;

/**
 * `denseBlock4` (faceFeatureExtractor/denseBlock.ts) with isScaleDown = true: conv0 halves the size
 * (a plain conv in the first block, separable otherwise), then three separable convs whose inputs are
 * the ReLU of the running sum. Additions are nested exactly as in the source.
 */
export function denseBlock4(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, isFirstLayer = false): string {
  const conv0 = isFirstLayer
    ? conv2d(g, x, weights, `${prefix}/conv0/filters`, `${prefix}/conv0/bias`, { stride: 2, padding: 'same', hint: `${prefix}/conv0` })
    : separableConv(g, x, weights, `${prefix}/conv0`, 2);
  const out1 = g.node('Relu', [conv0]);
  const out2 = separableConv(g, out1, weights, `${prefix}/conv1`);
  const in3 = g.node('Relu', [g.node('Add', [out1, out2])]);
  const out3 = separableConv(g, in3, weights, `${prefix}/conv2`);
  const in4 = g.node('Relu', [g.node('Add', [out1, g.node('Add', [out2, out3])])]);
  const out4 = separableConv(g, in4, weights, `${prefix}/conv3`);
  return g.node('Relu', [g.node('Add', [out1, g.node('Add', [out2, g.node('Add', [out3, out4])])])], {}, `${prefix}/out`);
}

/** The ONNX graph: input [batch, 3, 112, 112] raw RGB 0–255 → landmarks [batch, 136]. */
export function buildFaceLandmark68Graph(weights: WeightMap): Uint8Array {
  const size = FACE_LANDMARK_68_INPUT_SIZE;
  const g = new GraphBuilder('faceapi_face_landmark_68');
  const input = g.input('input', ['batch', 3, size, size]);
  let out = faceApiMeanRgbNormalize(g, input);
  out = denseBlock4(g, out, weights, 'dense0', true); // 56×56×32
  out = denseBlock4(g, out, weights, 'dense1'); // 28×28×64
  out = denseBlock4(g, out, weights, 'dense2'); // 14×14×128
  out = denseBlock4(g, out, weights, 'dense3'); // 7×7×256
  // tf.avgPool(out, [7, 7], [2, 2], 'valid') → 1×1×256, so NCHW and NHWC flattening agree.
  out = g.node('AveragePool', [out], { kernel_shape: [7, 7], strides: [2, 2], auto_pad: 'VALID' }, 'avg_pool');
  out = g.node('Flatten', [out], { axis: 1 }, 'flatten');
  // FaceProcessor.runNet: fullyConnectedLayer(features, params.fc). No activation: the values are
  // already coordinates relative to the square input (postProcess only rescales for non-square inputs).
  const landmarks = fullyConnected(g, out, weights, 'fc');
  g.output('landmarks', landmarks, ['batch', LANDMARK_VALUES]);
  return g.toBytes('face-api FaceLandmark68Net (68-point landmarks), converted from @vladmandic/face-api weights');
}

export const faceLandmark68Recipe: ModelRecipe = {
  id: 'faceapi-face-landmark-68',
  sourceFiles: () => faceApiModelFiles(WEIGHTS_NAME).absolute,
  build(): BuiltModel {
    const bytes = buildFaceLandmark68Graph(loadFaceApiModelWeights(WEIGHTS_NAME));
    const size = FACE_LANDMARK_68_INPUT_SIZE;
    return {
      bytes,
      entry: {
        id: 'faceapi-face-landmark-68',
        task: 'landmarks',
        description:
          'face-api FaceLandmark68Net: 68-point face landmarks (iBUG 300-W layout) regressed from a face crop by a ' +
          'dense-block separable-conv feature extractor and one fully connected layer.',
        source: packageSource(
          '@vladmandic/face-api',
          faceApiModelFiles(WEIGHTS_NAME).relative,
          'https://github.com/justadudewhohacks/face-api.js (FaceLandmark68Net, via @vladmandic/face-api)',
          'MIT',
        ),
        inputs: [
          faceApiFaceInput(
            size,
            'src/faceFeatureExtractor/FaceFeatureExtractor.ts',
            `Face box crop, padded with black (0) to a square and resized to ${size}×${size} bilinear ` +
              '(face-api NetInput.toBatchTensor(112, true): padToSquare centres the crop, src/dom/NetInput.ts, src/ops/padToSquare.ts).',
          ),
        ],
        outputs: [
          {
            name: 'landmarks',
            shape: ['batch', LANDMARK_VALUES],
            meaning:
              '68 points as interleaved x0, y0, x1, y1, …, normalised to the square (padded) input: 0–1 spans the ' +
              `${size}×${size} input (values may fall slightly outside 0–1). Multiply by the padded square side and ` +
              'subtract the padding to get crop pixels (face-api FaceLandmark68NetBase.postProcess). Point order is iBUG 68: ' +
              'jaw 0–16, eyebrows 17–26, nose 27–35, eyes 36–47, mouth 48–67.',
          },
        ],
      },
    };
  },
};
