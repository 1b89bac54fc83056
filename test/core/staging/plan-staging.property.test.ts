import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId } from '../../../lambda/core/domain';
import { findWarmGroup } from '../../../lambda/core/common/locate-instance';
import { cheapestClosest } from '../../../lambda/core/resources/catalog';
import { fits, maxResources, ZERO_RESOURCES } from '../../../lambda/core/resources/resources';
import { computeExposure, planStaging, WARM_SHAPE_COVERAGE, warmShapeNeed } from '../../../lambda/core/staging/plan-staging';
import { arbFleet } from '../fixtures/fleet-arbitraries';
import { T0 } from '../fixtures/fleet-builders';
import { cloneFleet } from '../fixtures/replay-plan';

const RUNS = { numRuns: Number(process.env.SPOTWISE_PROPERTY_RUNS ?? 300) };
const scenario = fc.record({ f: arbFleet, target: fc.constantFrom('web', 'web-standby'), now: fc.integer({ min: T0, max: T0 + 60_000 }) });

describe('planStaging properties', () => {
  it('reaches warm pool resizing and reshaping (so the properties below are not vacuous)', () => {
    const seen = new Set<string>();
    for (const { f, target, now } of fc.sample(scenario, { numRuns: 400, seed: 3 })) {
      for (const a of planStaging(groupId(target), f.fleet, { now }).actions) seen.add(a.kind);
    }
    expect([...seen].sort()).toEqual(['noop', 'put-warm-pool', 'retype-stopped-instance']);
  });

  it('only resizes a warm pool within what can come into service, and only retypes stopped warm On-Demand instances', () => {
    fc.assert(
      fc.property(scenario, ({ f, target, now }) => {
        const plan = planStaging(groupId(target), f.fleet, { now });
        for (const a of plan.actions) {
          if (a.kind === 'noop') continue;
          if (a.kind !== 'put-warm-pool' && a.kind !== 'retype-stopped-instance') throw new Error(`staging planned ${a.kind}`);
          const g = f.fleet.groups.find((x) => x.id === a.groupId)!;
          expect(g.warmPool).toBeDefined();
          if (a.kind === 'put-warm-pool') {
            expect(Number.isInteger(a.warmPool.minSize)).toBe(true);
            expect(a.warmPool.minSize).toBeGreaterThanOrEqual(0);
            expect(a.warmPool.minSize).toBeLessThanOrEqual(Math.max(0, g.maxSize - g.desiredCapacity));
            expect({ ...a.warmPool, minSize: 0 }).toEqual({ ...g.warmPool, minSize: 0 });
          } else {
            const i = g.instances.find((x) => x.id === a.instanceId)!;
            expect(i).toMatchObject({ warm: true, state: 'stopped', lifecycle: 'on-demand', instanceType: a.fromType });
            expect(f.fleet.catalog.has(a.toType)).toBe(true);
            const allowed = g.policy.allowedInstanceTypes;
            if (allowed.length > 0) expect(allowed).toContain(a.toType);
          }
        }
      }),
      RUNS,
    );
  });

  it('is deterministic, does not mutate its inputs, and plans the same from the standby or the primary', () => {
    fc.assert(
      fc.property(scenario, ({ f, target, now }) => {
        const before = cloneFleet(f.fleet);
        const plan = planStaging(groupId(target), f.fleet, { now });
        expect(planStaging(groupId(target), cloneFleet(f.fleet), { now })).toEqual(plan);
        expect(f.fleet).toEqual(before);
        const primary = f.fleet.groups[0]!;
        const warm = findWarmGroup(f.fleet, primary);
        if (warm !== undefined && warm.id !== primary.id) {
          expect(planStaging(warm.id, f.fleet, { now })).toEqual(planStaging(primary.id, f.fleet, { now }));
        }
      }),
      RUNS,
    );
  });

  it('weights every exposure by a probability in 0..1, never by more than the whole-pool demand, and the largest p50 within the largest p90', () => {
    fc.assert(
      fc.property(arbFleet, (f) => {
        for (const e of computeExposure(f.fleet.groups[0]!, f.fleet)) {
          expect(e.interruptionProbability).toBeGreaterThanOrEqual(0);
          expect(e.interruptionProbability).toBeLessThanOrEqual(1);
          for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) {
            expect(Number.isFinite(e.weighted[d])).toBe(true);
            expect(e.weighted[d]).toBeLessThanOrEqual(e.demand[d]);
            expect(e.largest[d]).toBeLessThanOrEqual(e.demand[d]);
            // The warm shape's target (any instance's p50) never exceeds the largest p90.
            for (const x of e.expected) expect(x.amount[d]).toBeLessThanOrEqual(e.largest[d]);
          }
        }
      }),
      RUNS,
    );
  });

  it('shapes the warm pool for the own types of at least 90 % of the interruption weight, never beyond the largest exposed type', () => {
    let reached = 0;
    fc.assert(
      fc.property(arbFleet, (f) => {
        const primary = f.fleet.groups[0]!;
        const warm = findWarmGroup(f.fleet, primary);
        if (warm === undefined) return;
        const exposed = computeExposure(primary, f.fleet).filter((e) => e.interruptionProbability > 0);
        const need = warmShapeNeed(exposed, f.fleet, warm.policy.allowedInstanceTypes);
        // Each exposed instance counts with its own type's vCPU and memory (its p50 when the catalog lacks the type).
        const own = exposed.flatMap((e) => {
          const r = f.fleet.catalog.get(e.instanceType)?.resources;
          return e.expected.map((x) => ({
            amount: r === undefined ? x.amount : { vcpu: r.vcpu, memoryGiB: r.memoryGiB, networkMbps: 0, diskIops: 0 },
            weight: e.interruptionProbability,
          }));
        });
        const largest = own.reduce((m, x) => maxResources(m, x.amount), ZERO_RESOURCES);
        expect(fits(need, largest)).toBe(true);
        const shape = cheapestClosest(f.fleet.catalog, need, warm.policy.allowedInstanceTypes, 'on-demand');
        if (shape === undefined || !fits(need, shape.resources)) return;
        const total = own.reduce((t, w) => t + w.weight, 0);
        const held = own.filter((w) => fits(w.amount, shape.resources)).reduce((t, w) => t + w.weight, 0);
        if (total > 0) reached++;
        expect(held).toBeGreaterThanOrEqual(WARM_SHAPE_COVERAGE * total * (1 - 1e-9));
      }),
      RUNS,
    );
    expect(reached).toBeGreaterThan(0);
  });
});
