import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CWAGENT_CPU_METRIC, CWAGENT_CPU_TOTAL, CWAGENT_NAMESPACE, CwAgentMetric, queriesForTarget } from '../../lambda/adapters/cloudwatch-metrics-reader';
import { instanceId } from '../../lambda/core/domain';
import { agentMetricsPerInstance } from '../../lambda/sim/strategies/spotwise-strategy';

interface AgentConfig {
  agent: { metrics_collection_interval: number; omit_hostname: boolean };
  metrics: {
    namespace: string;
    append_dimensions: Record<string, string>;
    aggregation_dimensions?: string[][];
    metrics_collected: Record<
      string,
      | { measurement: string[]; metrics_collection_interval: number; totalcpu?: boolean; resources?: string[] }
      | { measurement: string[]; metrics_collection_interval: number }[]
    >;
  };
}

const config = JSON.parse(readFileSync(new URL('../../lambda/adapters/cloudwatch-agent-config.json', import.meta.url), 'utf8')) as AgentConfig;

/** The agent names a metric <plugin>_<measurement>, except measurements that already carry the prefix (mem_*, cpu_*). */
const publishedName = (plugin: string, measurement: string): string => (measurement.startsWith(`${plugin}_`) ? measurement : `${plugin}_${measurement}`);

describe('the shipped CloudWatch agent configuration', () => {
  it('publishes exactly the CWAgent metrics the reader queries', () => {
    const published = Object.entries(config.metrics.metrics_collected).flatMap(([plugin, section]) =>
      (Array.isArray(section) ? section : [section]).flatMap((s) => s.measurement.map((m) => publishedName(plugin, m))),
    );
    expect(published.sort()).toEqual([...Object.values(CwAgentMetric), CWAGENT_CPU_METRIC].sort());
    // What the profiler asks of an instance on basic monitoring: the agent's CPU too (Average and Maximum of one metric).
    const queried = queriesForTarget({ instanceId: instanceId('i-1'), instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent: true, agentCpu: true })
      .filter((q) => q.namespace === CWAGENT_NAMESPACE)
      .map((q) => q.metricName);
    expect([...new Set(queried)].sort()).toEqual(published.sort());
  });

  it('publishes CPU as the total over cores (the cpu=cpu-total dimension the reader asks), every 10 seconds so the minute has a peak', () => {
    const cpu = config.metrics.metrics_collected.cpu;
    if (cpu === undefined || Array.isArray(cpu)) throw new Error('no cpu section');
    expect(cpu).toEqual({ measurement: [CWAGENT_CPU_METRIC], totalcpu: true, metrics_collection_interval: 10 });
    // No `resources`: no per-core metrics (each would be billed).
    expect(cpu.resources).toBeUndefined();
    expect(CWAGENT_CPU_TOTAL).toEqual({ Name: 'cpu', Value: 'cpu-total' });
  });

  it('uses the CWAgent namespace, the InstanceId dimension, no host dimension, and 60-second collection but for CPU', () => {
    expect(config.metrics.namespace).toBe(CWAGENT_NAMESPACE);
    expect(config.metrics.append_dimensions).toEqual({ InstanceId: '${aws:InstanceId}' });
    expect(config.agent).toMatchObject({ metrics_collection_interval: 60, omit_hostname: true });
    for (const [plugin, section] of Object.entries(config.metrics.metrics_collected))
      for (const s of [section].flat()) expect(s.metrics_collection_interval).toBe(plugin === 'cpu' ? 10 : 60);
  });

  it('publishes nothing spotwise does not read (every custom metric is billed per instance), and the simulator bills that many', () => {
    // No procstat: nothing reads a per-process metric, and each would cost $0.30 per instance-month.
    expect(Object.keys(config.metrics.metrics_collected).sort()).toEqual(['cpu', 'mem', 'netstat']);
    expect(config.metrics.aggregation_dimensions).toBeUndefined();
    const published = Object.values(config.metrics.metrics_collected).flatMap((section) =>
      (Array.isArray(section) ? section : [section]).flatMap((s) => s.measurement),
    );
    expect(published).toHaveLength(agentMetricsPerInstance('agent-cpu'));
  });
});
