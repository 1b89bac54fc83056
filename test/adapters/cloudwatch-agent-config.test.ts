import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CWAGENT_NAMESPACE, CwAgentMetric, queriesForTarget } from '../../lambda/adapters/cloudwatch-metrics-reader';
import { instanceId } from '../../lambda/core/domain';
import { AGENT_METRICS_PER_INSTANCE } from '../../lambda/sim/strategies/spotwise-strategy';

interface AgentConfig {
  agent: { metrics_collection_interval: number; omit_hostname: boolean };
  metrics: {
    namespace: string;
    append_dimensions: Record<string, string>;
    aggregation_dimensions?: string[][];
    metrics_collected: Record<
      string,
      { measurement: string[]; metrics_collection_interval: number } | { measurement: string[]; metrics_collection_interval: number }[]
    >;
  };
}

const config = JSON.parse(readFileSync(new URL('../../lambda/adapters/cloudwatch-agent-config.json', import.meta.url), 'utf8')) as AgentConfig;

/** The agent names a metric <plugin>_<measurement>, except mem_* measurements that already carry the prefix. */
const publishedName = (plugin: string, measurement: string): string => (measurement.startsWith(`${plugin}_`) ? measurement : `${plugin}_${measurement}`);

describe('the shipped CloudWatch agent configuration', () => {
  it('publishes exactly the CWAgent metrics the reader queries', () => {
    const published = Object.entries(config.metrics.metrics_collected).flatMap(([plugin, section]) =>
      (Array.isArray(section) ? section : [section]).flatMap((s) => s.measurement.map((m) => publishedName(plugin, m))),
    );
    expect(published.sort()).toEqual(Object.values(CwAgentMetric).sort());
    const queried = queriesForTarget({ instanceId: instanceId('i-1'), instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent: true })
      .filter((q) => q.namespace === CWAGENT_NAMESPACE)
      .map((q) => q.metricName);
    expect(queried.sort()).toEqual(published.sort());
  });

  it('uses the CWAgent namespace, the InstanceId dimension, no host dimension, and 60-second collection', () => {
    expect(config.metrics.namespace).toBe(CWAGENT_NAMESPACE);
    expect(config.metrics.append_dimensions).toEqual({ InstanceId: '${aws:InstanceId}' });
    expect(config.agent).toMatchObject({ metrics_collection_interval: 60, omit_hostname: true });
    for (const section of Object.values(config.metrics.metrics_collected).flat()) expect(section.metrics_collection_interval).toBe(60);
  });

  it('publishes nothing spotwise does not read (every custom metric is billed per instance), and the simulator bills that many', () => {
    // No procstat: nothing reads a per-process metric, and each would cost $0.30 per instance-month.
    expect(Object.keys(config.metrics.metrics_collected).sort()).toEqual(['mem', 'netstat']);
    expect(config.metrics.aggregation_dimensions).toBeUndefined();
    const published = Object.values(config.metrics.metrics_collected).flatMap((section) =>
      (Array.isArray(section) ? section : [section]).flatMap((s) => s.measurement),
    );
    expect(published).toHaveLength(AGENT_METRICS_PER_INSTANCE);
  });
});
