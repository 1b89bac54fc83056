import { Duration, Stack } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, HorizontalAnnotation, MathExpression, TextWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, MetricDimension, MetricName, type MetricNameValue } from '../lambda/contracts/metrics';
import { NOTICE_TO_LAST_ACTION_P99_SECONDS } from './alarms';
import { metricSearch, SERVICE_DIMENSION, spotwiseMetric } from './metric-catalog';

/** A managed group as the dashboard shows it: its row, and the standby group whose warm pool backs it. */
export interface DashboardGroup {
  readonly name: string;
  readonly standby?: string;
}

export interface SpotwiseDashboardProps {
  /** The named primary groups, one row each. */
  readonly groups: readonly DashboardGroup[];
  /** Whether groups are also selected by tag: then one more row shows every group, whatever its name. */
  readonly tagSelected: boolean;
  /** POWERTOOLS_SERVICE_NAME of the functions (the `service` dimension). */
  readonly serviceName: string;
  readonly dryRun: boolean;
  /**
   * Name of the dashboard in the CloudWatch console.
   * @default the stack name (unique per account and region, like dashboard names)
   */
  readonly dashboardName?: string;
  /**
   * Period of the graphs.
   * @default Duration.minutes(5) (the profiler's default cadence)
   */
  readonly period?: Duration;
}

const WIDTH = 24;

/**
 * The spotwise dashboard: fleet-wide notices by kind, notice-to-last-action p50/p99, deferrals by reason,
 * reservations, ignored/malformed events, failed actions, fail-closed decisions and AWS call retries; costs; model
 * retraining runs and the restart cycles learned; then per group: pool capacity vs reserved vs used (vCPU and memory), forecast vs observed
 * post-restart demand with the prediction error, and the warm pool size.
 */
