/**
 * GET /health: what is loaded and where it runs, so an operator can see at a glance that the node
 * serves the expected model set on the expected execution provider.
 */
import type { ModelRegistry } from '../inference/registry.js';

export interface ServiceVersions {
  /** This service's package version. */
  service: string;
  /** onnxruntime-node version actually loaded. */
  onnxruntime: string;
  /** Node.js version (process.versions.node). */
  node: string;
}

export interface HealthReport {
  status: 'ok';
  /** Execution provider every session was created with: `cpu` or `cuda`. */
  executionProvider: string;
  versions: ServiceVersions;
  models: {
    id: string;
    task: string;
    file: string;
    sha256: string;
    /** Model file size in bytes. */
    bytes: number;
    source: { package: string; version: string; license: string };
    inputs: { name: string; shape: (number | string)[] }[];
    outputs: { name: string; shape: (number | string)[] }[];
    executionProvider: string;
  }[];
}

export function healthReport(registry: ModelRegistry, versions: ServiceVersions): HealthReport {
  return {
    status: 'ok',
    executionProvider: registry.executionProvider,
    versions,
    models: registry.list().map(({ entry, session }) => ({
      id: entry.id,
      task: entry.task,
      file: entry.file,
      sha256: entry.sha256,
      bytes: entry.bytes,
      source: { package: entry.source.package, version: entry.source.version, license: entry.source.license },
      inputs: entry.inputs.map((i) => ({ name: i.name, shape: i.shape })),
      outputs: entry.outputs.map((o) => ({ name: o.name, shape: o.shape })),
      executionProvider: session.executionProvider,
    })),
  };
}
