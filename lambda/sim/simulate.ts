import { compareWithAblation, type AblationComparison } from './runs/paired-difference';
import { prepareSimulation, type PreparedSimulation } from './prepare-simulation';
import type { StrategyRun } from './run-strategy';
import type { StrategySummary } from './report/summarize';
import { summarizeSeeds, type SeedSummary } from './runs/aggregate-seeds';
import { compareWithBestBaseline, SPOTWISE_STRATEGIES, type BaselineComparison } from './runs/compare-baselines';
import { compareWithFrontiers, type FrontierComparison, type FrontierPoint } from './runs/frontier';
import type { JobResult, RunSettings, SimJob } from './runs/run-job';
import { runJobs } from './runs/worker-pool';
import { defaultKnob, knobGrid } from './strategies/knob-grid';
import { isKnobStrategy, STRATEGY_NAMES, type KnobStrategyName, type StrategyName } from './strategies/strategy-names';

export interface RunSimulationOptions extends RunSettings {
  /** The seeds to run, each a full comparison. */
  readonly seeds: readonly number[];
  /**
   * One seed given as `--seed` (or none given): the JSON keeps the single-seed shape `{seed, strategies}`.
   * With `--seeds` the shape is `{seeds, runs, summary}` even for one seed.
   */
  readonly singleSeed?: boolean;
  readonly strategies?: readonly StrategyName[];
  /** Run each knob strategy over its knob's grid too, and build the cost–availability frontiers. */
  readonly sweep?: boolean;
  /** Worker threads (see worker-pool.ts); default: the machine's cores. */
  readonly workers?: number;
  /** Called as runs progress: `done` of `total` runs (fractions included). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One seed's comparison: every strategy at its default knob. */
export interface SeedRun {
  readonly seed: number;
  readonly strategies: Readonly<Record<string, StrategySummary>>;
}

/** What one seed's setup was, for the run description. */
export interface SeedSetup {
  readonly seed: number;
  readonly bursts: number;
  readonly requests: number;
}

export interface SimulationResult {
  readonly seeds: readonly number[];
  readonly singleSeed: boolean;
  readonly hours: number;
  readonly instances: number;
  /** The first seed's setup: what the description and the charts show. */
  readonly setup: PreparedSimulation;
  readonly seedSetups: readonly SeedSetup[];
  readonly runs: readonly SeedRun[];
  /** Mean and worst seed per strategy (over every seed; with one seed, that seed). */
  readonly summary: Readonly<Record<string, SeedSummary>>;
  /** The first seed's full runs (timelines, episodes) at the default knobs, for the charts. */
  readonly chartRuns: readonly StrategyRun[];
  /** spotwise and spotwise-naive beside the best baseline, on the means over the seeds. */
  readonly comparisons: readonly BaselineComparison[];
  /** spotwise − spotwise-naive seed by seed (mean and standard error), when both ran on two seeds or more. */
  readonly ablation?: AblationComparison;
  /** With --sweep: per knob strategy, its knob grid's points (means over the seeds), in knob order. */
  readonly frontier?: Readonly<Record<string, readonly FrontierPoint[]>>;
  /** With --sweep: where spotwise and spotwise-naive stand against the frontiers. */
  readonly frontierComparisons?: Readonly<Record<string, FrontierComparison>>;
  /** Wall-clock milliseconds summed over the runs (measured, reported, never asserted). */
  readonly runMs: number;
  readonly jobs: number;
}

/**
 * Strategies that run spotwise's handlers take several times longer than a baseline: within a seed they are
 * handed out first, so the last jobs of a command are short ones and the workers finish together. Seed by
 * seed, so a worker meets few seeds at a time and keeps their setups (run-job.ts).
 */
const LONG_RUNS: ReadonlySet<string> = new Set(SPOTWISE_STRATEGIES);

/**
 * The jobs of a command, seed by seed and long runs first within a seed; each (seed, strategy, knob) once. A knob strategy's comparison
 * run uses its default knob for the seed; with a sweep, the grid's other values are added (the default
 * counts as a point of the frontier when it falls on the grid).
 */
export const planJobs = (
  seeds: readonly number[],
  strategies: readonly StrategyName[],
  defaultKnobOf: (seed: number, strategy: KnobStrategyName) => number,
  grids: Readonly<Partial<Record<KnobStrategyName, readonly number[]>>>,
): SimJob[] => {
  const ordered: Omit<SimJob, 'index'>[] = [];
  for (const seed of seeds) {
    const specs: Omit<SimJob, 'index'>[] = [];
    for (const strategy of strategies) {
      const keepRun = seed === seeds[0];
      if (!isKnobStrategy(strategy)) {
        specs.push({ seed, strategy, comparison: true, keepRun });
        continue;
      }
      const knob = defaultKnobOf(seed, strategy);
      specs.push({ seed, strategy, knob, comparison: true, keepRun });
      for (const k of grids[strategy] ?? []) if (k !== knob) specs.push({ seed, strategy, knob: k, comparison: false, keepRun: false });
    }
    ordered.push(...specs.filter((s) => LONG_RUNS.has(s.strategy)), ...specs.filter((s) => !LONG_RUNS.has(s.strategy)));
  }
  return ordered.map((s, index) => ({ ...s, index }));
};

const num = (m: Readonly<Record<string, unknown>>, key: string): number => {
  const v = m[key];
  return typeof v === 'number' ? v : NaN;
};
const mean = (xs: readonly number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e6) / 1e6;

/** Frontier points: per knob value of the grid, the means over the seeds (the default-knob runs count where they fall on the grid). */
export const buildFrontier = (results: readonly JobResult[], strategy: KnobStrategyName, grid: readonly number[]): FrontierPoint[] =>
  grid.map((knob) => {
    const bySeed = new Map<number, StrategySummary>();
    for (const r of results) if (r.strategy === strategy && r.knob === knob && !bySeed.has(r.seed)) bySeed.set(r.seed, r.summary);
    const points = [...bySeed.values()];
    return {
      knob,
      cost: mean(points.map((p) => num(p, 'cost'))),
      unservedVcpuMinutes: mean(points.map((p) => num(p, 'unservedVcpuMinutes'))),
      availability: mean(points.map((p) => num(p, 'availability'))),
    };
  });

/**
 * Runs every requested strategy on every seed (the same prepared setup per seed: same fleet, series,
 * bursts and requests for every strategy), spread over worker threads, and summarises them: per seed,
 * the mean and the worst seed, and with `sweep` the frontiers of the knob strategies.
 */
export const runSimulation = async (opts: RunSimulationOptions): Promise<SimulationResult> => {
  const { seeds, strategies: chosen, sweep, workers, onProgress, singleSeed, ...settings } = opts;
  if (seeds.length === 0) throw new RangeError('runSimulation needs at least one seed');
  const names = chosen ?? STRATEGY_NAMES;
  // Each seed's setup is prepared here too, for the description, the default knobs and the knob grids (a grid
  // may depend on the seed's fleet: the union over the seeds, so every seed runs every knob value and the means
  // compare). Only the first setup is kept: a hundred seeds' setups would not fit in memory at once.
  const knobNames = names.filter(isKnobStrategy);
  const gridValues = new Map<KnobStrategyName, Set<number>>(knobNames.map((n) => [n, new Set<number>()]));
  const defaults = new Map<string, number>();
  const seedSetups: SeedSetup[] = [];
  let first: PreparedSimulation | undefined;
  for (const seed of seeds) {
    const setup = prepareSimulation({ ...settings, seed });
    first ??= setup;
    seedSetups.push({ seed, bursts: setup.bursts.length, requests: setup.requests.length });
    for (const name of knobNames) {
      defaults.set(`${seed}/${name}`, defaultKnob(name, setup));
      if (sweep === true) for (const k of knobGrid(name, setup)) gridValues.get(name)?.add(k);
    }
  }
  const grids: Partial<Record<KnobStrategyName, number[]>> =
    sweep === true ? Object.fromEntries([...gridValues].map(([n, v]) => [n, [...v].sort((a, b) => a - b)])) : {};
  const jobs = planJobs(seeds, names, (seed, name) => defaults.get(`${seed}/${name}`) as number, grids);
  const results = await runJobs(settings, jobs, { ...(workers !== undefined ? { workers } : {}), ...(onProgress ? { onProgress } : {}) });

  const comparisonRuns = results.filter((r) => jobs[r.index]?.comparison === true);
  const runs: SeedRun[] = seeds.map((seed) => ({
    seed,
    strategies: Object.fromEntries(names.flatMap((n) => comparisonRuns.filter((r) => r.seed === seed && r.strategy === n).map((r) => [n, r.summary]))),
  }));
  const summary = summarizeSeeds(runs);
  const ablation = compareWithAblation(runs);
  const means = Object.fromEntries(Object.entries(summary).map(([n, s]) => [n, s.mean]));
  const frontier =
    sweep === true ? Object.fromEntries(Object.entries(grids).map(([n, grid]) => [n, buildFrontier(results, n as KnobStrategyName, grid)])) : undefined;
  const frontierComparisons =
    frontier === undefined
      ? undefined
      : Object.fromEntries(
          SPOTWISE_STRATEGIES.filter((n) => means[n] !== undefined).map((n) => [
            n,
            compareWithFrontiers({ cost: num(means[n] ?? {}, 'cost'), unservedVcpuMinutes: num(means[n] ?? {}, 'unservedVcpuMinutes') }, frontier),
          ]),
        );
  const setup = first as PreparedSimulation;
  return {
    seeds,
    singleSeed: singleSeed === true && seeds.length === 1,
    hours: setup.hours,
    instances: setup.sample.workloads.length,
    setup,
    seedSetups,
    runs,
    summary,
    chartRuns: names.flatMap((n) =>
      comparisonRuns.filter((r) => r.seed === seeds[0] && r.strategy === n && r.run !== undefined).map((r) => r.run as StrategyRun),
    ),
    comparisons: compareWithBestBaseline(means),
    ...(ablation !== undefined ? { ablation } : {}),
    ...(frontier !== undefined ? { frontier } : {}),
    ...(frontierComparisons !== undefined ? { frontierComparisons } : {}),
    runMs: results.reduce((a, r) => a + r.elapsedMs, 0),
    jobs: jobs.length,
  };
};

/**
 * The `--json` document. One seed given as `--seed` (or the default): `{seed, strategies}`; `--seeds`:
 * `{seeds, runs: [{seed, strategies}], summary: {name: {mean, worst}}}`, and `ablation` (compareWithAblation) when
 * spotwise and spotwise-naive both ran; `--sweep` adds `frontier`.
 * Extra keys only inside each strategy's metrics (`knob`, and the worst seed's `seed`).
 */
export const toJsonReport = (result: SimulationResult): Record<string, unknown> => {
  const frontier = result.frontier !== undefined ? { frontier: result.frontier } : {};
  if (result.singleSeed) {
    const run = result.runs[0] as SeedRun;
    return { seed: run.seed, strategies: { ...run.strategies }, ...frontier };
  }
  return {
    seeds: [...result.seeds],
    runs: result.runs.map((r) => ({ seed: r.seed, strategies: { ...r.strategies } })),
    summary: result.summary,
    ...(result.ablation !== undefined ? { ablation: result.ablation } : {}),
    ...frontier,
  };
};
