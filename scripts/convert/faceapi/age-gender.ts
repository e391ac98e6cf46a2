/**
 * face-api's AgeGenderNet as ONNX: TinyXception with two main blocks, average pooling, and two fully
 * connected heads (age regression in years, gender logits → softmax).
 *
 * Sources (node_modules/@vladmandic/face-api/src): ageGenderNet/AgeGenderNet.ts, ageGenderNet/types.ts,
 * ageGenderNet/extractParamsFromWeightMap.ts, xception/TinyXception.ts,
 * xception/extractParamsFromWeightMap.ts, common/*.ts, ops/normalize.ts.
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

const WEIGHTS_NAME = 'age_gender_model';
/** `input.toBatchTensor(112, true)` in TinyXception.forwardInput. */
export const AGE_GENDER_INPUT_SIZE = 112;
/** `new TinyXception(2)` in the AgeGenderNet constructor. */
const MAIN_BLOCKS = 2;
/**
 * Class order of the gender softmax: predictAgeAndGender reads `probMale = gender[0]`
 * (ageGenderNet/AgeGenderNet.ts), so index 0 = male, 1 = female.
 */
export const GENDER_CLASSES = ['male', 'female'] as const;

/** TinyXception.ts `reductionBlock`: two separable convs, maxPool 3×3/2 'same', plus a 1×1/2 conv shortcut of x. */
function reductionBlock(g: GraphBuilder, x: string, weights: WeightMap, prefix: string, isActivateInput = true): string {
  let out = isActivateInput ? g.node('Relu', [x]) : x;
  out = separableConv(g, out, weights, `${prefix}/separable_conv0`);
  out = separableConv(g, g.node('Relu', [out]), weights, `${prefix}/separable_conv1`);
  // TF 'same' max pooling ignores the padding; ONNX MaxPool pads with −∞, and SAME_UPPER puts the odd pad at the end as TF does.
  out = g.node('MaxPool', [out], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, `${prefix}/max_pool`);
  const shortcut = conv2d(g, x, weights, `${prefix}/expansion_conv/filters`, `${prefix}/expansion_conv/bias`, {
    stride: 2,
    padding: 'same',
    hint: `${prefix}/expansion_conv`,
  });
  return g.node('Add', [out, shortcut], {}, `${prefix}/out`);
}

/** TinyXception.ts `mainBlock`: three ReLU → separable conv steps plus the identity shortcut. */
function mainBlock(g: GraphBuilder, x: string, weights: WeightMap, prefix: string): string {
  let out = separableConv(g, g.node('Relu', [x]), weights, `${prefix}/separable_conv0`);
  out = separableConv(g, g.node('Relu', [out]), weights, `${prefix}/separable_conv1`);
  out = separableConv(g, g.node('Relu', [out]), weights, `${prefix}/separable_conv2`);
  return g.node('Add', [out, x], {}, `${prefix}/out`);
}

/** The ONNX graph: input [batch, 3, 112, 112] raw RGB 0–255 → age [batch] (years), gender [batch, 2] (softmax). */
export function buildAgeGenderGraph(weights: WeightMap): Uint8Array {
  const size = AGE_GENDER_INPUT_SIZE;
  const g = new GraphBuilder('faceapi_age_gender');
  const input = g.input('input', ['batch', 3, size, size]);
  let out = faceApiMeanRgbNormalize(g, input);
  out = conv2d(g, out, weights, 'entry_flow/conv_in/filters', 'entry_flow/conv_in/bias', { stride: 2, padding: 'same', hint: 'entry_flow/conv_in' });
  out = g.node('Relu', [out]); // 56×56×32
  out = reductionBlock(g, out, weights, 'entry_flow/reduction_block_0', false); // 28×28×64
  out = reductionBlock(g, out, weights, 'entry_flow/reduction_block_1'); // 14×14×128
  for (let i = 0; i < MAIN_BLOCKS; i++) out = mainBlock(g, out, weights, `middle_flow/main_block_${i}`);
  out = reductionBlock(g, out, weights, 'exit_flow/reduction_block'); // 7×7×256
  out = g.node('Relu', [separableConv(g, out, weights, 'exit_flow/separable_conv')]); // 7×7×512
  // AgeGenderNet.runNet: tf.avgPool(features, [7, 7], [2, 2], 'valid') → 1×1×512, flattened (layout-independent at 1×1).
  out = g.node('AveragePool', [out], { kernel_shape: [7, 7], strides: [2, 2], auto_pad: 'VALID' }, 'avg_pool');
  const pooled = g.node('Flatten', [out], { axis: 1 }, 'flatten');
  // fullyConnectedLayer(pooled, fc.age).as1D(): [batch, 1] → [batch].
  const age = g.node('Squeeze', [fullyConnected(g, pooled, weights, 'fc/age'), g.int64s([1])], {}, 'age_squeeze');
  // forwardInput: tf.softmax(gender logits) over the last axis.
  const gender = g.node('Softmax', [fullyConnected(g, pooled, weights, 'fc/gender')], { axis: -1 }, 'gender_softmax');
  g.output('age', age, ['batch']);
  g.output('gender', gender, ['batch', GENDER_CLASSES.length]);
  return g.toBytes('face-api AgeGenderNet (age in years, gender probabilities male/female), converted from @vladmandic/face-api weights');
}

export const ageGenderRecipe: ModelRecipe = {
  id: 'faceapi-age-gender',
  sourceFiles: () => faceApiModelFiles(WEIGHTS_NAME).absolute,
  build(): BuiltModel {
    const bytes = buildAgeGenderGraph(loadFaceApiModelWeights(WEIGHTS_NAME));
    const size = AGE_GENDER_INPUT_SIZE;
    return {
      bytes,
      entry: {
        id: 'faceapi-age-gender',
        task: 'ageGender',
        description: 'face-api AgeGenderNet: TinyXception (2 main blocks) with an age regression head and a male/female classifier.',
        source: packageSource(
          '@vladmandic/face-api',
          faceApiModelFiles(WEIGHTS_NAME).relative,
          'https://github.com/justadudewhohacks/face-api.js (AgeGenderNet, via @vladmandic/face-api)',
          'MIT',
        ),
        inputs: [
          faceApiFaceInput(
            size,
            'src/xception/TinyXception.ts',
            `Face box crop (face-api uses the landmark-aligned box), padded with black (0) to a square and resized to ` +
              `${size}×${size} bilinear (face-api NetInput.toBatchTensor(112, true), src/dom/NetInput.ts).`,
          ),
        ],
        outputs: [
          { name: 'age', shape: ['batch'], meaning: 'Estimated age in years (unbounded regression output; typically 0–100).' },
          {
            name: 'gender',
            shape: ['batch', GENDER_CLASSES.length],
            meaning:
              'Softmax probabilities 0–1 summing to 1, class order [male, female] (face-api predictAgeAndGender reads ' +
              'probMale = gender[0], src/ageGenderNet/AgeGenderNet.ts).',
          },
        ],
      },
    };
  },
};
