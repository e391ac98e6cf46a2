/**
 * Installs the model packs listed in models/packs.json into models/packs/<id>.onnx.
 *
 *   npm run models:fetch                    every listed pack; exits 1 when one fails
 *   tsx scripts/fetch-models.ts --default --soft
 *                                           the default install (package.json postinstall): packs marked
 *                                           `default`; a failure prints one line and exits 0, so `npm ci`
 *                                           succeeds offline and the service runs without those packs
 *
 * Source: the pinned upstream raw URL, or with MODELS_MIRROR set, `$MODELS_MIRROR/<mirrorPath>`: a local folder
 * (an offline copy of the upstream files, e.g. ../shared/data/models, for air-gapped hosts and CI) or an
 * http(s) base URL serving the same tree. The downloaded file is streamed to a temp file beside its target
 * and its sha256 checked against the list; a pack with a `convert` block is then converted to ONNX by the
 * project's own converter and the ONNX's sha256 checked too (the converters are deterministic). Only then is
 * the file fsynced and renamed into place, so a wrong, truncated or half-written file never becomes visible.
 * Packs already present with the right sha256 are skipped.
 *
 * Flags: --only=id,id (subset), --default (only packs marked `default`), --soft (see above),
 * --dir=<target folder> (default MODEL_PACKS_DIR, as the service reads it, else models/packs),
 * --list=<pack list> (default models/packs.json).
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type PackConverter, type PackEntry, type PackList, downloadCheck, readPacks, sha256OfFile } from '../src/inference/packs.js';
import { convertMinifasnetPth } from './convert/minifasnet/minifasnet.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Longest time one download may take, connection to last byte, ms. The largest listed file is 1.9 MB (the
 * MiniFASNet .pth files), so 60 s still allows ~32 kB/s, slower than any link that can run `npm ci` at all
 * (it downloads ~200 MB of packages). Node's fetch (undici) would otherwise wait up to 300 s for response
 * headers and 300 s between body chunks (undici Agent headersTimeout / bodyTimeout defaults), stalling an
 * offline `npm ci` behind a proxy that accepts connections and never answers.
 */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

/** The converters packs.json may name (`convert.converter`), each: source bytes → ONNX bytes. */
const CONVERTERS: Record<PackConverter, (source: Uint8Array, where: string) => Uint8Array> = {
  'minifasnet-v2': (source, where) => convertMinifasnetPth('minifasnet-v2', source, where),
  'minifasnet-v1se': (source, where) => convertMinifasnetPth('minifasnet-v1se', source, where),
};

export interface FetchOptions {
  list: PackList;
  /** Folder the packs are installed in (created when absent). */
  dir: string;
  /** Pack ids to install; all listed packs when absent. */
  only?: string[];
  /** Only the packs marked `default` in the list (combined with `only` when both are given). */
  defaultOnly?: boolean;
  /**
   * Where the files at each pack's `mirrorPath` are: a local folder, or an http(s) base URL. Download from
   * each pack's `url` when absent.
   */
  mirror?: string;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
  /** Longest time one download may take, ms (default {@link DOWNLOAD_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The fetch to download with (default: the global fetch); tests inject failures here. */
  fetch?: typeof fetch;
}

/**
 * Why a pack failed: `download` (no network, DNS, refused, HTTP error, timeout, mirror file missing),
 * `integrity` (the downloaded file's sha256 is not the listed one), `conversion` (the converter failed or
 * its output's sha256 is not the listed one), `install` (writing or renaming the file failed).
 */
export type FetchFailure = 'download' | 'integrity' | 'conversion' | 'install';

export interface FetchResult {
  id: string;
  outcome: 'present' | 'installed' | 'failed';
  /** Why it failed, when `outcome` is `failed`. */
  error?: string;
  /** The kind of failure, when `outcome` is `failed`. */
  failure?: FetchFailure;
  /** Where it was installed from (URL or file), when `outcome` is `installed`. */
  from?: string;
}

