import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import type { InstanceTypeSpec } from '../../lambda/core/domain';
import { loadShapeOf, syntheticSample, type LoadShape } from '../fleet/synthetic-metrics';

/**
 * A CloudWatch client whose GetMetricData is answered (aws-sdk-client-mock) with the synthetic load of
 * bench/fleet/synthetic-metrics.ts: one point per period of the window for every query, in the units CloudWatch
 * uses (CPUUtilization percent; NetworkIn/Out bytes and EBS ops summed per minute; the agent's cpu_usage_active,
 * mem_used_percent and netstat_tcp_established). A query at Period 300 (EC2's metrics under basic monitoring) gets one
 * point per 5-minute period, stamped at its start, its minutes aggregated by the query's statistic. The REAL
 * CloudWatchMetricsReader reads it, so its batching (500 queries a call), paging and unit conversion are what is
 * measured and counted.
 *
 * A call is refused as CloudWatch refuses it: more than 500 queries, or more than 100,800 data points.
 */
export interface SyntheticCloudWatch {
  readonly client: CloudWatchClient;
  /** Calls made and queries requested so far (reset with `resetCounts`). */
  readonly counts: { calls: number; queries: number };
  resetCounts(): void;
  restore(): void;
}

const MAX_QUERIES = 500;
const MAX_DATA_POINTS = 100_800;
const MINUTE_MS = 60_000;

export const createSyntheticCloudWatch = (
  seed: number,
  instances: ReadonlyMap<string, { readonly index: number; readonly spec: InstanceTypeSpec }>,
): SyntheticCloudWatch => {
  const client = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const mock = mockClient(client);
  const counts = { calls: 0, queries: 0 };
  const shapes = new Map<number, LoadShape>();
  const shapeOf = (index: number): LoadShape => {
    let s = shapes.get(index);
    if (s === undefined) shapes.set(index, (s = loadShapeOf(seed, index)));
    return s;
  };

  mock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    // sinon keeps every call's arguments and result: cleared (right after the call; not during it,
    // which sinon refuses) so the run does not hold every response alive.
    queueMicrotask(() => mock.resetHistory());
    const queries = input.MetricDataQueries ?? [];
    counts.calls += 1;
    counts.queries += queries.length;
    if (queries.length > MAX_QUERIES) throw new Error(`GetMetricData: ${queries.length} queries in one call (CloudWatch allows ${MAX_QUERIES})`);
    const start = Math.ceil(new Date(input.StartTime ?? 0).getTime() / MINUTE_MS) * MINUTE_MS;
    const end = new Date(input.EndTime ?? 0).getTime();
    const minutes: number[] = [];
    for (let t = start; t < end; t += MINUTE_MS) minutes.push(t);
    if (minutes.length * queries.length > MAX_DATA_POINTS)
      throw new Error(`GetMetricData: ${minutes.length * queries.length} data points in one call (CloudWatch allows ${MAX_DATA_POINTS})`);
    const results: MetricDataResult[] = queries.map((q) => {
      const stat = q.MetricStat;
      const id = stat?.Metric?.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value ?? '';
      const known = instances.get(id);
      if (known === undefined || stat === undefined) return { Id: q.Id, Timestamps: [], Values: [], StatusCode: 'Complete' };
      const shape = shapeOf(known.index);
      const minuteValue = (t: number): number | undefined =>
        valueOf(stat.Metric?.MetricName ?? '', stat.Stat ?? '', syntheticSample(seed, known.index, shape, known.spec, t), known.spec);
      const periodMs = (stat.Period ?? 60) * 1000;
      const present: (readonly [Date, number])[] = [];
      for (let p = Math.ceil(start / periodMs) * periodMs; p + periodMs <= end; p += periodMs) {
        const values: number[] = [];
        for (let t = p; t < p + periodMs; t += MINUTE_MS) {
          const v = minuteValue(t);
          if (v !== undefined) values.push(v);
        }
        if (values.length > 0) present.push([new Date(p), aggregate(stat.Stat ?? '', values)]);
      }
      return { Id: q.Id, Label: stat.Metric?.MetricName, Timestamps: present.map(([t]) => t), Values: present.map(([, v]) => v), StatusCode: 'Complete' };
    });
    return { MetricDataResults: results, Messages: [] };
  });

  return {
    client,
    counts,
    resetCounts: () => {
      counts.calls = 0;
      counts.queries = 0;
    },
    restore: () => mock.restore(),
  };
};

/** A period's datapoint from its minutes' values, by the query's statistic. */
const aggregate = (stat: string, values: readonly number[]): number => {
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (stat === 'Maximum') return Math.max(...values);
  return values.reduce((a, b) => a + b, 0) / values.length;
};

/** The raw CloudWatch value of one metric and statistic for a synthetic minute (undefined: no datapoint). */
const valueOf = (metric: string, stat: string, s: ReturnType<typeof syntheticSample>, spec: InstanceTypeSpec): number | undefined => {
  switch (metric) {
    case 'CPUUtilization':
    case 'cpu_usage_active':
      return stat === 'Maximum' ? s.cpuMaxPercent : s.cpuPercent;
    // Bytes per minute, split evenly between in and out (the reader adds them back up).
    case 'NetworkIn':
    case 'NetworkOut':
      return ((s.networkMbps ?? 0) * 1e6 * 60) / 8 / 2;
    // Operations per minute, split evenly between reads and writes.
    case 'EBSReadOps':
    case 'EBSWriteOps':
    case 'DiskReadOps':
    case 'DiskWriteOps':
      return ((s.diskIops ?? 0) * 60) / 2;
    case 'mem_used_percent':
      return ((s.memoryGiB ?? 0) / spec.resources.memoryGiB) * 100;
    case 'netstat_tcp_established':
      return s.connections;
    default:
      return undefined;
  }
};
