import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { PROJECT_ROOT } from '../lib/project-root';
import { functionBuildOptions } from './bundle-bench';

/** Where the profiler benchmark's child bundle goes (out/ is not committed). */
export const PROFILER_TICK_BUNDLE = join(PROJECT_ROOT, 'out', 'bench', 'profiler-tick', 'index.mjs');

/**
 * The project's modules that find files from their own URL (lib/project-root.ts, lambda/sim/bundled-data.ts: the
 * model artifact, the Spot Advisor slice and the price table the benchmark's fleet reads) keep their source's URL in
 * the bundle, so they find the same files from out/bench. Dependencies are left as they are.
 */
const ownUrlKept: Plugin = {
  name: 'own-url-kept',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/**
 * Bundles bench/profiler-tick-main.ts (the real profiler handler with the benchmark's synthetic CloudWatch and
 * in-memory fakes) with the options the stack bundles the profiler function with (lib/spotwise-function.ts
 * baseBundling: ESM, minified, source maps, the runtime's target, the AWS SDK left to the layer — here resolved from
 * the project's node_modules). Returns the bundle's path.
 */
export const bundleProfilerTick = async (outfile = PROFILER_TICK_BUNDLE): Promise<string> => {
  await build({
    ...functionBuildOptions('profiler'),
    entryPoints: [join(PROJECT_ROOT, 'bench', 'profiler-tick-main.ts')],
    outfile,
    plugins: [ownUrlKept],
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  return outfile;
};
