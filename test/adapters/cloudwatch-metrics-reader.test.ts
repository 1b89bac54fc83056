import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, GetMetricDataCommand, LimitExceededException, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchMetricsReader,
  MAX_QUERIES_PER_CALL,
  alignWindow,
  queriesForTarget,
  toMetricSample,
  type MetricQueryKind,
} from '../../lambda/adapters/cloudwatch-metrics-reader';
import { ThrottledError } from '../../lambda/adapters/errors';
import { SAMPLE_FIELDS, instanceId } from '../../lambda/core/domain';
import type { MetricTarget } from '../../lambda/ports/metrics-reader';
import { ec2Error, meta } from './aws-errors';

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

const target = (id: string, extra: Partial<MetricTarget> = {}): MetricTarget => ({
  instanceId: instanceId(id),
  instanceType: 'm5.large',
  vcpus: 2,
  memoryGiB: 8,
  agent: false,
  ...extra,
});

const byInstance = (id: string) => [{ Name: 'InstanceId', Value: id }];

beforeEach(() => {
  cw.reset();
});

describe('CloudWatchMetricsReader commands', () => {
  it('sends one GetMetricData with one query per (instance, metric, stat) over the minute-aligned window', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const reader = new CloudWatchMetricsReader(new CloudWatchClient({}));
    const result = await reader.read([target('i-1', { agent: true })], {
      start: T0 + 12_345,
      end: T0 + 10 * MINUTE + 59_999,
    });

    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const stat = (id: string, namespace: string, name: string, s: string, dims = byInstance('i-1')): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dims }, Period: 60, Stat: s },
      ReturnData: true,
    });
    expect(cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input).toEqual({
      MetricDataQueries: [
        stat('q0', 'AWS/EC2', 'CPUUtilization', 'Average'),
        stat('q1', 'AWS/EC2', 'CPUUtilization', 'Maximum'),
        stat('q2', 'AWS/EC2', 'NetworkIn', 'Sum'),
        stat('q3', 'AWS/EC2', 'NetworkOut', 'Sum'),
        stat('q4', 'AWS/EC2', 'EBSReadOps', 'Sum'),
        stat('q5', 'AWS/EC2', 'EBSWriteOps', 'Sum'),
        stat('q6', 'CWAgent', 'mem_used_percent', 'Average'),
        stat('q7', 'CWAgent', 'netstat_tcp_established', 'Average'),
      ],
      // Start rounded down, end rounded down: the minute in progress is not read.
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 10 * MINUTE),
      ScanBy: 'TimestampAscending',
    });
    expect(result).toEqual({ samples: new Map(), window: { start: T0, end: T0 + 10 * MINUTE }, calls: 1, queries: 8 });
  });

  it('asks EC2 metrics of a basic-monitoring target at 5 minutes (the agent at 1) over a window of whole 5-minute periods', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [30] },
        { Id: 'q1', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [90] },
        // 5 minutes of 18.75 MB each way: 1 Mbps, not the 5 Mbps a 60-second division would read.
        { Id: 'q2', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [18_750_000] },
        { Id: 'q3', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [18_750_000] },
        { Id: 'q4', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [6000] },
        { Id: 'q5', Timestamps: [new Date(T0 + 5 * MINUTE)], Values: [3000] },
        { Id: 'q6', Timestamps: [new Date(T0 + 5 * MINUTE), new Date(T0 + 6 * MINUTE)], Values: [50, 25] },
      ],
    });
    const result = await new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1', { agent: true, basicMonitoring: true })], {
      start: T0 + 2 * MINUTE + 1,
      end: T0 + 14 * MINUTE + 30_000,
    });
    const input = cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.MetricDataQueries?.map((q) => `${q.MetricStat?.Metric?.MetricName}/${q.MetricStat?.Period}`)).toEqual([
      'CPUUtilization/300',
      'CPUUtilization/300',
      'NetworkIn/300',
      'NetworkOut/300',
      'EBSReadOps/300',
      'EBSWriteOps/300',
      'mem_used_percent/60',
      'netstat_tcp_established/60',
    ]);
    // Both ends rounded down to 5-minute periods: the period still in progress (10–15) is not read.
    expect(input?.StartTime).toEqual(new Date(T0));
    expect(input?.EndTime).toEqual(new Date(T0 + 10 * MINUTE));
    // The window read is reported as read (a caller merging reads of other periods cuts by it).
    expect(result.window).toEqual({ start: T0, end: T0 + 10 * MINUTE });
    expect(result.samples.get(instanceId('i-1'))).toEqual([
      { at: T0 + 5 * MINUTE, cpuPercent: 30, cpuMaxPercent: 90, networkMbps: 1, diskIops: 30, memoryGiB: 4 },
      { at: T0 + 6 * MINUTE, memoryGiB: 2 },
    ]);
  });

  it("asks the agent's CPU (cpu_usage_active, cpu=cpu-total, per minute) in place of EC2's when told, and one side with `only`", async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Timestamps: [new Date(T0 + MINUTE)], Values: [35] },
        { Id: 'q1', Timestamps: [new Date(T0 + MINUTE)], Values: [80] },
        { Id: 'q2', Timestamps: [new Date(T0 + MINUTE)], Values: [50] },
      ],
    });
    const result = await new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1', { agent: true, agentCpu: true, only: 'agent' })], {
      start: T0,
      end: T0 + 3 * MINUTE,
    });
    const cpuDims = [...byInstance('i-1'), { Name: 'cpu', Value: 'cpu-total' }];
    const query = (id: string, name: string, s: string, dims = byInstance('i-1')): MetricDataQuery => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'CWAgent', MetricName: name, Dimensions: dims }, Period: 60, Stat: s },
      ReturnData: true,
    });
    expect(cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries).toEqual([
      query('q0', 'cpu_usage_active', 'Average', cpuDims),
      query('q1', 'cpu_usage_active', 'Maximum', cpuDims),
      query('q2', 'mem_used_percent', 'Average'),
      query('q3', 'netstat_tcp_established', 'Average'),
    ]);
    expect(result.samples.get(instanceId('i-1'))).toEqual([{ at: T0 + MINUTE, cpuPercent: 35, cpuMaxPercent: 80, memoryGiB: 4 }]);
  });

  it.each([
    [
      'agent CPU, both sides: no EC2 CPU',
      { agent: true, agentCpu: true },
      [
        'AWS/EC2/NetworkIn',
        'AWS/EC2/NetworkOut',
        'AWS/EC2/EBSReadOps',
        'AWS/EC2/EBSWriteOps',
        'CWAgent/cpu_usage_active',
        'CWAgent/cpu_usage_active',
        'CWAgent/mem_used_percent',
        'CWAgent/netstat_tcp_established',
      ],
    ],
    [
      'only EC2, basic monitoring',
      { agent: true, basicMonitoring: true, only: 'ec2' },
      ['AWS/EC2/CPUUtilization', 'AWS/EC2/CPUUtilization', 'AWS/EC2/NetworkIn', 'AWS/EC2/NetworkOut', 'AWS/EC2/EBSReadOps', 'AWS/EC2/EBSWriteOps'],
    ],
    [
      'only EC2 with agent CPU: network and disk',
      { agent: true, agentCpu: true, only: 'ec2' },
      ['AWS/EC2/NetworkIn', 'AWS/EC2/NetworkOut', 'AWS/EC2/EBSReadOps', 'AWS/EC2/EBSWriteOps'],
    ],
    ['only the agent, no agent: nothing', { agent: false, agentCpu: true, only: 'agent' }, []],
    [
      'agent CPU without the agent: EC2 without its CPU',
      { agent: false, agentCpu: true },
      ['AWS/EC2/NetworkIn', 'AWS/EC2/NetworkOut', 'AWS/EC2/EBSReadOps', 'AWS/EC2/EBSWriteOps'],
    ],
  ] as const)('queries: %s', (_label, extra, expected) => {
    expect(queriesForTarget(target('i-3', extra)).map((q) => `${q.namespace}/${q.metricName}`)).toEqual(expected);
  });

  it('reads DiskReadOps/DiskWriteOps for instance-store targets and no agent metrics without the agent', () => {
    const names = queriesForTarget(target('i-2', { instanceStore: true })).map((q) => `${q.namespace}/${q.metricName}/${q.stat}`);
    expect(names).toEqual([
      'AWS/EC2/CPUUtilization/Average',
      'AWS/EC2/CPUUtilization/Maximum',
      'AWS/EC2/NetworkIn/Sum',
      'AWS/EC2/NetworkOut/Sum',
      'AWS/EC2/DiskReadOps/Sum',
      'AWS/EC2/DiskWriteOps/Sum',
    ]);
  });

  it('packs at most 500 queries per call: 90 instances × 6 metrics = 540 → 500 + 40', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const targets = Array.from({ length: 90 }, (_, i) => target(`i-${i}`));
    const result = await new CloudWatchMetricsReader(new CloudWatchClient({})).read(targets, { start: T0, end: T0 + 60 * MINUTE });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls.map((c) => c.args[0].input.MetricDataQueries?.length)).toEqual([MAX_QUERIES_PER_CALL, 40]);
    const ids = calls.flatMap((c) => c.args[0].input.MetricDataQueries?.map((q) => q.Id) ?? []);
    expect(new Set(ids).size).toBe(540);
    expect(result.calls).toBe(2);
    expect(result.queries).toBe(540);
  });

  it('follows NextToken with the same queries and merges the pages', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'q0', Timestamps: [new Date(T0)], Values: [10], StatusCode: 'PartialData' }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'q0', Timestamps: [new Date(T0 + MINUTE)], Values: [30], StatusCode: 'Complete' },
          { Id: 'q1', Timestamps: [new Date(T0), new Date(T0 + MINUTE)], Values: [15, 45], StatusCode: 'Complete' },
        ],
      });
    const result = await new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1')], { start: T0, end: T0 + 2 * MINUTE });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input.NextToken).toBeUndefined();
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, { NextToken: 'page-2' });
    expect(calls[1]?.args[0].input).toEqual({ ...calls[0]?.args[0].input, NextToken: 'page-2' });
    expect(result.calls).toBe(2);
    expect(result.queries).toBe(12); // billed per metric requested, pages included
    expect(result.samples.get(instanceId('i-1'))).toEqual([
      { at: T0, cpuPercent: 10, cpuMaxPercent: 15 },
      { at: T0 + MINUTE, cpuPercent: 30, cpuMaxPercent: 45 },
    ]);
  });

  it('keeps missing metrics missing: no data for an instance means no samples, never zeros', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'q0', Timestamps: [new Date(T0)], Values: [50] },
        { Id: 'q2', Timestamps: [new Date(T0)], Values: [600_000] }, // NetworkIn without NetworkOut
        { Id: 'q6', Timestamps: [new Date(T0 + MINUTE)], Values: [Number.NaN] },
        { Id: 'unknown-id', Timestamps: [new Date(T0)], Values: [1] },
      ],
    });
    const result = await new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1'), target('i-quiet')], { start: T0, end: T0 + 5 * MINUTE });
    expect(result.samples.get(instanceId('i-1'))).toEqual([{ at: T0, cpuPercent: 50 }]);
    expect(result.samples.has(instanceId('i-quiet'))).toBe(false);
  });

  it('makes no call for no targets or an empty window', async () => {
    const reader = new CloudWatchMetricsReader(new CloudWatchClient({}));
    expect(await reader.read([], { start: T0, end: T0 + MINUTE })).toEqual({
      samples: new Map(),
      window: { start: T0, end: T0 + MINUTE },
      calls: 0,
      queries: 0,
    });
    expect(await reader.read([target('i-1')], { start: T0 + 1000, end: T0 + 59_000 })).toEqual({
      samples: new Map(),
      window: { start: T0, end: T0 },
      calls: 0,
      queries: 0,
    });
    expect(cw).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('translates throttling (by error code) and names the operation', async () => {
    cw.on(GetMetricDataCommand).rejects(ec2Error('Throttling', 'Rate exceeded'));
    const read = new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1')], { start: T0, end: T0 + MINUTE });
    await expect(read).rejects.toBeInstanceOf(ThrottledError);
    await expect(read).rejects.toThrow(/^reading metrics of 1 instance\(s\) from 2026-01-15T12:00:00.000Z to 2026-01-15T12:01:00.000Z: throttled/);
    cw.on(GetMetricDataCommand).rejects(new LimitExceededException({ message: 'too many', $metadata: meta() }));
    await expect(new CloudWatchMetricsReader(new CloudWatchClient({})).read([target('i-1')], { start: T0, end: T0 + MINUTE })).rejects.toBeInstanceOf(
      ThrottledError,
    );
  });

  it('rejects a query cap outside 1..500', () => {
    expect(() => new CloudWatchMetricsReader(new CloudWatchClient({}), { maxQueriesPerCall: 501 })).toThrow(
      'maxQueriesPerCall must be an integer in 1..500 (got 501)',
    );
  });
});

