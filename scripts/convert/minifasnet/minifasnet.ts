/**
 * MiniFASNet (minivision-ai/Silent-Face-Anti-Spoofing, Apache-2.0) rebuilt as ONNX from the original
 * PyTorch weights (`resources/anti_spoof_models/*.pth`, legacy torch format: ../pytorch/legacy-pth.ts).
 *
 * The graph follows the upstream architecture module for module, in eval mode (src/model_lib/MiniFASNet.py,
 * read from ../shared/data/models/antispoof/minifasnet/MiniFASNet.py.txt; line numbers below refer to it):
 * BatchNorm uses its running statistics and stays a BatchNormalization node (ONNX Runtime fuses it into the
 * preceding Conv when it optimises the graph), dropout is left out, and every weight is the .pth value
 * bit for bit. Input `input` [batch, 3, 80, 80] float32 BGR 0–255 (Silent-Face src/data_io/functional.py
 * to_tensor does not scale); output `logits` [batch, 3] (softmax → class 1 = real, Silent-Face test.py).
 *
 * Every weight's name and shape is checked against the architecture, and every tensor of the state dict
 * must be used (as torch's strict load_state_dict demands), so a different file fails with
 * "expected X, got Y" instead of producing a wrong model.
 */
import { MINIFASNET_INPUT_SIZE } from '../../../src/inference/minifasnet.js';
import { GraphBuilder, f } from '../onnx-builder.js';
import { type PthTensor, type StateDict, parseLegacyPth, stripDataParallelPrefix } from '../pytorch/legacy-pth.js';

/**
 * Channel plans (MiniFASNet.py `keep_dict`, lines 265–275): '1.8M' for MiniFASNetV1 / V1SE, '1.8M_' for
 * MiniFASNetV2 / V2SE (the factory functions, lines 279–296).
 */
const KEEP_1_8M = [
  32, 32, 103, 103, 64, 13, 13, 64, 26, 26, 64, 13, 13, 64, 52, 52, 64, 231, 231, 128, 154, 154, 128, 52, 52, 128, 26, 26, 128, 52, 52, 128, 26, 26, 128, 26, 26, 128,
  308, 308, 128, 26, 26, 128, 26, 26, 128, 512, 512,
] as const;
const KEEP_1_8M_ = [
  32, 32, 103, 103, 64, 13, 13, 64, 13, 13, 64, 13, 13, 64, 13, 13, 64, 231, 231, 128, 231, 231, 128, 52, 52, 128, 26, 26, 128, 77, 77, 128, 26, 26, 128, 26, 26, 128,
  308, 308, 128, 26, 26, 128, 26, 26, 128, 512, 512,
] as const;

export interface MinifasnetVariant {
  /** Upstream class name (MODEL_MAPPING key in Silent-Face src/anti_spoof_predict.py). */
  upstreamName: string;
  keep: readonly number[];
  /** MiniFASNetSE: the last block of conv_3, conv_4 and conv_5 is a Depth_Wise_SE (ResidualSE, lines 116–134). */
  squeezeExcite: boolean;
}

/** The converters packs.json can name (`convert.converter`). */
export const MINIFASNET_VARIANTS = {
  'minifasnet-v2': { upstreamName: 'MiniFASNetV2', keep: KEEP_1_8M_, squeezeExcite: false },
  'minifasnet-v1se': { upstreamName: 'MiniFASNetV1SE', keep: KEEP_1_8M, squeezeExcite: true },
} as const satisfies Record<string, MinifasnetVariant>;
export type MinifasnetVariantId = keyof typeof MINIFASNET_VARIANTS;

/**
 * conv_6_dw kernel: Silent-Face src/utility.py get_kernel (lines 16–18), ((h + 15) // 16, (w + 15) // 16)
 * = 5×5 for 80×80, which is exactly the 5×5 feature map left after four stride-2 stages (80 → 40 → 20 → 10 → 5).
 */
export const MINIFASNET_CONV6_KERNEL = Math.floor((MINIFASNET_INPUT_SIZE + 15) / 16);
/** `embedding_size` (MiniFASNetV2 / V1SE factory default, lines 285 and 289) and `num_classes` (3). */
const EMBEDDING_SIZE = 128;
const NUM_CLASSES = 3;
/** Width of the flattened conv_6_dw output: `Linear(512, embedding_size)` (line 213). */
const FLAT_SIZE = 512;
/** torch.nn.BatchNorm1d/2d default eps (the upstream modules do not set it). */
const BATCH_NORM_EPSILON = 1e-5;

