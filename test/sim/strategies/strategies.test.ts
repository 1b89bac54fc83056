import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { runStrategy, type StrategyRun } from '../../../lambda/sim/run-strategy';
import { createRebalanceStrategy } from '../../../lambda/sim/strategies/baseline-strategies';
import { createSpotwiseStrategy } from '../../../lambda/sim/strategies/spotwise-strategy';
import { loadTraces, type TraceSeries } from '../../../lambda/sim/traces/load-traces';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

/** A quiet hour with one burst reclaiming the whole pool of the first web instance 20 minutes in. */
const oneBurst = (rebalanceLeadSeconds?: number): PreparedSimulation => {
  const setup = prepareSimulation({ seed: 1, hours: 1, instances: 10, traces, checkInvariants: true, predictor: 'fallback', interruption: { rateScale: 0 }, requests: { meanHoursBetweenWaves: 0 } });
  const victim = setup.sample.fleet.groups[0]!.instances[0]!;
  const at = setup.sample.startAt + 20 * 60_000;
  return {
    ...setup,
    bursts: [{ id: 'test#0', instanceType: victim.instanceType, availabilityZone: victim.availabilityZone, at, reclaimShare: 1, seed: 7, ...(rebalanceLeadSeconds !== undefined ? { rebalanceAt: at - rebalanceLeadSeconds * 1000 } : {}) }],
  };
};

const spotRecoveries = (run: StrategyRun): number[] => run.episodes.filter((e) => e.kind === 'spot').map((e) => ((e.end ?? Infinity) - e.start) / 1000);

describe('rebalance strategy', () => {
  it('moves workloads before the reclaim when the recommendation comes early enough for a cold launch', async () => {
    const run = await runStrategy(oneBurst(900), createRebalanceStrategy());
    expect(run.totals.spotInterruptions).toBe(0); // every at-risk instance was replaced and terminated before its warning
    expect(run.totals.rebalanceRecommendations).toBeGreaterThan(0);
    expect(run.totals.coldLaunches).toBe(run.totals.rebalanceRecommendations);
  });
});

describe('spotwise strategy (the real handlers)', () => {
  it('answers a Spot warning by starting warm standby capacity: the workload moves before the reclaim', async () => {
    const setup = oneBurst();
    const strategy = createSpotwiseStrategy(setup);
    const run = await runStrategy(setup, strategy);
    expect(strategy.telemetry.errors).toEqual([]);
    expect(run.totals.spotInterruptions).toBeGreaterThan(0);
    expect(run.totals.warmStarts).toBeGreaterThanOrEqual(run.totals.spotInterruptions);
    // A warm stopped instance is ready 21 s after the warning, long before the reclaim 120 s later.
    for (const r of spotRecoveries(run)) expect(r).toBeLessThan(60);
    expect(run.extra.reservationsMade).toBeGreaterThan(0);
    expect(run.extra.handlerFailures).toBe(0);
    expect(run.totals.overCommits).toBe(0);
    // Workloads moved back to their primary group once the post-restart window passed (planned moves).
    expect(run.episodes.some((e) => e.kind === 'move')).toBe(true);
  }, 60_000);
});
