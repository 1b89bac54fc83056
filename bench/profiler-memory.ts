import { CloudWatchMetricsReader } from '../lambda/adapters/cloudwatch-metrics-reader';
import { DynamoDbStateStore } from '../lambda/adapters/dynamodb-state-store';
import { TfjsPredictor } from '../lambda/adapters/tfjs-predictor';
import { measureProfilerTicks } from './profiler-tick';

/**
 * Where the profiler tick's memory goes: the same ticks as the profiler benchmark (bench/profiler-tick.ts),
 * with the live heap (after a full GC) printed before and after each port operation of the tick. Not part of
 * `npm run bench` (the GCs cost seconds each); run it by hand:
 *
 *   node --expose-gc --max-old-space-size=1024 --import tsx bench/profiler-memory.ts 10000
 *
 * The growth across an operation is what the tick holds from it (decoded profiles, the metric window read,
 * forecasts); the live heap between ticks is the benchmark's own world (fleet, fakes, stand-in table) plus
 * the loaded modules and model.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('usage: node --expose-gc --max-old-space-size=1024 --import tsx bench/profiler-memory.ts <instances>\n');
  process.exit(2);
}
const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
const live = (): number => {
  gc();
  return mib(process.memoryUsage().heapUsed);
};

type Method = (...args: unknown[]) => Promise<unknown>;
const watch = (proto: object, names: readonly string[], label: string): void => {
  for (const name of names) {
    const target = proto as Record<string, Method>;
    const original = target[name];
    if (original === undefined) throw new Error(`profiler-memory: ${label} has no method ${name}`);
    target[name] = async function (this: unknown, ...args: unknown[]) {
      const before = live();
      const result = await original.apply(this, args);
      console.log(`${label}.${name}: live heap ${before} -> ${live()} MiB (RSS ${mib(process.memoryUsage().rss)} MiB)`);
      return result;
    };
  }
};

watch(DynamoDbStateStore.prototype, ['getProfiles', 'putProfiles', 'getForecasts', 'putForecasts'], 'dynamodb');
watch(CloudWatchMetricsReader.prototype, ['read'], 'cloudwatch');
watch(TfjsPredictor.prototype, ['predict'], 'tfjs');

const size = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(size) || size < 1) throw new RangeError(`profiler-memory: instances must be a positive integer (got ${process.argv[2]})`);
console.log(`before set-up: live heap ${live()} MiB`);
const m = await measureProfilerTicks(size);
console.log(
  `after the ticks: live heap ${live()} MiB; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB; first tick ${(m.firstTickMs / 1000).toFixed(1)} s (times inflated by the GCs)`,
);
process.exit(0);
