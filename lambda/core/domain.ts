/**
 * The shared vocabulary of the pure core: ids, resource vectors, instances, profiles, forecasts,
 * pools, policies, notices, plans. Types only; behaviour lives in the concept files beside it.
 * Times are epoch milliseconds (`number`) everywhere in the core.
 */

// ---------------------------------------------------------------------------------------------
// Ids (branded so an instance id cannot be passed where a group name is expected)
// ---------------------------------------------------------------------------------------------
export type InstanceId = string & { readonly __brand: 'InstanceId' };
export type GroupId = string & { readonly __brand: 'GroupId' };
export type ReservationId = string & { readonly __brand: 'ReservationId' };
export type RequestId = string & { readonly __brand: 'RequestId' };

export const instanceId = (s: string): InstanceId => s as InstanceId;
export const groupId = (s: string): GroupId => s as GroupId;
export const reservationId = (s: string): ReservationId => s as ReservationId;
export const requestId = (s: string): RequestId => s as RequestId;

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------
/** The four dimensions every demand, capacity and reservation is expressed in. */
export const DIMENSIONS = ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export type Resources = Readonly<Record<Dimension, number>>;

/** An instance type: its shape and hourly prices (USD). */
export interface InstanceTypeSpec {
  readonly name: string;
  readonly resources: Resources;
  readonly onDemandHourlyUsd: number;
  /** Typical spot price; absent when unknown (then On-Demand price is used for cost comparisons). */
  readonly spotHourlyUsd?: number;
}
export type InstanceCatalog = ReadonlyMap<string, InstanceTypeSpec>;

// ---------------------------------------------------------------------------------------------
// Instances and groups
// ---------------------------------------------------------------------------------------------
export type Lifecycle = 'spot' | 'on-demand';
export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
/** The job type of an instance with no job-type tag. */
export const UNKNOWN_JOB_TYPE = 'unknown';

/**
 * The EC2 tag spotwise writes on a member before it moves it to Standby (value: why, at most 256 characters) and
 * deletes once it is back in service: the only record that outlives the reservation of which member spotwise, not an
 * operator, took out of service (core/coordinator/standby-exit.ts).
 */
export const STANDBY_MARK_TAG = 'spotwise:standby';

export interface ManagedInstance {
  readonly id: InstanceId;
  readonly groupId: GroupId;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly lifecycle: Lifecycle;
  readonly state: InstanceState;
  readonly launchedAt: number;
  /** True for an instance sitting in the group's warm pool. */
  readonly warm: boolean;
  /** 0 (lowest) … 100 (highest); from the group's policy unless the instance is tagged otherwise. */
  readonly priority: number;
  readonly jobType: string;
  /**
   * Auto Scaling is terminating this member (lifecycle state Terminating, Terminating:Wait or Terminating:Proceed): a
   * hook may hold it running and serving, but it is leaving, and the replacement the group launches takes its place.
   */
  readonly terminating?: boolean;
  /**
   * Auto Scaling's lifecycle state of this member is Standby, or EnteringStandby while a load balancer drains it
   * (DescribeAutoScalingGroups): out of service, whatever its EC2 state. Absent: in service, warm, or not reported.
   */
  readonly inStandby?: boolean;
  /**
   * Why spotwise moved this member to Standby: the value of its STANDBY_MARK_TAG, written before EnterStandby and
   * deleted after ExitStandby. Absent on a member spotwise did not move there (an operator's Standby is never touched).
   */
  readonly standbyMark?: string;
  /**
   * EC2 detailed monitoring is on (DescribeInstances `Monitoring.State` 'enabled'): EC2 sends CPU, network and disk
   * metrics every minute. false: basic monitoring, one datapoint per 5 minutes, stamped at the start of its period
   * (so readable about 5 minutes later than a 1-minute one). Absent: not reported (the in-memory fakes), taken as on.
   */
  readonly detailedMonitoring?: boolean;
}

/** The spot pools of a group: instance type × AZ, with the Spot Advisor interruption frequency. */
export interface SpotPool {
  readonly instanceType: string;
  readonly availabilityZone: string;
  /** Probability that the pool is interrupted within the staging horizon (0..1). */
  readonly interruptionProbability: number;
  /** Where the probability came from (core/staging/pool-risk.ts): the Advisor prior alone, or the group's own signals too. */
  readonly riskSource?: 'prior' | 'observed';
}

/** A Spot risk signal one instance of a group's pool (type × AZ) received: what the pool's risk is learned from. */
export interface PoolSignal {
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly signal: 'spot-warning' | 'rebalance-recommendation';
  readonly instanceId: InstanceId;
  readonly eventId: string;
  readonly at: number;
}

/** The signals a group's pool has received (one stored record per pool), counted since `since` (its first). */
export interface PoolSignalHistory {
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly warnings: number;
  readonly rebalances: number;
  readonly since: number;
  readonly lastAt: number;
}

export interface WarmPoolView {
  readonly minSize: number;
  /** -1 means "equal to the group's max size" (the Auto Scaling default). */
  readonly maxGroupPreparedCapacity: number;
  readonly poolState: 'Stopped' | 'Running' | 'Hibernated';
  readonly reuseOnScaleIn: boolean;
}

