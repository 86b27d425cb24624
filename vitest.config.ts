import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

// Packages resolve each other's `src/` through this export condition, so tests need no build.
const conditions = ['@ringcache/source', 'import', 'node', 'default'];
// NestJS code needs decorator metadata, which Vite's own transform cannot emit: it runs in its
// own project, compiled by swc with each file's nearest tsconfig.
const nestjs = ['packages/nestjs/**/*.test.ts', 'apps/sample/**/*.test.ts'];
const nestjsConditions = ['@ringcache/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...nestjs],
          // Type tests (`*.test-d.ts`, under a package's src/ or test/) are not run here: every
          // package's tsconfig includes src and test, so `npm run typecheck` (tsc) checks them.
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, '**/test/faults/**', ...nestjs],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Not `extends: true`: vitest hands the SSR conditions to Node as --conditions, and the
        // root's 'import' would make require() in CommonJS dependencies (express's router) load
        // their ESM builds.
        plugins: [swc.vite()],
        resolve: { conditions: nestjsConditions },
        ssr: { resolve: { conditions: nestjsConditions, externalConditions: ['@ringcache/source'] } },
        test: {
          name: 'nestjs',
          include: nestjs,
          exclude: [...configDefaults.exclude, '**/test/faults/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Fault suites kill and stop engines: one file at a time, on disposable engines.
        extends: true,
        test: {
          name: 'faults',
          include: [
            'packages/*/test/faults/**/*.test.ts',
            'apps/*/test/faults/**/*.test.ts',
            'scripts/test/faults/**/*.test.ts',
          ],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Issue 12's fault, bad-input and security suite (test/chaos, no package): disposable
        // engines, one file at a time; --expose-gc for the heap checks; CHAOS_LONG=1 for long forms.
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          fileParallelism: false,
          execArgv: ['--expose-gc'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
