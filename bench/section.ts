import { writeFileSync } from 'node:fs';
import type { BenchResult } from './bench-result';
import { SECTIONS, type SectionName } from './sections';

/**
 * Child-process entry of one benchmark section (bench/section-process.ts starts it):
 * `node --import tsx bench/section.ts <section> <result.json>`. Writes the section's result as JSON.
 * Sections are imported on demand, so one section's modules (aws-cdk-lib, which the bundle and profiler sections load
 * for the stack's esbuild options) do not weigh on another's figures. The profiler's ticks run in children of their
 * own, from a bundle (bench/profiler-tick-main.ts).
 */

const RUNNERS: Readonly<Record<SectionName, () => Promise<BenchResult>>> = {
  notice: async () => (await import('./notice-bench')).runNoticeBench(),
  storm: async () => (await import('./storm-bench')).runStormBench(),
  profiler: async () => (await import('./profiler-bench')).runProfilerBench(),
  bundle: async () => (await import('./bundle-bench')).runBundleBench(),
  model: async () => {
    const inference = await (await import('./model-bench')).runModelBench();
    const retraining = await (await import('./retraining-bench')).runRetrainingBench();
    return { figures: [...inference.figures, ...retraining.figures], notes: [...inference.notes, ...retraining.notes] };
  },
  simulation: async () => (await import('./simulation-bench')).runSimulationBench(),
};

const run = async (section: string): Promise<unknown> => {
  const runner = (RUNNERS as Record<string, (() => Promise<BenchResult>) | undefined>)[section];
  if (runner === undefined) throw new RangeError(`unknown benchmark section ${JSON.stringify(section)} (expected one of ${SECTIONS.join(', ')})`);
  return runner();
};

const [section, out] = process.argv.slice(2);
if (section === undefined || out === undefined) {
  process.stderr.write('usage: node --import tsx bench/section.ts <section> <result.json>\n');
  process.exit(2);
}
const result = await run(section);
writeFileSync(out, JSON.stringify(result));
// Handles left open by SDK clients or tfjs must not keep the section alive once its result is written.
process.exit(0);
