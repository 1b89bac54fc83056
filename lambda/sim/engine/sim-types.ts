import type { GroupId, InstanceId, InstanceState, InterruptionRequest, Resources } from '../../core/domain';
import type { PoolBurst } from '../interruption-model';
import type { PostRestartModel } from '../post-restart-demand';
import type { ReplacementTimings } from '../replacement-timings';
import type { DemandTrace } from '../workload-demand';
import type { SimWorld } from './sim-world';

/** The world's timed events, in the order of their time (EventQueue). */
export type SimEvent =
  | { readonly kind: 'rebalance-pool'; readonly burst: PoolBurst }
  | { readonly kind: 'burst'; readonly burst: PoolBurst }
  | { readonly kind: 'warning'; readonly instanceId: InstanceId; readonly burstId: string }
  | { readonly kind: 'reclaim'; readonly instanceId: InstanceId; readonly burstId: string }
  | { readonly kind: 'ready'; readonly instanceId: InstanceId }
  | { readonly kind: 'warm-filled'; readonly instanceId: InstanceId }
  | { readonly kind: 'state-reached'; readonly instanceId: InstanceId; readonly state: 'stopped' | 'terminated'; readonly seq: number }
  | { readonly kind: 'hook-timeout'; readonly instanceId: InstanceId; readonly token: string }
  | { readonly kind: 'strategy'; readonly name: string; readonly payload?: unknown }
  | { readonly kind: 'capacity-reservation-warning'; readonly pick: number }
  | { readonly kind: 'maintenance-notice'; readonly pick: number; readonly startAt: number }
  | { readonly kind: 'maintenance-due'; readonly instanceId: InstanceId };

/** Auto Scaling lifecycle hooks on the managed groups (lib/lifecycle-hooks.ts: 5-minute heartbeat timeout, CONTINUE by default). */
export interface LifecycleHookSettings {
  readonly launchHook: string;
  readonly terminateHook: string;
  readonly heartbeatTimeoutSeconds: number;
}

/** Platform features a careful operator switches on; each strategy declares which it runs with. */
export interface PlatformFeatures {
  /** Auto Scaling Capacity Rebalancing on the primary (Spot) groups. */
  readonly capacityRebalance: boolean;
  /** A target-tracking policy that scales in standby members idle for this many minutes (back to the warm pool: reuse on scale-in). */
  readonly standbyScaleInIdleMinutes?: number;
  /**
   * The instance maintenance policy of every group (Auto Scaling User Guide, "Instance maintenance policies"):
   * with 'launch-before-terminate' (MinHealthyPercentage 100) a replacement of a member is launched and in
   * service before the member is terminated; with 'terminate-and-launch' (the default without a policy) the
   * replacement is launched only once the member is gone. Spot reclaims are not covered either way.
   */
  readonly maintenancePolicy: 'launch-before-terminate' | 'terminate-and-launch';
}

export interface LifecycleHookEvent {
  readonly transition: 'launch' | 'terminate';
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly hookName: string;
  readonly token: string;
  readonly origin: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
  readonly destination: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
}

export interface InstanceMeta {
  readonly id: InstanceId;
  readonly groupId: GroupId;
  /** When it serves (running and the application ready); undefined while not serving. */
  readyAt?: number;
  goneAt?: number;
  /** When it entered its current EC2 state (health checks look at it). */
  stateSince: number;
  /** Reclaim time announced by a Spot warning. */
  doomedAt?: number;
  /** The workload should move away, then the instance is terminated (Capacity Rebalancing, a drain). */
  draining: boolean;
  /** A replacement was already launched for it (Capacity Rebalancing, launch-before-terminate): it no longer holds a slot. */
  replacementLaunched: boolean;
  /** Detached from its group (DetachInstances): Auto Scaling no longer counts or replaces it. */
  detached?: boolean;
  /** In Standby (EnterStandby): no health checks, not counted in service. */
  standby?: boolean;
  idleSince?: number;
  /** A voluntary disruption (priority interruption) took it: counted in flight until its workload recovers. */
  voluntary: boolean;
  /** In Terminating:Wait (terminate lifecycle hook): still running, its workload must move, gone on completion. */
  terminating?: { readonly token: string; readonly until: number };
  /**
   * The strategy completed its terminate hook while the instance still hosted a workload: the application's own
   * drain holds it until the workload has moved (or the hook's timeout).
   */
  hookCompleted?: boolean;
  /** In Pending:Wait (launch lifecycle hook): not ready before the hook is completed or times out. */
  launching?: { readonly token: string; readonly until: number };
  /** A stop in progress was a hibernation (billed while stopping). */
  hibernating?: boolean;
  /** Terminated in its group without decrement under terminate-and-launch: replaced only once it is gone. */
  replaceAfterTermination?: boolean;
}

