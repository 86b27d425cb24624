import { defineConfig } from 'tsup';

// tsup compiles with swc when the tsconfig asks for `emitDecoratorMetadata` (esbuild cannot emit
// it). The library does not rely on emitted metadata: every constructor parameter has an explicit
// `@Inject` token, so the output works however it is transpiled.
export default defineConfig({
  entry: { index: 'src/index.ts', terminus: 'src/terminus/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
