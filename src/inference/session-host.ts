/**
 * Where model sessions live: on the main thread (ORT's `run` in onnxruntime-node 1.29 is synchronous: its
 * backend.js wraps the native call in a setImmediate, so every model run blocks the event loop), or on a
 * dedicated inference thread (src/inference/inference-thread.ts), which leaves the main thread to HTTP,
 * decoding and pre-/post-processing while models run. See bench/RESULTS.md "Where the time goes (issue #8)".
 */
import { ModelSession, type SessionOptions } from './session.js';

/** A loaded model as the registry and /health see it, wherever it runs. */
export type LoadedSession = Pick<ModelSession, 'label' | 'inputs' | 'outputs' | 'run' | 'release' | 'executionProvider' | 'placement' | 'placementProblem'>;

/** `main`: sessions run on the event loop's thread; `worker`: on one inference thread. */
export type InferenceThreadMode = 'main' | 'worker';

export interface SessionHost {
  readonly mode: InferenceThreadMode;
  /** Loads a model from its bytes; `label` names it in every error. */
  create(label: string, model: Uint8Array, options: SessionOptions): Promise<LoadedSession>;
  /** Stops the host (the thread, if any) after its sessions are released. */
  close(): Promise<void>;
}

/** Sessions on the calling thread: what every test and bench that loads a registry without a host gets. */
export const MAIN_THREAD_HOST: SessionHost = Object.freeze({
  mode: 'main' as const,
  create: (label: string, model: Uint8Array, options: SessionOptions) => ModelSession.create(label, model, options),
  close: async () => {},
});
