/**
 * The only module that imports onnxruntime-node (STYLE.md rule 3, after transformers.js' backends/onnx.js).
 *
 * It owns the execution-provider choice and thread settings, checks every run's inputs against the
 * model's declared inputs before calling ORT, and hands back plain typed arrays so that no other module
 * depends on ORT's types.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../errors.js';

/**
 * ONNX Runtime's Linux and macOS builds (1.29 here) ship Microsoft's 1DS telemetry switched on
 * (microsoft/onnxruntime#27379): a persistent device id and an offline event database under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime, a `mat-debug-<pid>.log` and a `.ses` file in the temp directory
 * of every process, and HTTPS uploads to Microsoft wherever the network allows. A self-hosted identity-verification
 * service must not phone home or leave files behind: this variable turns all of it off when it is in the process
 * environment before the first session is created (the decision is latched for the process). It is set here, when
 * this module loads; native code reads the process environment, which only the main thread's `process.env` writes
 * (a worker's is a copy), and the inference thread's host imports this module on the main thread before it starts
 * its worker. An operator's explicit value (`ORT_DISABLE_TELEMETRY=0`) is left as it is.
 */
export const ORT_TELEMETRY_OPT_OUT = 'ORT_DISABLE_TELEMETRY';
process.env[ORT_TELEMETRY_OPT_OUT] ??= '1';

/** Execution providers we support; the value is the provider name ORT expects. Frozen so typos fail loudly. */
export const EXECUTION_PROVIDERS = Object.freeze({ cpu: 'cpu', cuda: 'cuda' } as const);
export type ExecutionProvider = keyof typeof EXECUTION_PROVIDERS;

export interface SessionOptions {
  /** `cpu` (default) or `cuda`. CUDA that cannot load is an error, never a silent CPU fallback. */
  executionProvider: ExecutionProvider;
  /** Threads used inside one operator (ORT intra_op_num_threads); 0 lets ORT pick (one per physical core). */
  intraOpThreads: number;
  /** Threads used to run independent operators in parallel (ORT inter_op_num_threads); 0 lets ORT pick. */
  interOpThreads: number;
  /** CUDA device ordinal, when executionProvider is `cuda`. */
  cudaDeviceId: number;
  /**
   * Record where ORT placed the graph's nodes during the first run (ORT's profiler, then switched off):
   * see `ModelSession.placement`. Default true.
   */
  recordPlacement?: boolean;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = Object.freeze({
  executionProvider: 'cpu',
  intraOpThreads: 0,
  interOpThreads: 0,
  cudaDeviceId: 0,
});

/**
 * Where ORT actually ran a model's nodes, read from its profiler during the model's first run: with CUDA,
 * ORT places nodes whose op the CUDA provider lacks on the CPU without saying so (the "silent fallback"),
 * and this is how it shows. Provider names are ORT's (`CPUExecutionProvider`, `CUDAExecutionProvider`).
 */
export interface NodePlacement {
  /** Node runs per provider during the profiled run(s). */
  nodes: Record<string, number>;
  /** Kernel time per provider during the profiled run(s), microseconds. */
  kernelMicros: Record<string, number>;
  /** Op types that ran on a provider other than the one asked for (e.g. `Memcpy`, shape ops on CPU under CUDA), sorted. */
  otherProviderOps: string[];
}

/** Where this process's sessions write ORT profiles until their first run ends: one directory per process id. */
export const placementRoot = (pid: number = process.pid) => path.join(tmpdir(), `ort-placement-${pid}`);

/** True when a process with this id is running (signal 0 checks without signalling). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let placementRootReady = false;

/**
 * A fresh profile directory for one session, under this process's placement root. The root is created once
 * per thread (the only module state here: a temp directory, by design per process), removed when the thread's
 * `process` exits, and leftovers of processes that died without exiting (kill -9) are swept on the way: a
 * session that never runs would otherwise leave ORT's profile file behind.
 */
function newProfileDir(): string {
  const root = placementRoot();
  if (!placementRootReady) {
    placementRootReady = true;
    for (const name of readdirSync(tmpdir())) {
      const pid = /^ort-placement-(\d+)$/.exec(name)?.[1];
      if (pid && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
    }
    mkdirSync(root, { recursive: true });
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return mkdtempSync(path.join(root, 'session-'));
}

/** ORT's name for each of our providers (as written in its profiler's `args.provider`). */
const ORT_PROVIDER_NAMES: Record<ExecutionProvider, string> = { cpu: 'CPUExecutionProvider', cuda: 'CUDAExecutionProvider' };

/** Reads an ORT profile (Chrome trace JSON) into a NodePlacement (pure; exported for tests). */
export function placementFromProfile(events: unknown, asked: ExecutionProvider): NodePlacement {
  const nodes: Record<string, number> = {};
  const kernelMicros: Record<string, number> = {};
  const other = new Set<string>();
  for (const e of Array.isArray(events) ? events : []) {
    const event = e as { cat?: string; dur?: number; args?: { provider?: string; op_name?: string } };
    const provider = event.args?.provider;
    if (event.cat !== 'Node' || !provider) continue;
    nodes[provider] = (nodes[provider] ?? 0) + 1;
    kernelMicros[provider] = (kernelMicros[provider] ?? 0) + (event.dur ?? 0);
    if (provider !== ORT_PROVIDER_NAMES[asked] && event.args?.op_name) other.add(event.args.op_name);
  }
  return { nodes, kernelMicros, otherProviderOps: [...other].sort() };
}

export type TensorElementType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool' | string;

/** A tensor as the rest of the code sees it: row-major data + dims. */
export interface Tensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface ValueInfo {
  name: string;
  type: TensorElementType;
  /** Declared dims; a string or -1 marks a dynamic axis. */
  shape: readonly (number | string)[];
}

/** Shared libraries the CUDA provider needs next to onnxruntime_binding.node (ORT provider bridge). */
const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** Directory holding onnxruntime_binding.node and libonnxruntime.so for this platform. */
export function ortBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
}

export function ortVersion(): string {
  return ort.env.versions.common ?? 'unknown';
}

/**
 * Fails with the missing library's name when CUDA is requested but the provider libraries are absent,
 * instead of ORT's generic load error (the npm package ships CPU only).
 */
export function assertCudaProviderPresent(dir: string = ortBinaryDirectory()): void {
  const missing = CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(path.join(dir, lib)));
  if (missing.length > 0) {
    throw new AppError(
      'EXECUTION_PROVIDER_UNAVAILABLE',
      `EXECUTION_PROVIDER=cuda, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in ${dir}. ` +
        'The onnxruntime-node npm package ships the CPU provider only: install the CUDA provider libraries for ' +
        `onnxruntime ${ortVersion()} there, or set EXECUTION_PROVIDER=cpu.`,
    );
  }
}

/**
 * Why the CUDA provider library cannot be loaded, in the dynamic loader's words (which name the missing dependency,
 * e.g. "libcublasLt.so.13: cannot open shared object file"), or undefined when it loads. ORT 1.29's exception says only
 * "Failed to load shared library" and writes the loader's message to stderr (provider_bridge_ort.cc), so a caller would
 * not learn which library is missing; loading it again here recovers the message. Called only after ORT failed.
 */
export function cudaProviderLoadProblem(dir: string = ortBinaryDirectory()): string | undefined {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, path.join(dir, 'libonnxruntime_providers_cuda.so'), osConstants.dlopen.RTLD_LAZY);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The library and everything it needs loaded; it is just not a Node addon.
    return /self-register|napi_register_module|init function/i.test(message) ? undefined : message;
  }
  return undefined;
}

