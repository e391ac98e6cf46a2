/**
 * `models/packs.json`: optional third-party ONNX models (YuNet, MiniFASNet) that are not built from npm
 * packages but downloaded as-is by `npm run models:fetch` into `models/packs/<id>.onnx`.
 *
 * An entry reuses the manifest's input/output descriptions (src/inference/manifest.ts) and adds where
 * the file comes from: the upstream repository file pinned to a commit, its raw URL, and its sha256,
 * which is checked after every download and before a pack counts as installed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { MODEL_TASKS, tensorInputSchema, tensorOutputSchema } from './manifest.js';

export const packSourceSchema = z.object({
  /** GitHub repository (owner/name) that hosts the ONNX file. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** Commit the file is pinned to (40 hex digits). */
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  /** Path of the file inside the repository. */
  path: z.string(),
  /** Project that trained the weights (may differ from `repository`, which may only re-host them). */
  upstream: z.string(),
  license: z.string(),
});

export const packEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  task: z.enum(MODEL_TASKS),
  description: z.string(),
  /** File name inside models/packs/ (always `<id>.onnx`). */
  file: z.string().regex(/^[a-z0-9-]+\.onnx$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** File size in bytes. */
  bytes: z.number().int().positive(),
  /** Download URL: the raw file of `source.repository` at `source.commit`. */
  url: z.string().url(),
  /** Path of the file under a local mirror directory (`MODELS_MIRROR`), e.g. a copy of ../shared/data/models. */
  mirrorPath: z.string(),
  source: packSourceSchema,
  /**
   * Face-crop enlargement for face-crop models: the face box is scaled by this factor around its centre
   * before cropping (MiniFASNet: the number that prefixes the upstream file name, e.g. 2.7 in
   * `2.7_80x80_MiniFASNetV2`). Absent for whole-image models.
   */
  faceCropScale: z.number().positive().optional(),
  inputs: z.array(tensorInputSchema).min(1),
  outputs: z.array(tensorOutputSchema).min(1),
});
export type PackEntry = z.infer<typeof packEntrySchema>;

export const packListSchema = z.object({
  schemaVersion: z.literal(1),
  packs: z.array(packEntrySchema),
});
export type PackList = z.infer<typeof packListSchema>;

/** The raw-file URL GitHub serves for a file pinned to a commit. */
export function rawGithubUrl(source: { repository: string; commit: string; path: string }): string {
  return `https://raw.githubusercontent.com/${source.repository}/${source.commit}/${source.path}`;
}

export function parsePacks(json: unknown, where: string): PackList {
  const parsed = packListSchema.safeParse(json);
  if (!parsed.success) throw new AppError('MODEL_INVALID', `${where}: not a valid pack list: ${z.prettifyError(parsed.error)}`);
  const ids = new Set<string>();
  for (const pack of parsed.data.packs) {
    if (ids.has(pack.id)) throw new AppError('MODEL_INVALID', `${where}: pack id ${pack.id} listed twice`);
    ids.add(pack.id);
    if (pack.file !== `${pack.id}.onnx`) throw new AppError('MODEL_INVALID', `${where}: pack ${pack.id}: expected file ${pack.id}.onnx, got ${pack.file}`);
    if (pack.url !== rawGithubUrl(pack.source)) {
      throw new AppError('MODEL_INVALID', `${where}: pack ${pack.id}: expected url ${rawGithubUrl(pack.source)}, got ${pack.url}`);
    }
  }
  return parsed.data;
}

export function readPacks(file: string): PackList {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('MODEL_INVALID', `${file}: cannot read the pack list`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('MODEL_INVALID', `${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parsePacks(json, file);
}

export type PackState = 'installed' | 'missing' | 'corrupt';

export interface PackStatus {
  pack: PackEntry;
  /** Absolute path the pack is (or would be) installed at. */
  file: string;
  /** `corrupt`: a file is there but its sha256 differs from the list (re-run `npm run models:fetch`). */
  state: PackState;
}

export function sha256OfFile(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Where each listed pack stands in `dir` (models/packs/): installed with the right sha256, missing, or corrupt. */
export function packStatuses(dir: string, list: PackList): PackStatus[] {
  return list.packs.map((pack) => {
    const file = path.join(dir, pack.file);
    if (!existsSync(file)) return { pack, file, state: 'missing' as const };
    return { pack, file, state: sha256OfFile(file) === pack.sha256 ? ('installed' as const) : ('corrupt' as const) };
  });
}

/**
 * The listed packs present in `dir` with a verified sha256. `list` defaults to the `packs.json` beside
 * `dir` (models/packs.json for models/packs/).
 */
export function installedPacks(dir: string, list: PackList = readPacks(path.join(dir, '..', 'packs.json'))): PackStatus[] {
  return packStatuses(dir, list).filter((s) => s.state === 'installed');
}
