/**
 * face-api's FaceRecognitionNet as ONNX: a ResNet-34-like network (face-api.js' port of dlib's face
 * recognition ResNet) whose conv layers carry a per-channel scale layer, ending in a 128-d descriptor.
 *
 * Sources (node_modules/@vladmandic/face-api/src): faceRecognitionNet/FaceRecognitionNet.ts,
 * faceRecognitionNet/convLayer.ts, faceRecognitionNet/residualLayer.ts, faceRecognitionNet/scaleLayer.ts,
 * faceRecognitionNet/extractParamsFromWeightMap.ts, ops/normalize.ts.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { type BuiltModel, type ModelRecipe, packageSource } from '../recipe.js';
import { type WeightMap, floatWeight } from '../tfjs-weights.js';
import { conv2d, faceApiMeanRgbNormalize, faceApiModelFiles, faceApiFaceInput, loadFaceApiModelWeights } from './layers.js';

const WEIGHTS_NAME = 'face_recognition_model';
/** `input.toBatchTensor(150, true)` in FaceRecognitionNet.forwardInput. */
export const FACE_RECOGNITION_INPUT_SIZE = 150;
export const FACE_DESCRIPTOR_SIZE = 128;

/** A tensor with its NCHW channel count and (square) spatial size, tracked to mirror face-api's shape checks. */
interface Feature {
  name: string;
  channels: number;
  size: number;
}

/** Output size of a TF 'valid' window: floor((n − k) / s) + 1. */
const validSize = (n: number, kernel: number, stride: number) => Math.floor((n - kernel) / stride) + 1;

/**
 * faceRecognitionNet/convLayer.ts `convLayer`: conv2d + bias, then `scale` (x · weights + biases,
 * scaleLayer.ts), then optional ReLU. `conv` = stride 1 'same' + ReLU, `convNoRelu` = stride 1 'same',
 * `convDown` = stride 2 'valid' + ReLU.
 */
function convLayer(g: GraphBuilder, x: Feature, weights: WeightMap, prefix: string, stride: 1 | 2, withRelu: boolean, padding: 'same' | 'valid'): Feature {
  const filters = weights.get(`${prefix}/conv/filters`);
  if (!filters) throw new Error(`weight ${prefix}/conv/filters: expected in the manifest, not found`);
  const [kernel, , , channels] = filters.shape as [number, number, number, number];
  let out = conv2d(g, x.name, weights, `${prefix}/conv/filters`, `${prefix}/conv/bias`, { stride, padding, hint: `${prefix}/conv` });
  const scale = (suffix: string) => g.constant(`${prefix}/scale/${suffix}`, floatWeight(weights, `${prefix}/scale/${suffix}`, [channels]), [1, channels, 1, 1]);
  out = g.node('Mul', [out, scale('weights')], {}, `${prefix}/scale/mul`);
  out = g.node('Add', [out, scale('biases')], {}, `${prefix}/scale/add`);
  if (withRelu) out = g.node('Relu', [out], {}, `${prefix}/relu`);
  const size = padding === 'same' ? Math.ceil(x.size / stride) : validSize(x.size, kernel, stride);
  return { name: out, channels, size };
}

/** residualLayer.ts `residual`: relu(convNoRelu(conv(x)) + x). */
function residual(g: GraphBuilder, x: Feature, weights: WeightMap, prefix: string): Feature {
  let out = convLayer(g, x, weights, `${prefix}/conv1`, 1, true, 'same');
  out = convLayer(g, out, weights, `${prefix}/conv2`, 1, false, 'same');
  if (out.channels !== x.channels || out.size !== x.size) throw new Error(`${prefix}: residual branch shape differs from its input`);
  return { ...out, name: g.node('Relu', [g.node('Add', [out.name, x.name])], {}, `${prefix}/out`) };
}

/**
 * residualLayer.ts `residualDown`: the conv branch halves the size with a 3×3 stride-2 'valid' conv;
 * the shortcut is avgPool(2, 2, 'valid'), zero-padded in channels when the branch has more. When the
 * two sizes differ (odd input), the conv branch gets one zero row appended at the bottom and one zero
 * column at the right (the tf.concat with zerosW/zerosH), then relu(shortcut + branch).
 */
function residualDown(g: GraphBuilder, x: Feature, weights: WeightMap, prefix: string): Feature {
  let out = convLayer(g, x, weights, `${prefix}/conv1`, 2, true, 'valid');
  out = convLayer(g, out, weights, `${prefix}/conv2`, 1, false, 'same');
  let pooled: Feature = {
    name: g.node('AveragePool', [x.name], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }, `${prefix}/shortcut_pool`),
    channels: x.channels,
    size: validSize(x.size, 2, 2),
  };
  if (out.size !== pooled.size) {
    if (out.size + 1 !== pooled.size) throw new Error(`${prefix}: branch ${out.size}² vs shortcut ${pooled.size}², face-api pads by one only`);
    // ONNX Pad: pads = [begin per axis..., end per axis...] for N, C, H, W; zeros appended at H and W ends.
    out = { ...out, name: g.node('Pad', [out.name, g.int64s([0, 0, 0, 0, 0, 0, 1, 1])], { mode: 'constant' }, `${prefix}/pad_hw`), size: pooled.size };
  }
  if (pooled.channels !== out.channels) {
    // tf.concat([pooled, zeros(pooled.shape)], 3): doubles the channels, the new ones zero.
    if (pooled.channels * 2 !== out.channels) throw new Error(`${prefix}: shortcut ${pooled.channels} channels vs branch ${out.channels}`);
    pooled = {
      ...pooled,
      name: g.node('Pad', [pooled.name, g.int64s([0, 0, 0, 0, 0, pooled.channels, 0, 0])], { mode: 'constant' }, `${prefix}/pad_channels`),
      channels: out.channels,
    };
  }
  return { ...out, name: g.node('Relu', [g.node('Add', [pooled.name, out.name])], {}, `${prefix}/out`) };
}

