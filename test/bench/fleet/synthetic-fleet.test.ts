import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSyntheticFleet, PRIMARY_GROUP, STANDBY_GROUP } from '../../../bench/fleet/synthetic-fleet';
import { buildSyntheticProfile, loadShapeOf, syntheticSample, unitHash } from '../../../bench/fleet/synthetic-metrics';
import { DIMENSIONS, instanceId } from '../../../lambda/core/domain';
import { lookupInstanceType, toCatalog } from '../../../lambda/core/resources/catalog';
import { sumResources } from '../../../lambda/core/resources/resources';

const NOW = Date.UTC(2026, 0, 12);

describe('buildSyntheticFleet', () => {
  it.each([[1], [100], [2_345]])('%d Spot instances: unique ids, a forecast and an allocation each, a budget that holds them', (n) => {
    const f = buildSyntheticFleet({ instances: n, now: NOW, onDemandSiblings: 3 });
    const ids = [...f.primary, ...f.warm].map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(f.primary.filter((i) => i.lifecycle === 'spot')).toHaveLength(n);
    expect(f.primary.filter((i) => i.lifecycle === 'on-demand')).toHaveLength(3);
    expect(f.warm).toHaveLength(Math.max(2, Math.round(n / 10)));
    expect(f.forecasts).toHaveLength(n + 3);
    const allocated = sumResources([...f.allocations.values()]);
    for (const d of DIMENSIONS) expect(allocated[d]).toBeLessThanOrEqual(f.capacity.primary[d]);
    expect(f.managed.groups.get(PRIMARY_GROUP)?.standbyGroupId).toBe(STANDBY_GROUP);
    expect(f.managed.groups.get(STANDBY_GROUP)?.role).toBe('standby');
    expect(f.cloud.groups?.find((g) => g.id === STANDBY_GROUP)?.warmPool?.minSize).toBe(f.warm.length);
  });

  it('forecasts never exceed the instance type, p50 ≤ p90', () => {
    const f = buildSyntheticFleet({ instances: 200, now: NOW });
    const catalog = toCatalog(f.catalogSpecs);
    for (const fc of f.forecasts) {
      if (fc.kind !== 'known') throw new Error('expected known forecasts');
      const type = f.primary.find((i) => i.id === fc.instanceId)?.instanceType ?? '';
      const shape = lookupInstanceType(catalog, type).resources;
      for (const d of DIMENSIONS) {
        expect(fc.dims[d].p50).toBeLessThanOrEqual(fc.dims[d].p90);
        expect(fc.dims[d].p90).toBeLessThanOrEqual(shape[d]);
      }
    }
  });

  it('refuses a size that is not a positive integer, naming it', () => {
    expect(() => buildSyntheticFleet({ instances: 0, now: NOW })).toThrow('synthetic fleet: instances must be a positive integer (got 0)');
    expect(() => buildSyntheticFleet({ instances: 2.5, now: NOW })).toThrow('(got 2.5)');
  });

  it('is the same for the same seed', () => {
    expect(buildSyntheticFleet({ instances: 30, now: NOW, seed: 4 }).forecasts).toEqual(buildSyntheticFleet({ instances: 30, now: NOW, seed: 4 }).forecasts);
  });
});

describe('synthetic load', () => {
  const spec = buildSyntheticFleet({ instances: 1, now: NOW }).catalogSpecs.find((s) => s.name === 'm5.large');
  if (spec === undefined) throw new Error('m5.large missing from the bench catalog');

  it('property: unitHash is in [0, 1) and deterministic', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.integer(), (a, b, c) => {
        const u = unitHash(a, b, c);
        expect(u).toBeGreaterThanOrEqual(0);
        expect(u).toBeLessThan(1);
        expect(unitHash(a, b, c)).toBe(u);
      }),
    );
  });

  it('property: every sample is what CloudWatch could report for the type (CPU 1..100 %, memory below the type, max ≥ average)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 10 * 1_440 }), (seed, index, minute) => {
        const s = syntheticSample(seed, index, loadShapeOf(seed, index), spec, NOW + minute * 60_000);
        expect(s.at % 60_000).toBe(0);
        expect(s.cpuPercent).toBeGreaterThanOrEqual(1);
        expect(s.cpuPercent).toBeLessThanOrEqual(100);
        expect(s.cpuMaxPercent).toBeGreaterThanOrEqual(Math.min(100, s.cpuPercent ?? 0));
        expect(s.memoryGiB).toBeLessThan(spec.resources.memoryGiB);
        expect(s.networkMbps).toBeLessThanOrEqual(spec.resources.networkMbps);
        expect(s.diskIops).toBeLessThanOrEqual(spec.resources.diskIops);
      }),
    );
  });

  it('a synthetic profile has recent points, a steady state on every dimension and one restart cycle', () => {
    const p = buildSyntheticProfile(
      1,
      7,
      { instanceId: instanceId('i-0d000000000000007'), groupId: PRIMARY_GROUP, spec, jobType: 'web', launchedAt: NOW - 86_400_000 },
      NOW,
    );
    expect(p.recent.length).toBeGreaterThan(3);
    expect(p.restarts).toHaveLength(1);
    expect(p.openRestart).toBeUndefined();
    for (const d of DIMENSIONS) expect(p.steady[d].count).toBeGreaterThan(0);
    // The post-restart window ran 1.5× hotter than before it.
    expect(p.restarts[0]?.peakAfter.vcpu).toBeGreaterThan(p.restarts[0]?.steadyBefore.vcpu ?? Infinity);
  });
});
