import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedDisruptions, budgetGroupSize, checkDisruptionBudget } from '../../../lambda/core/budget/disruption-budget';
import { groupId, instanceId, type DisruptionBudget, type GroupView, type ManagedInstance, type ShapingPolicy } from '../../../lambda/core/domain';

const policy = (maxUnavailable: DisruptionBudget['maxUnavailable']): ShapingPolicy => ({
  policyName: 'test',
  priority: 50,
  evictionThreshold: 0.9,
  preemptionEnabled: false,
  disruptionBudget: { maxUnavailable },
  forecastQuantile: 'p90',
  postRestartWindowMinutes: 30,
  allowedInstanceTypes: [],
  allowStopModifyStart: false,
  dryRun: false,
});

const member = (n: number, over: Partial<ManagedInstance> = {}): ManagedInstance => ({
  id: instanceId(`i-${n.toString(16).padStart(17, '0')}`),
  groupId: groupId('web'),
  instanceType: 'm5.large',
  availabilityZone: 'eu-west-1a',
  lifecycle: 'spot',
  state: 'running',
  launchedAt: 0,
  warm: false,
  priority: 50,
  jobType: 'web',
  ...over,
});

const group = (opts: {
  maxUnavailable: DisruptionBudget['maxUnavailable'];
  running: number;
  desired?: number;
  inFlight?: number;
  extraMembers?: ManagedInstance[];
}): GroupView => ({
  id: groupId('web'),
  role: 'primary',
  policy: policy(opts.maxUnavailable),
  pool: {
    groupId: groupId('web'),
    capacity: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 },
    allocations: new Map(),
    reservations: new Map(),
    version: 0,
  },
  instances: [...Array.from({ length: opts.running }, (_, i) => member(i)), ...(opts.extraMembers ?? [])],
  desiredCapacity: opts.desired ?? opts.running,
  minSize: 0,
  maxSize: 100,
  spotPools: [],
  disruptionsInFlight: opts.inFlight ?? 0,
});

describe('allowedDisruptions', () => {
  it.each<[DisruptionBudget['maxUnavailable'], number, number, string]>([
    [1, 10, 1, 'absolute count'],
    [3, 2, 2, 'count capped at the group size'],
    [2.7, 10, 2, 'fractional count floors'],
    [0, 10, 0, 'zero allows nothing'],
    ['10%', 30, 3, 'percentage of a round size'],
    ['10%', 9, 0, '10% of 9 rounds DOWN to 0: fail closed on small groups'],
    ['50%', 3, 1, '1.5 rounds down'],
    ['100%', 7, 7, 'all of them'],
    ['250%', 4, 4, 'over 100% capped at the group size'],
    ['12.5%', 8, 1, 'fractional percentage exact'],
    ['0%', 100, 0, 'zero percent'],
    ['33%', 100, 33, 'no float drift on integer percents'],
    [Number.NaN, 10, 0, 'NaN count fails closed'],
    [-1, 10, 0, 'negative count fails closed'],
    [Number.POSITIVE_INFINITY, 10, 0, 'infinite count fails closed'],
    ['abc%' as `${number}%`, 10, 0, 'malformed percentage fails closed'],
    ['-10%' as `${number}%`, 10, 0, 'negative percentage fails closed'],
    ['NaN%' as `${number}%`, 10, 0, 'NaN percentage fails closed'],
    [1, Number.NaN, 0, 'NaN group size fails closed'],
    ['50%', -4, 0, 'negative group size fails closed'],
    [1, 0, 0, 'empty group'],
  ])('maxUnavailable %j of %d → %d (%s)', (maxUnavailable, size, expected) => {
    expect(allowedDisruptions({ maxUnavailable }, size)).toBe(expected);
  });

  it('never exceeds the group size, never negative, always an integer', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer({ min: -5, max: 500 }).map((n) => `${n}%` as const),
          fc.string().map((s) => s as `${number}%`),
        ),
        fc.oneof(fc.double(), fc.integer({ min: -5, max: 10_000 })),
        (maxUnavailable, size) => {
          const allowed = allowedDisruptions({ maxUnavailable }, size);
          expect(Number.isInteger(allowed)).toBe(true);
          expect(allowed).toBeGreaterThanOrEqual(0);
          expect(allowed).toBeLessThanOrEqual(Number.isFinite(size) ? Math.max(0, Math.floor(size)) : 0);
        },
      ),
    );
  });

  it('a percentage never allows more than the exact share of the group', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 10_000 }), (percent, size) => {
        const allowed = allowedDisruptions({ maxUnavailable: `${percent}%` }, size);
        expect(allowed * 100).toBeLessThanOrEqual(size * percent);
        expect((allowed + 1) * 100).toBeGreaterThan(size * percent);
      }),
    );
  });
});