function sessionCreateOptions(options: SessionOptions, profilePrefix: string | undefined): ort.InferenceSession.SessionOptions {
  const executionProviders: ort.InferenceSession.ExecutionProviderConfig[] =
    options.executionProvider === 'cuda' ? [{ name: 'cuda', deviceId: options.cudaDeviceId }] : ['cpu'];
  const created: ort.InferenceSession.SessionOptions = {
    executionProviders,
    graphOptimizationLevel: 'all',
    // Every session owns its thread pool, and by default idle pool threads spin for a while after a run.
    // A request runs several models back to back, so the previous model's spinning threads starve the next
    // one: measured on 2 cores, SSD after the liveness models took 124 ms p50 with spinning, 48 ms without
    // (40 ms alone). ORT config keys session.intra_op/inter_op.allow_spinning (onnxruntime_session_options_config_keys.h).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  if (profilePrefix) {
    created.enableProfiling = true;
    created.profileFilePrefix = profilePrefix;
  }
  if (options.intraOpThreads > 0) created.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads > 0) created.interOpNumThreads = options.interOpThreads;
  return created;
}

function describeMetadata(meta: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) } : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

export class ModelSession {
  private measuredPlacement: NodePlacement | undefined;
  private placementError: string | undefined;

  private constructor(
    readonly label: string,
    private readonly session: ort.InferenceSession,
    readonly executionProvider: ExecutionProvider,
    readonly inputs: readonly ValueInfo[],
    readonly outputs: readonly ValueInfo[],
    /** Directory ORT's profiler writes to until the first run ends; undefined once read (or when not recorded). */
    private profileDir: string | undefined,
  ) {}

  /**
   * Where ORT ran this model's nodes during its first run (warm-up, or the first request for a model that
   * is not warmed up); undefined before that run or when recordPlacement was false.
   */
  get placement(): NodePlacement | undefined {
    return this.measuredPlacement;
  }

  /** Why placement could not be read, if it could not (the profile is best-effort: it never fails a run). */
  get placementProblem(): string | undefined {
    return this.placementError;
  }

