/**
 * Machine description for bench reports: CPU model and cores, memory, GPU (from `nvidia-smi` when it is on
 * the PATH), Node, onnxruntime-node, tfjs and the packages we compare with, and the execution provider the
 * run used. Every report carries one, so a number is never read without the machine it came from.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ortVersion } from '../src/inference/session.js';

export interface GpuInfo {
  name: string;
  /** Total memory, MiB (as nvidia-smi reports it). */
  memoryMiB: number;
  driver: string;
}

export interface MachineInfo {
  /** ISO 8601 time the description was taken. */
  date: string;
  platform: string;
  arch: string;
  cpuModel: string;
  /** Logical cores Node sees (os.availableParallelism()). */
  cores: number;
  /** Total memory, GiB. */
  memoryGiB: number;
  gpus: GpuInfo[];
  versions: Record<string, string>;
  /** Execution provider the run used (`cpu` or `cuda`). */
  executionProvider: string;
}

const require = createRequire(import.meta.url);

/** Version from an installed package's package.json, or 'not installed'. Reads the file directly: some exports maps hide it. */
export function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // not at this level; go up
      }
      dir = path.dirname(dir);
    }
  } catch {
    // fall through
  }
  return 'not installed';
}

/** GPUs listed by nvidia-smi; [] when it is absent or fails (no GPU is a normal answer, not an error). */
export function nvidiaGpus(): GpuInfo[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return parseNvidiaSmi(out);
  } catch {
    return [];
  }
}

/** Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name = '', memory = '0', driver = ''] = line.split(',').map((s) => s.trim());
      return { name, memoryMiB: Number(memory) || 0, driver };
    });
}

export function machineInfo(executionProvider = 'cpu'): MachineInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpus: nvidiaGpus(),
    versions: {
      node: process.versions.node,
      'onnxruntime-node': ortVersion(),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      '@vladmandic/face-api': packageVersion('@vladmandic/face-api'),
      '@vladmandic/human': packageVersion('@vladmandic/human'),
      sharp: packageVersion('sharp'),
    },
    executionProvider,
  };
}

/** One Markdown paragraph describing the machine, for the top of a report. */
export function machineMarkdown(info: MachineInfo): string {
  const gpu = info.gpus.length ? info.gpus.map((g) => `${g.name} (${g.memoryMiB} MiB, driver ${g.driver})`).join(', ') : 'none';
  const versions = Object.entries(info.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `- machine: ${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB; ${info.platform} ${info.arch}`,
    `- GPU: ${gpu}; execution provider: ${info.executionProvider}`,
    `- versions: ${versions}`,
    `- date: ${info.date}`,
  ].join('\n');
}
