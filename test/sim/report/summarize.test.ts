import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupId } from '../../../lambda/core/domain';
import type { Episode } from '../../../lambda/sim/engine/sim-types';
import { scriptJson } from '../../../lambda/sim/report/render-html';
import { percentile, recoverySeconds, summarizeRun } from '../../../lambda/sim/report/summarize';
import type { StrategyRun } from '../../../lambda/sim/run-strategy';

/** An episode whose last unserved minute ended at `lastUnserved` (undefined: it caused none). */
const episode = (kind: Episode['kind'], start: number, lastUnserved: number | undefined, end?: number, unserved = 0): Episode => ({
  kind,
  workloadId: 'w',
  groupId: groupId('web'),
  start,
  unservedVcpuMinutes: unserved,
  unservedGibMinutes: 0,
  ...(lastUnserved !== undefined ? { lastUnservedEnd: lastUnserved } : {}),
  ...(end !== undefined ? { end } : {}),
});

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 0.5, 0],
    [[7], 0.95, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [[4, 1, 3, 2], 0.95, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
  ])('%j at %s is %s', (values, q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });

  it('is one of the values and monotone in q', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }), (values) => {
        expect(values).toContain(percentile(values, 0.5));
        expect(percentile(values, 0.5)).toBeLessThanOrEqual(percentile(values, 0.95));
      }),
    );
  });
});

