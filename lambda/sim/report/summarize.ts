import type { Episode } from '../engine/sim-types';
import type { StrategyRun } from '../run-strategy';
import type { ForecastChecks } from './forecast-checks';

/** A strategy's cost, itemised: instances by kind, then its own software's AWS bill. */
export interface CostBreakdown {
  readonly spotInstances: number;
  readonly onDemandInstances: number;
  readonly stoppedStorage: number;
  readonly lambda: number;
  readonly dynamodb: number;
  readonly eventbridge: number;
  readonly scheduler: number;
  readonly cloudwatchReads: number;
  readonly agentMetrics: number;
  readonly agentRequests: number;
  /** EC2 detailed monitoring (1-minute EC2 metrics), for the strategies whose profile reads them. */
  readonly detailedMonitoring: number;
  /** The strategy's own custom metrics, dashboards and alarms (spotwise's stack; a handler's alarms). */
  readonly ownMetrics: number;
  readonly dashboards: number;
  readonly alarms: number;
}

/**
 * Where a strategy's unserved demand came from, vCPU·min by the episode that caused it: a Spot interruption (a
 * warning, a reclaim, or a move ahead of a reclaim that came), a voluntary disruption (a priority request's victim,
 * a standby member returned while it served), or a move nobody forced (the application taking its load home from
 * standby capacity, or off an instance that was then not reclaimed: every cut-over is a restart, surge included).
 * The three add up to `unservedVcpuMinutes` less `steadyUnservedVcpuMinutes`, to rounding.
 */
export interface UnservedByCause {
  readonly spot: number;
  readonly voluntary: number;
  readonly move: number;
}

/**
 * What the report says per strategy (the `--json` contract: every key below keeps its name; extra
 * strategy-specific counters may follow).
 */
export interface StrategySummary {
  readonly unservedVcpuMinutes: number;
  readonly unservedGibMinutes: number;
  /** Served ÷ demanded vCPU·min over the run (0..1). */
  readonly availability: number;
  /** Instances plus the strategy's own AWS bill, USD. */
  readonly cost: number;
  readonly costBreakdown: CostBreakdown;
  /**
   * `costBreakdown.onDemandInstances` by instance type, USD to 0.01 ¢: every type of the world's catalog, 0 where none ran
   * On-Demand. Which shapes a strategy's standby and warm capacity cost it.
   */
  readonly onDemandCostByType: Readonly<Record<string, number>>;
  /**
   * `costBreakdown.spotInstances` by instance type (USD to 0.01 ¢), and the Spot instance-hours by type (to 0.001 h):
   * every type of the catalog, 0 where none ran on Spot. Equal hours with a different bill is a different pool mix.
   */
  readonly spotCostByType: Readonly<Record<string, number>>;
  readonly spotHoursByType: Readonly<Record<string, number>>;
  readonly unservedByCause: UnservedByCause;
  /** The same fleet's home instances all On-Demand for the whole run (no interruptions, no standby). */
  readonly onDemandCost: number;
  /** 1 − cost ÷ onDemandCost. */
  readonly savingsVsOnDemand: number;
  readonly interruptions: number;
  readonly budgetViolations: number;
  readonly overCommits: number;
  /** Calls the simulated cloud refused (a state not reached, a bound exceeded, ...). */
  readonly failedActions: number;
  readonly healthCheckReplacements: number;
  readonly staleCapacityWrites: number;
  readonly idleStandbyInstanceHours: number;
  readonly standbyInstanceHours: number;
  readonly recoveryP50Seconds: number;
  readonly recoveryP95Seconds: number;
  readonly voluntaryInterruptions: number;
  readonly requestsAdmitted: number;
  readonly requestsDeferred: number;
  readonly requestsUnserved: number;
  readonly rebalanceRecommendations: number;
  /** Of those, the ones EventBridge did not deliver to the strategy (--lost-recommendations). */
  readonly lostRecommendations: number;
  readonly coldLaunches: number;
  readonly warmStarts: number;
  readonly throttledCalls: number;
  readonly demandVcpuMinutes: number;
  /** Unserved demand outside any episode (should be ~0: every shortfall has an interruption behind it). */
  readonly steadyUnservedVcpuMinutes: number;
  readonly deliveryFailures: number;
  /** Instances an interruptible Capacity Reservation's owner reclaimed while they still ran (`--capacity-reservation-reclaims`). */
  readonly capacityReservationReclaims: number;
  /** Instances EC2 stopped at a scheduled change's start because nothing had replaced them (`--scheduled-maintenance`). */
  readonly maintenanceStops: number;
  /** spotwise's p90 forecasts at each interruption against the simulated post-restart peak (forecasting strategies only). */
  readonly forecastChecks?: ForecastChecks;
  /** Strategy-specific counters (spotwise: handler invocations, failures, reservations made/refused, ...). */
  readonly [extra: string]: number | CostBreakdown | Readonly<Record<string, number>> | UnservedByCause | ForecastChecks | undefined;
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
 * terminated, or the workload cut over ahead of that) to the end of the last unserved minute the episode
 * caused — 0 when it caused none. An episode still short when the run ends counts to the end (censored, so
 * a strategy cannot look better by never recovering).
 */