export class SpotwiseDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: SpotwiseDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const s = props.serviceName;
    if (props.groups.length === 0 && !props.tagSelected) {
      throw new Error(`SpotwiseDashboard ${this.node.path}: groups must name at least one group unless groups are tag-selected (got [])`);
    }
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName ?? Stack.of(this).stackName, defaultInterval: Duration.hours(6) });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# spotwise ${props.dryRun ? '(dry-run: plans only, no actions)' : ''}\nManaged groups: ${
          props.groups.map((g) => `\`${g.name}\``).join(', ') || 'none by name'
        }${props.tagSelected ? ' + every group carrying the selection tag' : ''}.`,
        width: WIDTH,
        height: 2,
      }),
    );

    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Notices handled, by kind',
        left: [metricSearch(s, MetricName.noticesHandled, MetricDimension.noticeKind, { statistic: 'Sum', period, label: '' })],
        width: 6,
      }),
      new GraphWidget({
        title: 'Notice to last action (s)',
        left: [
          spotwiseMetric(s, MetricName.noticeToLastActionSeconds, { statistic: 'p50', period, label: 'p50' }),
          spotwiseMetric(s, MetricName.noticeToLastActionSeconds, { statistic: 'p99', period, label: 'p99' }),
        ],
        leftAnnotations: [{ value: NOTICE_TO_LAST_ACTION_P99_SECONDS, label: 'p99 alarm' } satisfies HorizontalAnnotation],
        width: 6,
      }),
      new GraphWidget({
        title: 'Interruptions deferred, by reason',
        left: [metricSearch(s, MetricName.deferrals, MetricDimension.reason, { statistic: 'Sum', period, label: '' })],
        width: 6,
      }),
      new GraphWidget({
        title: 'Reservations, voluntary interruptions, unstable Spot pool shifts, throttles requested, loans made and revoked (by group)',
        left: [
          spotwiseMetric(s, MetricName.reservationsMade, { statistic: 'Sum', period, label: 'reservations made' }),
          spotwiseMetric(s, MetricName.reservationRefusals, { statistic: 'Sum', period, label: 'reservations refused' }),
          spotwiseMetric(s, MetricName.interruptionsScheduled, { statistic: 'Sum', period, label: 'interruptions scheduled' }),
          // Per group: replacements sent to the On-Demand standby because their Spot pool counts as unstable.
          metricSearch(s, MetricName.unstableSpotPoolShifts, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
          // Per group: Throttle Requested events published for instances over their allocation (policy throttle).
          metricSearch(s, MetricName.throttlesRequested, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
          // Per group: loans of lower-priority instances' unused allocation made to admit a request, and called back.
          metricSearch(s, MetricName.loansMade, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
          metricSearch(s, MetricName.loansRevoked, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
        ],
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Events ignored (by kind) and malformed',
        left: [
          metricSearch(s, MetricName.ignoredEvents, MetricDimension.noticeKind, { statistic: 'Sum', period, label: '' }),
          spotwiseMetric(s, MetricName.malformedEvents, { statistic: 'Sum', period, label: 'malformed' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Failed actions and fail-closed decisions; AWS call retries (right)',
        left: [
          spotwiseMetric(s, MetricName.actionFailures, { statistic: 'Sum', period, label: 'failed actions' }),
          metricSearch(s, MetricName.actionFailures, MetricDimension.reason, { statistic: 'Sum', period, label: '' }),
          spotwiseMetric(s, MetricName.failClosedDecisions, { statistic: 'Sum', period, label: 'fail-closed decisions' }),
        ],
        // Retries the SDK absorbed (mostly throttling): rising retries come before failed actions.
        right: [spotwiseMetric(s, MetricName.awsCallRetries, { statistic: 'Sum', period, label: 'AWS call retries' })],
        width: 12,
      }),
    );

    this.dashboard.addWidgets(...costRow(s, period));
    this.dashboard.addWidgets(...retrainingRow(s));

    for (const group of props.groups) this.dashboard.addWidgets(...groupRow(s, period, group));
    if (props.tagSelected) this.dashboard.addWidgets(...taggedGroupsRow(s, period));
  }
}

/** One row per named group. */
const groupRow = (s: string, period: Duration, group: DashboardGroup): IWidget[] => {
  const m = (name: (typeof MetricName)[keyof typeof MetricName], statistic: string, label: string, on = group.name): IMetric =>
    spotwiseMetric(s, name, { group: on, statistic, period, label });
  return [
    new GraphWidget({
      title: `${group.name}: pool vCPU (capacity / reserved / used / post-restart forecast p90, sum over instances)`,
      left: [
        m(MetricName.poolCapacityVcpu, 'Maximum', 'capacity'),
        m(MetricName.poolReservedVcpu, 'Maximum', 'reserved'),
        m(MetricName.poolUsedVcpu, 'Maximum', 'used'),
        m(MetricName.forecastVcpuP90, 'Maximum', 'forecast p90 (all instances)'),
        // Part of reserved: what reservations hold on loan from lower-priority instances (policy borrow_limit).
        m(MetricName.borrowedVcpu, 'Maximum', 'borrowed (part of reserved)'),
      ],
      width: 6,
    }),
    new GraphWidget({
      title: `${group.name}: pool memory GiB (capacity / reserved / used), instances below their wanted allocation`,
      left: [
        m(MetricName.poolCapacityMemoryGiB, 'Maximum', 'capacity'),
        m(MetricName.poolReservedMemoryGiB, 'Maximum', 'reserved'),
        m(MetricName.poolUsedMemoryGiB, 'Maximum', 'used'),
        m(MetricName.borrowedMemoryGiB, 'Maximum', 'borrowed (part of reserved)'),
      ],
      // Oversubscription: instances held at their tier's fair share (or at what a full pool left them).
      right: [m(MetricName.allocationsBelowWanted, 'Maximum', 'instances below wanted')],
      width: 6,
    }),
    // Per restart, like with like: the instance's forecast from before its interruption against the peak it
    // then showed (both emitted when its post-restart window closes), not the group's sum of forecasts.
    new GraphWidget({
      title: `${group.name}: post-restart vCPU per restart, forecast p90 (before the interruption) vs observed peak`,
      left: [m(MetricName.forecastBeforeRestartVcpuP90, 'Average', 'forecast p90'), m(MetricName.observedPostRestartVcpu, 'Average', 'observed')],
      right: [m(MetricName.predictionErrorRatio, 'Average', 'prediction error')],
      width: 6,
    }),
    new GraphWidget({
      title: `${group.name}: warm pool size${group.standby !== undefined ? ` (${group.standby})` : ''} and members running in Standby, profile age, instances on basic monitoring`,
      left: [m(MetricName.warmPoolSize, 'Maximum', 'warm pool', group.standby ?? group.name), m(MetricName.runningInStandby, 'Maximum', 'running in Standby')],
      right: [
        m(MetricName.profileAgeSeconds, 'Maximum', 'oldest profile (s)'),
        m(MetricName.instancesOnBasicMonitoring, 'Maximum', 'without detailed monitoring'),
        m(MetricName.instancesOnFiveMinuteCpu, 'Maximum', '5-minute CPU (no agent CPU)'),
      ],
      width: 6,
    }),
  ];
};

/** Groups selected by tag have no names at synth: SEARCH shows each of them as its own series. */
const taggedGroupsRow = (s: string, period: Duration): IWidget[] => {
  const all = (name: (typeof MetricName)[keyof typeof MetricName], statistic: string, label: string): IMetric =>
    metricSearch(s, name, MetricDimension.group, { statistic, period, label });
  return [
    new GraphWidget({
      title: 'Tagged groups: pool vCPU capacity / reserved / used / post-restart forecast p90 (sum over instances)',
      left: [
        all(MetricName.poolCapacityVcpu, 'Maximum', 'capacity'),
        all(MetricName.poolReservedVcpu, 'Maximum', 'reserved'),
        all(MetricName.poolUsedVcpu, 'Maximum', 'used'),
        all(MetricName.forecastVcpuP90, 'Maximum', 'forecast p90'),
        all(MetricName.borrowedVcpu, 'Maximum', 'borrowed'),
      ],
      width: 6,
    }),
    new GraphWidget({
      title: 'Tagged groups: pool memory GiB capacity / reserved / used',
      left: [
        all(MetricName.poolCapacityMemoryGiB, 'Maximum', 'capacity'),
        all(MetricName.poolReservedMemoryGiB, 'Maximum', 'reserved'),
        all(MetricName.poolUsedMemoryGiB, 'Maximum', 'used'),
        all(MetricName.borrowedMemoryGiB, 'Maximum', 'borrowed'),
      ],
      width: 6,
    }),
    new GraphWidget({
      title: 'Tagged groups: post-restart vCPU per restart, forecast p90 (before the interruption) vs observed peak',
      left: [all(MetricName.forecastBeforeRestartVcpuP90, 'Average', 'forecast'), all(MetricName.observedPostRestartVcpu, 'Average', 'observed')],
      right: [all(MetricName.predictionErrorRatio, 'Average', 'error')],
      width: 6,
    }),
    new GraphWidget({
      title: 'Tagged groups: warm pool size, members running in Standby',
      left: [all(MetricName.warmPoolSize, 'Maximum', 'warm pool'), all(MetricName.runningInStandby, 'Maximum', 'running in Standby')],
      width: 6,
    }),
  ];
};

/**
 * The periodic retraining (lambda/handlers/retrainer.ts): runs by outcome (candidate kept, current kept, skipped) with
 * the held-back loss of the model forecasting after each run, and the restart cycles the profiler stores as its
 * training cases. Runs are hours or days apart, so these graphs bin by day over the last 30 days rather than
 * following the dashboard's 6-hour, 5-minute view, where a run would be one dot or none.
 */
const retrainingRow = (s: string): IWidget[] => {
  const period = Duration.days(1);
  const start = '-P30D';
  return [
    new GraphWidget({
      title: 'Model retraining: runs by outcome (per day); held-back vCPU weighted quantile loss of the model kept (right, lower is better)',
      left: [metricSearch(s, MetricName.retrainingRuns, MetricDimension.outcome, { statistic: 'Sum', period, label: '' })],
      right: [spotwiseMetric(s, MetricName.retrainingHeldBackWql, { statistic: 'Average', period, label: 'held-back vCPU WQL' })],
      start,
      width: 12,
    }),
    new GraphWidget({
      title:
        'Restart cycles learned (training cases stored per day), by group; restarts that filled their host, and inherited windows whose load never arrived (right)',
      left: [metricSearch(s, MetricName.cyclesLearned, MetricDimension.group, { statistic: 'Sum', period, label: '' })],
      right: [
        metricSearch(s, MetricName.restartsSaturated, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
        metricSearch(s, MetricName.restartWindowsWithoutLoad, MetricDimension.group, { statistic: 'Sum', period, label: '' }),
      ],
      start,
      width: 12,
    }),
  ];
};

/**
 * What Spot saves and what spotwise itself costs, from the profiler's price-based metrics (README, "Operating
 * spotwise"): fleet totals are SUMs over every group's series, so tag-selected groups count too.
 */
const costRow = (s: string, period: Duration): IWidget[] => {
  const total = (name: MetricNameValue, statistic: string): string =>
    `SUM(SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${MetricDimension.group}} MetricName="${name}" ${SERVICE_DIMENSION}="${s}"', '${statistic}', ${period.toSeconds()}))`;
  const expr = (expression: string, label: string): IMetric => new MathExpression({ expression, label, period });
  const onDemand = total(MetricName.onDemandEquivalentHourlyCost, 'Average');
  const estimated = total(MetricName.estimatedHourlyCost, 'Average');
  return [
    new GraphWidget({
      title: 'Spot savings vs On-Demand, all groups (USD per hour)',
      left: [expr(onDemand, 'On-Demand equivalent'), expr(estimated, 'estimated (Spot at Spot prices)'), expr(`${onDemand} - ${estimated}`, 'savings')],
      width: 8,
    }),
    new GraphWidget({
      title: 'Estimated vs On-Demand equivalent hourly cost, by group (USD)',
      left: [metricSearch(s, MetricName.estimatedHourlyCost, MetricDimension.group, { statistic: 'Average', period, label: '' })],
      right: [metricSearch(s, MetricName.onDemandEquivalentHourlyCost, MetricDimension.group, { statistic: 'Average', period, label: '' })],
      width: 8,
    }),
    new GraphWidget({
      title: "spotwise's own cost: standby instances (USD per hour), metric reads (USD per period)",
      left: [expr(total(MetricName.standbyHourlyCost, 'Average'), 'standby instances')],
      right: [expr(total(MetricName.metricReadCost, 'Sum'), 'GetMetricData reads')],
      width: 8,
    }),
  ];
};
