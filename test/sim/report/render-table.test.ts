import { describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { renderFrontierComparison, renderRunDescription, renderTable, TABLE_COLUMNS } from '../../../lambda/sim/report/render-table';
import { compareWithBestBaseline } from '../../../lambda/sim/runs/compare-baselines';
import { compareWithFrontiers, type FrontierPoint } from '../../../lambda/sim/runs/frontier';
import { runSimulation, type SimulationResult } from '../../../lambda/sim/simulate';
import { loadTraces } from '../../../lambda/data/traces/load-traces';

const metrics = (unservedVcpuMinutes: number, cost: number, extra: Record<string, number> = {}) => ({
  unservedVcpuMinutes,
  cost,
  availability: 1 - unservedVcpuMinutes / 10_000,
  savingsVsOnDemand: 0.5,
  interruptions: 6,
  failedActions: 1,
  healthCheckReplacements: 2,
  staleCapacityWrites: 3,
  idleStandbyInstanceHours: 1.25,
  recoveryP50Seconds: 90,
  recoveryP95Seconds: 300,
  budgetViolations: 0,
  overCommits: 0,
  ...extra,
});

/** A small real run: 6 instances, two seeds, the fallback predictor, interruptions 600× the Advisor's rates. */
const smallRun = (options: { readonly hours: number; readonly strategies: Parameters<typeof runSimulation>[0]['strategies'] }) =>
  runSimulation({
    seeds: [1, 2],
    instances: 6,
    traces: loadTraces(BUNDLED_DATA_DIR),
    predictor: 'fallback',
    workers: 0,
    interruption: { rateScale: 600 },
    ...options,
  });

/** Only what the table reads of a result. */
const result = (seeds: number[], summary: SimulationResult['summary'], frontier?: Record<string, FrontierPoint[]>): SimulationResult => {
  const means = Object.fromEntries(Object.entries(summary).map(([n, s]) => [n, s.mean]));
  return {
    seeds,
    summary,
    comparisons: compareWithBestBaseline(means),
    ...(frontier
      ? {
          frontier,
          frontierComparisons: {
            spotwise: compareWithFrontiers(
              { cost: means.spotwise!.cost as number, unservedVcpuMinutes: means.spotwise!.unservedVcpuMinutes as number },
              frontier,
            ),
          },
        }
      : {}),
  } as unknown as SimulationResult;
};

describe('renderTable', () => {
  it('has a column for every metric the issue names, and none for the old target', () => {
    expect(TABLE_COLUMNS.map((c) => c.title)).toEqual([
      'knob',
      'interruptions',
      'unserved vCPU·min',
      'availability',
      'cost $',
      'savings vs OD',
      'failed actions',
      'HC replacements',
      'stale writes',
      'idle standby h',
      'recovery p50 s',
      'recovery p95 s',
      'budget viol.',
      'over-commits',
    ]);
  });

  it('one seed: a row per strategy, a dash for what a run does not report, and spotwise beside the best baseline', () => {
    const text = renderTable(
      result([1], {
        none: { mean: metrics(120, 97.5), worst: { ...metrics(120, 97.5), seed: 1 } },
        'warm-reactive': { mean: metrics(7, 98.37, { knob: 4 }), worst: { ...metrics(7, 98.37, { knob: 4 }), seed: 1 } },
        spotwise: { mean: { unservedVcpuMinutes: 19, cost: 104.62, availability: 0.9984 }, worst: { seed: 1 } },
      }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^strategy\s+knob\s+interruptions\s+unserved vCPU·min\s+availability\s+cost \$\s+savings vs OD/);
    expect(lines[2]).toMatch(/^none\s+—\s+6\s+120\.0\s+98\.800 %\s+97\.50\s+50\.0 %\s+1\s+2\s+3\s+1\.3\s+90\s+300\s+0\s+0$/);
    expect(lines[3]).toMatch(/^warm-reactive\s+4\s+6\s+7\.0/);
    expect(lines[4]).toMatch(/^spotwise\s+—\s+—\s+19\.0\s+99\.840 %\s+104\.62\s+—/);
    expect(text).not.toContain('worst');
    expect(text).not.toContain('target');
    expect(text).toContain(
      'spotwise vs the best baseline (warm-reactive, the least unserved): unserved 19.0 vs 7.0 vCPU·min, availability 99.840 % vs 99.930 %, cost $104.62 vs $98.37 (+6.4 %)',
    );
  });

  it('several seeds: the mean per strategy and the worst seed under it', () => {
    const text = renderTable(
      result([1, 2, 3], {
        none: { mean: metrics(100, 97), worst: { ...metrics(150, 98), seed: 3 } },
        spotwise: { mean: metrics(10, 104), worst: { ...metrics(25, 105), seed: 2 } },
      }),
    );
    expect(text).toMatch(/\nnone \(mean\)\s+—\s+6\s+100\.0/);
    expect(text).toMatch(/\n {2}worst: seed 3\s+—\s+6\s+150\.0/);
    expect(text).toMatch(/\n {2}worst: seed 2\s+—\s+6\s+25\.0/);
    expect(text).toContain('spotwise vs the best baseline, means over 3 seeds (none, the least unserved)');
  });

  it('with a sweep: the frontier points and where spotwise stands; a curve that ends below its cost counts with its best knob', () => {
    const frontier = {
      'warm-reactive': [
        { knob: 0, cost: 100, unservedVcpuMinutes: 60, availability: 0.99 },
        { knob: 4, cost: 108, unservedVcpuMinutes: 4, availability: 0.999 },
      ],
      'static-headroom': [
        { knob: 0, cost: 100, unservedVcpuMinutes: 60, availability: 0.99 },
        { knob: 1, cost: 103, unservedVcpuMinutes: 30, availability: 0.995 },
      ],
    };
    const text = renderTable(
      result(
        [1, 2],
        {
          none: { mean: metrics(60, 100), worst: { ...metrics(60, 100), seed: 1 } },
          spotwise: { mean: metrics(4, 106), worst: { ...metrics(4, 106), seed: 1 } },
        },
        frontier,
      ),
    );
    expect(text).toMatch(/\nwarm-reactive\s+4\s+108\.00\s+4\.0\s+99\.900 %/);
    expect(text).toContain('spotwise ($106.00, 4.0 unserved vCPU·min):');
    expect(text).toContain(
      "for at most spotwise's cost, the best baseline leaves 18.0 vCPU·min unserved (warm-reactive) — warm-reactive 18.0, static-headroom 30.0",
    );
    expect(text).toContain(
      "for at most spotwise's unserved, the cheapest baseline costs $108.00 (warm-reactive) — warm-reactive $108.00, static-headroom outside the frontier (its unserved 30.0–60.0 vCPU·min)",
    );
  });
});

describe('renderTable: unserved demand by cause', () => {
  const byCause = (spot: number, voluntary: number, move: number) => ({ unservedByCause: { spot, voluntary, move } });

  it('one line after the table: every strategy that reports the split, Spot / voluntary / moves, with the seeds it is a mean over', () => {
    const text = renderTable(
      result([1, 2], {
        none: { mean: { ...metrics(120, 97.5), ...byCause(113.25, 6.8, 0) }, worst: { ...metrics(150, 98), seed: 2 } },
        reactive: { mean: metrics(100, 97.6), worst: { ...metrics(100, 97.6), seed: 1 } },
        spotwise: { mean: { ...metrics(1.5, 100.9), ...byCause(0.55, 0.09, 0.84) }, worst: { ...metrics(3.5, 100.3), seed: 1 } },
      }),
    );
    expect(text.split('\n')).toContain(
      'unserved vCPU·min by cause (Spot / voluntary / moves, means over 2 seeds): none 113.25 / 6.80 / 0.00 · spotwise 0.55 / 0.09 / 0.84',
    );
  });

  it('a part that is missing or not a number shows as a dash; no strategy with the split, no line', () => {
    const odd = renderTable(
      result([1], { spotwise: { mean: { ...metrics(1, 100), unservedByCause: { spot: 1, voluntary: Number.NaN } }, worst: { ...metrics(1, 100), seed: 1 } } }),
    );
    expect(odd).toContain('unserved vCPU·min by cause (Spot / voluntary / moves): spotwise 1.00 / — / —');
    const none = renderTable(result([1], { spotwise: { mean: metrics(1, 100), worst: { ...metrics(1, 100), seed: 1 } } }));
    expect(none).not.toContain('by cause');
  });

  it('comes from the runs: a real run of two strategies prints the split its summaries carry', async () => {
    const run = await smallRun({ hours: 2, strategies: ['none', 'spotwise'] });
    const text = renderTable(run);
    // Not vacuous: the world interrupts, so there is unserved demand to split.
    expect(run.summary.none!.mean.unservedVcpuMinutes as number).toBeGreaterThan(0);
    const line = text.split('\n').find((l) => l.startsWith('unserved vCPU·min by cause'));
    expect(line).toBeDefined();
    for (const name of ['none', 'spotwise']) {
      const c = run.summary[name]!.mean.unservedByCause as { spot: number; voluntary: number; move: number };
      const unserved = run.summary[name]!.mean.unservedVcpuMinutes as number;
      const steady = run.summary[name]!.mean.steadyUnservedVcpuMinutes as number;
      expect(Math.abs(c.spot + c.voluntary + c.move - (unserved - steady))).toBeLessThanOrEqual(0.02);
      expect(line).toContain(`${name} ${c.spot.toFixed(2)} / ${c.voluntary.toFixed(2)} / ${c.move.toFixed(2)}`);
    }
  }, 120_000);
});

describe('renderFrontierComparison', () => {
  it('says so when every baseline costs more, and when no frontier leaves that little', () => {
    const frontier = { 'asg-native': [{ knob: 0, cost: 100, unservedVcpuMinutes: 9, availability: 0.9 }] };
    const lines = renderFrontierComparison('spotwise-naive', compareWithFrontiers({ cost: 90, unservedVcpuMinutes: 1 }, frontier), frontier);
    expect(lines[1]).toBe("  for at most spotwise-naive's cost, every baseline costs more — asg-native dearer at every knob (its costs $100.00–$100.00)");
    expect(lines[2]).toBe(
      "  for at most spotwise-naive's unserved, no baseline's frontier reaches — asg-native outside the frontier (its unserved 9.0–9.0 vCPU·min)",
    );
  });

  it('a baseline whose every knob costs less than the point answers with its best knob, not "outside"', () => {
    const frontier = { 'asg-native': [{ knob: 0, cost: 100, unservedVcpuMinutes: 9, availability: 0.9 }] };
    const lines = renderFrontierComparison('spotwise', compareWithFrontiers({ cost: 120, unservedVcpuMinutes: 10 }, frontier), frontier);
    expect(lines[1]).toBe("  for at most spotwise's cost, the best baseline leaves 9.0 vCPU·min unserved (asg-native) — asg-native 9.0");
    expect(lines[2]).toBe("  for at most spotwise's unserved, the cheapest baseline costs $100.00 (asg-native) — asg-native $100.00");
  });
});

describe('renderRunDescription', () => {
  it('says which seeds, the fleet, the interruptions per seed and the knobs', async () => {
    const r = await smallRun({ hours: 1, strategies: ['none', 'warm-reactive'] });
    const text = renderRunDescription(r);
    expect(text).toMatch(/^seeds 1, 2, 1 simulated hours, 6 Spot instances in web \(4\), batch \(2\); standby On-Demand standby with a warm pool of 2\n/);
    expect(text).toMatch(/\ninterruptions: (\d+–\d+ pool bursts per seed|\d+ pool bursts) drawn from Spot Advisor buckets ×600/);
    expect(text).toContain('knobs (mean over seeds): warm-reactive 2 (static warm pool size of the standby group)');
    expect(text).not.toContain('fleet derived');
    expect(text).not.toContain('never delivered');
  }, 60_000);

  /** One hour of `none` on seed 1 over 6 instances, with `options` on top. */
  const oneHourOfNone = (options: Partial<Parameters<typeof runSimulation>[0]>) =>
    runSimulation({
      seeds: [1],
      hours: 1,
      instances: 6,
      traces: loadTraces(BUNDLED_DATA_DIR),
      predictor: 'fallback',
      workers: 0,
      strategies: ['none'],
      ...options,
    });

  it('says what share of rebalance recommendations were never delivered, when any were', async () => {
    const r = await oneHourOfNone({ interruption: { rateScale: 600, lostRecommendationShare: 0.25 } });
    expect(renderRunDescription(r)).toContain(
      'rebalance recommendations: 25 % never delivered to the strategies (--lost-recommendations; Capacity Rebalancing still acts on them)',
    );
  }, 60_000);

  it('names a replayed file and where its labels landed', async () => {
    const r = await oneHourOfNone({ replayedInterruptions: [{ line: 2, timeSeconds: 60, pool: 'east', fraction: 1 }] });
    expect(renderRunDescription(r, { interruptionsFile: 'reclaims.csv' })).toContain(
      'interruptions: 1 row replayed from reclaims.csv (each a warning at its time, the reclaim 120 s later; the rebalance recommendation with the warning), pools: east → m5.large@us-east-1a',
    );
  }, 60_000);
});
