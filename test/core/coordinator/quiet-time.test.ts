import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LATEST_START_MARGIN_MS, QUIET_STEP_MS, quietestStart } from '../../../lambda/core/coordinator/quiet-time';
import type { Forecast } from '../../../lambda/core/domain';
import { hourOfDay } from '../../../lambda/core/profile/daily-load';
import { forecast, MINUTE, T0 } from '../fixtures/fleet-builders';

const HOUR = 60 * MINUTE;
/** T0 is 12:00 UTC. A day busy at noon (4 vCPU), quiet from 13:00 (1 vCPU), 2 vCPU elsewhere. */
const day = (over: Record<number, number | null> = {}): (number | null)[] =>
  Array.from({ length: 24 }, (_, h) => (h in over ? over[h]! : h === 12 ? 4 : h === 13 ? 1 : 2));
const withDay = (daily: (number | null)[] | undefined): Forecast => ({
  ...(forecast('i-1', { vcpu: 2 }) as Extract<Forecast, { kind: 'known' }>),
  ...(daily !== undefined ? { dailyVcpu: daily } : {}),
});

describe('quietestStart: when an admitted interruption runs', () => {
  it.each([
    [
      'the quiet hour in the window',
      day(),
      T0 + 2 * HOUR,
      T0 + HOUR,
      /the quietest time in the window: 1.00 vCPU expected at 2024-01-15T13:00:00.000Z against 4.00 vCPU/,
    ],
    ['the earliest when it is the quietest', day({ 12: 1 }), T0 + 2 * HOUR, T0, /earliest start is as quiet as any/],
    ['the earliest when the gain is under 10 %', day({ 12: 1.05 }), T0 + 2 * HOUR, T0, /earliest start is as quiet as any/],
    ['the earliest when an hour of the window has no load yet', day({ 13: null }), T0 + 2 * HOUR, T0, /no daily load for the whole window yet/],
    ['the earliest without a daily profile', undefined, T0 + 2 * HOUR, T0, /no daily load profile yet/],
    ['the earliest when the window leaves no later start', day(), T0 + LATEST_START_MARGIN_MS, T0, /no later start/],
  ] as const)('%s', (_name, daily, deadline, at, reason) => {
    const start = quietestStart(withDay(daily as (number | null)[] | undefined), { from: T0, deadline });
    expect(start.at).toBe(at);
    expect(start.reason).toMatch(reason);
  });

  it('never leaves [from, deadline − margin], lands on the step grid, and expects no more load than at the earliest start', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 64, noNaN: true }), { nil: null }), { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 0, max: 48 * 60 }),
        fc.integer({ min: 0, max: 12 * 60 }),
        (daily, offsetMin, windowMin) => {
          const from = T0 + offsetMin * MINUTE;
          const deadline = from + windowMin * MINUTE;
          const start = quietestStart(withDay(daily), { from, deadline });
          expect(start.at).toBeGreaterThanOrEqual(from);
          if (start.at > from) {
            expect(start.at).toBeLessThanOrEqual(deadline - LATEST_START_MARGIN_MS);
            expect((start.at - from) % QUIET_STEP_MS).toBe(0);
            expect(daily[hourOfDay(start.at)]!).toBeLessThan(daily[hourOfDay(from)]!);
          }
        },
      ),
    );
  });
});
