import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Peer dependencies: the user's copies are used, never bundled.
  external: ['@ringcache/core', 'ioredis'],
});
