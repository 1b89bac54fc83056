import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { MetricName } from '../../../lambda/contracts/metrics';
import type { InterruptionRequest } from '../../../lambda/core/domain';
import { prepareSimulation, type PreparedSimulation } from '../../../lambda/sim/prepare-simulation';
import { runStrategy, type StrategyRun } from '../../../lambda/sim/run-strategy';
import { GROUP_IDS } from '../../../lambda/sim/sample-fleet';
import {
  createAsgNativeStrategy,
  createNoneStrategy,
  createReactiveStrategy,
  createStaticHeadroomStrategy,
  createWarmReactiveStrategy,
} from '../../../lambda/sim/strategies/baseline-strategies';
import { createStrategy } from '../../../lambda/sim/strategies/create-strategy';
import { defaultKnob, knobGrid } from '../../../lambda/sim/strategies/knob-grid';
import { createSpotwiseStrategy, FUNCTION_MEMORY_MB } from '../../../lambda/sim/strategies/spotwise-strategy';
import { KNOB_STRATEGY_NAMES, STRATEGY_NAMES } from '../../../lambda/sim/strategies/strategy-names';
import { loadTraces, type TraceSeries } from '../../../lambda/data/traces/load-traces';
import { withBurst } from '../engine/world-fixtures';
import { HANDLER_ALARMS, spotwiseAlarmCount } from '../../../lambda/sim/aws-bill';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

const base = (hours = 1): PreparedSimulation =>
  prepareSimulation({
    seed: 1,
    hours,
    instances: 10,
    traces,
    checkInvariants: true,
    predictor: 'fallback',
    interruption: { rateScale: 0 },
    requests: { meanHoursBetweenWaves: 0 },
  });

/** A quiet hour with one burst reclaiming the whole pool of the first web instance 20 minutes in. */
const oneBurst = (rebalanceLeadSeconds?: number): PreparedSimulation => withBurst(base(), rebalanceLeadSeconds, 20);

/** Four maintenance requests on the web group at once (its budget allows one disruption at a time). */
const maintenanceWave = (deadlineMinutes = 90): PreparedSimulation => {
  const setup = base(2);
  const at = setup.sample.startAt + 10 * 60_000;
  const requests: InterruptionRequest[] = [0, 1, 2, 3].map((k) => ({
    requestId: `req-${k}` as InterruptionRequest['requestId'],
    selector: { kind: 'group', groupId: GROUP_IDS.web, maxPriority: 100 },
    reason: 'kernel patch',
    notBefore: at,
    deadline: at + deadlineMinutes * 60_000,
    mode: 'terminate',
    requestedAt: at,
  }));
  return { ...setup, requests };
};

const episodesFrom = (run: StrategyRun, kind: 'spot' | 'voluntary') => run.episodes.filter((e) => e.kind === kind);

