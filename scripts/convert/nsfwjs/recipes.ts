/**
 * nsfwjs 4.4.0 models. The package ships each tfjs LAYERS model as browserify bundles:
 * `dist/models/<name>/model.min.js` exports the model.json object ({ modelTopology, weightsManifest }) and
 * `group1-shard<i>of<n>.min.js` exports the shard bytes as a base64 string (nsfwjs dist/cjs/core.js
 * `JSONHandler.arrayBufferFromBase64`).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { type ModelRecipe, packageDir, packageSource } from '../recipe.js';
import { type WeightGroup, loadWeights } from '../tfjs-weights.js';
import { type KerasModelTopology, convertLayersModel } from './layers-model.js';

const require = createRequire(import.meta.url);

/** Class order of the classifier's 5 outputs: nsfwjs dist/cjs/nsfw_classes.js `NSFW_CLASSES`. */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

/** Input side of nsfwjs' MobileNetV2: `IMAGE_SIZE = 224` in nsfwjs dist/cjs/core.js. */
export const NSFWJS_IMAGE_SIZE = 224;

interface BundledLayersModel {
  modelTopology: KerasModelTopology;
  weightsManifest: WeightGroup[];
}

/** Loads a bundled nsfwjs model (topology + decoded weights) from node_modules/nsfwjs/dist/models/<name>. */
export function loadNsfwjsBundle(name: string) {
  const dir = path.join(packageDir('nsfwjs'), 'dist', 'models', name);
  const json = require(path.join(dir, 'model.min.js')) as BundledLayersModel;
  const readShard = (file: string) => {
    const base64 = require(`${file}.min.js`) as unknown;
    if (typeof base64 !== 'string') throw new Error(`${file}.min.js: expected a base64 string export, got ${typeof base64}`);
    return new Uint8Array(Buffer.from(base64, 'base64'));
  };
  return { json, weights: loadWeights(json.weightsManifest, dir, readShard), dir };
}

const MOBILENET_V2_FILES = ['dist/models/mobilenet_v2/model.min.js', 'dist/models/mobilenet_v2/group1-shard1of1.min.js'];

const mobilenetV2: ModelRecipe = {
  id: 'nsfwjs-mobilenet-v2',
  sourceFiles: () => MOBILENET_V2_FILES.map((p) => path.join(packageDir('nsfwjs'), p)),
  build() {
    const { json, weights } = loadNsfwjsBundle('mobilenet_v2');
    const { bytes, inputShape, outputShapes } = convertLayersModel(json.modelTopology, weights, {
      inputName: 'input',
      outputNames: ['probabilities'],
      graphName: 'nsfwjs-mobilenet-v2',
    });
    return {
      bytes,
      entry: {
        id: 'nsfwjs-mobilenet-v2',
        task: 'nudity',
        description:
          'nsfwjs MobileNetV2 (224×224) image classifier: probabilities of 5 content classes for a whole image ' +
          '(GantMan/nsfw_model, Keras MobileNetV2 backbone + dense head).',
        source: packageSource('nsfwjs', MOBILENET_V2_FILES, 'https://github.com/GantMan/nsfw_model', 'MIT'),
        inputs: [
          {
            name: 'input',
            shape: inputShape,
            dtype: 'float32',
            layout: 'NCHW',
            colorOrder: 'RGB',
            // nsfwjs dist/cjs/core.js NSFWJS.infer: img.toFloat().div(255) (normalizationOffset = 255).
            mean: [0, 0, 0],
            std: [255, 255, 255],
            inGraphNormalization: 'none (the caller divides by 255, as nsfwjs core.js `infer` does before predict)',
            preprocessing:
              'whole image resized to 224×224 ignoring aspect ratio, bilinear with align_corners = true ' +
              '(nsfwjs core.js `infer`: tf.image.resizeBilinear(normalized, [224, 224], true))',
          },
        ],
        outputs: [
          {
            name: 'probabilities',
            shape: outputShapes[0]!,
            meaning:
              `softmax over 5 classes, each 0–1 and summing to 1, in the order ${NSFW_CLASSES.map((c, i) => `${i} ${c}`).join(', ')} ` +
              '(nsfwjs dist/cjs/nsfw_classes.js NSFW_CLASSES)',
          },
        ],
      },
    };
  },
};

export const NSFWJS_RECIPES: ModelRecipe[] = [mobilenetV2];
