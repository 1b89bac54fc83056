import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awsClientConfig } from '../../lambda/adapters/aws-clients';
import {
  CloudWatchMetricsReader,
  CWAGENT_CPU_METRIC,
  CWAGENT_NAMESPACE,
  CwAgentMetric,
  EC2_NAMESPACE,
  queriesForTarget,
} from '../../lambda/adapters/cloudwatch-metrics-reader';
import { instanceId } from '../../lambda/core/domain';
import type { MetricTarget } from '../../lambda/ports/metrics-reader';
import { describeWithMoto } from './moto';

const MINUTE = 60_000;

describeWithMoto('CloudWatchMetricsReader against moto (real HTTP)', (moto) => {
  let client: CloudWatchClient;
  // Recent, minute-aligned: CloudWatch (and moto) keep 1-minute data for 15 days.
  const start = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;

  beforeAll(() => {
    // CloudWatch serves both the JSON protocol (the SDK's default) and the older query protocol; moto
    // 5.1 (Debian trixie) answers only the latter. The requests carry the same queries either way.
    // moto also does not inflate gzip request bodies, which the SDK uses for PutMetricData above 10 KB.
    client = new CloudWatchClient({ ...awsClientConfig(moto().clientOptions), protocol: AwsQueryProtocol, disableRequestCompression: true });
  });
  afterAll(() => client?.destroy());

  const put = async (namespace: string, data: MetricDatum[]) => {
    // PutMetricData takes up to 1000 datums per call.
    for (let i = 0; i < data.length; i += 500) await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 500) }));
  };
  const datum = (name: string, id: string, minute: number, value: number): MetricDatum => ({
    MetricName: name,
    Dimensions: [{ Name: 'InstanceId', Value: id }],
    Timestamp: new Date(start + minute * MINUTE),
    Value: value,
  });

  it('reads back, per minute and in resource units, what PutMetricData seeded, with missing minutes missing', async () => {
    const withAgent: MetricTarget = {
      instanceId: instanceId('i-0agent'),
      instanceType: 'm5.large',
      vcpus: 2,
      memoryGiB: 8,
      agent: true,
    };
    const bare: MetricTarget = { instanceId: instanceId('i-0bare'), instanceType: 'c5d.large', vcpus: 2, memoryGiB: 4, agent: false, instanceStore: true };
    const memoryOnly: MetricTarget = { instanceId: instanceId('i-0mem'), instanceType: 'r5.large', vcpus: 2, memoryGiB: 16, agent: true };

    const ec2: MetricDatum[] = [];
    for (let m = 0; m < 5; m += 1) {
      ec2.push(
        datum('CPUUtilization', withAgent.instanceId, m, 20 + m),
        datum('NetworkIn', withAgent.instanceId, m, 7_500_000), // bytes in the minute
        datum('NetworkOut', withAgent.instanceId, m, 0),
        datum('EBSReadOps', withAgent.instanceId, m, 600),
        datum('EBSWriteOps', withAgent.instanceId, m, 1200),
        datum('CPUUtilization', bare.instanceId, m, 50),
        datum('DiskReadOps', bare.instanceId, m, 60),
        datum('DiskWriteOps', bare.instanceId, m, 0),
      );
    }
    // Minute 2 of the bare instance has no NetworkOut: its network stays missing rather than reading as low.
    for (const m of [0, 1, 3, 4]) ec2.push(datum('NetworkIn', bare.instanceId, m, 750_000), datum('NetworkOut', bare.instanceId, m, 750_000));
    ec2.push(datum('NetworkIn', bare.instanceId, 2, 750_000));
    await put(EC2_NAMESPACE, ec2);
    await put(CWAGENT_NAMESPACE, [
      ...[0, 1, 2, 3, 4].map((m) => datum(CwAgentMetric.memoryUsedPercent, withAgent.instanceId, m, 50)),
      ...[0, 1, 2, 3, 4].map((m) => datum(CwAgentMetric.tcpEstablished, withAgent.instanceId, m, 120)),
      // Only the agent's memory here (EC2's metrics not yet in): a sample of memory alone, in GiB of the type.
      datum(CwAgentMetric.memoryUsedPercent, memoryOnly.instanceId, 0, 25),
    ]);

    const reader = new CloudWatchMetricsReader(client);
    const result = await reader.read([withAgent, bare, memoryOnly], { start, end: start + 5 * MINUTE });
    expect(result.calls).toBe(1);
    expect(result.queries).toBe(queriesForTarget(withAgent).length + queriesForTarget(bare).length + queriesForTarget(memoryOnly).length);
    expect(result.samples.get(memoryOnly.instanceId)).toEqual([{ at: start, memoryGiB: 4 }]);

    const agentSamples = result.samples.get(withAgent.instanceId) ?? [];
    expect(agentSamples.map((s) => s.at)).toEqual([0, 1, 2, 3, 4].map((m) => start + m * MINUTE));
    expect(agentSamples[3]).toEqual({
      at: start + 3 * MINUTE,
      cpuPercent: 23,
      cpuMaxPercent: 23,
      networkMbps: 1, // 7.5 MB × 8 bits / 60 s = 1 Mbps
      diskIops: 30, // 1800 ops / 60 s
      memoryGiB: 4, // 50 % of 8 GiB
      connections: 120,
    });

    const bareSamples = result.samples.get(bare.instanceId) ?? [];
    expect(bareSamples).toHaveLength(5);
    expect(bareSamples[0]).toEqual({ at: start, cpuPercent: 50, cpuMaxPercent: 50, networkMbps: 0.2, diskIops: 1 });
    expect(bareSamples[2]).not.toHaveProperty('networkMbps');
    for (const s of bareSamples) {
      expect(s).not.toHaveProperty('memoryGiB');
      expect(s).not.toHaveProperty('connections');
    }
  });

  it("reads the agent's total CPU (cpu=cpu-total), not a per-core series of the same metric, and only EC2's network and disk beside it", async () => {
    const t: MetricTarget = { instanceId: instanceId('i-0agentcpu'), instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent: true };
    const cpu = (minute: number, value: number, core: string): MetricDatum => ({
      MetricName: CWAGENT_CPU_METRIC,
      Dimensions: [
        { Name: 'InstanceId', Value: t.instanceId },
        { Name: 'cpu', Value: core },
      ],
      Timestamp: new Date(start + minute * MINUTE),
      Value: value,
    });
    // The total and, as a configuration with per-core `resources` would publish, core 0's own series.
    await put(CWAGENT_NAMESPACE, [cpu(0, 35, 'cpu-total'), cpu(1, 45, 'cpu-total'), cpu(0, 90, 'cpu0'), cpu(1, 95, 'cpu0')]);
    await put(EC2_NAMESPACE, [
      datum('CPUUtilization', t.instanceId, 0, 5),
      datum('NetworkIn', t.instanceId, 0, 7_500_000),
      datum('NetworkOut', t.instanceId, 0, 0),
    ]);
    const reader = new CloudWatchMetricsReader(client);
    const agent = await reader.read([{ ...t, agentCpu: true, only: 'agent' }], { start, end: start + 2 * MINUTE });
    expect(agent.samples.get(t.instanceId)).toEqual([
      { at: start, cpuPercent: 35, cpuMaxPercent: 35 },
      { at: start + MINUTE, cpuPercent: 45, cpuMaxPercent: 45 },
    ]);
    // EC2's side of the same instance: its CPUUtilization not asked, the network is.
    const ec2 = await reader.read([{ ...t, agentCpu: true, only: 'ec2' }], { start, end: start + MINUTE });
    expect(ec2.samples.get(t.instanceId)).toEqual([{ at: start, networkMbps: 1 }]);
  });

  it('splits more than 500 queries over several GetMetricData calls and still returns every instance', async () => {
    const targets: MetricTarget[] = Array.from({ length: 90 }, (_, i) => ({
      instanceId: instanceId(`i-0fleet${String(i).padStart(3, '0')}`),
      instanceType: 'm5.large',
      vcpus: 2,
      memoryGiB: 8,
      agent: false,
    }));
    await put(
      EC2_NAMESPACE,
      targets.map((t, i) => datum('CPUUtilization', t.instanceId, 10, i)),
    );
    const reader = new CloudWatchMetricsReader(client);
    const result = await reader.read(targets, { start: start + 10 * MINUTE, end: start + 11 * MINUTE });
    expect(result.queries).toBe(90 * 6);
    expect(result.calls).toBe(2); // 540 queries: 500 + 40
    expect(result.samples.size).toBe(90);
    targets.forEach((t, i) => expect(result.samples.get(t.instanceId)).toEqual([{ at: start + 10 * MINUTE, cpuPercent: i, cpuMaxPercent: i }]));
  });
});