class PackError extends Error {
  constructor(
    readonly failure: FetchFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** The most specific text of a fetch failure: undici throws TypeError('fetch failed') with the socket/DNS error as cause. */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs / 1000} s`;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Streams `source` into `file`, hashing on the way; returns the sha256 and byte count. Stops as soon as more
 * than `maxBytes` arrive: a wrong file is refused without being downloaded whole.
 */
async function writeHashed(source: Readable, from: string, file: string, maxBytes: number, onBytes: (n: number) => void): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.byteLength;
    if (bytes > maxBytes) source.destroy(new PackError('integrity', `size mismatch for ${from}: expected ${maxBytes} bytes, got more (${bytes} so far)`));
    else onBytes(bytes);
  });
  await pipeline(source, createWriteStream(file));
  return { sha256: hash.digest('hex'), bytes };
}

/** Flushes a written file to disk before it is renamed into place (a crash then never leaves a renamed but empty file). */
function fsyncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFileSynced(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'w');
  try {
    for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(fd, bytes, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface Source {
  /** Where the download comes from (URL or file path), for messages. */
  from: string;
  /** Writes the download to `file` (at most `maxBytes`); returns its sha256 and size. */
  saveTo(file: string, maxBytes: number, onBytes: (n: number) => void): Promise<{ sha256: string; bytes: number }>;
}

function sourceOf(pack: PackEntry, options: Pick<FetchOptions, 'mirror' | 'fetch'> & { timeoutMs: number }): Source {
  const { mirror, timeoutMs } = options;
  if (mirror && !isUrl(mirror)) {
    const file = path.join(mirror, pack.mirrorPath);
    return {
      from: file,
      saveTo: async (target, maxBytes, onBytes) => {
        if (!existsSync(file)) throw new PackError('download', `expected ${file} in MODELS_MIRROR, not found`);
        return writeHashed(createReadStream(file), file, target, maxBytes, onBytes);
      },
    };
  }
  const url = mirror ? `${mirror.replace(/\/+$/, '')}/${pack.mirrorPath}` : pack.url;
  const fetchImpl = options.fetch ?? fetch;
  return {
    from: url,
    saveTo: async (target, maxBytes, onBytes) => {
      // One signal for the whole transfer: it aborts the body stream too, not only the wait for headers.
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetchImpl(url, { signal });
        if (!response.ok || !response.body) {
          await response.body?.cancel().catch(() => undefined);
          throw new PackError('download', `GET ${url}: expected 200, got ${response.status} ${response.statusText}`.trimEnd());
        }
        return await writeHashed(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), url, target, maxBytes, onBytes);
      } catch (error) {
        if (error instanceof PackError) throw error;
        throw new PackError('download', `GET ${url}: ${describeFetchError(error, timeoutMs)}`, { cause: error });
      }
    },
  };
}

/** Installs one pack; throws a PackError with "expected X, got Y" on a mismatch, leaving nothing behind. */
async function installPack(pack: PackEntry, dir: string, source: Source, log: (line: string) => void): Promise<void> {
  const target = path.join(dir, pack.file);
  // Unique per call: two installs into the same folder (two processes, or two calls in one) never share a temp file.
  const unique = `${process.pid}.${randomUUID().slice(0, 8)}`;
  const download = `${target}.${unique}.download.tmp`;
  const converted = `${target}.${unique}.tmp`;
  const expected = downloadCheck(pack);
  log(`  ↓ ${pack.id} from ${source.from} (${megabytes(expected.bytes)})`);
  let nextReport = 0.25;
  try {
    const got = await source.saveTo(download, expected.bytes, (n) => {
      // Progress for network downloads only: a local copy of a few MB is instant.
      if (isUrl(source.from) && n / expected.bytes >= nextReport && n < expected.bytes) {
        log(`    ${pack.id}: ${Math.floor((n / expected.bytes) * 100)} % (${megabytes(n)})`);
        while (n / expected.bytes >= nextReport) nextReport += 0.25;
      }
    });
    if (got.sha256 !== expected.sha256) {
      throw new PackError('integrity', `sha256 mismatch for ${source.from}: expected ${expected.sha256} (${expected.bytes} bytes), got ${got.sha256} (${got.bytes} bytes)`);
    }
    if (!pack.convert) {
      fsyncFile(download);
      renameSync(download, target);
      return;
    }
    const started = performance.now();
    let onnx: Uint8Array;
    try {
      onnx = CONVERTERS[pack.convert.converter](readFileSync(download), source.from);
    } catch (error) {
      throw new PackError('conversion', `converting ${source.from} with ${pack.convert.converter}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const hash = createHash('sha256').update(onnx).digest('hex');
    if (hash !== pack.sha256) {
      throw new PackError(
        'conversion',
        `converted ${pack.id}: expected sha256 ${pack.sha256} (${pack.bytes} bytes), got ${hash} (${onnx.byteLength} bytes): the converter's output changed; check it and update models/packs.json`,
      );
    }
    writeFileSynced(converted, onnx);
    renameSync(converted, target);
    log(`    ${pack.id}: converted with ${pack.convert.converter} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } finally {
    rmSync(download, { force: true });
    rmSync(converted, { force: true });
  }
}

/** The packs `options` select, in list order; throws on an unknown `only` id. */
export function selectPacks(list: PackList, options: Pick<FetchOptions, 'only' | 'defaultOnly'>): PackEntry[] {
  const known = new Set(list.packs.map((p) => p.id));
  const unknown = (options.only ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) throw new Error(`--only: unknown pack id(s) ${unknown.join(', ')}; expected some of ${[...known].join(', ')}`);
  return list.packs.filter((p) => (!options.only || options.only.includes(p.id)) && (!options.defaultOnly || p.default === true));
}

export async function fetchPacks(options: FetchOptions): Promise<FetchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const timeoutMs = options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
  const packs = selectPacks(options.list, options);
  mkdirSync(options.dir, { recursive: true });
  const from = options.mirror ? `mirror ${options.mirror}` : 'upstream downloads';
  log(`packs: ${packs.length} to check in ${options.dir} (source: ${from})`);
  const results: FetchResult[] = [];
  for (const pack of packs) {
    const target = path.join(options.dir, pack.file);
    if (existsSync(target) && sha256OfFile(target) === pack.sha256) {
      log(`  ✓ ${pack.id} present (${megabytes(pack.bytes)})`);
      results.push({ id: pack.id, outcome: 'present' });
      continue;
    }
    const source = sourceOf(pack, { mirror: options.mirror, fetch: options.fetch, timeoutMs });
    try {
      await installPack(pack, options.dir, source, log);
      log(`  + ${pack.id} installed, sha256 ${pack.sha256.slice(0, 12)}… verified`);
      results.push({ id: pack.id, outcome: 'installed', from: source.from });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  ✗ ${pack.id} failed: ${message}`);
      results.push({ id: pack.id, outcome: 'failed', error: message, failure: error instanceof PackError ? error.failure : 'install' });
    }
  }
  return results;
}

