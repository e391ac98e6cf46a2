/**
 * Installs the optional model packs listed in models/packs.json into models/packs/<id>.onnx
 * (`npm run models:fetch`).
 *
 * Source: with MODELS_MIRROR set, `$MODELS_MIRROR/<mirrorPath>` is copied (an offline copy of the
 * upstream files, e.g. ../shared/data/models); otherwise the pinned upstream raw URL is downloaded.
 * Every file is written to a temp file beside its target, its sha256 checked against the list, and only
 * then renamed into place, so a wrong or truncated file never becomes visible. Packs already present
 * with the right sha256 are skipped.
 *
 * Flags: --only=id,id (subset), --dir=<target folder> (default models/packs, or MODELS_PACKS_DIR),
 * --list=<pack list> (default models/packs.json).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type PackEntry, type PackList, readPacks, sha256OfFile } from '../src/inference/packs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface FetchOptions {
  list: PackList;
  /** Folder the packs are installed in (created when absent). */
  dir: string;
  /** Pack ids to install; all listed packs when absent. */
  only?: string[];
  /** Local folder holding the files at each pack's `mirrorPath`; download from `url` when absent. */
  mirror?: string;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

export interface FetchResult {
  id: string;
  outcome: 'present' | 'installed' | 'failed';
  /** Why it failed, when `outcome` is `failed`. */
  error?: string;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Streams `source` into `tmp`, hashing on the way; returns the sha256 and byte count. */
async function writeHashed(source: Readable, tmp: string, onBytes: (n: number) => void): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.byteLength;
    onBytes(bytes);
  });
  await pipeline(source, createWriteStream(tmp));
  return { sha256: hash.digest('hex'), bytes };
}

async function openSource(pack: PackEntry, mirror: string | undefined): Promise<{ stream: Readable; from: string }> {
  if (mirror) {
    const file = path.join(mirror, pack.mirrorPath);
    if (!existsSync(file)) throw new Error(`expected ${file} in MODELS_MIRROR, not found`);
    return { stream: createReadStream(file), from: file };
  }
  const response = await fetch(pack.url);
  if (!response.ok || !response.body) throw new Error(`GET ${pack.url}: expected 200, got ${response.status} ${response.statusText}`);
  return { stream: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), from: pack.url };
}

/** Installs one pack; throws with "expected X, got Y" on a sha256 mismatch, leaving nothing behind. */
async function installPack(pack: PackEntry, dir: string, mirror: string | undefined, log: (line: string) => void): Promise<void> {
  const target = path.join(dir, pack.file);
  const tmp = `${target}.${process.pid}.tmp`;
  const { stream, from } = await openSource(pack, mirror);
  log(`  ↓ ${pack.id} from ${from} (${megabytes(pack.bytes)})`);
  let nextReport = 0.25;
  try {
    const { sha256, bytes } = await writeHashed(stream, tmp, (n) => {
      // Progress for network downloads only: a mirror copy of a few MB is instant.
      if (!mirror && n / pack.bytes >= nextReport && n < pack.bytes) {
        log(`    ${pack.id}: ${Math.floor((n / pack.bytes) * 100)} % (${megabytes(n)})`);
        while (n / pack.bytes >= nextReport) nextReport += 0.25;
      }
    });
    if (sha256 !== pack.sha256) throw new Error(`sha256 mismatch for ${from}: expected ${pack.sha256}, got ${sha256} (${bytes} bytes)`);
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export async function fetchPacks(options: FetchOptions): Promise<FetchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const known = new Set(options.list.packs.map((p) => p.id));
  const unknown = (options.only ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) throw new Error(`--only: unknown pack id(s) ${unknown.join(', ')}; expected some of ${[...known].join(', ')}`);
  const packs = options.list.packs.filter((p) => !options.only || options.only.includes(p.id));
  mkdirSync(options.dir, { recursive: true });
  log(`packs: ${packs.length} to check in ${options.dir} (source: ${options.mirror ? `mirror ${options.mirror}` : 'upstream downloads'})`);
  const results: FetchResult[] = [];
  for (const pack of packs) {
    const target = path.join(options.dir, pack.file);
    if (existsSync(target) && sha256OfFile(target) === pack.sha256) {
      log(`  ✓ ${pack.id} present (${megabytes(pack.bytes)})`);
      results.push({ id: pack.id, outcome: 'present' });
      continue;
    }
    try {
      await installPack(pack, options.dir, options.mirror, log);
      log(`  + ${pack.id} installed, sha256 ${pack.sha256.slice(0, 12)}… verified`);
      results.push({ id: pack.id, outcome: 'installed' });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  ✗ ${pack.id} failed: ${message}`);
      results.push({ id: pack.id, outcome: 'failed', error: message });
    }
  }
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const list = readPacks(path.resolve(flag('list') ?? path.join(root, 'models', 'packs.json')));
  const dir = path.resolve(flag('dir') ?? process.env.MODELS_PACKS_DIR ?? path.join(root, 'models', 'packs'));
  const mirror = process.env.MODELS_MIRROR ? path.resolve(process.env.MODELS_MIRROR) : undefined;
  const results = await fetchPacks({ list, dir, mirror, only: flag('only')?.split(',').filter(Boolean) });
  const failed = results.filter((r) => r.outcome === 'failed');
  if (failed.length > 0) {
    console.error(`packs: ${failed.length} failed:\n  ${failed.map((r) => `${r.id}: ${r.error}`).join('\n  ')}`);
    process.exit(1);
  }
  console.log(`packs: done (${results.filter((r) => r.outcome === 'installed').length} installed, ${results.filter((r) => r.outcome === 'present').length} already present)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`packs: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
