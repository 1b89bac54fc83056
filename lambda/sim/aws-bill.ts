import { GET_METRIC_DATA_USD_PER_1000_METRICS } from '../adapters/cloudwatch-cost';

/**
 * What a strategy's own software costs in AWS, besides instances: the simulator adds it to every strategy's
 * cost, itemised, so spotwise pays for its Lambdas, reads and table like anyone else.
 *
 * US East list prices (each page's on-demand table, read 2026-11):
 * - Lambda (arm64): $0.0000133334 per GB-second and $0.20 per million requests ("AWS Lambda pricing");
 * - DynamoDB on-demand: $0.625 per million write request units, $0.125 per million read request units
 *   ("Amazon DynamoDB pricing", on-demand capacity since the November 2024 reduction);
 * - EventBridge: $1.00 per million custom events published; EventBridge Scheduler: $1.00 per million
 *   invocations ("Amazon EventBridge pricing"); free tiers are left out so small fleets are not flattered;
 * - CloudWatch: GetMetricData $0.01 per 1,000 metrics requested; custom metrics (the CloudWatch agent's, in
 *   namespace CWAgent) $0.30 per metric-month for the first 10,000 ("Amazon CloudWatch pricing"); EC2 detailed
 *   monitoring is billed at the same rate per metric it sends at 1-minute frequency, seven per instance
 *   (CPUUtilization, DiskReadOps, DiskWriteOps, DiskReadBytes, DiskWriteBytes, NetworkIn, NetworkOut: $2.10 per
 *   instance-month; "Amazon CloudWatch pricing", "List the available CloudWatch metrics for your instances"); other API
 *   requests, the agent's PutMetricData among them, $0.01 per 1,000 requests (the account's first million a month free,
 *   left out like the other free tiers). A strategy's own custom metrics (spotwise's Lambdas write them as embedded metric
 *   format) are billed at the same $0.30 per metric-month, prorated by the hour: each distinct metric (name and
 *   dimensions) with a datapoint in a clock hour counts that hour;
 * - CloudWatch dashboards: $3.00 per dashboard per month; alarms: $0.10 per standard-resolution alarm metric per month
 *   ("Amazon CloudWatch pricing"; the first three dashboards and ten alarms an account gets free are left out), prorated
 *   over the hours the run lasts.
 *
 * Left out: CloudWatch Logs ingestion of the Lambdas' logs and embedded metric records ($0.50 per GB).
 */
export const AWS_PRICES = {
  lambdaGbSecondUsd: 0.0000133334,
  lambdaRequestUsd: 0.2 / 1e6,
  dynamoWriteUsd: 0.625 / 1e6,
  dynamoReadUsd: 0.125 / 1e6,
  eventBridgeEventUsd: 1 / 1e6,
  schedulerInvocationUsd: 1 / 1e6,
  getMetricDataPerMetricUsd: GET_METRIC_DATA_USD_PER_1000_METRICS / 1000,
  customMetricMonthUsd: 0.3,
  cloudWatchApiRequestUsd: 0.01 / 1000,
  dashboardMonthUsd: 3,
  alarmMonthUsd: 0.1,
} as const;

/**
 * The alarms spotwise's stack creates (lib/alarms.ts): two per function (its errors and its dead-letter queue), four
 * fleet-wide (notice-to-last-action p99, reservation refusals, action failures, fail-closed decisions) and two per
 * primary group named in the configuration (stale profiles, prediction error). test/lib/spotwise-stack.test.ts checks
 * it against the synthesized template.
 */
export const spotwiseAlarmCount = (functions: number, primaryGroups: number): number => 2 * functions + 4 + 2 * primaryGroups;

/**
 * The alarms a careful operator puts on a termination handler's one function: its errors and its dead-letter queue,
 * as spotwise's stack does for each of its functions.
 */
export const HANDLER_ALARMS = 2;

/**
 * PutMetricData requests the CloudWatch agent makes per instance-hour: one per flush (`force_flush_interval` 60 in
 * lambda/adapters/cloudwatch-agent-config.json), all of its metrics in one request — its 10-second CPU points included.
 */
export const AGENT_PUT_REQUESTS_PER_INSTANCE_HOUR = 60;

/**
 * Metrics EC2 detailed monitoring sends per instance at 1-minute frequency (the rest stay at 5 minutes), each billed
 * as a custom metric. spotwise's profile reads 1-minute CPU, network and disk points, which exist only with detailed
 * monitoring on (basic monitoring sends one point per 5 minutes, free).
 */
export const DETAILED_MONITORING_METRICS_PER_INSTANCE = 7;

/** Hours in the month CloudWatch prorates custom metrics over. */
const HOURS_PER_MONTH = 730;

/**
 * Billed duration assumed per invocation, in seconds. spotwise's own compute is milliseconds (`npm run
 * bench`); what bills is the wait on AWS calls, tens to hundreds of milliseconds each, one after another on
 * the notice path. A profiler tick reads metrics, predicts and writes the fleet; a retraining run fine-tunes the model
 * (seconds to a few minutes of its 300-second budget: one minute assumed). Termination handlers of the baselines make
 * one or two calls.
 */
export const BILLED_SECONDS = { notice: 0.5, coordinator: 0.5, executor: 0.5, profiler: 5, retrainer: 60, handler: 0.2 } as const;
export type BilledFunction = keyof typeof BILLED_SECONDS;

