// Entry of the inference thread (src/inference/inference-thread.ts). Plain JavaScript because a worker does
// not inherit the parent's module loader hooks (tsx, vitest): tsx's ESM API is registered here so that the
// TypeScript module below loads the same way under `tsx src/main.ts`, the tests and the bench.
import { register } from 'tsx/esm/api';

register();
await import('./inference-worker.ts');
