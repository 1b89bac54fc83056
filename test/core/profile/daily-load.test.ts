import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type MetricSample } from '../../../lambda/core/domain';
import { newProfile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';
import { DAILY_MEMORY_SAMPLES, dailyLoadOf, foldDaily, hourOfDay, MIN_DAILY_SAMPLES } from '../../../lambda/core/profile/daily-load';
import { decodeProfile, encodeProfile } from '../../../lambda/core/profile/profile-codec';

const MIN = 60_000;
const DAY0 = Date.UTC(2026, 10, 2);

describe('daily load profile', () => {
  it.each([
    [DAY0, 0],
    [DAY0 + 13 * 60 * MIN + 59 * MIN, 13],
    [DAY0 - MIN, 23],
    [0, 0],
  ])('hourOfDay(%i) = %i (UTC)', (at, hour) => expect(hourOfDay(at)).toBe(hour));

  it('learns when in the day an instance is busy from its steady vCPU, and survives storage', () => {
    // Two days: 75 % of 4 vCPUs from 09:00 to 17:00 UTC, 10 % otherwise.
    const samples: MetricSample[] = Array.from({ length: 2 * 24 * 60 }, (_, i) => {
      const at = DAY0 + i * MIN;
      const busy = hourOfDay(at) >= 9 && hourOfDay(at) < 17;
      return { at, cpuPercent: busy ? 75 : 10 };
    });
    const start = newProfile({
      instanceId: instanceId('i-1'),
      groupId: groupId('web'),
      instanceType: 'm5.xlarge',
      vcpus: 4,
      jobType: 'web',
      launchedAt: DAY0,
      now: DAY0,
    });
    const p = updateProfile(start, samples, DAY0 + 2 * 24 * 60 * MIN);
    const load = dailyLoadOf(p)!;
    expect(load[10]).toBeCloseTo(3, 6);
    expect(load[3]).toBeCloseTo(0.4, 6);
    expect(p.dailyVcpu?.[10]?.n).toBe(120);
    expect(decodeProfile(encodeProfile(p)).dailyVcpu).toEqual(p.dailyVcpu);
  });

  it('knows an hour only from MIN_DAILY_SAMPLES samples (two days of it), and has no load at all before', () => {
    // One sample a minute of 00:00–00:59 UTC, day after day.
    const at = (i: number) => DAY0 + Math.floor(i / 60) * 24 * 60 * MIN + (i % 60) * MIN;
    expect(MIN_DAILY_SAMPLES).toBeGreaterThan(60);
    const few = foldDaily(
      undefined,
      Array.from({ length: MIN_DAILY_SAMPLES - 1 }, (_, i) => ({ at: at(i), value: 1 })),
    );
    expect(dailyLoadOf({ dailyVcpu: few })).toBeUndefined();
    const enough = foldDaily(few, [{ at: at(MIN_DAILY_SAMPLES - 1), value: 1 }]);
    expect(dailyLoadOf({ dailyVcpu: enough })?.[0]).toBe(1);
    expect(dailyLoadOf({ dailyVcpu: enough })?.[1]).toBeNull();
  });

  it('skips bad values, stays within the values seen, and caps the samples a bucket weighs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 96, noNaN: true }), fc.constant(Number.NaN), fc.constant(-1)), { minLength: 1, maxLength: 800 }),
        (values) => {
          const day = foldDaily(
            undefined,
            values.map((value, i) => ({ at: DAY0 + (i % 60) * MIN, value })),
          )!;
          const good = values.filter((v) => Number.isFinite(v) && v >= 0);
          expect(day[0]!.n).toBe(Math.min(good.length, DAILY_MEMORY_SAMPLES));
          if (good.length > 0) {
            expect(day[0]!.mean).toBeGreaterThanOrEqual(Math.min(...good) - 1e-9);
            expect(day[0]!.mean).toBeLessThanOrEqual(Math.max(...good) + 1e-9);
          }
        },
      ),
    );
  });
});