/** Everything the planner may look at for one managed group (a snapshot; the planner never fetches). */
export interface GroupView {
  readonly id: GroupId;
  readonly role: 'primary' | 'standby';
  /** The standby On-Demand group that backs this primary group, if any. */
  readonly standbyGroupId?: GroupId;
  readonly policy: ShapingPolicy;
  readonly pool: ResourcePool;
  readonly instances: readonly ManagedInstance[];
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly warmPool?: WarmPoolView;
  /**
   * The warm pool the configuration asks for (standby_groups[].warm_pool): staging never sizes the pool
   * below its minSize and writes its other settings where AWS's differ (lambda/core/staging/plan-staging.ts).
   */
  readonly configuredWarmPool?: WarmPoolView;
  readonly spotPools: readonly SpotPool[];
  /** Disruptions (voluntary interruptions, stop→modify→start) started and not yet finished. */
  readonly disruptionsInFlight: number;
  /**
   * Auto Scaling's Capacity Rebalancing is on (the group's `CapacityRebalance`): a Spot member's replacement is
   * launched on its rebalance recommendation, which EC2 sends before or with the interruption warning.
   */
  readonly capacityRebalance?: boolean;
  /**
   * Load balancers serve the group (its target groups, Classic Load Balancers or traffic sources): a member moved to
   * Standby drains for the deregistration delay before it is out of service (core/coordinator/voluntary-stop.ts).
   */
  readonly loadBalanced?: boolean;
  /**
   * Live claims on this group's warm instances (a group with a warm pool; lambda/app/stage-warm-instance.ts): each
   * names the warm instance a rebalance recommendation staged for its victim. Absent: none read.
   */
  readonly warmClaims?: readonly WarmClaim[];
}

/**
 * A warm instance staged for one victim of a rebalance recommendation, until its reservation's terms run out. At most
 * one live claim per warm instance (a conditional write), so concurrent recommendations each stage their own.
 */
export interface WarmClaim {
  /** The group whose warm pool holds the instance. */
  readonly groupId: GroupId;
  readonly instanceId: InstanceId;
  /** The instance the recommendation named. */
  readonly victimId: InstanceId;
  /** Epoch ms: the claim counts until then (the recommendation's reservation expires then). */
  readonly until: number;
}

export interface FleetView {
  readonly groups: readonly GroupView[];
  readonly catalog: InstanceCatalog;
  readonly forecasts: ReadonlyMap<InstanceId, Forecast>;
}

// ---------------------------------------------------------------------------------------------
// Metrics and profiles
// ---------------------------------------------------------------------------------------------
/**
 * One 1-minute observation of an instance, in resource units. A missing key means "no data"
 * (never zero); NaN values are treated as missing and counted.
 */
export interface MetricSample {
  readonly at: number;
  /** CPU utilisation of the whole instance, percent (0..100), average over the minute. */
  readonly cpuPercent?: number;
  /** Maximum CPU utilisation within the minute, percent. */
  readonly cpuMaxPercent?: number;
  readonly memoryGiB?: number;
  /** Network in + out, megabits per second. */
  readonly networkMbps?: number;
  /** Disk read + write operations per second. */
  readonly diskIops?: number;
  readonly connections?: number;
}
export const SAMPLE_FIELDS = ['cpuPercent', 'cpuMaxPercent', 'memoryGiB', 'networkMbps', 'diskIops', 'connections'] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];
/** The fields EC2 alone reports (no CloudWatch agent metric stands in for them): under basic monitoring they come late. */
export const LATE_FIELDS = ['networkMbps', 'diskIops'] as const satisfies readonly SampleField[];

/**
 * A decaying histogram over geometric buckets (VPA-style): each observation adds weight
 * 2^((t - reference) / halfLife), so old observations fade with the half-life.
 */
export interface DecayingHistogram {
  /** Upper bounds of the buckets, ascending. */
  readonly bounds: readonly number[];
  readonly weights: readonly number[];
  readonly totalWeight: number;
  /** Time the weights are expressed relative to (re-based when weights grow large). */
  readonly referenceAt: number;
  readonly halfLifeMs: number;
  readonly count: number;
}

/** One interruption → restart cycle and what the instance needed right after it. */
export interface RestartCycle {
  readonly interruptedAt: number;
  readonly restartedAt: number;
  readonly downtimeSeconds: number;
  /** Steady-state p90 demand just before the interruption. */
  readonly steadyBefore: Resources;
  /** Peak demand observed in the first W minutes after the restart. */
  readonly peakAfter: Resources;
  /** Per-minute demand in the post-restart window. */
  readonly curve: readonly Resources[];
  /** Dimensions with no data in the window: their peakAfter/curve values are 0 and are not evidence. */
  readonly unobserved?: readonly Dimension[];
  /**
   * Dimensions whose window peak reached the host's capacity (SATURATION_SHARE, core/profile/behaviour-profile.ts):
   * CPUUtilization stops at 100 % and memory at the instance's size, so there `peakAfter` is only a lower bound of
   * the demand — the restart wanted at least that much, and how much more the metrics cannot say.
   */
  readonly saturated?: readonly Dimension[];
  /** The p90 forecast current before the interruption (what was reserved for), when one was known. */
  readonly forecastBefore?: Resources;
  /** The model's own p90 behind `forecastBefore` when the fleet's recalibration had scaled it: recalibration's evidence. */
  readonly modelBefore?: Resources;
  /** vCPUs and memory of the instance the window ran on, when known: recalibration relative to the machine reads it. */
  readonly hostCapacity?: Readonly<Partial<Resources>>;
}