export type EpisodeKind = 'spot' | 'voluntary' | 'move';

export interface Episode {
  /** 'move' is upgraded to 'spot' when the instance it left is reclaimed later (a move ahead of a reclaim). */
  kind: EpisodeKind;
  /** The instance the workload lost or left. */
  readonly fromHost?: InstanceId;
  readonly workloadId: string;
  readonly groupId: GroupId;
  readonly start: number;
  unservedVcpuMinutes: number;
  unservedGibMinutes: number;
  /** End of the last step with unserved demand in this episode. */
  lastUnservedEnd?: number;
  /**
   * When the workload was back in service: fully served on its new host for a whole minute. A voluntary
   * disruption counts against its group's budget until then (what a disruption budget limits is how many
   * members are out at once, not how long their restart effects last).
   */
  restoredAt?: number;
  /** Start of the current fully-served stretch (for restoredAt). */
  servedSince?: number;
  /** When the episode closed (the workload ran a restart horizon on a covering host). */
  end?: number;
}

/** The demand peak of one (re)start of a workload over the restart horizon: the truth forecasts are checked against. */
export interface RestartPeak {
  readonly workloadId: string;
  readonly startedAt: number;
  peakVcpu: number;
  peakMemoryGiB: number;
}

export interface SimWorkload {
  readonly id: string;
  readonly groupId: GroupId;
  readonly homeType: string;
  readonly home: Resources;
  readonly demand: DemandTrace;
  /** Its `spotwise:priority` tag, carried by whichever instance hosts it (WorldParams.workloadPriorities). */
  readonly priority?: number;
  host?: InstanceId;
  next?: InstanceId;
  /** When it started on its current host (post-restart clock). */
  startedAt?: number;
  downtimeMinutes: number;
  /** When it lost its host without a successor in service (outage start). */
  lostAt?: number;
  episode?: Episode;
  /** The current start's peak, while inside its restart horizon. */
  restart?: RestartPeak;
  /** The host it lost last (an outage), until it starts elsewhere. */
  lastHost?: InstanceId;
}

export interface WorldParams {
  readonly stepSeconds: number;
  readonly timings: ReplacementTimings;
  readonly postRestart: PostRestartModel;
  readonly poolExhaustedSeconds: number;
  /**
   * Per-workload multiplier of the post-restart excess (1 = the model's curve as it is), drawn from the seed:
   * restarts differ between workloads, and spotwise is never told how.
   */
  readonly postRestartVariation?: ReadonlyMap<string, number>;
  /**
   * Per-workload priority (`--best-effort-share`): the workload's host carries it as its `spotwise:priority` tag,
   * moved with the workload from host to host (a job scheduler tags where it runs its job). Absent: every
   * instance has its group policy's priority.
   */
  readonly workloadPriorities?: ReadonlyMap<string, number>;
  /** How spotwise's instances report their metrics (`--monitoring`; MonitoringMode). Absent: DEFAULT_MONITORING. */
  readonly monitoring?: MonitoringMode;
  /** Check conservation invariants every step and throw on the first violation (tests). */
  readonly checkInvariants: boolean;
}

/**
 * How spotwise's instances report their metrics (`--monitoring`):
 * - `agent-cpu` (spotwise's deployment guide): EC2 detailed monitoring off — CPU, network and disk come from EC2 as one
 *   datapoint per 5 minutes, not billed — and the CloudWatch agent publishes CPU (cpu_usage_active) each minute beside
 *   memory and connections: three agent metrics per instance, and the profile's CPU is as fresh as with detailed monitoring.
 * - `detailed`: EC2 detailed monitoring on (1-minute EC2 points, billed at 7 metrics per instance); the agent publishes
 *   memory and connections.
 * - `basic`: detailed monitoring off and the agent without CPU: every CPU point 5 minutes long and 8–13 minutes old.
 */
