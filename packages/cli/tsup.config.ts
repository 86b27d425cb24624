import { defineConfig } from 'tsup';

// One entry, imported by bin/ringcache.js, which exports `run` and `main` for in-process use
// too: ESM and CommonJS, like every package of the project, so a CommonJS tool can
// `require('@ringcache/cli')` and call `run(argv, io)`.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
