import type { Episode } from '../engine/sim-world';
import type { StrategyRun } from '../run-strategy';

/** What the report says per strategy; the first eight keys are the JSON contract. */
export interface StrategySummary {
  readonly interruptions: number;
  readonly unservedVcpuMinutes: number;
  readonly unservedGibMinutes: number;
  readonly recoveryP50Seconds: number;
  readonly recoveryP95Seconds: number;
  readonly cost: number;
  readonly budgetViolations: number;
  readonly overCommits: number;
  readonly voluntaryInterruptions: number;
  readonly requestsAdmitted: number;
  readonly requestsDeferred: number;
  readonly rebalanceRecommendations: number;
  readonly coldLaunches: number;
  readonly warmStarts: number;
  readonly throttledCalls: number;
  readonly demandVcpuMinutes: number;
  /** Strategy-specific counters (spotwise: handler invocations, failures, reservations made/refused, ...). */
  readonly [extra: string]: number;
}

/** Nearest-rank percentile (the value at rank ⌈q·n⌉), 0 for no data. */
export const percentile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? 0;
};

/**
 * Recovery time of an interruption: from the moment its workload was hit (the instance reclaimed or
 * terminated, or the workload moved off it ahead of that) until the workload was fully served again for a
 * whole minute. An interruption still not recovered when the run ends counts with the time it had so far
 * (censored, so a strategy cannot look better by never recovering).
 */
export const recoverySeconds = (e: Episode, endAt: number): number => ((e.end ?? endAt) - e.start) / 1000;

/** Episodes caused by an interruption (Spot or voluntary), not planned moves. */
export const interruptionEpisodes = (run: StrategyRun): Episode[] => run.episodes.filter((e) => e.kind === 'spot' || e.kind === 'voluntary');

const round = (x: number, digits: number): number => {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
};

export const summarizeRun = (run: StrategyRun, endAt: number): StrategySummary => {
  const recoveries = interruptionEpisodes(run).map((e) => recoverySeconds(e, endAt));
  return {
    interruptions: run.totals.spotInterruptions,
    unservedVcpuMinutes: round(run.totals.unservedVcpuMinutes, 2),
    unservedGibMinutes: round(run.totals.unservedGibMinutes, 2),
    recoveryP50Seconds: round(percentile(recoveries, 0.5), 1),
    recoveryP95Seconds: round(percentile(recoveries, 0.95), 1),
    cost: round(run.totals.costUsd, 2),
    budgetViolations: run.totals.budgetViolations,
    overCommits: run.totals.overCommits,
    voluntaryInterruptions: run.totals.voluntaryInterruptions,
    requestsAdmitted: run.requests.requestsAdmitted,
    requestsDeferred: run.requests.requestsDeferred,
    rebalanceRecommendations: run.totals.rebalanceRecommendations,
    coldLaunches: run.totals.coldLaunches,
    warmStarts: run.totals.warmStarts,
    throttledCalls: run.throttledCalls,
    demandVcpuMinutes: round(run.totals.demandVcpuMinutes, 1),
    ...run.extra,
  };
};

export interface Comparison {
  /** spotwise's unserved vCPU-minutes as a share of reactive's (target ≤ 0.10). */
  readonly unservedRatio: number;
  /** spotwise's cost relative to reactive's, minus 1 (target ≤ +0.10). */
  readonly costIncrease: number;
  readonly meetsUnservedTarget: boolean;
  readonly meetsCostTarget: boolean;
}

export const UNSERVED_TARGET = 0.1;
export const COST_TARGET = 0.1;

/** The target, measured: spotwise vs reactive on the same seed. Undefined unless both ran. */
export const compareWithReactive = (strategies: Readonly<Record<string, StrategySummary>>): Comparison | undefined => {
  const s = strategies.spotwise;
  const r = strategies.reactive;
  if (s === undefined || r === undefined) return undefined;
  const unservedRatio = r.unservedVcpuMinutes > 0 ? s.unservedVcpuMinutes / r.unservedVcpuMinutes : s.unservedVcpuMinutes > 0 ? Infinity : 0;
  const costIncrease = r.cost > 0 ? s.cost / r.cost - 1 : 0;
  return { unservedRatio, costIncrease, meetsUnservedTarget: unservedRatio <= UNSERVED_TARGET, meetsCostTarget: costIncrease <= COST_TARGET };
};
