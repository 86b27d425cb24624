import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // client-internals.ts builds a require from import.meta.url: the CJS build needs the shim.
  shims: true,
});
