import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupId } from '../../../lambda/core/domain';
import type { Episode } from '../../../lambda/sim/engine/sim-world';
import { scriptJson } from '../../../lambda/sim/report/render-html';
import { compareWithReactive, percentile, recoverySeconds, summarizeRun, type StrategySummary } from '../../../lambda/sim/report/summarize';
import type { StrategyRun } from '../../../lambda/sim/run-strategy';

const episode = (kind: Episode['kind'], start: number, end: number | undefined, unserved = 0): Episode => ({
  kind, workloadId: 'w', groupId: groupId('web'), start, unservedVcpuMinutes: unserved, unservedGibMinutes: 0, ...(end !== undefined ? { end } : {}),
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
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1 }), (values) => {
      expect(values).toContain(percentile(values, 0.5));
      expect(percentile(values, 0.5)).toBeLessThanOrEqual(percentile(values, 0.95));
    }));
  });
});

describe('summarizeRun', () => {
  const run: StrategyRun = {
    name: 'x', description: 'x', throttledCalls: 3, extra: {},
    requests: { requestsAdmitted: 2, requestsDeferred: 1, requestsUnserved: 0 },
    timeline: [],
    episodes: [episode('spot', 0, 30_000), episode('voluntary', 0, 90_000), episode('move', 0, 600_000), episode('spot', 1_000_000, undefined)],
    totals: {
      unservedVcpuMinutes: 1.234, unservedGibMinutes: 5.678, demandVcpuMinutes: 100, servedVcpuMinutes: 98.766, costUsd: 12.3456,
      spotInterruptions: 2, voluntaryInterruptions: 1, budgetViolations: 0, overCommits: 0, coldLaunches: 1, warmStarts: 2, rebalanceRecommendations: 4, warnings: 2,
    },
  };

  it('takes recovery over interruptions only, censoring the unrecovered at the end of the run', () => {
    const s = summarizeRun(run, 1_120_000);
    // recoveries: 30 s, 90 s, 120 s (censored); the planned move is not an interruption.
    expect(s.recoveryP50Seconds).toBe(90);
    expect(s.recoveryP95Seconds).toBe(120);
    expect(s.cost).toBe(12.35);
    expect(s.unservedVcpuMinutes).toBe(1.23);
    expect(s.interruptions).toBe(2);
    expect(s.requestsAdmitted).toBe(2);
    expect(recoverySeconds(episode('spot', 0, undefined), 5_000)).toBe(5);
  });
});

describe('compareWithReactive', () => {
  const s = (unserved: number, cost: number) => ({ unservedVcpuMinutes: unserved, cost }) as StrategySummary;
  it.each([
    [s(5, 105), s(100, 100), 0.05, 0.05, true, true],
    [s(20, 100), s(100, 100), 0.2, 0, false, true],
    [s(5, 120), s(100, 100), 0.05, 0.2, true, false],
    [s(0, 100), s(0, 100), 0, 0, true, true],
  ])('spotwise %j vs reactive %j', (spotwise, reactive, ratio, increase, okUnserved, okCost) => {
    const c = compareWithReactive({ spotwise, reactive })!;
    expect(c.unservedRatio).toBeCloseTo(ratio, 12);
    expect(c.costIncrease).toBeCloseTo(increase, 12);
    expect(c.meetsUnservedTarget).toBe(okUnserved);
    expect(c.meetsCostTarget).toBe(okCost);
  });

  it('is undefined unless both ran', () => {
    expect(compareWithReactive({ none: s(1, 1) })).toBeUndefined();
  });
});

describe('scriptJson', () => {
  it('cannot close the script element it is embedded in', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const out = scriptJson({ text: `${text}</script><!--` });
      expect(out).not.toMatch(/<\/script|<!--/i);
      expect(JSON.parse(out)).toEqual({ text: `${text}</script><!--` });
    }));
  });
});
