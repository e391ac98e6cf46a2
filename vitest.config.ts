import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    // Real models on 2 cores: parity tests load tfjs-wasm and ONNX Runtime side by side.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One file at a time: each parity file holds a tfjs-wasm runtime and several ORT sessions.
    fileParallelism: false,
  },
});
