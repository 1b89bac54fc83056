import { prepareSimulation, type PreparedSimulation, type SimulationOptions } from '../prepare-simulation';
import { runStrategy, type StrategyRun } from '../run-strategy';
import { summarizeRun, type StrategySummary } from '../report/summarize';
import { createStrategy } from '../strategies/create-strategy';
import { defaultKnob } from '../strategies/knob-grid';
import { isKnobStrategy, type StrategyName } from '../strategies/strategy-names';

/** What every run of one command shares: the simulation options but the seed. Plain data (it crosses to worker threads). */
export type RunSettings = Omit<SimulationOptions, 'seed'>;

/** One strategy on one seed (at one knob value, for the knob strategies). */
export interface SimJob {
  /** Position in the command's job list: results are put back in this order, whatever worker ran them. */
  readonly index: number;
  readonly seed: number;
  readonly strategy: StrategyName;
  /** The knob value; absent for a knob strategy: its default for the seed's fleet (knob-grid.ts). */
  readonly knob?: number;
  /** The seed's comparison run of this strategy (its default knob), rather than a point of a knob sweep only. */
  readonly comparison: boolean;
  /** Keep the whole run (timeline, episodes) for the report's charts, not only its summary. */
  readonly keepRun: boolean;
}

export interface JobResult {
  readonly index: number;
  readonly seed: number;
  readonly strategy: StrategyName;
  /** The knob value the run used (knob strategies only). */
  readonly knob?: number;
  /** The summary, with `knob` added for knob strategies. */
  readonly summary: StrategySummary;
  readonly run?: StrategyRun;
  /** Wall-clock milliseconds of the run (measured, reported, never asserted; not part of any result). */
  readonly elapsedMs: number;
}

/** The end of a run's simulated period (epoch ms). */
export const runEndAt = (setup: PreparedSimulation): number => setup.sample.startAt + Math.round(setup.hours * 3_600_000);

/** Setups a runner keeps: jobs come seed by seed, so a few cover the seeds in flight without holding all of them. */
export const KEPT_SETUPS = 3;

/**
 * Runs jobs against prepared setups, preparing a seed once and keeping the `KEPT_SETUPS` most recently used
 * (preparing is deterministic, so a setup prepared again, or by another worker, is the same).
 */
export const createJobRunner = (settings: RunSettings, wallClock: () => number = () => performance.now()) => {
  const setups = new Map<number, PreparedSimulation>();
  const setupFor = (seed: number): PreparedSimulation => {
    let setup = setups.get(seed);
    if (setup === undefined) {
      setup = prepareSimulation({ ...settings, seed });
      if (setups.size >= KEPT_SETUPS) setups.delete(setups.keys().next().value as number);
    } else {
      setups.delete(seed);
    }
    setups.set(seed, setup);
    return setup;
  };
  return {
    setupFor,
    run: async (job: SimJob, onProgress?: (fraction: number) => void): Promise<JobResult> => {
      const setup = setupFor(job.seed);
      const knob = isKnobStrategy(job.strategy) ? (job.knob ?? defaultKnob(job.strategy, setup)) : undefined;
      const started = wallClock();
      const run = await runStrategy(setup, createStrategy(job.strategy, setup, knob), onProgress);
      const elapsedMs = wallClock() - started;
      const summary = summarizeRun(run, runEndAt(setup));
      return {
        index: job.index,
        seed: job.seed,
        strategy: job.strategy,
        summary: knob === undefined ? summary : ({ ...summary, knob } as StrategySummary),
        elapsedMs,
        ...(knob !== undefined ? { knob } : {}),
        ...(job.keepRun ? { run } : {}),
      };
    },
  };
};
export type JobRunner = ReturnType<typeof createJobRunner>;
