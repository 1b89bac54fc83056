import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../lambda/sim/bundled-data';
import { runSimulation, toJsonReport } from '../../lambda/sim/simulate';
import { loadTraces, type TraceSeries } from '../../lambda/data/traces/load-traces';

/**
 * The simulator's figures for one fixed, short run (seed 5, 12 hours, 12 Spot instances, bursts ×800, a
 * maintenance wave every 2 hours, the statistical predictor), pinned. A structural change must leave them
 * exactly as they are; a change that moves them on purpose (a fixed bug, a new behaviour) updates them here
 * and says why in its commit. About 2 s.
 */
const PINNED = {
  'asg-native': {
    unservedVcpuMinutes: 12.42,
    unservedGibMinutes: 0,
    // Its handler's two alarms (errors, dead letters) are billed.
    cost: 7.8,
    requestsAdmitted: 13,
    requestsDeferred: 5,
    coldLaunches: 22,
    warmStarts: 2,
    idleStandbyInstanceHours: 0.5,
    standbyInstanceHours: 1.5,
    budgetViolations: 0,
    overCommits: 0,
  },
  // The coordinator admits one request at a time (reserved concurrency 1): a maintenance wave's requests no longer
  // all choose the same victim, so they disrupt as many instances as they ask for (more cold launches, more deferrals).
  // A replacement launched ahead of its victim's termination inherits the victim's lineage (its restart cycle is learned);
  // recalibration starts from 3 cycles. The CloudWatch agent publishes 2 custom metrics per instance, not 3 (cost).
  // A group with too few restarts of its own recalibrates from the other groups' stored cycles (one reservation fewer).
  // EC2 detailed monitoring (the 1-minute EC2 points the profiler reads) is billed: 7 metrics per running instance.
  // The default deployment reads CPU from the CloudWatch agent each minute and EC2's basic monitoring (not billed) for
  // network and disk: a third agent metric instead of 7 detailed-monitoring ones; unserved demand unchanged. EC2 is
  // asked for network and disk only where the agent reported CPU. The agent's PutMetricData requests are billed (one a
  // minute per instance). spotwise's own custom metrics (per metric-hour; the profiler's cost metrics among them, with
  // prices quoted as in AWS), its dashboard and its 18 alarms are billed.
  spotwise: {
    unservedVcpuMinutes: 17.04,
    unservedGibMinutes: 0,
    cost: 8.53,
    requestsAdmitted: 13,
    requestsDeferred: 6,
    coldLaunches: 21,
    warmStarts: 2,
    idleStandbyInstanceHours: 0.21,
    standbyInstanceHours: 1.2,
    budgetViolations: 0,
    overCommits: 0,
    reservationsMade: 22,
    loansMade: 0,
  },
  'spotwise-naive': {
    unservedVcpuMinutes: 6.72,
    unservedGibMinutes: 0,
    cost: 8.53,
    requestsAdmitted: 13,
    requestsDeferred: 6,
    coldLaunches: 22,
    warmStarts: 2,
    idleStandbyInstanceHours: 0.21,
    standbyInstanceHours: 1.2,
    budgetViolations: 0,
    overCommits: 0,
    reservationsMade: 24,
    loansMade: 0,
  },
} as const;

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

describe('pinned simulator figures', () => {
  it('seed 5, 12 h, 12 instances: asg-native, spotwise and spotwise-naive give exactly the pinned figures', async () => {
    const result = await runSimulation({
      seeds: [5],
      singleSeed: true,
      hours: 12,
      instances: 12,
      traces,
      checkInvariants: true,
      predictor: 'fallback',
      interruption: { rateScale: 800 },
      requests: { meanHoursBetweenWaves: 2 },
      workers: 0,
      strategies: ['asg-native', 'spotwise', 'spotwise-naive'],
    });
    const doc = toJsonReport(result) as { strategies: Record<string, Record<string, unknown>> };
    for (const [name, figures] of Object.entries(PINNED)) {
      const got = doc.strategies[name] ?? {};
      expect(Object.fromEntries(Object.keys(figures).map((k) => [k, got[k]])), name).toEqual(figures);
    }
  }, 60_000);
});
