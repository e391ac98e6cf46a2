/**
 * Service configuration: the only reader of process.env. Parsed once at start-up and passed in
 * (STYLE.md rule 4); every field documents its unit and default.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppError } from './errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Non-negative integer from an env string; empty means "use the default". */
const intFromEnv = (defaultValue: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(defaultValue) : v.trim()))
    .pipe(z.coerce.number<string>().int().min(min).max(max));

export const configSchema = z.object({
  /** TCP port the HTTP server listens on. Default 3000. */
  PORT: intFromEnv(3000, 0, 65_535),
  /** Interface to bind. Default 0.0.0.0 (all IPv4 interfaces); use 127.0.0.1 to keep it local. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Directory with the built model set (*.onnx + manifest.json). Default <repo>/models. */
  MODELS_DIR: z.string().min(1).default(path.join(repoRoot, 'models')),
  /** Directory with optional model packs installed by `npm run models:fetch`. Default <MODELS_DIR>/packs. */
  MODEL_PACKS_DIR: z.string().min(1).optional(),
  /** ONNX Runtime execution provider: `cpu` (default) or `cuda`. CUDA that cannot load fails start-up. */
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  /** CUDA device ordinal (0-based) when EXECUTION_PROVIDER=cuda. Default 0. */
  CUDA_DEVICE_ID: intFromEnv(0, 0, 64),
  /** ORT threads inside one operator; 0 (default) lets ORT use one per physical core. */
  ORT_INTRA_OP_THREADS: intFromEnv(0, 0, 1024),
  /** ORT threads across independent operators; 0 (default) lets ORT decide (sequential execution uses 1). */
  ORT_INTER_OP_THREADS: intFromEnv(0, 0, 1024),
  /** Seconds to wait for in-flight requests after SIGTERM/SIGINT before exiting anyway. Default 10 s. */
  SHUTDOWN_GRACE_SECONDS: intFromEnv(10, 0, 3600),
});

export interface Config {
  port: number;
  host: string;
  modelsDir: string;
  modelPacksDir: string;
  executionProvider: 'cpu' | 'cuda';
  cudaDeviceId: number;
  intraOpThreads: number;
  interOpThreads: number;
  /** Grace period after a stop signal, in milliseconds. */
  shutdownGraceMs: number;
}

/** Parses the environment; an invalid value fails start-up with every problem listed. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `invalid configuration: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const modelsDir = path.resolve(c.MODELS_DIR);
  return {
    port: c.PORT,
    host: c.HOST,
    modelsDir,
    modelPacksDir: path.resolve(c.MODEL_PACKS_DIR ?? path.join(modelsDir, 'packs')),
    executionProvider: c.EXECUTION_PROVIDER,
    cudaDeviceId: c.CUDA_DEVICE_ID,
    intraOpThreads: c.ORT_INTRA_OP_THREADS,
    interOpThreads: c.ORT_INTER_OP_THREADS,
    shutdownGraceMs: c.SHUTDOWN_GRACE_SECONDS * 1000,
  };
}