/**
 * The one line `--soft` prints when packs could not be installed: what is missing, why, what the service
 * does without it, and how to install it later.
 */
export function softFailureLine(failed: readonly FetchResult[], list: PackList): string {
  const entries = failed.map((r) => ({ result: r, pack: list.packs.find((p) => p.id === r.id) }));
  const ids = failed.map((r) => r.id).join(', ');
  const antispoofOnly = entries.every((e) => e.pack?.task === 'antispoof');
  const what = antispoofOnly ? `anti-spoofing pack (${ids})` : `model pack(s) ${ids}`;
  const [first, ...rest] = failed;
  const others = rest.map((r) => (r.failure === first?.failure ? `${r.id} failed the same way` : `${r.id}: ${r.error}`));
  const why = `${first?.error ?? 'unknown error'}${others.length > 0 ? ` (${others.join('; ')})` : ''}`;
  const integrity = failed.some((r) => r.failure === 'integrity') ? ' nothing was installed from the mismatching file;' : '';
  const withAntispoof = entries.some((e) => e.pack?.task === 'antispoof');
  const effect = antispoofOnly
    ? 'the service will run liveness without it (embedded models only, less accurate; /health lists it as missing)'
    : `the service will run without it (/health lists it as missing${withAntispoof ? '; liveness without the anti-spoofing pack uses the embedded models only, less accurate' : ''})`;
  const files = entries.map((e) => e.pack?.mirrorPath).filter(Boolean).join(', ');
  return (
    `packs: ${what} not installed: ${why};${integrity} ${effect}; install it later with \`npm run models:fetch\`, ` +
    `or offline with \`MODELS_MIRROR=<folder or http(s) URL> npm run models:fetch\` (it reads ${files})`
  );
}

/** `npm run models:fetch -- [args]`, and the operator CLI's `models fetch [args]` (scripts/cli.ts). */
export async function main(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const known = ['--default', '--soft', '--only=', '--dir=', '--list='];
  const unknownArgs = args.filter((a) => !known.some((k) => (k.endsWith('=') ? a.startsWith(k) : a === k)));
  if (unknownArgs.length > 0) throw new Error(`unknown argument(s) ${unknownArgs.join(' ')}; expected ${known.map((k) => (k.endsWith('=') ? `${k}…` : k)).join(' ')}`);
  const soft = args.includes('--soft');
  const list = readPacks(path.resolve(flag('list') ?? path.join(root, 'models', 'packs.json')));
  const dir = path.resolve(flag('dir') ?? process.env.MODEL_PACKS_DIR ?? path.join(root, 'models', 'packs'));
  const mirrorEnv = process.env.MODELS_MIRROR;
  const mirror = mirrorEnv ? (isUrl(mirrorEnv) ? mirrorEnv : path.resolve(mirrorEnv)) : undefined;
  const lines: string[] = [];
  // --soft (npm ci): keep the progress to itself and print one line at the end, whatever happened.
  const log = soft ? (line: string) => lines.push(line) : (line: string) => console.log(line);
  const started = performance.now();
  const results = await fetchPacks({ list, dir, mirror, only: flag('only')?.split(',').filter(Boolean), defaultOnly: args.includes('--default'), log });
  const failed = results.filter((r) => r.outcome === 'failed');
  const installed = results.filter((r) => r.outcome === 'installed').length;
  const present = results.filter((r) => r.outcome === 'present').length;
  if (soft) {
    if (failed.length > 0) console.warn(softFailureLine(failed, list));
    else console.log(`packs: ${results.map((r) => r.id).join(', ') || 'none selected'} ready in ${dir} (${installed} installed, ${present} already present, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return;
  }
  if (failed.length > 0) {
    console.error(`packs: ${failed.length} failed:\n  ${failed.map((r) => `${r.id}: ${r.error}`).join('\n  ')}`);
    process.exit(1);
  }
  console.log(`packs: done (${installed} installed, ${present} already present)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`packs: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