/** What a strategy's software did in a run. */
export interface SoftwareUsage {
  /** Invocations per function, with its memory in MB. */
  readonly invocations: readonly { readonly fn: BilledFunction; readonly count: number; readonly memoryMb: number }[];
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
  readonly eventsPublished: number;
  readonly schedulerInvocations: number;
  readonly metricsRequested: number;
  /** Instance-hours with the CloudWatch agent publishing `agentMetricsPerInstance` custom metrics. */
  readonly agentInstanceHours: number;
  readonly agentMetricsPerInstance: number;
  /** Instance-hours with EC2 detailed monitoring on (DETAILED_MONITORING_METRICS_PER_INSTANCE metrics each). */
  readonly detailedMonitoringInstanceHours: number;
  /** Metric-hours of the strategy's own custom metrics: each distinct name and dimensions, per clock hour it sent a datapoint in. */
  readonly ownMetricHours: number;
  /** Dashboard-hours: its dashboards times the hours the run lasts. */
  readonly dashboardHours: number;
  /** Alarm-hours: its alarms times the hours the run lasts. */
  readonly alarmHours: number;
}

export interface SoftwareBill {
  readonly lambda: number;
  readonly dynamodb: number;
  readonly eventbridge: number;
  readonly scheduler: number;
  readonly cloudwatchReads: number;
  readonly agentMetrics: number;
  /** The agent's PutMetricData requests (AGENT_PUT_REQUESTS_PER_INSTANCE_HOUR per agent instance-hour). */
  readonly agentRequests: number;
  readonly detailedMonitoring: number;
  /** The strategy's own custom metrics (spotwise's embedded metric records). */
  readonly ownMetrics: number;
  readonly dashboards: number;
  readonly alarms: number;
  readonly total: number;
}

export const NO_SOFTWARE: SoftwareUsage = {
  invocations: [],
  dynamoReads: 0,
  dynamoWrites: 0,
  eventsPublished: 0,
  schedulerInvocations: 0,
  metricsRequested: 0,
  agentInstanceHours: 0,
  agentMetricsPerInstance: 0,
  detailedMonitoringInstanceHours: 0,
  ownMetricHours: 0,
  dashboardHours: 0,
  alarmHours: 0,
};

/** Prices a run's software usage (pure; every count must be a finite number ≥ 0). */
export const priceSoftware = (u: SoftwareUsage): SoftwareBill => {
  const check = (field: string, v: number): number => {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`pricing software usage: ${field} must be a finite number ≥ 0 (got ${v})`);
    return v;
  };
  let lambda = 0;
  for (const i of u.invocations) {
    const n = check(`invocations.${i.fn}.count`, i.count);
    const gb = check(`invocations.${i.fn}.memoryMb`, i.memoryMb) / 1024;
    lambda += n * (AWS_PRICES.lambdaRequestUsd + gb * BILLED_SECONDS[i.fn] * AWS_PRICES.lambdaGbSecondUsd);
  }
  const dynamodb = check('dynamoReads', u.dynamoReads) * AWS_PRICES.dynamoReadUsd + check('dynamoWrites', u.dynamoWrites) * AWS_PRICES.dynamoWriteUsd;
  const eventbridge = check('eventsPublished', u.eventsPublished) * AWS_PRICES.eventBridgeEventUsd;
  const scheduler = check('schedulerInvocations', u.schedulerInvocations) * AWS_PRICES.schedulerInvocationUsd;
  const cloudwatchReads = check('metricsRequested', u.metricsRequested) * AWS_PRICES.getMetricDataPerMetricUsd;
  const agentMetrics =
    (check('agentInstanceHours', u.agentInstanceHours) * check('agentMetricsPerInstance', u.agentMetricsPerInstance) * AWS_PRICES.customMetricMonthUsd) /
    HOURS_PER_MONTH;
  // An instance publishing no agent metric makes no PutMetricData request.
  const agentRequests = u.agentMetricsPerInstance > 0 ? u.agentInstanceHours * AGENT_PUT_REQUESTS_PER_INSTANCE_HOUR * AWS_PRICES.cloudWatchApiRequestUsd : 0;
  const detailedMonitoring =
    (check('detailedMonitoringInstanceHours', u.detailedMonitoringInstanceHours) * DETAILED_MONITORING_METRICS_PER_INSTANCE * AWS_PRICES.customMetricMonthUsd) /
    HOURS_PER_MONTH;
  const ownMetrics = (check('ownMetricHours', u.ownMetricHours) * AWS_PRICES.customMetricMonthUsd) / HOURS_PER_MONTH;
  const dashboards = (check('dashboardHours', u.dashboardHours) * AWS_PRICES.dashboardMonthUsd) / HOURS_PER_MONTH;
  const alarms = (check('alarmHours', u.alarmHours) * AWS_PRICES.alarmMonthUsd) / HOURS_PER_MONTH;
  return {
    lambda,
    dynamodb,
    eventbridge,
    scheduler,
    cloudwatchReads,
    agentMetrics,
    agentRequests,
    detailedMonitoring,
    ownMetrics,
    dashboards,
    alarms,
    total: lambda + dynamodb + eventbridge + scheduler + cloudwatchReads + agentMetrics + agentRequests + detailedMonitoring + ownMetrics + dashboards + alarms,
  };
};
