/**
 * The shape Human's small face classifiers share (antispoof, liveness): Human's 192² face crop resized to
 * the model's square input, RGB 0–1, one score read from one output. One class serves both, configured by
 * each model's spec (src/inference/human-antispoof.ts, human-liveness.ts), so they cannot drift apart.
 */
import { AppError } from '../errors.js';
import type { Box } from '../imaging/geometry.js';
import type { RgbImage } from '../imaging/image.js';
import { humanModelInput, humanModelInputFor } from './human-face-crop.js';
import type { ModelRunner } from './batcher.js';

export interface HumanCropClassifierSpec {
  /** Square network input side, pixels. */
  inputSize: number;
  /** Output tensor holding the scores (manifest name). */
  output: string;
  /** Values that output holds per face. */
  outputLength: number;
  /** Index of the value returned as the score (0–1). */
  scoreIndex: number;
}

export class HumanCropClassifier {
  constructor(
    private readonly session: ModelRunner,
    private readonly spec: HumanCropClassifierSpec,
  ) {}

  /** Score 0–1 from Human's 192² crop (HWC float 0–1, see human-face-crop.ts). */
  async scoreCrop(crop: Float32Array): Promise<number> {
    return this.scoreInput(humanModelInput(crop, this.spec.inputSize));
  }

  /**
   * Score 0–1 for the face whose detector box (pixels) is `detectorBox`: scoreCrop(humanFaceCrop(image, detectorBox)),
   * the same input, without cutting the crop pixels the model's resize does not read (humanModelInputFor).
   */
  async score(image: RgbImage, detectorBox: Box): Promise<number> {
    return this.scoreInput(humanModelInputFor(image, detectorBox, this.spec.inputSize));
  }

  /** Score 0–1 from the model's NCHW input (`inputSize`², RGB 0–1). */
  private async scoreInput(input: Float32Array): Promise<number> {
    const { inputSize: size, output, outputLength, scoreIndex } = this.spec;
    const result = (await this.session.run({ input: { data: input, dims: [1, 3, size, size] } }, [output]))[output];
    if (!result || result.data.length !== outputLength) {
      throw new AppError('INFERENCE_FAILED', `model ${this.session.label}: expected output "${output}" with ${outputLength} value(s)`);
    }
    return result.data[scoreIndex]!;
  }
}