/** One hour-of-day bucket of a daily load profile: the running mean and the samples behind it (capped). */
export interface DailyBucket {
  readonly mean: number;
  readonly n: number;
}

/** One dimension's model input row (MODEL_FEATURE_NAMES order) and the steady p90 its levels are relative to. */
export interface FeatureRow {
  readonly values: readonly number[];
  readonly scale: number;
}
export type FeatureRows = Readonly<Partial<Record<Dimension, FeatureRow>>>;

/**
 * A closed restart cycle kept as a training case of the post-restart demand model: what the model would have seen
 * before the interruption and the peak the instance then showed, per dimension observed. The periodic retraining
 * (lambda/app/retrain-model.ts) refits and gates the model on these.
 */
export interface LearnedCycle {
  readonly groupId: GroupId;
  readonly instanceId: InstanceId;
  readonly jobType: string;
  readonly instanceType: string;
  readonly interruptedAt: number;
  readonly restartedAt: number;
  readonly windowMinutes: number;
  readonly rows: Readonly<Partial<Record<Dimension, FeatureRow & { readonly peak: number }>>>;
  /**
   * Observed peak ÷ the model's own p90 before the interruption, per calibrated dimension (core/predict/calibrate.ts
   * cycleScores); absent when no forecast stood before it. Another group with too few restarts of its own borrows
   * these to recalibrate its forecasts.
   */
  readonly calibration?: Readonly<Partial<Record<Dimension, number>>>;
  /** Observed peak ÷ the capacity of the instance the window ran on, per calibrated dimension (calibrate.ts cycleShares). */
  readonly shares?: Readonly<Partial<Record<Dimension, number>>>;
}

export interface BehaviourProfile {
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly instanceType: string;
  readonly vcpus: number;
  readonly jobType: string;
  readonly launchedAt: number;
  readonly updatedAt: number;
  /** Steady-state demand per dimension (resource units). */
  readonly steady: Readonly<Record<Dimension, DecayingHistogram>>;
  /** Average CPU per core (0..1) and peak CPU (percent) as seen in the steady state. */
  readonly cpuPerCore: DecayingHistogram;
  readonly cpuPeakPercent: number;
  readonly connections: DecayingHistogram;
  /** The most recent per-minute demand points (bounded), for model features. */
  readonly recent: readonly { readonly at: number; readonly demand: Partial<Resources> }[];
  /**
   * When in the day the instance is busy: per UTC hour (24 buckets), the running mean of its steady vCPU demand and
   * the samples behind it (capped, so older days fade: lambda/core/profile/daily-load.ts). Absent until the first
   * sample; the coordinator reads it (through the forecast) to choose the quietest time for a voluntary interruption.
   */
  readonly dailyVcpu?: readonly DailyBucket[];
  readonly restarts: readonly RestartCycle[];
  /**
   * The interrupted instance whose lineage (steady state, restart history, job type) this profile carries:
   * set once, when a replacement takes over the victim's load (lambda/core/profile/inherit-profile.ts).
   */
  readonly inheritedFrom?: InstanceId;
  /** The replacement this profile's lineage was passed to: a lineage goes to one heir, so no cycle is learned twice. */
  readonly inheritedBy?: InstanceId;
  /** A post-restart window still being observed (opened by pending → running). */
  readonly openRestart?: {
    readonly interruptedAt: number;
    readonly restartedAt: number;
    /** Set when `steadyBefore` is the inherited steady state of this interrupted instance (a replacement's first start). */
    readonly from?: InstanceId;
    readonly steadyBefore: Resources;
    readonly curve: readonly Partial<Resources>[];
    /**
     * p90 of the post-restart forecast that was current when the instance was interrupted (what spotwise
     * reserved for), kept so the closed window is compared with it and not with a forecast made during the
     * window itself; absent when no forecast was known.
     */
    readonly forecastBefore?: Resources;
    /** The model's p90 before recalibration, when it differs from `forecastBefore` (core/predict/calibrate.ts). */
    readonly modelBefore?: Resources;
    /**
     * The model's input rows as the profile stood just before the interruption (core/predict/model-features.ts), per
     * dimension that had them: with the peak the window shows, they make the closed cycle a training case for the
     * periodic retraining (a LearnedCycle).
     */
    readonly featuresBefore?: FeatureRows;
  };
  /** Samples skipped because a field was missing or NaN, per field. */
  readonly gaps: Readonly<Record<SampleField, number>>;
  readonly samplesSeen: number;
  /** Newest sample time already folded in: overlapping metric windows are not counted twice. */
  readonly lastSampleAt?: number;
  /**
   * Newest time of the late fields (LATE_FIELDS: network, disk) already folded in, when they are read behind the other
   * fields — EC2's 5-minute points of an instance on basic monitoring whose CPU comes from the CloudWatch agent each
   * minute (updateProfile's `late`). Absent: the late fields are folded with the rest, up to lastSampleAt.
   */
  readonly lateSampleAt?: number;
}

