/**
 * The operator CLI (README "Operator CLI"): `npx face-liveness <command>` (bin/face-liveness.mjs) or
 * `npm run cli -- <command>`. Every command prints its usage with --help.
 *
 * `check` and `match` run the service offline on local files, for batch jobs and debugging: the same composition root
 * as the server (src/app/service.ts: this install's models, packs, config from the environment and decision rules), a
 * throw-away DATA_DIR and the embedded app, and the request through the same HTTP contract in process
 * (app.request(), no socket), so what they print is byte for byte the wire answer. Logs go to stderr (warnings and
 * errors only), the answers to stdout.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/app/logger.js';
import { planModels } from '../src/app/models.js';
import { createService, type Service } from '../src/app/service.js';
import { parseConfig } from '../src/config.js';
import { readManifest } from '../src/inference/manifest.js';
import { packStatuses, readPacks } from '../src/inference/packs.js';
import { QUALITY_CHECKS } from '../src/pipeline/types.js';
import { videoBinaries } from '../src/video/binaries.js';
import { createVideoReader } from '../src/video/read-video.js';
import { run as runApps, UsageError, USAGE as APPS_USAGE } from './apps.js';
import { main as fetchModels } from './fetch-models.js';

/** Where the CLI writes: stdout for answers, stderr for notes. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

class CliUsageError extends Error {}

export const USAGE = `Usage: face-liveness <command> [options]   (or: npm run cli -- <command> [options])

Commands:
  check <image>...      checkLiveness on local images, offline; prints the wire JSON
  match <selfie> <id>   matchFace on two local images, offline; prints the wire JSON
  apps <command>        manage the caller apps in APPS_FILE (add, list, rotate, remove, rekey)
  models <command>      list the models and packs, fetch packs

Run "face-liveness <command> --help" for a command's options. Configuration comes from the environment, as for the
server (README "Configuration").`;

const CHECK_USAGE = `Usage: face-liveness check <image>... [--quality=<checks|all>] [--age] [--gender] [--score]

Runs checkLiveness on each image with this install's models, packs, configuration (environment) and decision rules,
offline, and prints the answer exactly as POST /v1/checkLiveness gives it (HyperVerge's format). One image: the body,
indented. Several: one line per image, {"file", "status", "body"} (JSON Lines), for batch jobs.

Options:
  --quality=<checks|all>  quality checks to run, comma-separated (${QUALITY_CHECKS.join(', ')}), or all
  --age                   estimate the age range (ageRange=yes)
  --gender                estimate the gender (checkGender=yes)
  --score                 return the scores (preferences.returnScore=yes)

Exit status: 0 when every image got a 200, 1 when one did not (its body says why), 2 on a usage error.`;

const MATCH_USAGE = `Usage: face-liveness match <selfie> <id>

Runs matchFace on two local images (a selfie and an ID photo or another selfie) with this install's models,
configuration and decision rules, offline, and prints the answer exactly as POST /v1/matchFace gives it.

Exit status: 0 on a 200 answer, 1 otherwise (the body says why), 2 on a usage error.`;

const MODELS_USAGE = `Usage: face-liveness models <list|fetch> [options]

  list              the embedded models (models/manifest.json) with their licence and sha256, the packs
                    (models/packs.json) and whether each is installed in MODEL_PACKS_DIR, and which use cases would
                    load each model (as /health?details=1 says of a running service)
  fetch [options]   download and install packs: the options of npm run models:fetch (--default, --only=<ids>,
                    --dir=<folder>, --list=<packs.json>; MODELS_MIRROR for an offline mirror)`;

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

function imageBlob(file: string): Blob {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CliUsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return new Blob([new Uint8Array(bytes)], { type: MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream' });
}

/** The service as the server builds it, with a throw-away DATA_DIR and the embedded app; logs to stderr. */
async function offlineService(): Promise<{ service: Service; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'face-liveness-cli-'));
  // The embedded app (no APPS_FILE: its one-time key never leaves this process), models on this thread, no batching.
  // A random SIGNING_SECRET: nothing this process signs outlives it (and the server's warning about a missing one
  // would be noise here).
  const config = parseConfig({
    ...process.env,
    APPS_FILE: undefined,
    DATA_DIR: dataDir,
    INFERENCE_THREAD: 'main',
    BATCH_MAX_SIZE: '1',
    METRICS_PORT: undefined,
    SIGNING_SECRET: randomBytes(32).toString('hex'),
  });
  const service = await createService(config, { logger: createLogger({ logLevel: 'warn' }, process.stderr) });
  return {
    service,
    close: async () => {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function post(service: Service, route: string, form: FormData, n: number): Promise<{ status: number; body: unknown }> {
  const res = await service.app.request(route, { method: 'POST', body: form, headers: { appId: 'default', appKey: service.embeddedAppKey!, transactionId: `cli-${n}` } });
  return { status: res.status, body: await res.json() };
}

async function check(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { quality: { type: 'string' }, age: { type: 'boolean' }, gender: { type: 'boolean' }, score: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(CHECK_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new CliUsageError('check needs at least one image');
  const quality = values.quality === 'all' ? [...QUALITY_CHECKS] : (values.quality?.split(',').filter(Boolean) ?? []);
  const unknown = quality.filter((q) => !(QUALITY_CHECKS as readonly string[]).includes(q));
  if (unknown.length > 0) throw new CliUsageError(`unknown quality check(s) ${unknown.join(', ')}; expected ${QUALITY_CHECKS.join(', ')} or all`);
  const images = positionals.map((file) => ({ file, blob: imageBlob(file) }));
  const { service, close } = await offlineService();
  let failed = false;
  try {
    for (const [i, { file, blob }] of images.entries()) {
      const form = new FormData();
      form.append('image', blob, path.basename(file));
      for (const q of quality) form.append(`qualityChecks.${q}`, 'yes');
      if (values.age) form.append('ageRange', 'yes');
      if (values.gender) form.append('checkGender', 'yes');
      if (values.score) form.append('preferences.returnScore', 'yes');
      const { status, body } = await post(service, '/v1/checkLiveness', form, i + 1);
      failed ||= status !== 200;
      io.out(images.length === 1 ? JSON.stringify(body, null, 2) : JSON.stringify({ file, status, body }));
    }
  } finally {
    await close();
  }
  return failed ? 1 : 0;
}

async function match(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(MATCH_USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new CliUsageError(`match needs two images (a selfie and an ID photo), got ${positionals.length}`);
  const [selfie, id] = positionals as [string, string];
  const form = new FormData();
  form.append('selfie', imageBlob(selfie), path.basename(selfie));
  form.append('id', imageBlob(id), path.basename(id));
  const { service, close } = await offlineService();
  try {
    const { status, body } = await post(service, '/v1/matchFace', form, 1);
    io.out(JSON.stringify(body, null, 2));
    return status === 200 ? 0 : 1;
  } finally {
    await close();
  }
}

function listModels(io: CliIo): number {
  const config = parseConfig({ ...process.env, APPS_FILE: undefined });
  const manifest = readManifest(path.join(config.modelsDir, 'manifest.json'));
  const uses = planModels(config, createVideoReader({ ...config.video, binaries: videoBinaries(), log: () => {} }));
  const loadedFor = (id: string) => uses.get(id)?.join(', ') ?? 'not loaded: no use case asks for it';
  io.out(`embedded models (${path.join(config.modelsDir, 'manifest.json')}):`);
  for (const m of manifest.models) io.out(`  ${m.id}  ${m.task}  ${m.source.license}  sha256 ${m.sha256.slice(0, 12)}…  → ${loadedFor(m.id)}`);
  const packList = path.join(config.modelsDir, 'packs.json');
  io.out(`packs (${packList}, installed in ${config.modelPacksDir}):`);
  for (const { pack, state } of packStatuses(config.modelPacksDir, readPacks(packList))) {
    io.out(`  ${pack.id}  ${pack.task}  ${pack.source.license}  ${state}${pack.default ? ' (default)' : ''}${state === 'installed' ? `  → ${loadedFor(pack.id)}` : ''}`);
  }
  return 0;
}

async function models(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(MODELS_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(MODELS_USAGE);
      return 0;
    }
    if (rest.length > 0) throw new CliUsageError(`models list takes no arguments, got ${rest.join(' ')}`);
    return listModels(io);
  }
  if (sub === 'fetch') {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(MODELS_USAGE);
      return 0;
    }
    await fetchModels(rest);
    return 0;
  }
  throw new CliUsageError(`unknown models command "${sub}"; expected list or fetch`);
}

function apps(args: readonly string[], io: CliIo): number {
  if (args.length === 0) {
    io.out(APPS_USAGE.replace('npm run apps --', 'face-liveness apps'));
    return 2;
  }
  runApps(args, process.env, { out: io.out, note: io.err });
  return 0;
}

const COMMANDS: Record<string, (args: readonly string[], io: CliIo) => number | Promise<number>> = { check, match, apps, models };

/** Runs one command line; resolves with the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.err(`face-liveness: unknown command "${command}" (see face-liveness --help)`);
    return 2;
  }
  try {
    return await handler(args, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // parseArgs' own errors (an unknown option, a missing value) are usage errors too.
    if (error instanceof CliUsageError || error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`face-liveness ${command}: ${message} (see face-liveness ${command} --help)`);
      return 2;
    }
    io.err(`face-liveness ${command}: ${message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void runCli(process.argv.slice(2), { out: (t) => console.log(t), err: (t) => console.error(t) }).then((status) => process.exit(status));
}
