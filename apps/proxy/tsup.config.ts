import { defineConfig } from 'tsup';

// Two entries: the library (`startProxy`, config loading) and the command line, which
// bin/ringcache-proxy.js imports. ESM only: a server and its CLI have no CommonJS consumers.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