describe('summarizeRun', () => {
  const run: StrategyRun = {
    name: 'x',
    description: 'x',
    throttledCalls: 3,
    extra: {},
    deliveryErrors: [],
    requests: { requestsAdmitted: 2, requestsDeferred: 1, requestsUnserved: 0 },
    timeline: [],
    software: {
      lambda: 0.01,
      dynamodb: 0.002,
      eventbridge: 0.001,
      scheduler: 0,
      cloudwatchReads: 0.3,
      agentMetrics: 0.0314,
      agentRequests: 0.0229,
      detailedMonitoring: 0.11,
      ownMetrics: 0.0216,
      dashboards: 0.0082,
      alarms: 0.0049,
      total: 0.512,
    },
    episodes: [
      episode('spot', 0, 30_000, 1_800_000),
      episode('voluntary', 0, 90_000, 1_900_000),
      episode('move', 0, 600_000, 2_000_000),
      episode('spot', 1_000_000, 1_120_000),
      episode('spot', 500_000, undefined, 2_300_000),
    ],
    totals: {
      unservedVcpuMinutes: 1.234,
      unservedGibMinutes: 5.678,
      demandVcpuMinutes: 100,
      servedVcpuMinutes: 98.766,
      costUsd: 12.0,
      spotCostUsd: 10,
      onDemandCostUsd: 1.9,
      onDemandCostByType: { 'c5.2xlarge': 1.234567, 'm5.large': 0.665433, 'm5.xlarge': 0 },
      spotCostByType: { 'c5.2xlarge': 0, 'm5.large': 6.123456, 'm5.xlarge': 3.876544 },
      spotHoursByType: { 'c5.2xlarge': 0, 'm5.large': 187.65432, 'm5.xlarge': 58.0004 },
      storageCostUsd: 0.1,
      allOnDemandCostUsd: 40,
      spotInterruptions: 3,
      voluntaryInterruptions: 1,
      budgetViolations: 0,
      overCommits: 0,
      coldLaunches: 1,
      warmStarts: 2,
      rebalanceRecommendations: 4,
      lostRecommendations: 1,
      warnings: 2,
      failedActions: 1,
      healthCheckReplacements: 0,
      staleCapacityWrites: 2,
      standbyInstanceHours: 3,
      idleStandbyInstanceHours: 1.5,
      steadyUnservedVcpuMinutes: 0,
      deliveryFailures: 0,
      capacityReservationReclaims: 0,
      maintenanceStops: 0,
    },
  };

  it('takes recovery to the last unserved minute, over interruptions only, censoring the open at the end of the run', () => {
    const s = summarizeRun(run, 1_120_000);
    // recoveries: 0 s (no shortfall), 30 s, 90 s, 120 s (open, censored); the planned move is not an interruption.
    expect(s.recoveryP50Seconds).toBe(30);
    expect(s.recoveryP95Seconds).toBe(120);
    expect(recoverySeconds(episode('spot', 0, undefined), 5_000)).toBe(0);
    expect(recoverySeconds(episode('spot', 0, 9_000), 5_000)).toBe(5);
  });

  it('reports the rebalance recommendations and, of them, the ones EventBridge did not deliver', () => {
    const s = summarizeRun(run, 1_120_000);
    expect(s.rebalanceRecommendations).toBe(4);
    expect(s.lostRecommendations).toBe(1);
  });

  it("prices the strategy's own software into its cost, itemised, and derives availability and savings", () => {
    const s = summarizeRun(run, 1_120_000);
    expect(s.cost).toBe(12.51);
    // Instances by kind, then every software item as priced (each already within the breakdown's 4 digits).
    const { total: _total, ...software } = run.software;
    expect(s.costBreakdown).toEqual({ spotInstances: 10, onDemandInstances: 1.9, stoppedStorage: 0.1, ...software });
    expect(Object.keys(s.costBreakdown)).toEqual(expect.arrayContaining(['detailedMonitoring', 'agentRequests', 'ownMetrics', 'dashboards', 'alarms']));
    expect(s.onDemandCost).toBe(40);
    // On-Demand spend by type, every type kept (zeros too), to 0.01 ¢.
    expect(s.onDemandCostByType).toEqual({ 'c5.2xlarge': 1.2346, 'm5.large': 0.6654, 'm5.xlarge': 0 });
    // Spot spend by type to 0.01 ¢ and the hours behind it to 0.001 h, zeros kept.
    expect(s.spotCostByType).toEqual({ 'c5.2xlarge': 0, 'm5.large': 6.1235, 'm5.xlarge': 3.8765 });
    expect(s.spotHoursByType).toEqual({ 'c5.2xlarge': 0, 'm5.large': 187.654, 'm5.xlarge': 58 });
    expect(s.savingsVsOnDemand).toBeCloseTo(1 - 12.512 / 40, 4);
    expect(s.availability).toBeCloseTo(0.98766, 6);
    expect(s.unservedVcpuMinutes).toBe(1.23);
    expect(s.interruptions).toBe(3);
    expect(s.failedActions).toBe(1);
    expect(s.staleCapacityWrites).toBe(2);
    expect(s.idleStandbyInstanceHours).toBe(1.5);
    expect(s.standbyInstanceHours).toBe(3);
    expect(s.requestsAdmitted).toBe(2);
  });

  it.each([
    {
      name: 'one episode of each cause',
      episodes: [
        ['spot', 1.5],
        ['voluntary', 0.25],
        ['move', 2],
      ],
      byCause: { spot: 1.5, voluntary: 0.25, move: 2 },
    },
    {
      name: 'several of one cause add up',
      episodes: [
        ['spot', 1],
        ['spot', 0.004],
        ['spot', 2],
      ],
      byCause: { spot: 3, voluntary: 0, move: 0 },
    },
    {
      name: 'a move upgraded to spot counts as spot',
      episodes: [
        ['move', 0.5],
        ['spot', 0.5],
      ],
      byCause: { spot: 0.5, voluntary: 0, move: 0.5 },
    },
    { name: 'no episode', episodes: [], byCause: { spot: 0, voluntary: 0, move: 0 } },
  ] as const)('says where the unserved demand came from: $name', ({ episodes, byCause }) => {
    const s = summarizeRun({ ...run, episodes: episodes.map(([kind, unserved], k) => episode(kind, k * 1000, undefined, undefined, unserved)) }, 1_120_000);
    expect(s.unservedByCause).toEqual(byCause);
  });

  it('the causes add up to the unserved demand in episodes, whatever the episodes', () => {
    const kinds = fc.constantFrom<Episode['kind']>('spot', 'voluntary', 'move');
    fc.assert(
      fc.property(fc.array(fc.tuple(kinds, fc.double({ min: 0, max: 500, noNaN: true })), { maxLength: 40 }), (list) => {
        const s = summarizeRun({ ...run, episodes: list.map(([kind, unserved], k) => episode(kind, k, undefined, undefined, unserved)) }, 1_120_000);
        const total = list.reduce((t, [, u]) => t + u, 0);
        const c = s.unservedByCause;
        // Each part is rounded to the cent of a vCPU·min.
        expect(Math.abs(c.spot + c.voluntary + c.move - total)).toBeLessThanOrEqual(0.015 + 1e-9);
      }),
    );
  });
});

describe('scriptJson', () => {
  it('cannot close the script element it is embedded in', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const out = scriptJson({ text: `${text}</script><!--` });
        expect(out).not.toMatch(/<\/script|<!--/i);
        expect(JSON.parse(out)).toEqual({ text: `${text}</script><!--` });
      }),
    );
  });
});
