import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceId, type Resources } from '../../../lambda/core/domain';
import { findThrottles } from '../../../lambda/core/throttle/find-throttles';
import { MINUTE, profileWithRecent } from './throttle-fixtures';

const NOW = Date.UTC(2026, 0, 1, 12);
const LAST = NOW - 3 * MINUTE;
const ALLOCATION: Resources = { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 100 };
const cpu = (...v: number[]) => v.map((vcpu) => ({ vcpu }));
const run = (demands: readonly Partial<Resources>[], opts: { minutes?: number; lastAt?: number; allocation?: Resources | undefined } = {}) =>
  findThrottles({
    profiles: [profileWithRecent('i-a', demands, opts.lastAt ?? LAST)],
    allocations: 'allocation' in opts && opts.allocation === undefined ? new Map() : new Map([[instanceId('i-a'), opts.allocation ?? ALLOCATION]]),
    overAllocationMinutes: opts.minutes ?? 3,
    now: NOW,
    staleAfterMs: 10 * MINUTE,
  });

describe('findThrottles', () => {
  it.each([
    ['three minutes over, policy 3', cpu(0.5, 1.5, 1.2, 1.1), 3, [{ minutes: 3, excess: 0.1, observed: 1.1 }]],
    ['two minutes over, policy 3', cpu(1.5, 0.5, 1.2, 1.1), 3, []],
    ['the run must reach the latest minute', cpu(1.5, 1.5, 1.5, 0.9), 3, []],
    ['equal to the allocation is not over it', cpu(1, 1, 1, 1), 1, []],
    ['the whole history over', cpu(2, 2, 2, 2, 2), 3, [{ minutes: 5, excess: 1, observed: 2 }]],
    ['a minute with no vCPU data ends the run', [{ vcpu: 2 }, { vcpu: 2 }, { memoryGiB: 1 }, { vcpu: 2 }, { vcpu: 2 }], 3, []],
    ['NaN is no data', cpu(2, 2, Number.NaN, 2, 2), 3, []],
  ])('%s', (_name, demands, minutes, expected) => {
    expect(run(demands, { minutes }).map((t) => ({ minutes: t.minutes, excess: Number(t.excess.toFixed(6)), observed: t.observed }))).toEqual(expected);
  });

  it('reports instance, dimension, allocation, excess and the first minute of the run', () => {
    expect(run([{ memoryGiB: 3 }, { memoryGiB: 5 }, { memoryGiB: 6 }], { minutes: 2 })).toEqual([
      { groupId: 'web', instanceId: 'i-a', dimension: 'memoryGiB', allocation: 4, observed: 6, excess: 2, since: LAST - MINUTE, minutes: 2 },
    ]);
  });

  it('one entry per dimension over', () => {
    expect(
      run(
        [
          { vcpu: 2, memoryGiB: 5 },
          { vcpu: 2, memoryGiB: 5 },
        ],
        { minutes: 2 },
      ).map((t) => t.dimension),
    ).toEqual(['vcpu', 'memoryGiB']);
  });

  it('a missing minute ends the run', () => {
    const p = profileWithRecent('i-a', cpu(2, 2, 2), LAST);
    const gapped = { ...p, recent: p.recent.map((r, k) => (k === 0 ? { ...r, at: r.at - MINUTE } : r)) };
    const found = findThrottles({
      profiles: [gapped],
      allocations: new Map([[instanceId('i-a'), ALLOCATION]]),
      overAllocationMinutes: 3,
      now: NOW,
      staleAfterMs: 10 * MINUTE,
    });
    expect(found).toEqual([]);
  });

  it('fails closed: no allocation, stale data, a latest minute in the future, a bad setting', () => {
    const over = cpu(2, 2, 2);
    expect(run(over, { allocation: undefined })).toEqual([]);
    expect(run(over, { lastAt: NOW - 11 * MINUTE })).toEqual([]);
    expect(run(over, { lastAt: NOW + MINUTE })).toEqual([]);
    expect(run(over, { minutes: 0 })).toEqual([]);
    expect(run(over, { minutes: Number.NaN })).toEqual([]);
    expect(run(over, { lastAt: NOW - 10 * MINUTE })).toHaveLength(1);
  });

  it('property: a throttle exactly when the trailing run of minutes over the allocation is at least the policy', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 60 }),
        (values, minutes) => {
          const demands = values.map((v) => (v === undefined ? {} : { vcpu: v }));
          let trailing = 0;
          for (let k = values.length - 1; k >= 0 && (values[k] ?? 0) > 1 && values[k] !== undefined; k -= 1) trailing += 1;
          const found = run(demands, { minutes }).filter((t) => t.dimension === 'vcpu');
          expect(found.length).toBe(trailing >= minutes ? 1 : 0);
          for (const t of found) {
            expect(t.minutes).toBe(trailing);
            expect(t.excess).toBeGreaterThan(0);
            expect(t.since).toBe(LAST - (trailing - 1) * MINUTE);
          }
        },
      ),
    );
  });

  it('property: raising the policy minutes never adds a throttle', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 59 }), (values, minutes) => {
        expect(run(cpu(...values), { minutes: minutes + 1 }).length).toBeLessThanOrEqual(run(cpu(...values), { minutes }).length);
      }),
    );
  });
});
