import { writeFileSync } from 'node:fs';
import { measureProfilerTicks } from './profiler-tick';

/**
 * Entry of the profiler benchmark's child process (bench/profiler-bench.ts bundles it with esbuild as the stack
 * bundles the profiler function, then runs the bundle): `node <bundle> <instances> <result.json>`. Writes the
 * ticks' measurement and the process's peak RSS as JSON.
 */
const [instances, out] = process.argv.slice(2);
const size = Number(instances);
if (out === undefined || !Number.isInteger(size) || size < 1) {
  process.stderr.write(`usage: node <profiler-tick bundle> <instances> <result.json> (got ${JSON.stringify(process.argv.slice(2))})\n`);
  process.exit(2);
}
const m = await measureProfilerTicks(size);
// maxRSS is in kilobytes (getrusage); it is the process's peak, set-up included.
writeFileSync(out, JSON.stringify({ ...m, maxRssMiB: process.resourceUsage().maxRSS / 1024, pinnedToOneCore: process.env.SPOTWISE_BENCH_PINNED === '1' }));
// Handles left open by SDK clients or tfjs must not keep the child alive once its result is written.
process.exit(0);
