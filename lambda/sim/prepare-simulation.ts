import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SpotwiseConfig } from '../contracts/config';
import { BUNDLED_DATA_DIR, BUNDLED_MODEL_DIR } from './bundled-data';
import type { MonitoringMode, WorldParams } from './engine/sim-types';
import {
  DEFAULT_INTERRUPTION_PARAMS,
  drawPoolBursts,
  mapPoolLabels,
  replayedBursts,
  type InterruptionModelParams,
  type PoolRisk,
  type ReplayedInterruption,
} from './interruption-model';
import { DEFAULT_POST_RESTART_MODEL, drawRestartVariation, learnPostRestartModel, withPeaks, type PostRestartModel } from './post-restart-demand';
import { DEFAULT_REQUEST_PARAMS, drawPriorityRequests, type RequestModelParams } from './priority-requests';
import { randomStream } from '../data/random';
import { checkOtherSignals, DEFAULT_OTHER_SIGNALS, drawOtherSignals, type OtherSignalCounts } from './other-signals';
import { checkTimings, DEFAULT_TIMINGS, type ReplacementTimings } from './replacement-timings';
import type { SimulationSetup } from './run-strategy';
import { buildSampleFleet } from './sample-fleet';
import { advisorEntry } from './spot-advisor';
import { loadTraces, type TraceSeries } from '../data/traces/load-traces';

export interface SimulationOptions {
  readonly seed: number;
  readonly hours: number;
  /** Primary (Spot) instances over both groups. */
  readonly instances: number;
  /** A folder in the layout of ../shared/data; default: the bundled data/. */
  readonly dataDir?: string;
  readonly interruption?: Partial<InterruptionModelParams>;
  readonly requests?: Partial<RequestModelParams>;
  readonly timings?: Partial<ReplacementTimings>;
  readonly stepSeconds?: number;
  readonly checkInvariants?: boolean;
  /** Already loaded traces (tests); default: read dataDir. */
  readonly traces?: readonly TraceSeries[];
  /**
   * The profiler's predictor: 'auto' uses the trained model in models/ when its files are there (else the
   * statistical fallback), 'fallback' always the fallback (quick tests).
   */
  readonly predictor?: 'auto' | 'fallback';
  /** A replayed interruption sequence (`--interruptions FILE`) instead of the drawn bursts. */
  readonly replayedInterruptions?: readonly ReplayedInterruption[];
  /** The user's configuration (`--config FILE`): its groups and policies instead of the built-in fleet (`instances` is then unused). */
  readonly fleetConfig?: SpotwiseConfig;
  /**
   * The simulated workloads' post-restart peaks (`--post-restart-cpu`, `--post-restart-memory`): the first
   * minute's demand multiplier; default the learned or documented model's. spotwise is never told.
   */
  readonly postRestartPeaks?: { readonly cpu?: number; readonly memory?: number };
  /** Capacity Reservation reclaims and AWS Health scheduled changes over the run (default none). */
  readonly otherSignals?: Partial<OtherSignalCounts>;
  /**
   * Mixed priorities within a group (default none): `bestEffortShare` of the primary workloads (drawn from the seed)
   * carry the best-effort priority tag (BEST_EFFORT_PRIORITY) instead of their group policy's, and `targetedShare`
   * of the priority requests name one instance — the group's highest-priority serving member when sent — instead of
   * letting the coordinator choose. Together they are the oversubscribed scenario in which borrowing can matter.
   */
  readonly priorities?: { readonly bestEffortShare?: number; readonly targetedShare?: number };
  /** Each primary pool's budget as a share of the capacity its fleet was sized from (`--pool-budget`, default 1). */
  readonly poolBudget?: number;
  /** How spotwise's instances report their metrics (`--monitoring`; WorldParams.monitoring). Absent: DEFAULT_MONITORING. */
  readonly monitoring?: MonitoringMode;
}

/** The `spotwise:priority` of a best-effort workload (`--best-effort-share`): the policies' `low`. */
export const BEST_EFFORT_PRIORITY = 10;

/** Seconds per simulation step: fine enough for 21-second warm starts and 2-minute warnings. */
export const DEFAULT_STEP_SECONDS = 10;

export interface PreparedSimulation extends SimulationSetup {
  readonly postRestart: PostRestartModel;
  /** The model directory the profiler loads, when the model is used. */
  readonly modelDir?: string;
  readonly dataDir: string;
  readonly seriesUsed: number;
  /** Set when the bursts replay a file: each label and the Spot pool it landed on ("m5.large@us-east-1a"). */
  readonly replayedPools?: Readonly<Record<string, string>>;
}

/**
 * Builds the shared setup of a comparison: the sample fleet (workloads on real series), the post-restart
 * model (learned from late-start series in the data folder when it has at least a few, else the documented
 * defaults), the spot bursts and the priority requests — each drawn from its own seeded stream, so every
 * strategy meets the same events.
 */