describe('baseline strategies', () => {
  it('reactive: launches a replacement on each warning and maintains terminate-first, ignoring the budget', async () => {
    const burst = await runStrategy(oneBurst(), createReactiveStrategy());
    const none = await runStrategy(oneBurst(), createNoneStrategy());
    expect(burst.totals.warnings).toBeGreaterThan(0);
    // Its one handler function: invoked on each warning, alarmed (errors, dead letters) for the run's hour; no manager, no bill.
    expect(burst.software.lambda).toBeGreaterThan(0);
    expect(burst.software.alarms).toBeCloseTo((HANDLER_ALARMS * 1 * 0.1) / 730, 12);
    expect(burst.software.dashboards).toBe(0);
    expect(burst.software.ownMetrics).toBe(0);
    expect(none.software.total).toBe(0);
    expect(burst.totals.coldLaunches).toBeGreaterThanOrEqual(burst.totals.warnings);
    expect(burst.totals.unservedVcpuMinutes).toBeLessThan(none.totals.unservedVcpuMinutes);
    const wave = await runStrategy(maintenanceWave(), createReactiveStrategy());
    expect(wave.requests.requestsAdmitted).toBe(4);
    expect(wave.totals.budgetViolations).toBeGreaterThan(0);
  });

  it('launch-before-terminate maintenance stays within the budget and defers what does not fit', async () => {
    const run = await runStrategy(maintenanceWave(), createAsgNativeStrategy(2));
    expect(run.totals.budgetViolations).toBe(0);
    expect(run.requests.requestsDeferred).toBeGreaterThan(0);
    expect(run.requests.requestsAdmitted + run.requests.requestsUnserved).toBe(4);
    const terminateFirst = await runStrategy(maintenanceWave(), createNoneStrategy());
    const unserved = (r: StrategyRun) => episodesFrom(r, 'voluntary').reduce((s, e) => s + e.unservedVcpuMinutes, 0);
    expect(unserved(run)).toBeLessThan(unserved(terminateFirst));
  });

  it("spotwise: a maintenance wave's requests, arriving together, each disrupt an instance of their own (the coordinator admits one at a time)", async () => {
    const setup = maintenanceWave();
    const run = await runStrategy(setup, createSpotwiseStrategy(setup));
    expect(run.requests.requestsAdmitted).toBeGreaterThan(1);
    // One instance per admitted request: none is counted as carried out by another request's termination.
    expect(run.totals.voluntaryInterruptions).toBe(run.requests.requestsAdmitted);
    expect(run.totals.budgetViolations).toBe(0);
  });

  it('every strategy counts a request whose deadline passed before it could run as unserved', async () => {
    // Twelve minutes for four requests against a budget of one: some cannot run in time, whoever plans them.
    const setup = maintenanceWave(12);
    for (const strategy of [createSpotwiseStrategy(setup), createAsgNativeStrategy(2)]) {
      const run = await runStrategy(setup, strategy);
      expect(run.requests.requestsUnserved, strategy.name).toBeGreaterThan(0);
      expect(run.requests.requestsAdmitted + run.requests.requestsUnserved, strategy.name).toBe(4);
    }
  });

  it('asg-native: Capacity Rebalancing moves workloads off an at-risk pool when the recommendation comes early', async () => {
    const run = await runStrategy(oneBurst(900), createAsgNativeStrategy(2));
    expect(run.totals.rebalanceRecommendations).toBeGreaterThan(0);
    expect(run.totals.spotInterruptions).toBe(0);
    const none = await runStrategy(oneBurst(900), createNoneStrategy());
    expect(none.totals.spotInterruptions).toBeGreaterThan(0);
  });

  it('a lost rebalance recommendation reaches no strategy, and Auto Scaling still acts on it (--lost-recommendations)', async () => {
    const heard = async (share: number): Promise<{ readonly ids: string[]; readonly run: StrategyRun }> => {
      const setup = oneBurst(900);
      const ids: string[] = [];
      const strategy = createNoneStrategy();
      const listening = Object.assign(Object.create(Object.getPrototypeOf(strategy) as object) as object, strategy, {
        onRebalanceRecommendation: async (_world: unknown, id: string) => {
          ids.push(id);
        },
      }) as typeof strategy;
      const run = await runStrategy({ ...setup, interruption: { ...setup.interruption, lostRecommendationShare: share } }, listening);
      return { ids, run };
    };
    const delivered = await heard(0);
    expect(delivered.run.totals.rebalanceRecommendations).toBeGreaterThan(0);
    expect(delivered.ids).toHaveLength(delivered.run.totals.rebalanceRecommendations);
    expect(delivered.run.totals.lostRecommendations).toBe(0);
    const lost = await heard(1);
    expect(lost.ids).toEqual([]);
    expect(lost.run.totals.lostRecommendations).toBe(lost.run.totals.rebalanceRecommendations);
    expect(lost.run.totals.lostRecommendations).toBeGreaterThan(0);
    // Capacity Rebalancing is Auto Scaling's own reaction, not an EventBridge delivery: it still moves the pool's load.
    const setup = oneBurst(900);
    const native = await runStrategy({ ...setup, interruption: { ...setup.interruption, lostRecommendationShare: 1 } }, createAsgNativeStrategy(2));
    expect(native.totals.lostRecommendations).toBeGreaterThan(0);
    expect(native.totals.spotInterruptions).toBe(0);
  });

  it('asg-native and warm-reactive: the warm pool is the knob, and a warning without early notice starts warm capacity', async () => {
    for (const make of [createAsgNativeStrategy, createWarmReactiveStrategy]) {
      const small = await runStrategy(oneBurst(), make(0));
      const warm = await runStrategy(oneBurst(), make(3));
      expect(small.totals.warmStarts).toBe(0);
      expect(warm.totals.warmStarts).toBeGreaterThan(0);
      expect(warm.totals.unservedVcpuMinutes).toBeLessThan(small.totals.unservedVcpuMinutes);
      // Idle standby capacity is scaled back in by the standby group's own policy.
      expect(warm.totals.idleStandbyInstanceHours).toBeLessThan(warm.totals.standbyInstanceHours + 1e-9);
    }
  });

  it('static-headroom: N running spares per primary group serve a burst at once, at their price', async () => {
    const none = await runStrategy(oneBurst(), createNoneStrategy());
    const spares = await runStrategy(oneBurst(), createStaticHeadroomStrategy(2));
    expect(spares.totals.unservedVcpuMinutes).toBeLessThan(none.totals.unservedVcpuMinutes);
    expect(spares.totals.costUsd).toBeGreaterThan(none.totals.costUsd);
    const zero = await runStrategy(oneBurst(), createStaticHeadroomStrategy(0));
    expect(zero.totals.costUsd).toBeLessThan(spares.totals.costUsd);
  });

  it('knob grids start at 0 and reach a size that serves a whole pool; defaults are what an operator configures', () => {
    const setup = base();
    for (const name of KNOB_STRATEGY_NAMES) {
      const grid = knobGrid(name, setup);
      expect(grid[0]).toBe(0);
      expect([...grid].sort((a, b) => a - b)).toEqual(grid);
      expect(new Set(grid).size).toBe(grid.length);
      expect(grid.at(-1)).toBeGreaterThanOrEqual(1);
    }
    expect(defaultKnob('static-headroom', setup)).toBe(1);
    expect(defaultKnob('asg-native', setup)).toBe(setup.sample.fleet.groups.find((g) => g.role === 'standby')!.warmPool!.minSize);
    expect(() => createStrategy('asg-native', setup, -1)).toThrow(/knob must be an integer ≥ 0 \(got -1\)/);
    for (const name of STRATEGY_NAMES) expect(createStrategy(name, setup).name).toBe(name);
  });
});

