import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { InstanceId, MetricSample } from '../core/domain';
import type { MetricReadResult, MetricTarget, MetricWindow, MetricsReader } from '../ports/metrics-reader';
import { chunk } from './chunk';
import { callAws } from './errors';

export const EC2_NAMESPACE = 'AWS/EC2';
/** Namespace of the CloudWatch agent (see cloudwatch-agent-config.json beside this file). */
export const CWAGENT_NAMESPACE = 'CWAgent';

/** The CWAgent metric names the reader queries; the shipped agent configuration produces exactly these. */
export const CwAgentMetric = {
  memoryUsedPercent: 'mem_used_percent',
  tcpEstablished: 'netstat_tcp_established',
} as const;
/**
 * The agent's CPU metric, published only by the configuration for instances on basic monitoring
 * (cloudwatch-agent-config-cpu.json): the share of time not idle over all cores, dimension cpu=cpu-total.
 */
export const CWAGENT_CPU_METRIC = 'cpu_usage_active';
export const CWAGENT_CPU_TOTAL = { Name: 'cpu', Value: 'cpu-total' } as const;

/** GetMetricData accepts at most 500 metric queries per call (CloudWatch API reference, GetMetricData). */
export const MAX_QUERIES_PER_CALL = 500;
export const PERIOD_SECONDS = 60;
/** The period of EC2's metrics under basic monitoring (detailed monitoring off). */
export const BASIC_MONITORING_PERIOD_SECONDS = 300;

/** The period a target's EC2 metrics are read at: 1 minute with detailed monitoring, else 5. */
export const ec2PeriodSeconds = (target: Pick<MetricTarget, 'basicMonitoring'>): number =>
  target.basicMonitoring === true ? BASIC_MONITORING_PERIOD_SECONDS : PERIOD_SECONDS;

const MINUTE_MS = 60_000;
const BITS_PER_BYTE = 8;

/** What one query measures; each target gets one query per (metric, stat) it has. */
export type MetricQueryKind = 'cpuAvg' | 'cpuMax' | 'netIn' | 'netOut' | 'diskReadOps' | 'diskWriteOps' | 'memoryPercent' | 'connections';

export interface MetricQuerySpec {
  readonly kind: MetricQueryKind;
  readonly namespace: string;
  readonly metricName: string;
  readonly stat: 'Average' | 'Maximum' | 'Sum';
  /** Seconds per datapoint asked for: the metric's own resolution (ec2PeriodSeconds for EC2's, 60 for the agent's). */
  readonly period: number;
  readonly dimensions: readonly { readonly Name: string; readonly Value: string }[];
}

/**
 * The queries for one instance. EC2's own metrics always; the agent's only where the agent runs, so no query is
 * paid for that can only return nothing; `only` keeps one of the two.
 * - CPUUtilization: Average and Maximum (peak within the minute; with basic monitoring both are 5-minute values). With
 *   `agentCpu` the agent's cpu_usage_active is asked instead (Average and Maximum of its 10-second points per minute).
 * - NetworkIn/NetworkOut and EBS/Disk ops are counts per period, hence Sum (converted to rates below).
 * - EBSReadOps/EBSWriteOps are reported for Nitro instances; instance-store disks report DiskReadOps/DiskWriteOps.
 * - EC2's metrics are asked at the target's own resolution (ec2PeriodSeconds): 1 minute with detailed monitoring, 5
 *   without — asking a 5-minute metric for 1-minute periods returns its 5-minute Sum in one minute.
 */