/** Hands out state-dict tensors by name, checking dtype and shape, and remembers which were used. */
class Weights {
  private readonly used = new Set<string>();

  constructor(
    private readonly stateDict: StateDict,
    private readonly where: string,
  ) {}

  float(name: string, shape: readonly number[]): Float32Array {
    const tensor: PthTensor | undefined = this.stateDict.get(name);
    if (!tensor) throw new Error(`${this.where}: expected tensor ${name} ${JSON.stringify(shape)}, got none`);
    if (tensor.dtype !== 'float32') throw new Error(`${this.where}: ${name}: expected float32, got ${tensor.dtype}`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${this.where}: ${name}: expected shape ${JSON.stringify(shape)}, got ${JSON.stringify(tensor.shape)}`);
    }
    this.used.add(name);
    return tensor.data;
  }

  /**
   * Every tensor must have been used, except BatchNorm's `num_batches_tracked`: a training-time counter
   * (int64 scalar) that eval-mode BatchNorm with its default momentum never reads.
   */
  assertAllUsed(): void {
    const left = [...this.stateDict.keys()].filter((name) => !this.used.has(name) && !name.endsWith('.num_batches_tracked'));
    if (left.length > 0) throw new Error(`${this.where}: expected every tensor to belong to the architecture, got ${left.length} unused: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}`);
  }
}

interface ConvSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
  groups: number;
}

class MinifasnetGraph {
  constructor(
    readonly g: GraphBuilder,
    readonly w: Weights,
  ) {}

  /** Conv2d(bias=False) + BatchNorm2d: `Linear_block` (lines 38–48); the first two thirds of `Conv_block`. */
  private convBn(x: string, prefix: string, spec: ConvSpec): string {
    const { g, w } = this;
    const { inChannels, outChannels, kernel, stride, padding, groups } = spec;
    const weight = g.constant(`${prefix}.conv.weight`, w.float(`${prefix}.conv.weight`, [outChannels, inChannels / groups, kernel, kernel]), [outChannels, inChannels / groups, kernel, kernel]);
    const conv = g.node(
      'Conv',
      [x, weight],
      { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [padding, padding, padding, padding], group: groups },
      `${prefix}.conv`,
    );
    return this.batchNorm(conv, `${prefix}.bn`, outChannels);
  }

  /** BatchNorm (1d or 2d) in eval mode: (x − running_mean) / sqrt(running_var + eps) · weight + bias. */
  private batchNorm(x: string, prefix: string, channels: number): string {
    const { g, w } = this;
    const param = (name: string) => g.constant(`${prefix}.${name}`, w.float(`${prefix}.${name}`, [channels]), [channels]);
    return g.node('BatchNormalization', [x, param('weight'), param('bias'), param('running_mean'), param('running_var')], { epsilon: f(BATCH_NORM_EPSILON) }, prefix);
  }

  /** `Linear_block` (lines 38–48): Conv + BN, no activation. */
  linearBlock(x: string, prefix: string, spec: ConvSpec): string {
    return this.convBn(x, prefix, spec);
  }

  /** `Conv_block` (lines 23–35): Conv + BN + PReLU with one slope per channel. */
  convBlock(x: string, prefix: string, spec: ConvSpec): string {
    const { g, w } = this;
    const bn = this.convBn(x, prefix, spec);
    // PReLU(out_c) weight [C]; ONNX PRelu broadcasts the slope against NCHW, so it is stored as [C, 1, 1].
    const slope = g.constant(`${prefix}.prelu.weight`, w.float(`${prefix}.prelu.weight`, [spec.outChannels]), [spec.outChannels, 1, 1]);
    return g.node('PRelu', [bn, slope], {}, `${prefix}.prelu`);
  }

  /**
   * `SEModule` (lines 91–113): x · sigmoid(BN(fc2(relu(BN(fc1(avgpool(x))))))), fc1/fc2 1×1 convs
   * without bias, reduction 4 (ResidualSE's se_reduct default, line 117).
   */
  squeezeExcite(x: string, prefix: string, channels: number): string {
    const { g, w } = this;
    const reduced = channels / 4;
    const pooled = g.node('GlobalAveragePool', [x], {}, `${prefix}.avg_pool`);
    const fc = (input: string, name: string, outC: number, inC: number) =>
      g.node('Conv', [input, g.constant(`${prefix}.${name}.weight`, w.float(`${prefix}.${name}.weight`, [outC, inC, 1, 1]), [outC, inC, 1, 1])], { kernel_shape: [1, 1] }, `${prefix}.${name}`);
    const squeezed = g.node('Relu', [this.batchNorm(fc(pooled, 'fc1', reduced, channels), `${prefix}.bn1`, reduced)], {}, `${prefix}.relu`);
    const gate = g.node('Sigmoid', [this.batchNorm(fc(squeezed, 'fc2', channels, reduced), `${prefix}.bn2`, channels)], {}, `${prefix}.sigmoid`);
    return g.node('Mul', [x, gate], {}, `${prefix}.scale`);
  }

  /**
   * `Depth_Wise` (lines 51–72) and `Depth_Wise_SE` (lines 137–160): 1×1 expand (Conv_block), k×k depthwise
   * (Conv_block, groups = its input channels), 1×1 project (Linear_block), then, when residual, the
   * shortcut added (after the SE module for Depth_Wise_SE). `c1`/`c2`/`c3` are the (in, out) pairs.
   */
  depthWise(
    x: string,
    prefix: string,
    c: { c1: [number, number]; c2: [number, number]; c3: [number, number] },
    options: { residual: boolean; stride: number; squeezeExcite: boolean },
  ): string {
    const pointwise = { kernel: 1, stride: 1, padding: 0, groups: 1 };
    let out = this.convBlock(x, `${prefix}.conv`, { inChannels: c.c1[0], outChannels: c.c1[1], ...pointwise });
    out = this.convBlock(out, `${prefix}.conv_dw`, { inChannels: c.c2[0], outChannels: c.c2[1], kernel: 3, stride: options.stride, padding: 1, groups: c.c2[0] });
    out = this.linearBlock(out, `${prefix}.project`, { inChannels: c.c3[0], outChannels: c.c3[1], ...pointwise });
    if (!options.residual) return out;
    if (options.squeezeExcite) out = this.squeezeExcite(out, `${prefix}.se_module`, c.c3[1]);
    return this.g.node('Add', [x, out], {}, `${prefix}.add`);
  }

  /** The (in, out) channel pairs of the depth-wise block whose first `keep` index is `k` (lines 172–209). */
  static channels(keep: readonly number[], k: number): { c1: [number, number]; c2: [number, number]; c3: [number, number] } {
    const at = (i: number) => {
      const value = keep[i];
      if (value === undefined) throw new Error(`keep[${i}]: expected a channel count, got none (keep has ${keep.length})`);
      return value;
    };
    return { c1: [at(k), at(k + 1)], c2: [at(k + 1), at(k + 2)], c3: [at(k + 2), at(k + 3)] };
  }

  /**
   * `Residual` / `ResidualSE` (lines 75–88, 116–134): `blocks` residual depth-wise blocks, stride 1, whose
   * channel pairs start at keep[start] and advance by 3 per block; with SE, the last block is Depth_Wise_SE.
   */
  residualStage(x: string, prefix: string, keep: readonly number[], start: number, blocks: number, squeezeExcite: boolean): string {
    let out = x;
    for (let i = 0; i < blocks; i++) {
      out = this.depthWise(out, `${prefix}.model.${i}`, MinifasnetGraph.channels(keep, start + 3 * i), {
        residual: true,
        stride: 1,
        squeezeExcite: squeezeExcite && i === blocks - 1,
      });
    }
    return out;
  }
}

/**
 * Builds the ONNX bytes of one MiniFASNet variant from its state dict (names without the DataParallel
 * `module.` prefix). Deterministic: the same state dict always gives the same bytes.
 */
export function buildMinifasnetOnnx(variantId: MinifasnetVariantId, stateDict: StateDict, where: string): Uint8Array {
  const variant: MinifasnetVariant = MINIFASNET_VARIANTS[variantId];
  const { keep, squeezeExcite } = variant;
  const g = new GraphBuilder(variant.upstreamName);
  const weights = new Weights(stateDict, where);
  const net = new MinifasnetGraph(g, weights);
  const se = squeezeExcite;

  // MiniFASNet.forward (lines 218–235); module layout from MiniFASNet.__init__ (lines 164–216) and MiniFASNetSE (238–262).
  const input = g.input('input', ['batch', 3, MINIFASNET_INPUT_SIZE, MINIFASNET_INPUT_SIZE]);
  let x = net.convBlock(input, 'conv1', { inChannels: 3, outChannels: keep[0]!, kernel: 3, stride: 2, padding: 1, groups: 1 });
  x = net.convBlock(x, 'conv2_dw', { inChannels: keep[0]!, outChannels: keep[1]!, kernel: 3, stride: 1, padding: 1, groups: keep[1]! });
  x = net.depthWise(x, 'conv_23', MinifasnetGraph.channels(keep, 1), { residual: false, stride: 2, squeezeExcite: false });
  x = net.residualStage(x, 'conv_3', keep, 4, 4, se);
  x = net.depthWise(x, 'conv_34', MinifasnetGraph.channels(keep, 16), { residual: false, stride: 2, squeezeExcite: false });
  x = net.residualStage(x, 'conv_4', keep, 19, 6, se);
  x = net.depthWise(x, 'conv_45', MinifasnetGraph.channels(keep, 37), { residual: false, stride: 2, squeezeExcite: false });
  x = net.residualStage(x, 'conv_5', keep, 40, 2, se);
  x = net.convBlock(x, 'conv_6_sep', { inChannels: keep[46]!, outChannels: keep[47]!, kernel: 1, stride: 1, padding: 0, groups: 1 });
  x = net.linearBlock(x, 'conv_6_dw', { inChannels: keep[47]!, outChannels: keep[48]!, kernel: MINIFASNET_CONV6_KERNEL, stride: 1, padding: 0, groups: keep[48]! });
  if (keep[48] !== FLAT_SIZE) throw new Error(`${variant.upstreamName}: expected ${FLAT_SIZE} channels before the flatten, got ${keep[48]}`);
  // Flatten: input.view(N, -1) (lines 18–20); [N, 512, 1, 1] → [N, 512], batch dim kept dynamic.
  x = g.node('Flatten', [x], { axis: 1 }, 'conv_6_flatten');
  // `linear` runs because embedding_size (128) ≠ 512 (line 230). nn.Linear stores [out, in]: Gemm with transB.
  const linear = weights.float('linear.weight', [EMBEDDING_SIZE, FLAT_SIZE]);
  x = g.node('Gemm', [x, g.constant('linear.weight', linear, [EMBEDDING_SIZE, FLAT_SIZE])], { transB: 1 }, 'linear');
  x = g.node(
    'BatchNormalization',
    ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'].reduce<string[]>((inputs, name) => [...inputs, g.constant(name, weights.float(name, [EMBEDDING_SIZE]), [EMBEDDING_SIZE])], [x]),
    { epsilon: f(BATCH_NORM_EPSILON) },
    'bn',
  );
  // `drop` (Dropout) is the identity in eval mode.
  const prob = weights.float('prob.weight', [NUM_CLASSES, EMBEDDING_SIZE]);
  x = g.node('Gemm', [x, g.constant('prob.weight', prob, [NUM_CLASSES, EMBEDDING_SIZE])], { transB: 1 }, 'prob');
  g.output('logits', x, ['batch', NUM_CLASSES]);
  weights.assertAllUsed();
  // No path or time in the doc string: the bytes must not depend on where the .pth was read from.
  return g.toBytes(
    `${variant.upstreamName} (minivision-ai/Silent-Face-Anti-Spoofing, Apache-2.0) rebuilt from its PyTorch state dict by scripts/convert/minifasnet/minifasnet.ts. ` +
      'Input BGR 0–255 NCHW 80×80 face crop; output logits of 3 classes, softmax index 1 = real face.',
  );
}

/** A MiniFASNet `.pth` (legacy torch format, as Silent-Face ships it) → ONNX bytes. `where` names the source in errors. */
export function convertMinifasnetPth(variantId: MinifasnetVariantId, pth: Uint8Array, where: string): Uint8Array {
  return buildMinifasnetOnnx(variantId, stripDataParallelPrefix(parseLegacyPth(pth, where), where), where);
}