// ---------------------------------------------------------------------------------------------
// Forecasts
// ---------------------------------------------------------------------------------------------
/** Which evidence produced a dimension's forecast. */
export type ForecastBasis = 'model' | 'instance-history' | 'job-type' | 'default';

export interface DimensionForecast {
  readonly p50: number;
  readonly p90: number;
  readonly basis: ForecastBasis;
  /** 0..1 */
  readonly confidence: number;
  /** The fleet's own recalibration factor already applied to p50 and p90 (core/predict/calibrate.ts), when one was. */
  readonly calibration?: number;
}

export type Forecast =
  | {
      readonly kind: 'known';
      readonly instanceId: InstanceId;
      readonly madeAt: number;
      readonly downtimeSeconds: number;
      readonly windowMinutes: number;
      readonly dims: Readonly<Record<Dimension, DimensionForecast>>;
      /**
       * What the instance used lately: per dimension, the peak of its newest RECENT_USE_MINUTES one-minute points
       * when the forecast was made (lambda/core/pool/borrowing.ts recentUse). Absent when a dimension had no
       * point: such an instance lends nothing. What a lender can spare is judged from this, not from the forecast.
       */
      readonly recentUse?: Resources;
      /**
       * The instance's expected steady vCPU per UTC hour of day (24 entries; null where the profile has too few samples
       * for that hour): the load over a window, for choosing when a voluntary interruption runs. Absent: not known.
       */
      readonly dailyVcpu?: readonly (number | null)[];
    }
  | {
      readonly kind: 'unknown';
      readonly instanceId: InstanceId;
      readonly madeAt: number;
      readonly reason: string;
      readonly missing: readonly Dimension[];
    };

