import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { checkOtherSignals, DEFAULT_OTHER_SIGNALS, drawOtherSignals } from '../../../lambda/sim/other-signals';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { randomStream } from '../../../lambda/data/random';
import { runStrategy } from '../../../lambda/sim/run-strategy';
import { createStrategy } from '../../../lambda/sim/strategies/create-strategy';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

/** Six hours without Spot bursts or requests: only the other signals. */
const setup = (cr: number, maintenance: number): PreparedSimulation =>
  prepareSimulation({
    seed: 3,
    hours: 6,
    instances: 10,
    traces,
    predictor: 'fallback',
    checkInvariants: true,
    interruption: { rateScale: 0 },
    requests: { meanHoursBetweenWaves: 0 },
    otherSignals: { capacityReservationReclaims: cr, scheduledMaintenance: maintenance, leadHours: { min: 1, max: 2 } },
  });

describe('other interruption signals replayed for every strategy', () => {
  it('draws the events over the run from the seed, sorted, and refuses bad counts naming the field', () => {
    const a = drawOtherSignals(
      { ...DEFAULT_OTHER_SIGNALS, capacityReservationReclaims: 3, scheduledMaintenance: 2 },
      { start: 0, end: 3_600_000 },
      randomStream(1, 'x'),
    );
    expect(a.filter((s) => s.kind === 'capacity-reservation')).toHaveLength(3);
    expect(a.filter((s) => s.kind === 'scheduled-maintenance')).toHaveLength(2);
    expect(a.map((s) => s.at)).toEqual([...a.map((s) => s.at)].sort((x, y) => x - y));
    for (const s of a) if (s.kind === 'scheduled-maintenance') expect(s.startAt - s.at).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(() => checkOtherSignals({ ...DEFAULT_OTHER_SIGNALS, scheduledMaintenance: -1 })).toThrow(
      'other signals: scheduledMaintenance must be an integer in [0, 10000] (got -1)',
    );
  });

  it('Capacity Reservation reclaims hit every strategy; handlers that act on the warning serve through them', async () => {
    const s = setup(3, 0);
    const none = await runStrategy(s, createStrategy('none', s));
    const warm = await runStrategy(s, createStrategy('warm-reactive', s));
    const spotwise = await runStrategy(s, createStrategy('spotwise', s));
    for (const r of [none, warm, spotwise]) expect(r.totals.capacityReservationReclaims).toBe(3);
    expect(warm.totals.unservedVcpuMinutes).toBeLessThan(none.totals.unservedVcpuMinutes);
    expect(spotwise.totals.unservedVcpuMinutes).toBeLessThan(none.totals.unservedVcpuMinutes);
    expect(spotwise.totals.deliveryFailures).toBe(0);
    expect(spotwise.extra.reservationsMade).toBeGreaterThan(0);
  }, 60_000);

  it('scheduled maintenance: EC2 stops what is still there at the start time; careful strategies and spotwise replace it before', async () => {
    const s = setup(0, 3);
    const none = await runStrategy(s, createStrategy('none', s));
    const asg = await runStrategy(s, createStrategy('asg-native', s));
    const spotwise = await runStrategy(s, createStrategy('spotwise', s));
    expect(none.totals.maintenanceStops).toBeGreaterThan(0);
    expect(asg.totals.maintenanceStops).toBe(0);
    expect(spotwise.totals.maintenanceStops).toBe(0);
    expect(spotwise.totals.budgetViolations).toBe(0);
    expect(spotwise.totals.deliveryFailures).toBe(0);
  }, 60_000);
});

describe('unstable Spot pools in a simulated run', () => {
  it('with unstable_pool enabled, pools reclaimed again and again move their load to On-Demand, and calm later', async () => {
    const base = prepareSimulation({
      seed: 1,
      hours: 12,
      instances: 40,
      traces,
      predictor: 'fallback',
      interruption: { rateScale: 300, rebalanceShare: 0 },
      requests: { meanHoursBetweenWaves: 0 },
    });
    const config = {
      ...base.sample.config,
      policies: base.sample.config.policies.map((p) => ({
        ...p,
        unstable_pool: { enabled: true, reclaim_threshold: 2, window_minutes: 60, cool_down_minutes: 60 },
      })),
    };
    const s: PreparedSimulation = { ...base, sample: { ...base.sample, config } };
    const on = await runStrategy(s, createStrategy('spotwise', s));
    const off = await runStrategy(base, createStrategy('spotwise', base));
    expect(on.totals.warnings).toBeGreaterThan(3);
    expect(on.extra.unstablePoolShifts).toBeGreaterThan(0);
    expect(on.extra.unstablePoolsCalmed).toBeGreaterThan(0);
    expect(off.extra.unstablePoolShifts).toBe(0);
    expect(on.totals.overCommits).toBe(0);
    expect(on.totals.deliveryFailures).toBe(0);
  }, 120_000);
});
