import { beforeAll, describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../lambda/core/domain';
import { overCommitment, poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { BUNDLED_DATA_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryCloud } from '../../lambda/sim/memory';
import { buildSampleFleet, GROUP_IDS, sampleWarmPoolSize, usableSeries } from '../../lambda/sim/sample-fleet';
import { loadTraces, type TraceSeries } from '../../lambda/sim/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

describe('buildSampleFleet', () => {
  it('builds two primary Spot groups and a standby On-Demand group with a warm pool', () => {
    const s = buildSampleFleet({ traces, instances: 20, horizonMinutes: 60 });
    const roles = s.fleet.groups.map((g) => [g.id, g.role]);
    expect(roles).toEqual([[GROUP_IDS.web, 'primary'], [GROUP_IDS.batch, 'primary'], [GROUP_IDS.standby, 'standby']]);
    const [web, batch, standby] = s.fleet.groups;
    expect(web!.instances).toHaveLength(12);
    expect(batch!.instances).toHaveLength(8);
    expect([...web!.instances, ...batch!.instances].every((i) => i.lifecycle === 'spot' && i.state === 'running' && !i.warm)).toBe(true);
    expect(web!.standbyGroupId).toBe(GROUP_IDS.standby);
    expect(standby!.warmPool?.minSize).toBe(sampleWarmPoolSize(20));
    expect(standby!.instances.every((i) => i.warm && i.state === 'stopped' && i.lifecycle === 'on-demand')).toBe(true);
    expect(web!.spotPools.length).toBe(6);
    for (const p of web!.spotPools) expect(p.interruptionProbability).toBeGreaterThan(0);
  });

  it('gives every primary instance a workload, a profile and a known forecast, on pools that are not over-committed', () => {
    const s = buildSampleFleet({ traces, instances: 10, horizonMinutes: 60 });
    const primary = s.fleet.groups.filter((g) => g.role === 'primary').flatMap((g) => g.instances.map((i) => i.id));
    expect(s.workloads.map((w) => w.instanceId).sort()).toEqual([...primary].sort());
    expect(s.profiles.map((p) => p.instanceId).sort()).toEqual([...primary].sort());
    for (const id of primary) expect(s.fleet.forecasts.get(id)?.kind).toBe('known');
    for (const pool of s.pools) {
      expect(poolInvariantViolations(pool)).toEqual([]);
      const over = overCommitment(pool);
      for (const d of DIMENSIONS) expect(over[d]).toBe(0);
    }
    for (const w of s.workloads) expect(w.demand.minutes).toBe(s.historyMinutes + 60);
    expect(s.history.get(primary[0]!)).toHaveLength(s.historyMinutes);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = buildSampleFleet({ traces, seed: 3, instances: 8, horizonMinutes: 30 });
    const b = buildSampleFleet({ traces, seed: 3, instances: 8, horizonMinutes: 30 });
    const c = buildSampleFleet({ traces, seed: 4, instances: 8, horizonMinutes: 30 });
    const sig = (s: typeof a) => s.workloads.map((w) => `${w.instanceId}:${w.demand.seriesId}:${w.demand.vcpu[0]}`).join('|');
    expect(sig(a)).toBe(sig(b));
    expect(sig(a)).not.toBe(sig(c));
  });

  it('hands the in-memory cloud its groups and instances, and a configuration that validates', () => {
    const s = buildSampleFleet({ traces, instances: 6, horizonMinutes: 30 });
    const cloud = new InMemoryCloud(s.cloud);
    expect(cloud.allInstances()).toHaveLength(6 + sampleWarmPoolSize(6));
    expect(cloud.group(GROUP_IDS.standby)?.warmPool?.poolState).toBe('Stopped');
    expect(s.config.groups.map((g) => g.name)).toEqual(['web', 'batch']);
    expect(s.config.standby_groups[0]?.name).toBe('standby');
    expect(new Set(cloud.allInstances().map((i) => i.id)).size).toBe(cloud.allInstances().length);
  });

  it.each([
    [{ instances: 1 }, /instances must be an integer in \[2, 2000\] \(got 1\)/],
    [{ seed: 1.5 }, /seed must be an integer \(got 1.5\)/],
    [{ horizonMinutes: 0 }, /horizonMinutes must be a positive integer \(got 0\)/],
    [{ traces: [] }, /no usable usage series/],
  ])('refuses bad options naming them (%#)', (opts, message) => {
    expect(() => buildSampleFleet({ traces, ...opts })).toThrow(message);
  });

  it('uses only series with CPU and at least six hours', () => {
    expect(usableSeries(traces).length).toBe(16);
  });
});