export const MONITORING_MODES = ['agent-cpu', 'detailed', 'basic'] as const;
export type MonitoringMode = (typeof MONITORING_MODES)[number];
export const DEFAULT_MONITORING: MonitoringMode = 'agent-cpu';
/** The world's monitoring mode, its default filled in. */
export const monitoringOf = (params: Pick<WorldParams, 'monitoring'>): MonitoringMode => params.monitoring ?? DEFAULT_MONITORING;

export interface TimelinePoint {
  readonly at: number;
  demandVcpu: number;
  capacityVcpu: number;
  unservedVcpu: number;
  costUsd: number;
  samples: number;
}

export interface WorldTotals {
  unservedVcpuMinutes: number;
  unservedGibMinutes: number;
  demandVcpuMinutes: number;
  servedVcpuMinutes: number;
  /** Instance cost (all of it), and its parts. */
  costUsd: number;
  spotCostUsd: number;
  onDemandCostUsd: number;
  /**
   * onDemandCostUsd by instance type: every type of the world's catalog (0 for those never run On-Demand), so a mean
   * over seeds is a mean of every seed's spend. Where a strategy's On-Demand money goes: the shapes its standby and
   * warm capacity run in.
   */
  onDemandCostByType: Record<string, number>;
  /**
   * spotCostUsd by instance type, and the Spot instance-hours behind it (every type of the catalog, 0 where none ran
   * on Spot): whether a strategy's Spot bill differs by how long its instances run or by which pools they run in.
   */
  spotCostByType: Record<string, number>;
  spotHoursByType: Record<string, number>;
  storageCostUsd: number;
  /** The same fleet's home instances all On-Demand, running the whole time (no standby needed). */
  allOnDemandCostUsd: number;
  spotInterruptions: number;
  voluntaryInterruptions: number;
  budgetViolations: number;
  overCommits: number;
  coldLaunches: number;
  warmStarts: number;
  rebalanceRecommendations: number;
  /** Rebalance recommendations EventBridge did not deliver (--lost-recommendations; counted in rebalanceRecommendations too). */
  lostRecommendations: number;
  warnings: number;
  failedActions: number;
  healthCheckReplacements: number;
  staleCapacityWrites: number;
  standbyInstanceHours: number;
  idleStandbyInstanceHours: number;
  /** Unserved demand outside any episode (a workload on a host that covers its home type, past its restart). */
  steadyUnservedVcpuMinutes: number;
  /** Strategy reactions (deliveries) that threw. */
  deliveryFailures: number;
  /** Instances an interruptible Capacity Reservation's owner reclaimed while they still ran. */
  capacityReservationReclaims: number;
  /** Instances EC2 stopped at a scheduled change's start because they were still there. */
  maintenanceStops: number;
}

/** Hooks a strategy implements; the world calls them as things happen. All may be async (handlers). */
export interface StrategyHooks {
  readonly name: string;
  onStart?(world: SimWorld): Promise<void>;
  onRebalanceRecommendation?(world: SimWorld, id: InstanceId): Promise<void>;
  onWarning?(world: SimWorld, id: InstanceId, reclaimAt: number): Promise<void>;
  /** An interruptible Capacity Reservation's two-minute warning (EC2 event). */
  onCapacityReservationWarning?(world: SimWorld, id: InstanceId, reclaimAt: number): Promise<void>;
  /** An AWS Health scheduled change for an instance: EC2 stops it at `startAt`. */
  onScheduledMaintenance?(world: SimWorld, id: InstanceId, startAt: number): Promise<void>;
  onInstanceState?(world: SimWorld, id: InstanceId, state: InstanceState, previous: InstanceState): Promise<void>;
  onRequest?(world: SimWorld, request: InterruptionRequest): Promise<void>;
  onStep?(world: SimWorld): Promise<void>;
  onEvent?(world: SimWorld, name: string, payload: unknown): Promise<void>;
  /** A lifecycle hook put an instance in Pending:Wait or Terminating:Wait (only with hooks installed). */
  onLifecycleHook?(world: SimWorld, event: LifecycleHookEvent): Promise<void>;
}

/** What one delivery (one Lambda invocation) has read: the version of each group's desired capacity / warm pool it saw. */
export interface DeliveryContext {
  readonly desiredSeen: Map<GroupId, number>;
  readonly warmPoolSeen: Map<GroupId, number>;
}
