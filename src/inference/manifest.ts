/**
 * `models/manifest.json`: what every model is, where it came from, and how to feed it.
 *
 * The converter (scripts/build-models.ts) writes it; the service reads it and checks every loaded graph
 * against it. Wrappers are chosen by `task`, never guessed from shapes (STYLE.md, InsightFace's pitfall).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../errors.js';

export const MODEL_TASKS = [
  'detection', // face boxes (+ keypoints) from a whole image
  'landmarks', // 68-point face landmarks from a face crop
  'faceMesh', // 468-point 3-D face mesh from a face crop
  'iris', // iris + eye contour from an eye crop
  'recognition', // face embedding for 1:1 match
  'ageGender', // age (years) and gender probability
  'faceDescription', // embedding + age + gender in one network (Human faceres)
  'antispoof', // presentation-attack score from a face crop
  'liveness', // live-vs-fake score from a face crop
  'nudity', // NSFW classes from a whole image
  'objectDetection', // COCO object boxes from a whole image (liveness context: a phone, screen or print around the face)
  'handDetection', // hand boxes from a whole image (liveness context: a hand gripping the presentation medium)
] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

const dim = z.union([z.number().int(), z.string()]);

export const tensorInputSchema = z.object({
  name: z.string(),
  /** Declared dims; a string names a dynamic axis (e.g. 'batch'). */
  shape: z.array(dim),
  dtype: z.literal('float32'),
  layout: z.enum(['NCHW', 'NHWC']),
  colorOrder: z.enum(['RGB', 'BGR']),
  /**
   * What the caller feeds: value = (pixel − mean[c]) / std[c], with pixel the 0–255 channel value in
   * `colorOrder`. mean 0 / std 1 means raw 0–255 pixels (normalisation, if any, is inside the graph).
   */
  mean: z.array(z.number()).length(3),
  std: z.array(z.number()).length(3),
  /** Normalisation performed inside the graph, in words, with its source (so nobody applies it twice). */
  inGraphNormalization: z.string(),
  /** How the crop/resize is made, in words (e.g. "face box enlarged ×2.7, resized to 80×80"). */
  preprocessing: z.string(),
  /**
   * A concrete shape the model is normally run at, for inputs with dynamic dims other than batch
   * (e.g. the tiny face detector's default 416×416); used by warm-up and benchmarks.
   */
  typicalShape: z.array(z.number().int().positive()).optional(),
});

export const tensorOutputSchema = z.object({
  name: z.string(),
  shape: z.array(dim),
  /** What the values mean, with unit and range. */
  meaning: z.string(),
});

export const modelSourceSchema = z.object({
  /** npm package the weights ship in, or 'upstream' for optional packs. */
  package: z.string(),
  version: z.string(),
  /** Source files the model was built from, relative to the package root, with their sha256. */
  files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  /** Project the weights originally come from (model card / repository). */
  upstream: z.string(),
  license: z.string(),
});

export const modelEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  task: z.enum(MODEL_TASKS),
  description: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** File size in bytes. */
  bytes: z.number().int().positive(),
  source: modelSourceSchema,
  inputs: z.array(tensorInputSchema).min(1),
  outputs: z.array(tensorOutputSchema).min(1),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type TensorInputSpec = z.infer<typeof tensorInputSchema>;
export type TensorOutputSpec = z.infer<typeof tensorOutputSchema>;

export const manifestSchema = z.object({
  schemaVersion: z.literal(1),
  models: z.array(modelEntrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

export function parseManifest(json: unknown, where: string): Manifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError('MODEL_INVALID', `${where}: not a valid model manifest: ${z.prettifyError(parsed.error)}`);
  }
  const ids = new Set<string>();
  for (const m of parsed.data.models) {
    if (ids.has(m.id)) throw new AppError('MODEL_INVALID', `${where}: model id ${m.id} listed twice`);
    ids.add(m.id);
  }
  return parsed.data;
}

/**
 * A concrete batch-1 shape for an input: `typicalShape` when given, else the declared dims with the
 * batch axis set to 1. Null when a non-batch dim is dynamic and no typical shape is declared.
 */
export function concreteInputShape(input: TensorInputSpec): number[] | null {
  if (input.typicalShape) return input.typicalShape;
  const dims = input.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : null));
  return dims.every((d): d is number => d !== null) ? dims : null;
}

export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('MODEL_INVALID', `${file}: cannot read the model manifest (run \`npm run models\`)`, { cause: error });
  }
  return parseManifest(JSON.parse(text), file);
}