describe('toMetricSample', () => {
  const t = target('i-1', { memoryGiB: 16 });
  it.each<[string, Partial<Record<MetricQueryKind, number>>, object | undefined, boolean?]>([
    ['CPU average and max', { cpuAvg: 12.5, cpuMax: 80 }, { cpuPercent: 12.5, cpuMaxPercent: 80 }],
    ['network bytes per minute → Mbps (in + out)', { netIn: 3_750_000, netOut: 3_750_000 }, { networkMbps: 1 }],
    ['network with one direction missing stays missing', { netIn: 3_750_000 }, undefined],
    ['disk ops per minute → IOPS (read + write)', { diskReadOps: 1200, diskWriteOps: 600 }, { diskIops: 30 }],
    ['basic monitoring: disk ops per 5 minutes → IOPS', { diskReadOps: 6000, diskWriteOps: 3000 }, { diskIops: 30 }, true],
    ['basic monitoring: network bytes per 5 minutes → Mbps', { netIn: 18_750_000, netOut: 18_750_000 }, { networkMbps: 1 }, true],
    ['memory percent → GiB of the type', { memoryPercent: 25 }, { memoryGiB: 4 }],
    ['connections', { connections: 42 }, { connections: 42 }],
    ['nothing', {}, undefined],
  ])('%s', (_label, raw, expected, basic) => {
    const sample = toMetricSample(T0, raw, basic === true ? { ...t, basicMonitoring: true } : t);
    expect(sample).toEqual(expected === undefined ? undefined : { at: T0, ...expected });
  });

  it('never invents a field: each output field comes from its inputs, and non-negative inputs stay non-negative', () => {
    const kinds: MetricQueryKind[] = ['cpuAvg', 'cpuMax', 'netIn', 'netOut', 'diskReadOps', 'diskWriteOps', 'memoryPercent', 'connections'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...kinds), fc.double({ min: 0, max: 1e12, noNaN: true })), (raw) => {
        const sample = toMetricSample(T0, raw, t);
        const has = (k: MetricQueryKind) => raw[k] !== undefined;
        if (sample === undefined) {
          // Only a lone half of a two-metric dimension (or nothing) gives no sample.
          expect(has('cpuAvg') || has('cpuMax') || has('memoryPercent') || has('connections')).toBe(false);
          return;
        }
        expect('networkMbps' in sample).toBe(has('netIn') && has('netOut'));
        expect('diskIops' in sample).toBe(has('diskReadOps') && has('diskWriteOps'));
        expect('memoryGiB' in sample).toBe(has('memoryPercent'));
        expect('cpuPercent' in sample).toBe(has('cpuAvg'));
        for (const field of SAMPLE_FIELDS) {
          const v = sample[field];
          if (v !== undefined) expect(v).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe('alignWindow', () => {
  it('rounds both ends down to whole minutes and never widens the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 1e9 }), (start, length) => {
        const aligned = alignWindow({ start, end: start + length });
        expect(aligned.start % MINUTE).toBe(0);
        expect(aligned.end % MINUTE).toBe(0);
        expect(aligned.start).toBeLessThanOrEqual(start);
        expect(aligned.end).toBeLessThanOrEqual(start + length);
        expect(start + length - aligned.end).toBeLessThan(MINUTE);
      }),
    );
  });

  it('rounds to whole periods of the step given (5-minute periods for basic monitoring)', () => {
    expect(alignWindow({ start: T0 + 7 * MINUTE, end: T0 + 29 * MINUTE }, 5 * MINUTE)).toEqual({ start: T0 + 5 * MINUTE, end: T0 + 25 * MINUTE });
  });

  it.each([
    [{ start: Number.NaN, end: T0 }, 'metric window must have finite start and end (got start NaN, end'],
    [{ start: T0, end: T0 - 1 }, 'metric window ends before it starts'],
  ])('rejects %j', (window, message) => {
    expect(() => alignWindow(window)).toThrow(message);
  });
});
