/**
 * `models/packs.json`: third-party models that are not built from npm packages but fetched from their
 * upstream repository by scripts/fetch-models.ts into `models/packs/<id>.onnx`. Most are ONNX files
 * installed as-is (YuNet, UltraFace: optional, `npm run models:fetch`); an entry with a `convert` block
 * is downloaded in another format and converted to ONNX by the project's own converter (MiniFASNet, from
 * its original PyTorch weights). Entries marked `default` belong to the default install (`npm ci`'s
 * postinstall fetches them when the network allows).
 *
 * An entry reuses the manifest's input/output descriptions (src/inference/manifest.ts) and adds where
 * the file comes from: the upstream repository file pinned to a commit, its raw URL, and two checks kept
 * apart: the downloaded file's sha256 (before anything is installed) and the installed ONNX file's sha256
 * (after conversion, and at every load by src/inference/registry.ts). Without `convert` the two are the
 * same file, so `sha256`/`bytes` serve for both.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { MODEL_TASKS, tensorInputSchema, tensorOutputSchema } from './manifest.js';

export const packSourceSchema = z.object({
  /** GitHub repository (owner/name) that hosts the downloaded file. */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** Commit the file is pinned to (40 hex digits). */
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  /** Path of the file inside the repository. */
  path: z.string(),
  /** Project that trained the weights (may differ from `repository`, which may only re-host them). */
  upstream: z.string(),
  license: z.string(),
});

/**
 * Converters a pack may name (implemented in scripts/convert/, dispatched by scripts/fetch-models.ts):
 * `minifasnet-v2` / `minifasnet-v1se` rebuild Silent-Face's MiniFASNetV2 / MiniFASNetV1SE from a legacy
 * PyTorch `.pth` state dict (scripts/convert/minifasnet/minifasnet.ts).
 */
export const PACK_CONVERTERS = ['minifasnet-v2', 'minifasnet-v1se'] as const;
export type PackConverter = (typeof PACK_CONVERTERS)[number];

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

export const packConvertSchema = z.object({
  /** The converter that turns the downloaded file into the installed ONNX. */
  converter: z.enum(PACK_CONVERTERS),
  /** sha256 of the DOWNLOADED source file (at `url` / `mirrorPath`), checked before converting. */
  sourceSha256: sha256Schema,
  /** Size of the downloaded source file, bytes. */
  sourceBytes: z.number().int().positive(),
});
export type PackConvert = z.infer<typeof packConvertSchema>;

export const packEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  task: z.enum(MODEL_TASKS),
  description: z.string(),
  /** File name inside models/packs/ (always `<id>.onnx`). */
  file: z.string().regex(/^[a-z0-9-]+\.onnx$/),
  /**
   * sha256 of the INSTALLED ONNX file (models/packs/<file>), checked after install and at every load. For a
   * converted pack this is the converter's output, which is deterministic; otherwise the downloaded file's.
   */
  sha256: sha256Schema,
  /** Size of the installed ONNX file, bytes. */
  bytes: z.number().int().positive(),
  /** Download URL: the raw file of `source.repository` at `source.commit` (what `convert` reads, when present). */
  url: z.string().url(),
  /**
   * Path of the downloaded file under a mirror (`MODELS_MIRROR`: a local folder such as ../shared/data/models, or an
   * http(s) base URL serving the same tree).
   */
  mirrorPath: z.string(),
  source: packSourceSchema,
  /** Present when the downloaded file is not the ONNX itself: how to convert it, and the download's own hash. */
  convert: packConvertSchema.optional(),
  /**
   * Part of the default install: `npm ci` (postinstall `fetch-models.ts --default --soft`) fetches it when the
   * network allows, and the service reports it missing otherwise. Absent = optional (`npm run models:fetch`).
   */
  default: z.boolean().optional(),
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

/** The sha256 and size the downloaded file must have: the source file's for a converted pack, else the pack file's. */
export function downloadCheck(pack: PackEntry): { sha256: string; bytes: number } {
  return pack.convert ? { sha256: pack.convert.sourceSha256, bytes: pack.convert.sourceBytes } : { sha256: pack.sha256, bytes: pack.bytes };
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