export interface PredictionInput {
  readonly profile: BehaviourProfile;
  readonly downtimeSeconds: number;
  readonly windowMinutes: number;
  readonly now: number;
  /**
   * The instance's CPU comes only from EC2's basic monitoring: one point per 5 minutes, 8–13 minutes old when read
   * (set by the profiler; see `cpuFromFiveMinutePoints`). The trained model then does not answer: its forecasts rest
   * on fresh CPU, and on such data the statistical fallback served the simulated fleet as well for less (README,
   * "what the trained model adds"). Absent: fresh CPU, or not known.
   */
  readonly cpuFromBasicMonitoring?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Pools and reservations
// ---------------------------------------------------------------------------------------------
/**
 * What a reservation is for. `return`: a busy standby member returned once its post-restart window is over
 * (plan-standby-return.ts) — its load's restart on the home group's capacity; like `sibling`, never handed to a newcomer.
 */
export type ReservationPurpose = 'warning' | 'rebalance' | 'lifecycle' | 'request' | 'sibling' | 'reclaim' | 'return';

export interface Reservation {
  readonly id: ReservationId;
  /**
   * What it is for, and the instance it was first made for (whoever it has been handed to since). Set by every planner
   * (buildReservation); a reservation stored before these fields existed has them only in its id
   * (`<purpose>:<source>:<instance>`, read by reservationPurpose / reservationSubject).
   */
  readonly purpose?: ReservationPurpose;
  readonly subject?: InstanceId;
  /** The event or request it was made for (a request's reservations are found by it: requestReservations). */
  readonly source?: string;
  /** A stop → modify → start sibling's: the type its instance is changed to once stopped (plan-state-change.ts). */
  readonly retypeTo?: string;
  readonly groupId: GroupId;
  /** The instance whose post-restart demand this holds capacity for. */
  readonly instanceId: InstanceId;
  readonly amount: Resources;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly reason: string;
  readonly priority: number;
  /**
   * Capacity this reservation holds on loan from lower-priority instances' unused allocations (policy
   * `borrow_limit`, lambda/core/pool/borrowing.ts): part of `amount`, taken out of each lender's allocation when
   * the reservation is made and given back to it when the reservation is released or expires. Handed over to a
   * restarted instance, the loans end there (the capacity is then that instance's allocation, and the next pool
   * refresh divides the pool again by fair share). Absent or empty: nothing borrowed.
   */
  readonly loans?: readonly Loan[];
}

/** One lender's part of a reservation's amount. */
export interface Loan {
  readonly lender: InstanceId;
  readonly amount: Resources;
}

/** A group's resource pool: the budget, what running instances are allocated, and the reservation ledger. */
export interface ResourcePool {
  readonly groupId: GroupId;
  readonly capacity: Resources;
  /** Allocations of running instances (their current demand envelope), by instance. */
  readonly allocations: ReadonlyMap<InstanceId, Resources>;
  readonly reservations: ReadonlyMap<ReservationId, Reservation>;
  /** Optimistic-concurrency version, bumped by every write. */
  readonly version: number;
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------
export type ForecastQuantile = 'p50' | 'p90';

export interface DisruptionBudget {
  /** Voluntary disruptions allowed at once in the group: an absolute count or a percentage of its size. */
  readonly maxUnavailable: number | `${number}%`;
}

/** A group's shaping policy (seed 9848041 YAML, extended). See lambda/core/policy for the schema. */
export interface ShapingPolicy {
  readonly policyName: string;
  readonly priority: number;
  readonly resourceDemand?: Partial<Resources>;
  readonly evictionThreshold: number;
  readonly preemptionEnabled: boolean;
  readonly disruptionBudget: DisruptionBudget;
  readonly forecastQuantile: ForecastQuantile;
  readonly postRestartWindowMinutes: number;
  readonly allowedInstanceTypes: readonly string[];
  /** Whether a running On-Demand sibling may be resized through stop → modify → start. */
  readonly allowStopModifyStart: boolean;
  readonly dryRun: boolean;
  /** Placement-score weights (see placement-score.ts); absent = the seed's 0.5 / 0.3 / 0.2. */
  readonly placementWeights?: { readonly priority: number; readonly freeCpu: number; readonly freeMemory: number };
  /** When a Spot pool counts as unstable and its replacement capacity moves to On-Demand; absent = never. */
  readonly unstablePool?: UnstablePoolPolicy;
  /** When an instance over its allocation is throttled (lambda/core/throttle); absent = never. */
  readonly throttle?: ThrottlePolicy;
  /**
   * Share (0..1) of a lower-priority instance's unused allocation a priority request's reservation may borrow
   * when it does not fit the pool (lambda/core/pool/borrowing.ts); 0 or absent = no borrowing.
   */
  readonly borrowLimit?: number;
}

/**
 * An instance whose observed use stays above its pool allocation on a dimension for `overAllocationMinutes`
 * consecutive minutes is throttled: a `Throttle Requested` event for the operator's enforcement, and the first
 * eviction candidate where preemption is enabled.
 */
export interface ThrottlePolicy {
  readonly enabled: boolean;
  readonly overAllocationMinutes: number;
}

/** An instance whose observed use stayed above its allocation on one dimension for long enough. */
export interface Throttle {
  readonly groupId: GroupId;
  readonly instanceId: InstanceId;
  readonly dimension: Dimension;
  /** Its allocation in the pool on that dimension (resource units). */
  readonly allocation: number;
  /** Its use in the latest minute of the run. */
  readonly observed: number;
  /** observed − allocation: how much it is over now. */
  readonly excess: number;
  /** The first minute of the run of minutes over the allocation (epoch ms). */
  readonly since: number;
  /** How many consecutive minutes the run holds. */
  readonly minutes: number;
}

/**
 * A Spot pool (instance type × AZ) of a group is unstable once `reclaimThreshold` of its instances got a
 * Spot warning within `windowMinutes`; it stays unstable until `coolDownMinutes` after the reclaim that
 * crossed the threshold (later reclaims extend it). See lambda/core/planner/spot-pool-stability.ts.
 */
export interface UnstablePoolPolicy {
  readonly enabled: boolean;
  readonly reclaimThreshold: number;
  readonly windowMinutes: number;
  readonly coolDownMinutes: number;
}

// ---------------------------------------------------------------------------------------------
// Notices (parsed events)
// ---------------------------------------------------------------------------------------------
export interface InterruptionRequest {
  readonly requestId: RequestId;
  /** One instance, or a group plus the highest priority that may be chosen. */
  readonly selector:
    { readonly kind: 'instance'; readonly instanceId: InstanceId } | { readonly kind: 'group'; readonly groupId: GroupId; readonly maxPriority: number };
  readonly reason: string;
  readonly notBefore: number;
  readonly deadline: number;
  readonly mode: 'stop' | 'hibernate' | 'terminate';
  readonly requestedAt: number;
}

export type Notice =
  | {
      readonly kind: 'spot-interruption-warning';
      readonly eventId: string;
      readonly at: number;
      readonly instanceId: InstanceId;
      readonly action: 'terminate' | 'stop' | 'hibernate';
      readonly deadline: number;
    }
  | { readonly kind: 'rebalance-recommendation'; readonly eventId: string; readonly at: number; readonly instanceId: InstanceId }
  | { readonly kind: 'state-change'; readonly eventId: string; readonly at: number; readonly instanceId: InstanceId; readonly state: InstanceState }
  | {
      readonly kind: 'lifecycle-launch' | 'lifecycle-terminate';
      readonly eventId: string;
      readonly at: number;
      readonly instanceId: InstanceId;
      readonly groupId: GroupId;
      readonly hookName: string;
      readonly token: string;
      readonly origin?: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
      readonly destination?: 'EC2' | 'AutoScalingGroup' | 'WarmPool';
    }
  | { readonly kind: 'interruption-request'; readonly eventId: string; readonly at: number; readonly request: InterruptionRequest }
  /** An interruptible Capacity Reservation's owner reclaims it: the instance is terminated at `deadline`. */
  | {
      readonly kind: 'capacity-reservation-interruption-warning';
      readonly eventId: string;
      readonly at: number;
      readonly instanceId: InstanceId;
      readonly deadline: number;
      readonly availabilityZoneId?: string;
    }
  /** An AWS Health scheduled change for EC2 instances: one voluntary interruption request per affected instance, due by `startTime`. */
  | {
      readonly kind: 'scheduled-maintenance';
      readonly eventId: string;
      readonly at: number;
      readonly eventTypeCode: string;
      readonly startTime: number;
      readonly requests: readonly InterruptionRequest[];
    }
  | { readonly kind: 'profile-tick'; readonly eventId: string; readonly at: number; readonly groupId: GroupId }
  | {
      readonly kind: 'interruption-due';
      readonly eventId: string;
      readonly at: number;
      readonly requestId: RequestId;
      readonly instanceId: InstanceId;
      readonly groupId: GroupId;
      readonly reservationId: ReservationId;
      readonly mode: 'stop' | 'hibernate' | 'terminate';
    }
  /** An operator's cancel of a pending, deferred or scheduled request (`spotwise cancel`). */
  | { readonly kind: 'interruption-cancel'; readonly eventId: string; readonly at: number; readonly requestId: RequestId; readonly reason: string }
  | { readonly kind: 'noop'; readonly eventId?: string; readonly reason: string; readonly source?: string; readonly detailType?: string };

export type NoticeKind = Notice['kind'];

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Interruption request records (what the request store keeps)
// ---------------------------------------------------------------------------------------------
export type StoredRequestStatus = 'pending' | 'scheduled' | 'deferred' | 'executed' | 'refused' | 'cancelled';

/** One admission check of a decision, with its numbers ("pool: needs 2 vCPU, free 1.5 vCPU"). */
export interface TrailCheck {
  readonly name: 'window' | 'victim' | 'forecast' | 'budget' | 'pool' | 'status';
  readonly passed: boolean;
  readonly detail: string;
}

/**
 * One decision about a request (`spotwise explain` prints these): which handler planned what from which
 * notice, the admission checks with their numbers, the plan's actions in words, and what execution did.
 */
export interface TrailEntry {
  readonly at: number;
  readonly handler: string;
  readonly noticeKind: string;
  readonly dryRun: boolean;
  readonly checks: readonly TrailCheck[];
  readonly actions: readonly string[];
  readonly outcomes: readonly string[];
}

export interface StoredRequest {
  readonly request: InterruptionRequest;
  readonly status: StoredRequestStatus;
  readonly victim?: InstanceId;
  readonly reservationId?: ReservationId;
  readonly retryAt?: number;
  readonly note?: string;
  readonly updatedAt: number;
  /** The newest decisions about this request, oldest first (bounded: see MAX_TRAIL_ENTRIES). */
  readonly trail?: readonly TrailEntry[];
}

export type Action =
  | { readonly kind: 'reserve'; readonly reservation: Reservation }
  | { readonly kind: 'release'; readonly groupId: GroupId; readonly reservationId: ReservationId; readonly reason: string }
  | {
      readonly kind: 'retype-stopped-instance';
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly fromType: string;
      readonly toType: string;
      readonly reason: string;
    }
  | { readonly kind: 'start-instance'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly reason: string }
  /** After a restart: the reservation becomes `instanceId`'s allocation in `groupId`'s pool (core-b handOver). */
  | { readonly kind: 'hand-over'; readonly groupId: GroupId; readonly reservationId: ReservationId; readonly instanceId: InstanceId; readonly reason: string }
  /**
   * A replacement takes over an interrupted instance's load: its profile inherits the victim's lineage (steady
   * state, restart history, job type) and opens its first post-restart window with the victim's steady state as
   * "steady before", so the restart is learned. Idempotent; never overwrites a profile with its own history.
   */
  | {
      readonly kind: 'inherit-profile';
      readonly groupId: GroupId;
      readonly fromInstanceId: InstanceId;
      readonly toInstanceId: InstanceId;
      /** The reservation whose hand-over carries the lineage: when this plan hands it over and that does not happen, neither does this. */
      readonly reservationId: ReservationId;
      /** When the replacement started (its pending → running, or launch): the restart boundary of the cycle. */
      readonly restartedAt: number;
      /** The group's post-restart window: a replacement observed for longer has its own steady state. */
      readonly windowMinutes: number;
      /** The replacement's type and vCPUs when known (a launch hook's newcomer is not described yet). */
      readonly heir?: { readonly instanceType: string; readonly vcpus: number };
      readonly reason: string;
    }
  /**
   * The restart boundary (pending → running) recorded in the instance's profile (DESIGN.md flow 2): its post-restart
   * window opens, so the profiler's next ticks collect the post-restart curve and close it. An instance without a
   * profile gets one from `instance` (a replacement, until a hand-over passes its victim's lineage on); one that
   * inherited a lineage window for this start keeps it. What spotwise learns, not what it does: carried out in dry-run too.
   */
  | {
      readonly kind: 'open-restart-window';
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly restartedAt: number;
      readonly windowMinutes: number;
      readonly instance: { readonly instanceType: string; readonly vcpus: number; readonly jobType: string };
      /** The p90 spotwise held for it before the restart (and the model's, before recalibration), when it had one. */
      readonly forecastBefore?: Resources;
      readonly modelBefore?: Resources;
    }
  /**
   * Raise a group by `by` instances, relative to its desired capacity when Auto Scaling applies it (never an
   * absolute value from a snapshot: concurrent handlers would overwrite each other). `from` is the desired
   * capacity the plan saw, for logs and dry-run.
   */
  | { readonly kind: 'change-desired-capacity'; readonly groupId: GroupId; readonly by: number; readonly from: number; readonly reason: string }
  /**
   * Write a group's warm pool as computed from a read of it: `readMinSize` is the min size that read saw. Written
   * under the group's warm-pool lease, and only when the min size is still the one read (another writer changed it
   * since: the next tick recomputes from a fresh read).
   */
  | { readonly kind: 'put-warm-pool'; readonly groupId: GroupId; readonly warmPool: WarmPoolView; readonly readMinSize: number; readonly reason: string }
  /**
   * Ask Auto Scaling to prepare `by` more warm instances: relative to the warm pool as it is when the raise is applied
   * (min size = the larger of its min size and the warm instances present, plus the raises), never an absolute value
   * from a snapshot — concurrent notices would overwrite each other. Queued in the state table and applied by
   * whichever writer holds the group's warm-pool lease (lambda/app/warm-pool-writer.ts). `room` is max − desired as
   * the plan saw it (logs and dry-run); the writer caps at the room it reads.
   */
  | { readonly kind: 'raise-warm-pool'; readonly groupId: GroupId; readonly by: number; readonly room: number; readonly reason: string }
  /**
   * A rebalance recommendation's warm instance (lambda/app/stage-warm-instance.ts): claim the first candidate no other
   * victim holds a live claim on (a conditional write per instance, so concurrent recommendations read from one
   * snapshot claim different instances); a candidate that does not cover the load yet is retyped to `toType` (it is
   * stopped: free). When every candidate is claimed and `raise` is set, one more warm instance is asked for
   * (a `raise-warm-pool` through the group's warm-pool lease, `room` as the plan saw it).
   */
  | {
      readonly kind: 'stage-warm-instance';
      readonly groupId: GroupId;
      readonly victimId: InstanceId;
      /** In the order to claim: warm instances that already cover the load, then stopped On-Demand ones to retype. */
      readonly candidates: readonly {
        readonly instanceId: InstanceId;
        readonly fromType: string;
        readonly covers: boolean;
        /** The victim of a claim on it that no longer stands (its load has a host): claimed over. */
        readonly supersedes?: InstanceId;
      }[];
      readonly toType: string;
      /** Epoch ms the claim lasts (the recommendation's reservation expiry). */
      readonly until: number;
      readonly raise: boolean;
      readonly room: number;
      readonly reason: string;
    }
  /**
   * A profiler tick's refresh of a group's pool (core refreshPool), written so that no state the ledger passes through
   * is over-committed: allocations first only lowered, the handed-over reservations released (each a replacement's
   * now) and expired ones swept, the capacity set, then the final allocations. Allocations are [instance, amount]
   * pairs (the action is data: it is logged and published). A ledger that over-commitment since the tick's read
   * leaves no room refuses it whole, and the next tick recomputes.
   */
  | {
      readonly kind: 'refresh-pool';
      readonly groupId: GroupId;
      /** No pool is stored yet: it is created at `capacity` first. */
      readonly create: boolean;
      readonly capacity: Resources;
      /** The capacity the tick read (the capacity is written only when it changes). */
      readonly previousCapacity: Resources;
      /** Allocations only ever lowered (per dimension, the lower of before and after): written first when any rises. */
      readonly lowered: readonly (readonly [InstanceId, Resources])[];
      readonly allocations: readonly (readonly [InstanceId, Resources])[];
      /** Reservations handed to the replacements that took their victims' load (their capacity is in `allocations`). */
      readonly handedOver: readonly { readonly reservationId: ReservationId; readonly instanceId: InstanceId }[];
      /** Reservations expired by this time are swept. */
      readonly sweepAt: number;
      readonly reason: string;
    }
  /** An idle standby member goes, and its group's desired capacity drops by one (TerminateInstanceInAutoScalingGroup with decrement). */
  | { readonly kind: 'return-standby-instance'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly reason: string }
  | {
      readonly kind: 'complete-lifecycle-action';
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly hookName: string;
      readonly token: string;
      readonly result: 'CONTINUE' | 'ABANDON';
    }
  | { readonly kind: 'heartbeat'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly hookName: string; readonly token: string }
  | {
      readonly kind: 'interrupt-instance';
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly mode: 'stop' | 'hibernate' | 'terminate';
      readonly requestId?: RequestId;
      readonly reason: string;
    }
  /**
   * Auto Scaling EnterStandby, decrementing desired capacity: the member leaves service before a voluntary stop, so
   * the EC2 health check does not replace it and no replacement is launched (the same instance comes back).
   */
  | { readonly kind: 'enter-standby'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly reason: string }
  /**
   * Auto Scaling ExitStandby: a member spotwise put in Standby runs again and goes back in service (desired capacity
   * + 1); its STANDBY_MARK_TAG is deleted after.
   */
  | { readonly kind: 'exit-standby'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly reason: string }
  /**
   * EC2 DeleteTags of STANDBY_MARK_TAG on a member in service: its mark outlived its Standby (an EnterStandby that was
   * refused after the tag, a DeleteTags that failed after ExitStandby, an operator's exit-standby).
   */
  | { readonly kind: 'clear-standby-mark'; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly reason: string }
  | {
      readonly kind: 'schedule-interruption';
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly requestId: RequestId;
      readonly reservationId: ReservationId;
      readonly at: number;
      readonly mode: 'stop' | 'hibernate' | 'terminate';
    }
  | {
      readonly kind: 'defer-interruption';
      readonly requestId: RequestId;
      readonly reason: DeferReason;
      readonly shortfall?: Resources;
      readonly retryAt?: number;
      readonly detail: string;
    }
  /** Deletes the one-time schedule that would fire a request's interruption (idempotent: none is fine). */
  | { readonly kind: 'cancel-schedule'; readonly requestId: RequestId; readonly reason: string }
  /**
   * Writes a request's record as its decision left it (the coordinator's and executor's follow-up of each plan: the
   * status derived from what the plan's execution did, and the decision trail): the only way a request record is
   * written after a decision, so dry-run is enforced for it where it is for every write, in the executor.
   */
  | { readonly kind: 'store-request'; readonly record: StoredRequest }
  /** Records a request's new status (a cancel): the request record is part of the state the plan changes. */
  | {
      readonly kind: 'record-request-status';
      readonly request: InterruptionRequest;
      readonly status: 'cancelled';
      readonly note: string;
      readonly victim?: InstanceId;
      readonly reservationId?: ReservationId;
    }
  /**
   * Submits a request for the coordinator to admit like any other (an eviction of a pool over its threshold): stored
   * `pending` unless a request with its id already exists (a later tick asking again changes nothing).
   */
  | { readonly kind: 'submit-request'; readonly request: InterruptionRequest; readonly note: string }
  /** Counts a Spot warning or rebalance recommendation against its pool (what the pool's interruption risk is learned from). */
  | { readonly kind: 'record-pool-signal'; readonly groupId: GroupId; readonly signal: PoolSignal }
  /** Publishes `Throttle Requested` (instance, dimension, excess) on the spotwise bus for the operator's enforcement. */
  | { readonly kind: 'request-throttle'; readonly throttle: Throttle; readonly reason: string }
  | { readonly kind: 'noop'; readonly reason: string };

export type ActionKind = Action['kind'];

export type DeferReason =
  | 'reservation-does-not-fit'
  | 'disruption-budget-exhausted'
  | 'forecast-unknown'
  | 'not-before'
  | 'deadline-passed'
  | 'no-eligible-victim'
  | 'unknown-instance';

export type DomainEvent =
  | {
      readonly kind: 'reservation-made';
      readonly at: number;
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly reservationId: ReservationId;
      readonly amount: Resources;
    }
  | {
      readonly kind: 'reservation-refused';
      readonly at: number;
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly shortfall: Resources;
      readonly reason: string;
    }
  /** A reservation admitted on capacity lent by a lower-priority instance (one event per lender). */
  | {
      readonly kind: 'loan-made';
      readonly at: number;
      readonly groupId: GroupId;
      readonly reservationId: ReservationId;
      readonly lender: InstanceId;
      readonly borrower: InstanceId;
      readonly amount: Resources;
    }
  /** A lender needed its capacity back (or the borrower was throttled): the borrowing reservation is released. */
  | {
      readonly kind: 'loan-revoked';
      readonly at: number;
      readonly groupId: GroupId;
      readonly reservationId: ReservationId;
      readonly lender: InstanceId;
      readonly borrower: InstanceId;
      readonly amount: Resources;
      readonly reason: string;
    }
  | { readonly kind: 'restart-window-opened'; readonly at: number; readonly groupId: GroupId; readonly instanceId: InstanceId; readonly closesAt: number }
  | {
      readonly kind: 'interruption-scheduled';
      readonly at: number;
      readonly groupId: GroupId;
      readonly instanceId: InstanceId;
      readonly requestId: RequestId;
      readonly scheduledFor: number;
    }
  | {
      readonly kind: 'interruption-deferred';
      readonly at: number;
      readonly requestId: RequestId;
      readonly reason: DeferReason;
      readonly shortfall?: Resources;
      readonly retryAt?: number;
    }
  | { readonly kind: 'interruption-cancelled'; readonly at: number; readonly requestId: RequestId; readonly reason: string }
  | { readonly kind: 'capacity-staged'; readonly at: number; readonly groupId: GroupId; readonly detail: string }
  | { readonly kind: 'notice-ignored'; readonly at: number; readonly reason: string; readonly instanceId?: InstanceId }
  | { readonly kind: 'fail-closed'; readonly at: number; readonly groupId?: GroupId; readonly instanceId?: InstanceId; readonly reason: string }
  /** A Spot pool passed its reclaim threshold: its replacement capacity goes to the On-Demand standby until `until`. */
  | {
      readonly kind: 'spot-pool-unstable';
      readonly at: number;
      readonly groupId: GroupId;
      readonly instanceType: string;
      readonly availabilityZone: string;
      readonly reclaims: number;
      readonly windowMinutes: number;
      readonly until: number;
      readonly standbyGroupId?: GroupId;
    }
  /** An unstable Spot pool's cool-down ended with no new reclaims: the group relies on it again. */
  | {
      readonly kind: 'spot-pool-calmed';
      readonly at: number;
      readonly groupId: GroupId;
      readonly instanceType: string;
      readonly availabilityZone: string;
      readonly unstableUntil: number;
    };

/** A decision, as data. Handlers and the simulator execute `actions` in order and publish `events`. */
export interface Plan {
  readonly actions: readonly Action[];
  readonly events: readonly DomainEvent[];
}

/** A seeded random source in [0, 1). */
export type Random = () => number;
