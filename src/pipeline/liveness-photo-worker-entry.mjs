// Entry of the liveness photo thread (src/pipeline/liveness-photo-thread.ts) when running from source. Plain
// JavaScript because a worker does not inherit the parent's module loader hooks (tsx, vitest): tsx's ESM API is
// registered here so that the TypeScript module below loads the same way under tsx, the tests and the bench.
import { register } from 'tsx/esm/api';

register();
await import('./liveness-photo-worker.ts');