export const queriesForTarget = (target: MetricTarget): MetricQuerySpec[] => {
  const byInstance = [{ Name: 'InstanceId', Value: target.instanceId }] as const;
  const ec2 = (kind: MetricQueryKind, metricName: string, stat: MetricQuerySpec['stat']): MetricQuerySpec => ({
    kind,
    namespace: EC2_NAMESPACE,
    metricName,
    stat,
    period: ec2PeriodSeconds(target),
    dimensions: byInstance,
  });
  const agent = (
    kind: MetricQueryKind,
    metricName: string,
    stat: MetricQuerySpec['stat'],
    dimensions: MetricQuerySpec['dimensions'] = byInstance,
  ): MetricQuerySpec => ({
    kind,
    namespace: CWAGENT_NAMESPACE,
    metricName,
    stat,
    period: PERIOD_SECONDS,
    dimensions,
  });
  const disk = target.instanceStore === true ? 'Disk' : 'EBS';
  const queries: MetricQuerySpec[] = [];
  if (target.only !== 'agent') {
    if (target.agentCpu !== true) queries.push(ec2('cpuAvg', 'CPUUtilization', 'Average'), ec2('cpuMax', 'CPUUtilization', 'Maximum'));
    queries.push(
      ec2('netIn', 'NetworkIn', 'Sum'),
      ec2('netOut', 'NetworkOut', 'Sum'),
      ec2('diskReadOps', `${disk}ReadOps`, 'Sum'),
      ec2('diskWriteOps', `${disk}WriteOps`, 'Sum'),
    );
  }
  if (target.agent && target.only !== 'ec2') {
    if (target.agentCpu === true) {
      const cpuDimensions = [...byInstance, CWAGENT_CPU_TOTAL];
      queries.push(agent('cpuAvg', CWAGENT_CPU_METRIC, 'Average', cpuDimensions), agent('cpuMax', CWAGENT_CPU_METRIC, 'Maximum', cpuDimensions));
    }
    queries.push(agent('memoryPercent', CwAgentMetric.memoryUsedPercent, 'Average'), agent('connections', CwAgentMetric.tcpEstablished, 'Average'));
  }
  return queries;
};

type RawMinute = Partial<Record<MetricQueryKind, number>>;

/**
 * Turns one minute of raw values into a MetricSample. A dimension made of two metrics (network in + out,
 * read + write ops) is reported only when both are present: half of it would look like a real, low value.
 * Memory comes from mem_used_percent (whole instance: the memory its processes hold, what a replacement must hold).
 * Network and disk Sums are over the target's EC2 period (ec2PeriodSeconds), so they become rates over that period.
 */
export const toMetricSample = (at: number, raw: RawMinute, target: MetricTarget, periodSeconds = ec2PeriodSeconds(target)): MetricSample | undefined => {
  const sample: { -readonly [K in keyof MetricSample]: MetricSample[K] } = { at };
  if (raw.cpuAvg !== undefined) sample.cpuPercent = raw.cpuAvg;
  if (raw.cpuMax !== undefined) sample.cpuMaxPercent = raw.cpuMax;
  if (raw.netIn !== undefined && raw.netOut !== undefined) {
    sample.networkMbps = ((raw.netIn + raw.netOut) * BITS_PER_BYTE) / periodSeconds / 1e6;
  }
  if (raw.diskReadOps !== undefined && raw.diskWriteOps !== undefined) {
    sample.diskIops = (raw.diskReadOps + raw.diskWriteOps) / periodSeconds;
  }
  if (raw.memoryPercent !== undefined) sample.memoryGiB = (raw.memoryPercent / 100) * target.memoryGiB;
  if (raw.connections !== undefined) sample.connections = raw.connections;
  return Object.keys(sample).length > 1 ? sample : undefined;
};

export interface CloudWatchMetricsReaderOptions {
  /** Lowered only by tests; CloudWatch's cap is 500. */
  readonly maxQueriesPerCall?: number;
}

/**
 * MetricsReader over CloudWatch GetMetricData: one window of 1-minute points per query, every target's
 * queries packed 500 to a call, NextToken pages followed. GetMetricData is priced per metric requested,
 * not per data point (DESIGN.md §1), so a tick reads its whole window in one pass; `queries` counts the
 * metrics requested in every call, pages included, for cost accounting (see cloudwatch-cost.ts).
 */
export class CloudWatchMetricsReader implements MetricsReader {
  private readonly maxQueriesPerCall: number;

  constructor(
    private readonly client: CloudWatchClient,
    options: CloudWatchMetricsReaderOptions = {},
  ) {
    const max = options.maxQueriesPerCall ?? MAX_QUERIES_PER_CALL;
    if (!Number.isInteger(max) || max < 1 || max > MAX_QUERIES_PER_CALL) {
      throw new RangeError(`maxQueriesPerCall must be an integer in 1..${MAX_QUERIES_PER_CALL} (got ${max})`);
    }
    this.maxQueriesPerCall = max;
  }