describe('budgetGroupSize', () => {
  it('counts in-service members only, capped at the desired capacity', () => {
    const extra = [
      member(100, { warm: true, state: 'stopped' }),
      member(101, { state: 'terminated' }),
      member(102, { state: 'shutting-down' }),
      member(103, { state: 'stopping' }),
    ];
    expect(budgetGroupSize(group({ maxUnavailable: 1, running: 4, desired: 10, extraMembers: extra }))).toBe(5);
    expect(budgetGroupSize(group({ maxUnavailable: 1, running: 8, desired: 6 }))).toBe(6);
    expect(budgetGroupSize(group({ maxUnavailable: 1, running: 8, desired: Number.NaN }))).toBe(0);
  });
});

describe('checkDisruptionBudget', () => {
  it.each<[string, Parameters<typeof group>[0], number, ReturnType<typeof checkDisruptionBudget>['kind']]>([
    ['room for one', { maxUnavailable: 1, running: 5 }, 1, 'allowed'],
    ['one already in flight', { maxUnavailable: 1, running: 5, inFlight: 1 }, 1, 'exhausted'],
    ['20% of 10 with one in flight', { maxUnavailable: '20%', running: 10, inFlight: 1 }, 1, 'allowed'],
    ['20% of 10, asking for two with one in flight', { maxUnavailable: '20%', running: 10, inFlight: 1 }, 2, 'exhausted'],
    ['10% of a group of 5 is 0', { maxUnavailable: '10%', running: 5 }, 1, 'exhausted'],
    ['extra 0 re-checks the current state', { maxUnavailable: 1, running: 5, inFlight: 1 }, 0, 'allowed'],
    ['NaN in flight fails closed', { maxUnavailable: 5, running: 5, inFlight: Number.NaN }, 1, 'exhausted'],
    ['negative in flight fails closed', { maxUnavailable: 5, running: 5, inFlight: -1 }, 1, 'exhausted'],
    ['NaN extra fails closed', { maxUnavailable: 5, running: 5 }, Number.NaN, 'exhausted'],
    ['negative extra fails closed', { maxUnavailable: 5, running: 5 }, -1, 'exhausted'],
    ['NaN budget fails closed', { maxUnavailable: Number.NaN, running: 5 }, 1, 'exhausted'],
  ])('%s', (_name, opts, extra, kind) => {
    expect(checkDisruptionBudget(group(opts), extra).kind).toBe(kind);
  });

  it('says why, with the numbers, when exhausted', () => {
    const small = checkDisruptionBudget(group({ maxUnavailable: '10%', running: 5 }));
    expect(small).toEqual({
      kind: 'exhausted',
      allowed: 0,
      inFlight: 0,
      reason: 'group web: maxUnavailable "10%" of 5 in-service instances allows no disruption',
    });
    const busy = checkDisruptionBudget(group({ maxUnavailable: 2, running: 5, inFlight: 2 }));
    expect(busy).toEqual({
      kind: 'exhausted',
      allowed: 2,
      inFlight: 2,
      reason: 'group web: 2 in flight + 1 requested > 2 allowed (maxUnavailable 2 of 5 in-service instances)',
    });
    const nan = checkDisruptionBudget(group({ maxUnavailable: 2, running: 5, inFlight: Number.NaN }));
    expect(nan.kind === 'exhausted' && nan.reason).toContain('disruptionsInFlight is NaN');
  });

  it('defaults extra to one', () => {
    expect(checkDisruptionBudget(group({ maxUnavailable: 1, running: 3 }))).toEqual({ kind: 'allowed', allowed: 1, inFlight: 0 });
  });

  it('allowed exactly when in-flight + extra ≤ allowed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        (max, running, inFlight, extra) => {
          const result = checkDisruptionBudget(group({ maxUnavailable: max, running, inFlight }), extra);
          expect(result.kind === 'allowed').toBe(inFlight + extra <= Math.min(max, running));
        },
      ),
    );
  });
});