export const prepareSimulation = (opts: SimulationOptions): PreparedSimulation => {
  const dataDir = opts.dataDir ?? BUNDLED_DATA_DIR;
  const traces = opts.traces ?? loadTraces(dataDir);
  const postRestart = withPeaks(learnPostRestartModel(traces, 30, DEFAULT_POST_RESTART_MODEL), opts.postRestartPeaks ?? {});
  const interruption: InterruptionModelParams = { ...DEFAULT_INTERRUPTION_PARAMS, ...opts.interruption };
  const requestParams: RequestModelParams = { ...DEFAULT_REQUEST_PARAMS, ...opts.requests };
  const timings = checkTimings({ ...DEFAULT_TIMINGS, ...opts.timings });
  const horizonMinutes = Math.ceil(opts.hours * 60);
  const sample = buildSampleFleet({
    seed: opts.seed,
    dataDir,
    instances: opts.instances,
    horizonMinutes,
    rateScale: interruption.rateScale,
    traces,
    ...(opts.fleetConfig !== undefined ? { config: opts.fleetConfig } : {}),
    ...(opts.poolBudget !== undefined ? { poolBudget: opts.poolBudget } : {}),
  });
  const window = { start: sample.startAt, end: sample.startAt + horizonMinutes * 60_000 };
  // A Spot pool is an instance type in an AZ, whatever group launched into it: groups that share one share its reclaims.
  const pools: PoolRisk[] = [
    ...new Map(
      sample.fleet.groups
        .filter((g) => g.role === 'primary')
        .flatMap((g) =>
          g.spotPools.map(
            (p) =>
              [
                `${p.instanceType}@${p.availabilityZone}`,
                {
                  instanceType: p.instanceType,
                  availabilityZone: p.availabilityZone,
                  monthlyReclaimRate: advisorEntry(sample.advisor, p.instanceType).monthlyReclaimRate,
                },
              ] as const,
          ),
        ),
    ).values(),
  ];
  const replayed = opts.replayedInterruptions;
  const bursts =
    replayed === undefined
      ? drawPoolBursts(pools, window, interruption, randomStream(opts.seed, 'spot-bursts'))
      : replayedBursts(replayed, pools, sample.startAt, randomStream(opts.seed, 'replayed-bursts'));
  const replayedPools =
    replayed === undefined
      ? undefined
      : Object.fromEntries([...mapPoolLabels(replayed, pools)].map(([label, p]) => [label, `${p.instanceType}@${p.availabilityZone}`]));
  const requests = drawPriorityRequests(
    sample.fleet.groups.filter((g) => g.role === 'primary').map((g) => ({ groupId: g.id, maxPriority: g.policy.priority })),
    window,
    requestParams,
    randomStream(opts.seed, 'priority-requests'),
  );
  const bestEffortShare = opts.priorities?.bestEffortShare ?? 0;
  const targetedShare = opts.priorities?.targetedShare ?? 0;
  for (const [name, v] of [
    ['bestEffortShare', bestEffortShare],
    ['targetedShare', targetedShare],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`priorities.${name} must be a share between 0 and 1 (got ${v})`);
  }
  const priorityOf = new Map(sample.fleet.groups.map((g) => [g.id as string, g.policy.priority] as const));
  const priorityRng = randomStream(opts.seed, 'workload-priorities');
  const workloadPriorities =
    bestEffortShare > 0
      ? new Map(
          sample.workloads.map(
            (w) => [w.instanceId as string, priorityRng() < bestEffortShare ? BEST_EFFORT_PRIORITY : (priorityOf.get(w.groupId) ?? 50)] as const,
          ),
        )
      : undefined;
  const targetRng = randomStream(opts.seed, 'targeted-requests');
  const targetedRequests = targetedShare > 0 ? new Set(requests.filter(() => targetRng() < targetedShare).map((r) => r.requestId as string)) : undefined;
  const stepSeconds = opts.stepSeconds ?? DEFAULT_STEP_SECONDS;
  if (!(Number.isInteger(stepSeconds) && stepSeconds >= 1 && stepSeconds <= 60))
    throw new RangeError(`stepSeconds must be an integer in [1, 60] (got ${stepSeconds})`);
  const world: WorldParams = {
    stepSeconds,
    timings,
    postRestart,
    postRestartVariation: drawRestartVariation(
      sample.workloads.map((w) => w.instanceId),
      randomStream(opts.seed, 'post-restart-variation'),
    ),
    poolExhaustedSeconds: interruption.poolExhaustedSeconds,
    checkInvariants: opts.checkInvariants ?? false,
    ...(workloadPriorities !== undefined ? { workloadPriorities } : {}),
    ...(opts.monitoring !== undefined ? { monitoring: opts.monitoring } : {}),
  };
  const seriesUsed = new Set(sample.workloads.map((w) => w.demand.seriesId)).size;
  const modelDir = (opts.predictor ?? 'auto') === 'auto' && existsSync(join(BUNDLED_MODEL_DIR, 'model.json')) ? BUNDLED_MODEL_DIR : undefined;
  return {
    seed: opts.seed,
    hours: opts.hours,
    sample,
    advisor: sample.advisor,
    bursts,
    requests,
    interruption,
    world,
    postRestart,
    dataDir,
    seriesUsed,
    otherSignals: drawOtherSignals(checkOtherSignals({ ...DEFAULT_OTHER_SIGNALS, ...opts.otherSignals }), window, randomStream(opts.seed, 'other-signals')),
    ...(modelDir !== undefined ? { modelDir } : {}),
    ...(replayedPools !== undefined ? { replayedPools } : {}),
    ...(targetedRequests !== undefined ? { targetedRequests } : {}),
  };
};