describe('spotwise strategy (the real handlers)', () => {
  it('answers a Spot warning with warm standby capacity, and pays its own AWS bill', async () => {
    const setup = oneBurst();
    const strategy = createSpotwiseStrategy(setup);
    const run = await runStrategy(setup, strategy);
    expect(strategy.telemetry.errors).toEqual([]);
    expect(run.totals.warnings).toBeGreaterThan(0);
    expect(run.totals.warmStarts).toBeGreaterThan(0);
    expect(run.extra.reservationsMade).toBeGreaterThan(0);
    expect(run.extra.handlerFailures).toBe(0);
    expect(run.totals.overCommits).toBe(0);
    expect(run.totals.deliveryFailures).toBe(0);
    expect(run.software.lambda).toBeGreaterThan(0);
    expect(run.software.dynamodb).toBeGreaterThan(0);
    expect(run.software.cloudwatchReads).toBeGreaterThan(0);
    expect(run.software.total).toBeCloseTo(
      run.software.lambda +
        run.software.dynamodb +
        run.software.eventbridge +
        run.software.scheduler +
        run.software.cloudwatchReads +
        run.software.agentMetrics +
        run.software.agentRequests +
        run.software.detailedMonitoring +
        run.software.ownMetrics +
        run.software.dashboards +
        run.software.alarms,
      12,
    );
    // Its own custom metrics, per clock hour each sent a datapoint in ($0.30 a metric-month), its dashboard ($3 a month)
    // and the stack's 18 alarms ($0.10 each a month), over the run's one hour.
    const metricHours = strategy.telemetry.metricHours();
    expect(strategy.telemetry.distinctMetrics()).toBeGreaterThan(10);
    // One simulated hour spans at most two clock hours.
    expect(metricHours).toBeGreaterThanOrEqual(strategy.telemetry.distinctMetrics());
    expect(metricHours).toBeLessThanOrEqual(2 * strategy.telemetry.distinctMetrics());
    expect(run.extra.ownMetricHours).toBe(metricHours);
    expect(run.software.ownMetrics).toBeCloseTo((metricHours * 0.3) / 730, 12);
    // With prices quoted (as the deployed profiler reads them) the profiler publishes each group's cost metrics.
    expect(strategy.telemetry.metricTotals.get(MetricName.estimatedHourlyCost)).toBeGreaterThan(0);
    expect(strategy.telemetry.metricTotals.get(MetricName.onDemandEquivalentHourlyCost)).toBeGreaterThan(0);
    expect(strategy.telemetry.metricTotals.has(MetricName.standbyHourlyCost)).toBe(true);
    expect(run.software.dashboards).toBeCloseTo(3 / 730, 12);
    expect(run.software.alarms).toBeCloseTo((spotwiseAlarmCount(5, 2) * 0.1) / 730, 12);
    // The default deployment (--monitoring agent-cpu): EC2 basic monitoring, not billed; the agent's CPU beside its memory
    // and connections.
    expect(run.software.detailedMonitoring).toBe(0);
  }, 60_000);

  it.each([
    // [mode, detailed monitoring billed per agent-metric dollar, instances reported on basic monitoring, on 5-minute CPU]
    ['detailed', 7 / 2, false, false],
    ['basic', 0, true, true],
    ['agent-cpu', 0, true, false],
  ] as const)(
    '--monitoring %s: detailed monitoring billed %d per agent dollar, on basic monitoring: %s, on 5-minute CPU: %s',
    async (mode, ratio, reported, stale) => {
      const setup = oneBurst();
      const world = { ...setup, world: { ...setup.world, monitoring: mode } };
      const strategy = createSpotwiseStrategy(world);
      const run = await runStrategy(world, strategy);
      expect(strategy.telemetry.errors).toEqual([]);
      expect(run.software.agentMetrics).toBeGreaterThan(0);
      expect(run.software.detailedMonitoring / run.software.agentMetrics).toBeCloseTo(ratio, 9);
      expect((strategy.telemetry.metricTotals.get(MetricName.instancesOnBasicMonitoring) ?? 0) > 0).toBe(reported);
      expect((strategy.telemetry.metricTotals.get(MetricName.instancesOnFiveMinuteCpu) ?? 0) > 0).toBe(stale);
      expect(strategy.telemetry.warnings.some((w) => w.includes("without the CloudWatch agent's CPU"))).toBe(stale);
      expect(run.extra.handlerFailures).toBe(0);
      expect(run.extra.reservationsMade).toBeGreaterThan(0);
    },
    60_000,
  );

  it("bills the agent's CPU as a third agent metric: the same run costs 3/2 the agent metrics with it", async () => {
    const setup = oneBurst();
    const runIn = async (monitoring: 'agent-cpu' | 'basic') => {
      const world = { ...setup, world: { ...setup.world, monitoring } };
      return runStrategy(world, createSpotwiseStrategy(world));
    };
    const [withCpu, without] = [await runIn('agent-cpu'), await runIn('basic')];
    expect(withCpu.software.agentMetrics / without.software.agentMetrics).toBeCloseTo(3 / 2, 1);
  }, 120_000);

  it('reads CloudWatch at the deployed cadence (profiler.metrics_every_minutes), not on every profiler tick', async () => {
    const setup = oneBurst();
    const profiler = setup.sample.config.profiler;
    expect(profiler.metrics_every_minutes).toBe(4 * profiler.rate_minutes);
    const everyTick = {
      ...setup,
      sample: { ...setup.sample, config: { ...setup.sample.config, profiler: { ...profiler, metrics_every_minutes: profiler.rate_minutes } } },
    };
    const deployed = await runStrategy(setup, createSpotwiseStrategy(setup));
    const eager = await runStrategy(everyTick, createSpotwiseStrategy(everyTick));
    // Four times the reads (the instances served vary a little between the runs).
    expect(eager.software.cloudwatchReads / deployed.software.cloudwatchReads).toBeGreaterThan(3);
  }, 120_000);

  it('spotwise-naive runs the same handlers with the naive predictor', async () => {
    const setup = oneBurst();
    const strategy = createSpotwiseStrategy(setup, { name: 'spotwise-naive', predictor: 'naive' });
    const run = await runStrategy(setup, strategy);
    expect(run.name).toBe('spotwise-naive');
    expect(run.extra.handlerFailures).toBe(0);
    expect(run.totals.warnings).toBeGreaterThan(0);
  }, 60_000);

  it('bills the Lambda memory the stack configures', async () => {
    const { functionSettings } = await import('../../../lib/functions');
    const settings = functionSettings(base().sample.config);
    for (const [fn, mb] of Object.entries(FUNCTION_MEMORY_MB)) expect(settings[fn as keyof typeof settings].memorySize).toBe(mb);
  });
});
