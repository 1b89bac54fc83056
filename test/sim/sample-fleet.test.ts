import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSpotwiseConfig, type SpotwiseConfig } from '../../lambda/contracts/config';
import { readConfigText } from '../../lambda/contracts/config-file';
import { DIMENSIONS, groupId } from '../../lambda/core/domain';
import { PROJECT_ROOT } from '../../lib/project-root';
import { overCommitment, poolInvariantViolations } from '../../lambda/core/pool/resource-pool';
import { BUNDLED_DATA_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryCloud } from '../../lambda/sim/memory';
import { buildSampleFleet, ConfigFleetError, configFleetPlan, GROUP_IDS, groupLetter, sampleWarmPoolSize, usableSeries } from '../../lambda/sim/sample-fleet';
import { loadTraces, type TraceSeries } from '../../lambda/data/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

describe('buildSampleFleet', () => {
  it('builds two primary Spot groups and a standby On-Demand group with a warm pool', () => {
    const s = buildSampleFleet({ traces, instances: 20, horizonMinutes: 60 });
    const roles = s.fleet.groups.map((g) => [g.id, g.role]);
    expect(roles).toEqual([
      [GROUP_IDS.web, 'primary'],
      [GROUP_IDS.batch, 'primary'],
      [GROUP_IDS.standby, 'standby'],
    ]);
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

describe('buildSampleFleet from a configuration (--config)', () => {
  const example = (): SpotwiseConfig =>
    parseSpotwiseConfig(readConfigText(readFileSync(join(PROJECT_ROOT, 'spotwise.example.yaml'), 'utf8'), 'spotwise.example.yaml'));
  const catalog = () => buildSampleFleet({ traces, instances: 2, horizonMinutes: 30 }).catalogSpecs;

  it("builds the example configuration's groups, sizing each from its capacity, and says how", () => {
    const s = buildSampleFleet({ traces, horizonMinutes: 30, config: example() });
    const groups = s.fleet.groups.map((g) => [g.id, g.role, g.instances.length]);
    // web-spot: 64 vCPU / (1.25 × 2 vCPU) = 25, 256 GiB / (1.25 × 8 GiB) = 25; batch-spot: 128 / 2.5 = 51, 512 / 10 = 51.
    expect(groups).toEqual([
      ['web-spot', 'primary', 25],
      ['batch-spot', 'primary', 51],
      ['web-standby', 'standby', 4],
    ]);
    const [web, batch, standby] = s.fleet.groups;
    expect(web!.pool.capacity.vcpu).toBe(64);
    expect(web!.standbyGroupId).toBe('web-standby');
    expect(batch!.standbyGroupId).toBeUndefined();
    expect(standby!.warmPool).toEqual({ minSize: 1, maxGroupPreparedCapacity: 4, poolState: 'Stopped', reuseOnScaleIn: true });
    expect(s.config.dry_run).toBe(false);
    expect(s.config.policies.every((p) => !p.dry_run)).toBe(true);
    expect(s.derivation.join('\n')).toContain('dry_run: off for the simulation');
    expect(s.derivation.join('\n')).toContain(
      'web-spot: none of m6g.large, m7g.large, c7g.xlarge is in the bundled price table; runs the stand-ins m5.large, m5a.large, m6i.large',
    );
    expect(s.derivation.join('\n')).toContain(
      'web-standby: standby for web-spot, maximum size 25, warm pool of 4 stopped m5a.large (max(min_size 1, max_prepared_capacity 4))',
    );
    const ids = (s.cloud.instances ?? []).map((i) => i.id);
    expect(ids).toHaveLength(25 + 51 + 4);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^i-[0-9a-f]{17}$/);
  });

  it.each([
    [
      "the policy's smallest priced types",
      { allowed_instance_types: ['c5.2xlarge', 'm5.large', 'c5.large', 'r5.large', 'x9.huge'] },
      ['m5.large', 'c5.large', 'r5.large'],
      'not priced, left out: x9.huge',
    ],
    ['the stand-ins when the policy allows any type', {}, ['m5.large', 'm5a.large', 'm6i.large'], 'allows any type'],
  ])('runs %s', (_, policyExtra, types, note) => {
    const config = parseSpotwiseConfig({
      groups: [{ name: 'api', policy: 'api', capacity: { vcpu: 20, memory_gib: 64 } }],
      policies: [{ policy_name: 'api', priority: 'high', ...policyExtra }],
    });
    const plan = configFleetPlan(config, catalog());
    expect(plan.primaries[0]!.types).toEqual(types);
    expect(plan.derivation.join('\n')).toContain(note);
  });

  it('says when a warm pool state is simulated as Stopped', () => {
    const config = parseSpotwiseConfig({
      groups: [{ name: 'api', policy: 'p', capacity: { vcpu: 10, memory_gib: 40 }, standby: 'api-standby' }],
      standby_groups: [{ name: 'api-standby', warm_pool: { min_size: 2, pool_state: 'Running' } }],
      policies: [{ policy_name: 'p', priority: 'high' }],
    });
    const plan = configFleetPlan(config, catalog());
    expect(plan.standbys[0]!.warmSize).toBe(4);
    expect(plan.derivation).toContain("api-standby: pool_state Running is simulated as Stopped (the simulator's warm pools hold stopped instances only)");
  });

  it.each([
    [{ groups: [], group_tag: { key: 'team', value: 'x' } }, 'groups: the simulator needs named groups (group_tag alone names none) (got [])'],
    [
      { groups: [{ name: 'huge', policy: 'p', capacity: { vcpu: 100_000, memory_gib: 400_000 } }] },
      'groups: the capacities make 40000 Spot instances; the simulator runs at most 500',
    ],
  ])('refuses what it cannot simulate, naming the field (%#)', (input, message) => {
    const config = parseSpotwiseConfig({ policies: [{ policy_name: 'p', priority: 'high' }], ...input });
    expect(() => configFleetPlan(config, catalog())).toThrow(ConfigFleetError);
    expect(() => configFleetPlan(config, catalog())).toThrow(message);
  });

  it('gives a configured group at least one instance, and its ids a prefix of its own', () => {
    const config = parseSpotwiseConfig({
      groups: [
        { name: 'tiny', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } },
        { name: 'other', policy: 'p', capacity: { vcpu: 10, memory_gib: 40 } },
      ],
      policies: [{ policy_name: 'p', priority: 'low' }],
    });
    const s = buildSampleFleet({ traces, horizonMinutes: 30, config });
    expect(s.fleet.groups[0]!.instances).toHaveLength(1);
    expect(groupLetter(groupId('tiny'))).not.toBe(groupLetter(groupId('other')));
    expect(s.fleet.groups[0]!.instances[0]!.id.startsWith(`i-0${groupLetter(groupId('tiny'))}`)).toBe(true);
  });
});

describe('buildSampleFleet with a reduced pool budget (--pool-budget)', () => {
  it("keeps the fleet, scales each primary pool's capacity, divides it by fair share, and configures spotwise with it", () => {
    const full = buildSampleFleet({ traces, instances: 12, horizonMinutes: 60 });
    const half = buildSampleFleet({ traces, instances: 12, horizonMinutes: 60, poolBudget: 0.3 });
    expect(half.fleet.groups.map((g) => g.instances.length)).toEqual(full.fleet.groups.map((g) => g.instances.length));
    for (const [k, pool] of half.pools.entries()) {
      const was = full.pools[k]!;
      if (half.fleet.groups.find((g) => g.id === pool.groupId)?.role !== 'primary') continue;
      expect(pool.capacity.vcpu).toBeLessThanOrEqual(was.capacity.vcpu * 0.3);
      expect(pool.capacity.vcpu).toBeGreaterThan(was.capacity.vcpu * 0.3 - 0.001);
      expect(poolInvariantViolations(pool)).toEqual([]);
      expect(half.config.groups.find((g) => g.name === pool.groupId)?.capacity.vcpu).toBe(pool.capacity.vcpu);
    }
    // Over a budget below what the members use, someone is held below its steady p90 (fair share), never over capacity.
    const allocated = half.pools.flatMap((p) => [...p.allocations.values()]).reduce((s, a) => s + a.memoryGiB, 0);
    const wanted = full.pools.flatMap((p) => [...p.allocations.values()]).reduce((s, a) => s + a.memoryGiB, 0);
    expect(allocated).toBeLessThan(wanted);
  });

  it('a budget of 1 is the fleet as it always was', () => {
    const a = buildSampleFleet({ traces, instances: 8, horizonMinutes: 30 });
    const b = buildSampleFleet({ traces, instances: 8, horizonMinutes: 30, poolBudget: 1 });
    expect(b.pools).toEqual(a.pools);
    expect(b.config).toEqual(a.config);
  });

  it.each([0, 1.5, Number.NaN])('refuses a budget of %s', (poolBudget) => {
    expect(() => buildSampleFleet({ traces, instances: 8, horizonMinutes: 30, poolBudget })).toThrow(/poolBudget must be a share in \(0, 1\]/);
  });
});