  async read(targets: readonly MetricTarget[], window: MetricWindow): Promise<MetricReadResult> {
    // With a basic-monitoring target the window is whole 5-minute periods: a period cut by either end would read as a
    // partial Sum (a low rate) or be read again in part.
    const read = alignWindow(window, targets.some((t) => t.basicMonitoring === true) ? BASIC_MONITORING_PERIOD_SECONDS * 1000 : MINUTE_MS);
    const { start, end } = read;
    const empty = { samples: new Map<InstanceId, MetricSample[]>(), window: read, calls: 0, queries: 0 };
    if (targets.length === 0 || end <= start) return empty;

    const index = new Map<string, { readonly target: MetricTarget; readonly kind: MetricQueryKind }>();
    const queries: MetricDataQuery[] = [];
    for (const target of targets) {
      for (const spec of queriesForTarget(target)) {
        // Ids must start with a lower-case letter and be unique within a call; unique across the read is simpler.
        const id = `q${queries.length}`;
        index.set(id, { target, kind: spec.kind });
        queries.push({
          Id: id,
          MetricStat: {
            Metric: { Namespace: spec.namespace, MetricName: spec.metricName, Dimensions: spec.dimensions.map((d) => ({ ...d })) },
            Period: spec.period,
            Stat: spec.stat,
          },
          ReturnData: true,
        });
      }
    }

    const raw = new Map<InstanceId, Map<number, RawMinute>>();
    let calls = 0;
    let requested = 0;
    const operation = `reading metrics of ${targets.length} instance(s) from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}`;
    for (const batch of chunk(queries, this.maxQueriesPerCall)) {
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const response = await callAws(operation, () =>
          this.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: batch,
              StartTime: new Date(start),
              EndTime: new Date(end),
              ScanBy: 'TimestampAscending',
              ...(token !== undefined ? { NextToken: token } : {}),
            }),
          ),
        );
        calls += 1;
        requested += batch.length;
        for (const result of response.MetricDataResults ?? []) {
          const entry = result.Id === undefined ? undefined : index.get(result.Id);
          if (entry === undefined) continue;
          const timestamps = result.Timestamps ?? [];
          const values = result.Values ?? [];
          timestamps.forEach((ts, i) => {
            const value = values[i];
            // CloudWatch never returns NaN, but a non-finite value must stay missing, never become a number.
            if (value === undefined || !Number.isFinite(value)) return;
            const at = Math.floor(new Date(ts).getTime() / MINUTE_MS) * MINUTE_MS;
            let minutes = raw.get(entry.target.instanceId);
            if (minutes === undefined) raw.set(entry.target.instanceId, (minutes = new Map()));
            const minute = minutes.get(at) ?? {};
            minute[entry.kind] = value;
            minutes.set(at, minute);
          });
        }
        nextToken = response.NextToken === '' ? undefined : response.NextToken;
      } while (nextToken !== undefined);
    }

    const samples = new Map<InstanceId, MetricSample[]>();
    for (const target of targets) {
      const minutes = raw.get(target.instanceId);
      if (minutes === undefined) continue;
      const list = [...minutes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([at, values]) => toMetricSample(at, values, target))
        .filter((s): s is MetricSample => s !== undefined);
      if (list.length > 0) samples.set(target.instanceId, list);
    }
    return { samples, window: read, calls, queries: requested };
  }
}

/**
 * Aligns the window to whole minutes (or whole `stepMs` periods): start rounded down, end rounded down too, so the
 * period still in progress is left out (a partial period's Sum would read as a low rate). CloudWatch also answers faster
 * for windows aligned to the period (GetMetricData API reference, StartTime).
 */
export const alignWindow = (window: MetricWindow, stepMs: number = MINUTE_MS): MetricWindow => {
  if (!Number.isFinite(window.start) || !Number.isFinite(window.end)) {
    throw new RangeError(`metric window must have finite start and end (got start ${window.start}, end ${window.end})`);
  }
  if (window.end < window.start) throw new RangeError(`metric window ends before it starts (start ${window.start}, end ${window.end})`);
  return { start: Math.floor(window.start / stepMs) * stepMs, end: Math.floor(window.end / stepMs) * stepMs };
};
