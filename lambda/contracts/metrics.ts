/** CloudWatch metric namespace and names emitted (EMF) by handlers and read by the dashboard and alarms. */
export const METRICS_NAMESPACE = 'Spotwise';

export const MetricName = {
  noticesHandled: 'NoticesHandled',
  malformedEvents: 'MalformedEvents',
  ignoredEvents: 'IgnoredEvents',
  noticeToLastActionSeconds: 'NoticeToLastActionSeconds',
  reservationsMade: 'ReservationsMade',
  reservationRefusals: 'ReservationRefusals',
  deferrals: 'InterruptionsDeferred',
  interruptionsScheduled: 'InterruptionsScheduled',
  poolCapacityVcpu: 'PoolCapacityVcpu',
  poolReservedVcpu: 'PoolReservedVcpu',
  poolUsedVcpu: 'PoolUsedVcpu',
  poolCapacityMemoryGiB: 'PoolCapacityMemoryGiB',
  poolReservedMemoryGiB: 'PoolReservedMemoryGiB',
  poolUsedMemoryGiB: 'PoolUsedMemoryGiB',
  warmPoolSize: 'WarmPoolSize',
  forecastVcpuP90: 'ForecastVcpuP90',
  observedPostRestartVcpu: 'ObservedPostRestartVcpu',
  predictionErrorRatio: 'PostRestartPredictionError',
  profileAgeSeconds: 'ProfileAgeSeconds',
  profilesUpdated: 'ProfilesUpdated',
  /**
   * Serving instances whose allocation the profiler's pool refresh held below what they want (by group, every
   * tick): their priority tier's fair share under oversubscription, or a pool full of reservations.
   */
  allocationsBelowWanted: 'AllocationsBelowWanted',
  metricGaps: 'MetricGaps',
  /**
   * Per group, every profiler tick with any: serving instances with EC2 detailed monitoring off (5-minute network and
   * disk points, read 5 minutes further back; their CPU comes from the CloudWatch agent where it publishes cpu_usage_active).
   */
  instancesOnBasicMonitoring: 'InstancesOnBasicMonitoring',
  /**
   * Per group, every reading tick with any: instances on basic monitoring whose CloudWatch agent reported no CPU, so their
   * profile's CPU is EC2's 5-minute points, 8–13 minutes old (the agent configuration lacks cpu_usage_active, or the agent
   * is not running). Spotwise's victims and admissions read that CPU: in the simulator, stale CPU costs availability.
   */
  instancesOnFiveMinuteCpu: 'InstancesOnFiveMinuteCpu',
  /**
   * Per group, every profiler tick: members running while Auto Scaling holds them in Standby — paid for, serving
   * nothing. spotwise brings back those it moved there (core/coordinator/standby-exit.ts) within a tick unless the
   * group is at its max size; an operator's (troubleshooting, updates) stay until the operator returns them.
   */
  runningInStandby: 'RunningInStandby',
  actionFailures: 'ActionFailures',
  awsCallRetries: 'AwsCallRetries',
  /** A Spot pool passed its reclaim threshold and its replacement capacity moved to the On-Demand standby (by group). */
  unstableSpotPoolShifts: 'UnstableSpotPoolShifts',
  /** `Throttle Requested` events published (by group): instances over their allocation for the policy's minutes. */
  throttlesRequested: 'ThrottlesRequested',
  /** Loans made (by group): a priority request's reservation admitted on a lower-priority instance's unused allocation, one per lender. */
  loansMade: 'LoansMade',
  /** Loans called back (by group): a lender needed its capacity, or the borrower was throttled; the borrowing reservation is released. */
  loansRevoked: 'LoansRevoked',
  /** Per group, every profiler tick: capacity its reservations hold on loan from lower-priority instances. */
  borrowedVcpu: 'BorrowedVcpu',
  borrowedMemoryGiB: 'BorrowedMemoryGiB',
  /** Decisions that allowed no disruptive action because something could not be evaluated (a `fail-closed` domain event). */
  failClosedDecisions: 'FailClosedDecisions',
  /** The vCPU p90 forecast that was current before an interruption, emitted with ObservedPostRestartVcpu when its window closes. */
  forecastBeforeRestartVcpuP90: 'PostRestartForecastVcpuP90',
  /** Per group, from current prices (profiler): what its serving instances cost per hour, Spot ones at their zone's Spot price. */
  estimatedHourlyCost: 'EstimatedHourlyCost',
  /** The same instances all at On-Demand prices: the group without Spot. Savings = this − EstimatedHourlyCost. */
  onDemandEquivalentHourlyCost: 'OnDemandEquivalentHourlyCost',
  /** spotwise's own overhead: a standby group's instances in service or running warm, at On-Demand prices, per hour. */
  standbyHourlyCost: 'StandbyHourlyCost',
  /** spotwise's own overhead: USD of the tick's GetMetricData reads (billed per metric requested). */
  metricReadCost: 'MetricReadCostUsd',
  /** Restart cycles stored as training cases this tick (the periodic retraining's input). */
  cyclesLearned: 'RestartCyclesLearned',
  /**
   * Restarts whose post-restart peak filled their host on vCPU or memory (a cycle's `saturated`): the metrics cap
   * there, so what the restart wanted is unknown above the cap — a sign the group's types are small for its restarts.
   */
  restartsSaturated: 'RestartsSaturated',
  /**
   * Inherited restart windows whose load never arrived (by group): the replacement took its victim's lineage with a
   * reservation, but the load started elsewhere (the warning's warm instance, another member). No restart was seen, so
   * nothing is learned or compared from the window; many of them mean the application places loads where spotwise's
   * hand-overs do not expect them.
   */
  restartWindowsWithoutLoad: 'RestartWindowsWithoutLoad',
  /** One per retraining run, dimension `Outcome` (candidate | current | skipped). */
  retrainingRuns: 'RetrainingRuns',
  /** Held-back weighted quantile loss of vCPU of the model forecasting after the run (lower is better). */
  retrainingHeldBackWql: 'RetrainingHeldBackVcpuWql',
} as const;
export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** Dimension names used with the metrics above. */
export const MetricDimension = { group: 'GroupName', noticeKind: 'NoticeKind', reason: 'Reason', outcome: 'Outcome' } as const;