  /** Loads a model from a file path or bytes. `label` names the model in every error message. */
  static async create(label: string, model: string | Uint8Array, options: SessionOptions = DEFAULT_SESSION_OPTIONS): Promise<ModelSession> {
    if (!(options.executionProvider in EXECUTION_PROVIDERS)) {
      throw new AppError(
        'EXECUTION_PROVIDER_UNAVAILABLE',
        `unknown execution provider ${options.executionProvider}: expected one of ${Object.keys(EXECUTION_PROVIDERS).join(', ')}`,
      );
    }
    if (options.executionProvider === 'cuda') assertCudaProviderPresent();
    const profileDir = options.recordPlacement === false ? undefined : newProfileDir();
    const createOptions = sessionCreateOptions(options, profileDir && path.join(profileDir, 'profile'));
    let session: ort.InferenceSession;
    try {
      session =
        typeof model === 'string' ? await ort.InferenceSession.create(model, createOptions) : await ort.InferenceSession.create(model, createOptions);
    } catch (error) {
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      let message = error instanceof Error ? error.message : String(error);
      const code = options.executionProvider === 'cuda' && /cuda|provider|\.so/i.test(message) ? 'EXECUTION_PROVIDER_UNAVAILABLE' : 'MODEL_INVALID';
      const loader = code === 'EXECUTION_PROVIDER_UNAVAILABLE' && /failed to load shared library/i.test(message) ? cudaProviderLoadProblem() : undefined;
      if (loader) message += ` (the dynamic loader: ${loader})`;
      throw new AppError(code, `model ${label}: ONNX Runtime could not load it with the ${options.executionProvider} provider: ${message}`, { cause: error });
    }
    return new ModelSession(label, session, options.executionProvider, describeMetadata(session.inputMetadata), describeMetadata(session.outputMetadata), profileDir);
  }

  /** Ends ORT's profiler after the first run and reads where the nodes ran; never throws. */
  private readPlacement(): void {
    const dir = this.profileDir;
    if (!dir) return;
    this.profileDir = undefined;
    try {
      this.session.endProfiling();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      if (!file) throw new Error(`ORT wrote no profile in ${dir}`);
      this.measuredPlacement = placementFromProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), this.executionProvider);
    } catch (error) {
      this.placementError = error instanceof Error ? error.message : String(error);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs the model. Every declared input must be given, as float32, with dims matching the declared
   * fixed dims; a mismatch is reported with each input's dims instead of ORT's opaque message.
   */
  async run(feeds: Record<string, Tensor>, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    for (const input of this.inputs) {
      const feed = feeds[input.name];
      if (!feed) throw new AppError('MODEL_INPUT_INVALID', `model ${this.label}: input ${input.name} missing (given: ${Object.keys(feeds).join(', ') || 'none'})`);
      const size = feed.dims.reduce((a, b) => a * b, 1);
      const fixedMismatch = input.shape.length !== feed.dims.length || input.shape.some((d, i) => typeof d === 'number' && d > 0 && d !== feed.dims[i]);
      if (fixedMismatch || size !== feed.data.length) {
        throw new AppError(
          'MODEL_INPUT_INVALID',
          `model ${this.label}: input ${input.name} expected dims [${input.shape.join(', ')}], got [${feed.dims.join(', ')}] with ${feed.data.length} values`,
        );
      }
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    // An input in shared memory (checkLiveness's photo thread makes the SSD's and nsfwjs's there, so that the event loop
    // passes them to the inference thread without a copy) is copied to a plain array first: onnxruntime-node 1.29
    // refuses a SharedArrayBuffer-backed tensor ("Invalid argument"). On the inference thread, that copy is its own.
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', tensor.data.buffer instanceof SharedArrayBuffer ? tensor.data.slice() : tensor.data, tensor.dims as number[]);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = outputNames ? await this.session.run(ortFeeds, outputNames as string[]) : await this.session.run(ortFeeds);
    } catch (error) {
      const dims = Object.entries(feeds).map(([n, t]) => `${n}: float32 [${t.dims.join(', ')}]`).join('; ');
      throw new AppError('INFERENCE_FAILED', `model ${this.label}: run failed with inputs ${dims}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const t = value as ort.Tensor;
      if (t.type !== 'float32') throw new AppError('INFERENCE_FAILED', `model ${this.label}: output ${name} expected float32, got ${t.type}`);
      out[name] = { data: t.data as Float32Array, dims: t.dims };
      t.dispose?.();
    }
    for (const t of Object.values(ortFeeds)) t.dispose?.();
    if (this.profileDir) this.readPlacement();
    return out;
  }

  async release(): Promise<void> {
    if (this.profileDir) {
      // Never ran: end the profiler so ORT does not write a profile at release, then drop the directory.
      try {
        this.session.endProfiling();
      } catch {
        // nothing to keep: the directory goes either way
      }
      rmSync(this.profileDir, { recursive: true, force: true });
      this.profileDir = undefined;
    }
    await this.session.release();
  }
}
