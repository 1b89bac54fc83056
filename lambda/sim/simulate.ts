import { prepareSimulation, type PreparedSimulation, type SimulationOptions } from './prepare-simulation';
import { runStrategy, type StrategyRun } from './run-strategy';
import { compareWithReactive, summarizeRun, type Comparison, type StrategySummary } from './report/summarize';
import { createStrategy, STRATEGY_NAMES, type StrategyName } from './strategies/create-strategy';

export interface SimulationResult {
  readonly seed: number;
  readonly hours: number;
  readonly instances: number;
  readonly setup: PreparedSimulation;
  readonly runs: readonly StrategyRun[];
  readonly strategies: Readonly<Record<string, StrategySummary>>;
  readonly comparison?: Comparison;
  /** Wall-clock milliseconds per strategy (measured, reported, never asserted). */
  readonly elapsedMs: Readonly<Record<string, number>>;
}

export interface RunSimulationOptions extends SimulationOptions {
  readonly strategies?: readonly StrategyName[];
  /** Called with (strategy, fraction done) as runs progress. */
  readonly onProgress?: (strategy: string, fraction: number) => void;
  /** Wall clock for the elapsed figures (the CLI passes performance.now; tests may omit it). */
  readonly wallClock?: () => number;
}

/**
 * Runs every requested strategy on the same prepared setup (same fleet, same series, same bursts and
 * requests), one after another, and summarises them.
 */
export const runSimulation = async (opts: RunSimulationOptions): Promise<SimulationResult> => {
  const setup = prepareSimulation(opts);
  const names = opts.strategies ?? STRATEGY_NAMES;
  const runs: StrategyRun[] = [];
  const elapsedMs: Record<string, number> = {};
  for (const name of names) {
    const started = opts.wallClock?.() ?? 0;
    const run = await runStrategy(setup, createStrategy(name, setup), (f) => opts.onProgress?.(name, f));
    elapsedMs[name] = (opts.wallClock?.() ?? 0) - started;
    runs.push(run);
  }
  const endAt = setup.sample.startAt + Math.round(setup.hours * 3_600_000);
  const strategies = Object.fromEntries(runs.map((r) => [r.name, summarizeRun(r, endAt)]));
  const comparison = compareWithReactive(strategies);
  return { seed: opts.seed, hours: opts.hours, instances: opts.instances, setup, runs, strategies, ...(comparison ? { comparison } : {}), elapsedMs };
};

/** The `--json` document: exactly the shape, with extra keys only inside each strategy object. */
export const toJsonReport = (result: SimulationResult): { strategies: Record<string, StrategySummary>; seed: number } => ({
  strategies: { ...result.strategies },
  seed: result.seed,
});
