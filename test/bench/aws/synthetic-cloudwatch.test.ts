import { afterEach, describe, expect, it } from 'vitest';
import { createSyntheticCloudWatch, type SyntheticCloudWatch } from '../../../bench/aws/synthetic-cloudwatch';
import { benchCatalog } from '../../../bench/fleet/synthetic-fleet';
import { loadShapeOf, syntheticSample } from '../../../bench/fleet/synthetic-metrics';
import { CloudWatchMetricsReader, queriesForTarget } from '../../../lambda/adapters/cloudwatch-metrics-reader';
import { instanceId, type InstanceTypeSpec } from '../../../lambda/core/domain';
import type { MetricTarget } from '../../../lambda/ports/metrics-reader';

const T0 = Date.UTC(2026, 0, 12, 8, 0, 0);
const spec = (name: string): InstanceTypeSpec => {
  const s = benchCatalog().find((x) => x.name === name);
  if (s === undefined) throw new Error(`no ${name} in the bench catalog`);
  return s;
};

/** The profiler benchmark's CloudWatch: the REAL reader must read back exactly the synthetic load. */
describe('synthetic CloudWatch under the real reader', () => {
  let cw: SyntheticCloudWatch | undefined;
  afterEach(() => cw?.restore());

  const ids = Array.from({ length: 70 }, (_, i) => `i-0d${i.toString(16).padStart(15, '0')}`);
  const targets: MetricTarget[] = ids.map((id, i) => {
    const s = spec(i % 2 === 0 ? 'm5.large' : 'c5.xlarge');
    return { instanceId: instanceId(id), instanceType: s.name, vcpus: s.resources.vcpu, memoryGiB: s.resources.memoryGiB, agent: true };
  });

  it('returns a 60-minute window of every metric, 500 queries a call, that converts back to the synthetic samples', async () => {
    cw = createSyntheticCloudWatch(3, new Map(targets.map((t, index) => [t.instanceId as string, { index, spec: spec(t.instanceType) }] as const)));
    const read = await new CloudWatchMetricsReader(cw.client).read(targets, { start: T0, end: T0 + 60 * 60_000 });
    const queries = targets.reduce((n, t) => n + queriesForTarget(t).length, 0);
    expect(queries).toBe(560);
    expect(read).toMatchObject({ calls: 2, queries });
    expect(cw.counts).toEqual({ calls: 2, queries });
    for (const [i, t] of targets.entries()) {
      const samples = read.samples.get(t.instanceId) ?? [];
      expect(samples).toHaveLength(60);
      const want = syntheticSample(3, i, loadShapeOf(3, i), spec(t.instanceType), T0 + 17 * 60_000);
      const got = samples[17];
      expect(got?.at).toBe(want.at);
      for (const field of ['cpuPercent', 'cpuMaxPercent', 'memoryGiB', 'networkMbps', 'diskIops', 'connections'] as const) {
        expect(got?.[field]).toBeCloseTo(want[field] ?? Number.NaN, 6);
      }
    }
  });

  it("answers the default deployment's reads: the agent's CPU per minute, EC2's metrics per 5-minute period (averages, peaks, rates)", async () => {
    cw = createSyntheticCloudWatch(3, new Map(targets.map((t, index) => [t.instanceId as string, { index, spec: spec(t.instanceType) }] as const)));
    const t = targets[0] as MetricTarget;
    const reader = new CloudWatchMetricsReader(cw.client);
    const window = { start: T0, end: T0 + 10 * 60_000 };
    const minutes = Array.from({ length: 10 }, (_, m) => syntheticSample(3, 0, loadShapeOf(3, 0), spec(t.instanceType), T0 + m * 60_000));
    const agent = (await reader.read([{ ...t, agentCpu: true, only: 'agent' }], window)).samples.get(t.instanceId) ?? [];
    expect(agent).toHaveLength(10);
    agent.forEach((s, m) => {
      expect(s.cpuPercent).toBeCloseTo(minutes[m]?.cpuPercent ?? Number.NaN, 6);
      expect(s.networkMbps).toBeUndefined();
    });
    const ec2 = (await reader.read([{ ...t, basicMonitoring: true, only: 'ec2' }], window)).samples.get(t.instanceId) ?? [];
    expect(ec2.map((s) => s.at)).toEqual([T0, T0 + 5 * 60_000]);
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = minutes.slice(0, 5);
    expect(ec2[0]?.cpuPercent).toBeCloseTo(mean(first.map((s) => s.cpuPercent ?? 0)), 6);
    expect(ec2[0]?.cpuMaxPercent).toBeCloseTo(Math.max(...first.map((s) => s.cpuMaxPercent ?? 0)), 6);
    // 5 minutes of bytes summed, divided by 300 s by the reader: the minutes' mean rate.
    expect(ec2[0]?.networkMbps).toBeCloseTo(mean(first.map((s) => s.networkMbps ?? 0)), 6);
    expect(ec2[0]?.diskIops).toBeCloseTo(mean(first.map((s) => s.diskIops ?? 0)), 6);
  });

  it('an unknown instance gets no datapoints (the reader reports no samples, never zeros)', async () => {
    cw = createSyntheticCloudWatch(3, new Map());
    const read = await new CloudWatchMetricsReader(cw.client).read(targets.slice(0, 2), { start: T0, end: T0 + 5 * 60_000 });
    expect(read.samples.size).toBe(0);
  });

  it('refuses what CloudWatch refuses: more than 100,800 data points in one call', async () => {
    cw = createSyntheticCloudWatch(3, new Map(targets.map((t, index) => [t.instanceId as string, { index, spec: spec(t.instanceType) }] as const)));
    // 500 queries × 1,440 minutes = 720,000 points.
    await expect(new CloudWatchMetricsReader(cw.client).read(targets, { start: T0, end: T0 + 1_440 * 60_000 })).rejects.toMatchObject({
      name: 'AwsCallError',
      cause: { message: expect.stringMatching(/720000 data points in one call \(CloudWatch allows 100800\)/) },
    });
  });
});
