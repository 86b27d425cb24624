import { defineConfig } from 'tsup';

// One entry, imported by bin/ringcache.js, which exports `run` for in-process use too. ESM only,
// since a command line tool has no CommonJS consumers.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