export const recoverySeconds = (e: Episode, endAt: number): number => {
  if (e.lastUnservedEnd === undefined) return 0;
  const last = e.end === undefined && e.lastUnservedEnd >= endAt ? endAt : e.lastUnservedEnd;
  return Math.max(0, last - e.start) / 1000;
};

/** Episodes caused by an interruption (Spot or voluntary), not planned moves. */
export const interruptionEpisodes = (run: StrategyRun): Episode[] => run.episodes.filter((e) => e.kind === 'spot' || e.kind === 'voluntary');

const round = (x: number, digits: number): number => {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
};

/** Every value of a by-type record rounded to `digits` (the keys kept, zeros too). */
const roundEach = (byType: Readonly<Record<string, number>>, digits: number): Record<string, number> =>
  Object.fromEntries(Object.entries(byType).map(([type, value]) => [type, round(value, digits)]));

export const summarizeRun = (run: StrategyRun, endAt: number): StrategySummary => {
  const recoveries = interruptionEpisodes(run).map((e) => recoverySeconds(e, endAt));
  const t = run.totals;
  const sw = run.software;
  const costBreakdown: CostBreakdown = {
    spotInstances: round(t.spotCostUsd, 2),
    onDemandInstances: round(t.onDemandCostUsd, 2),
    stoppedStorage: round(t.storageCostUsd, 2),
    lambda: round(sw.lambda, 4),
    dynamodb: round(sw.dynamodb, 4),
    eventbridge: round(sw.eventbridge, 4),
    scheduler: round(sw.scheduler, 4),
    cloudwatchReads: round(sw.cloudwatchReads, 4),
    agentMetrics: round(sw.agentMetrics, 4),
    agentRequests: round(sw.agentRequests, 4),
    detailedMonitoring: round(sw.detailedMonitoring, 4),
    ownMetrics: round(sw.ownMetrics, 4),
    dashboards: round(sw.dashboards, 4),
    alarms: round(sw.alarms, 4),
  };
  const cost = t.costUsd + sw.total;
  const byCause: Record<keyof UnservedByCause, number> = { spot: 0, voluntary: 0, move: 0 };
  for (const e of run.episodes) byCause[e.kind] += e.unservedVcpuMinutes;
  return {
    unservedVcpuMinutes: round(t.unservedVcpuMinutes, 2),
    unservedGibMinutes: round(t.unservedGibMinutes, 2),
    availability: t.demandVcpuMinutes > 0 ? round(t.servedVcpuMinutes / t.demandVcpuMinutes, 6) : 1,
    cost: round(cost, 2),
    costBreakdown,
    onDemandCostByType: roundEach(t.onDemandCostByType, 4),
    spotCostByType: roundEach(t.spotCostByType, 4),
    spotHoursByType: roundEach(t.spotHoursByType, 3),
    unservedByCause: { spot: round(byCause.spot, 2), voluntary: round(byCause.voluntary, 2), move: round(byCause.move, 2) },
    onDemandCost: round(t.allOnDemandCostUsd, 2),
    savingsVsOnDemand: t.allOnDemandCostUsd > 0 ? round(1 - cost / t.allOnDemandCostUsd, 4) : 0,
    interruptions: t.spotInterruptions,
    budgetViolations: t.budgetViolations,
    overCommits: t.overCommits,
    failedActions: t.failedActions,
    healthCheckReplacements: t.healthCheckReplacements,
    staleCapacityWrites: t.staleCapacityWrites,
    idleStandbyInstanceHours: round(t.idleStandbyInstanceHours, 2),
    standbyInstanceHours: round(t.standbyInstanceHours, 2),
    recoveryP50Seconds: round(percentile(recoveries, 0.5), 1),
    recoveryP95Seconds: round(percentile(recoveries, 0.95), 1),
    voluntaryInterruptions: t.voluntaryInterruptions,
    requestsAdmitted: run.requests.requestsAdmitted,
    requestsDeferred: run.requests.requestsDeferred,
    requestsUnserved: run.requests.requestsUnserved,
    rebalanceRecommendations: t.rebalanceRecommendations,
    lostRecommendations: t.lostRecommendations,
    coldLaunches: t.coldLaunches,
    warmStarts: t.warmStarts,
    throttledCalls: run.throttledCalls,
    demandVcpuMinutes: round(t.demandVcpuMinutes, 1),
    steadyUnservedVcpuMinutes: round(t.steadyUnservedVcpuMinutes, 2),
    deliveryFailures: t.deliveryFailures,
    capacityReservationReclaims: t.capacityReservationReclaims,
    maintenanceStops: t.maintenanceStops,
    ...(run.forecastChecks !== undefined ? { forecastChecks: run.forecastChecks } : {}),
    ...run.extra,
  };
};
