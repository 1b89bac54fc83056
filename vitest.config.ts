import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that need a fresh module graph of their own: the storm suite replaces modules with vi.mock (a mock
 * registered in a shared worker would stay for the files after it), and default-deps imports the handlers without an
 * AWS environment to see their first invocation fail (a handler another file already invoked has built its
 * dependencies). Every other file shares its worker's module cache with the files before it (`isolate: false`): the
 * AWS SDK, aws-cdk-lib and tfjs load once per worker instead of once per file, which took vitest from 511 s to 373 s
 * in CI on 2 cores (README "Tests"). What that asks of a test file: restore what it patches (aws-sdk-client-mock's
 * `mockClient` in an `afterAll`, spies with `mockRestore`, `process.env` put back), which vitest checks no more than
 * this comment does — a leak shows as a failure in a later file of the same worker.
 */
const ISOLATED = ['test/reliability/storm.test.ts', 'test/handlers/default-deps.test.ts'];

/**
 * One worker per core, at least two. vitest's default leaves a core to its main process (one worker on a 2-core
 * machine), which idles while the files run; many files wait on child processes (the CLI, the moto emulator) rather
 * than compute. On this 2-core machine the whole suite took 454 s with the default and 296 s with two workers
 * (`npx vitest run --maxWorkers=2`, all 3,250 tests passed).
 */
const WORKERS = Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: WORKERS,
    setupFiles: ['test/fast-check-seed.ts'],
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ISOLATED], isolate: false } },
    ],
  },
});