/** The ONNX graph: input [batch, 3, 150, 150] raw RGB 0–255 → embedding [batch, 128]. */
export function buildFaceRecognitionGraph(weights: WeightMap): Uint8Array {
  const size = FACE_RECOGNITION_INPUT_SIZE;
  const g = new GraphBuilder('faceapi_face_recognition');
  const input = g.input('input', ['batch', 3, size, size]);
  let out: Feature = { name: faceApiMeanRgbNormalize(g, input), channels: 3, size };
  out = convLayer(g, out, weights, 'conv32_down', 2, true, 'valid'); // 72×72×32
  out = {
    name: g.node('MaxPool', [out.name], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' }, 'max_pool'),
    channels: out.channels,
    size: validSize(out.size, 3, 2),
  }; // 35×35×32
  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) out = residual(g, out, weights, block);
  out = residualDown(g, out, weights, 'conv64_down'); // 17×17×64
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) out = residual(g, out, weights, block);
  out = residualDown(g, out, weights, 'conv128_down'); // 8×8×128
  for (const block of ['conv128_1', 'conv128_2']) out = residual(g, out, weights, block);
  out = residualDown(g, out, weights, 'conv256_down'); // 4×4×256 (branch 3×3, padded)
  for (const block of ['conv256_1', 'conv256_2']) out = residual(g, out, weights, block);
  out = residualDown(g, out, weights, 'conv256_down_out'); // 2×2×256 (branch 1×1, padded)
  // out.mean([1, 2]) over NHWC height/width = ReduceMean over NCHW axes 2, 3.
  const globalAverage = g.node('ReduceMean', [out.name], { axes: [2, 3], keepdims: 0 }, 'global_avg');
  // tf.matMul(globalAvg, params.fc): fc is [256, 128] in the weight map, no bias.
  const fc = g.constant('fc', floatWeight(weights, 'fc', [out.channels, FACE_DESCRIPTOR_SIZE]), [out.channels, FACE_DESCRIPTOR_SIZE]);
  const embedding = g.node('MatMul', [globalAverage, fc], {}, 'fc');
  g.output('embedding', embedding, ['batch', FACE_DESCRIPTOR_SIZE]);
  return g.toBytes('face-api FaceRecognitionNet (128-d face descriptor), converted from @vladmandic/face-api weights');
}

export const faceRecognitionRecipe: ModelRecipe = {
  id: 'faceapi-face-recognition',
  sourceFiles: () => faceApiModelFiles(WEIGHTS_NAME).absolute,
  build(): BuiltModel {
    const bytes = buildFaceRecognitionGraph(loadFaceApiModelWeights(WEIGHTS_NAME));
    const size = FACE_RECOGNITION_INPUT_SIZE;
    return {
      bytes,
      entry: {
        id: 'faceapi-face-recognition',
        task: 'recognition',
        description:
          'face-api FaceRecognitionNet: ResNet-34-like network (face-api.js port of the dlib face recognition ResNet) ' +
          'that maps a face crop to a 128-d descriptor; same person ⇔ small euclidean distance.',
        source: packageSource(
          '@vladmandic/face-api',
          faceApiModelFiles(WEIGHTS_NAME).relative,
          'https://github.com/justadudewhohacks/face-api.js (FaceRecognitionNet, ported from dlib face recognition ResNet; via @vladmandic/face-api)',
          'MIT',
        ),
        inputs: [
          faceApiFaceInput(
            size,
            'src/faceRecognitionNet/FaceRecognitionNet.ts',
            `Face box crop (face-api uses the detection box, or the landmark-aligned box), padded with black (0) to a square ` +
              `and resized to ${size}×${size} bilinear (face-api NetInput.toBatchTensor(150, true), src/dom/NetInput.ts).`,
          ),
        ],
        outputs: [
          {
            name: 'embedding',
            shape: ['batch', FACE_DESCRIPTOR_SIZE],
            meaning:
              "face-api's raw face descriptor, unnormalised: NOT unit length (L2 norm about 1.4–1.5 on real faces, varying per face). " +
              'Compare with euclidean distance on the raw vectors as face-api does (src/euclideanDistance.ts): distance < 0.6 ' +
              'is face-api\'s usual same-person threshold (FaceMatcher default, src/globalApi/FaceMatcher.ts).',
          },
        ],
      },
    };
  },
};
