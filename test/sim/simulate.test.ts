import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../lambda/sim/bundled-data';
import { planJobs, runSimulation, toJsonReport, type RunSimulationOptions } from '../../lambda/sim/simulate';
import { KNOB_STRATEGY_NAMES, STRATEGY_NAMES } from '../../lambda/sim/strategies/strategy-names';
import { loadTraces, type TraceSeries } from '../../lambda/data/traces/load-traces';
import { simulateCommand } from '../../bin/commands/simulate';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

/** Short, busy runs: a high interruption scale so a couple of hours see bursts and requests. */
const shortRun = (seeds: number[], extra: Partial<RunSimulationOptions> = {}) =>
  runSimulation({
    seeds,
    singleSeed: seeds.length === 1,
    hours: 2,
    instances: 8,
    traces,
    checkInvariants: true,
    predictor: 'fallback',
    interruption: { rateScale: 600 },
    requests: { meanHoursBetweenWaves: 1 },
    workers: 0,
    ...extra,
  });

const CONTRACT_KEYS = [
  'unservedVcpuMinutes',
  'unservedGibMinutes',
  'availability',
  'cost',
  'onDemandCost',
  'savingsVsOnDemand',
  'interruptions',
  'budgetViolations',
  'overCommits',
  'failedActions',
  'healthCheckReplacements',
  'staleCapacityWrites',
  'idleStandbyInstanceHours',
  'recoveryP50Seconds',
  'recoveryP95Seconds',
];

describe('planJobs', () => {
  it('runs each strategy once per seed at its default knob, adds the grid values once, seed by seed, long runs first', () => {
    const jobs = planJobs([1, 2], ['none', 'warm-reactive', 'spotwise'], (seed) => (seed === 1 ? 2 : 3), { 'warm-reactive': [0, 2, 4] });
    expect(jobs.map((j) => j.index)).toEqual(jobs.map((_, i) => i));
    expect(jobs.map((j) => `${j.seed}:${j.strategy}`)).toEqual([
      '1:spotwise',
      '1:none',
      '1:warm-reactive',
      '1:warm-reactive',
      '1:warm-reactive',
      '2:spotwise',
      '2:none',
      '2:warm-reactive',
      '2:warm-reactive',
      '2:warm-reactive',
      '2:warm-reactive',
    ]);
    const warm = jobs.filter((j) => j.strategy === 'warm-reactive').map((j) => [j.seed, j.knob, j.comparison]);
    expect(warm).toEqual([
      [1, 2, true],
      [1, 0, false],
      [1, 4, false],
      [2, 3, true],
      [2, 0, false],
      [2, 2, false],
      [2, 4, false],
    ]);
    expect(jobs.filter((j) => j.keepRun).every((j) => j.seed === 1 && j.comparison)).toBe(true);
    expect(jobs.filter((j) => j.strategy === 'none').map((j) => j.knob)).toEqual([undefined, undefined]);
  });
});

describe('runSimulation', () => {
  it('gives the same results on 0, 1 and 2 worker threads', async () => {
    const opts = { strategies: ['none', 'warm-reactive', 'spotwise'] as const, sweep: true };
    const inThread = await shortRun([3, 4], { ...opts, workers: 0 });
    const one = await shortRun([3, 4], { ...opts, workers: 1 });
    const two = await shortRun([3, 4], { ...opts, workers: 2 });
    expect(toJsonReport(one)).toEqual(toJsonReport(inThread));
    expect(toJsonReport(two)).toEqual(toJsonReport(inThread));
    expect(two.chartRuns.map((r) => r.timeline)).toEqual(inThread.chartRuns.map((r) => r.timeline));
  }, 240_000);

  it('keeps the single-seed JSON shape {seed, strategies} with every contract metric', async () => {
    const r = await shortRun([2]);
    const doc = toJsonReport(r) as { seed: number; strategies: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc).sort()).toEqual(['seed', 'strategies']);
    expect(doc.seed).toBe(2);
    expect(Object.keys(doc.strategies)).toEqual([...STRATEGY_NAMES]);
    for (const s of Object.values(doc.strategies)) {
      for (const k of CONTRACT_KEYS) expect(typeof s[k], k).toBe('number');
      expect(typeof s.costBreakdown).toBe('object');
      // On-Demand spend by type adds up to the breakdown's On-Demand item (each rounded: within a cent).
      const byType = s.onDemandCostByType as Record<string, number>;
      const onDemand = (s.costBreakdown as Record<string, number>).onDemandInstances!;
      expect(Math.abs(Object.values(byType).reduce((a, b) => a + b, 0) - onDemand)).toBeLessThanOrEqual(0.01);
      expect(Object.keys(byType)).toContain('m5.large');
      // Spot spend by type adds up to the breakdown's Spot item, over the same types as the hours; a type has spend exactly when it has hours.
      const spotByType = s.spotCostByType as Record<string, number>;
      const spotHours = s.spotHoursByType as Record<string, number>;
      const spot = (s.costBreakdown as Record<string, number>).spotInstances!;
      expect(Math.abs(Object.values(spotByType).reduce((a, b) => a + b, 0) - spot)).toBeLessThanOrEqual(0.01);
      expect(Object.keys(spotHours).sort()).toEqual(Object.keys(spotByType).sort());
      for (const [type, usd] of Object.entries(spotByType)) expect(usd > 0, type).toBe((spotHours[type] ?? 0) > 0);
    }
    for (const k of KNOB_STRATEGY_NAMES) expect(typeof doc.strategies[k]?.knob).toBe('number');
    expect(r.chartRuns.map((c) => c.name)).toEqual([...STRATEGY_NAMES]);
  }, 120_000);

  it('gives several seeds as {seeds, runs, summary} with the mean and the worst seed per strategy', async () => {
    const r = await shortRun([1, 2, 3], { strategies: ['none', 'reactive'] });
    const doc = toJsonReport(r) as {
      seeds: number[];
      runs: { seed: number; strategies: Record<string, Record<string, number>> }[];
      summary: Record<string, { mean: Record<string, number>; worst: Record<string, number> }>;
    };
    expect(Object.keys(doc).sort()).toEqual(['runs', 'seeds', 'summary']);
    expect(doc.seeds).toEqual([1, 2, 3]);
    expect(doc.runs.map((x) => x.seed)).toEqual([1, 2, 3]);
    for (const name of ['none', 'reactive']) {
      const per = doc.runs.map((x) => x.strategies[name]!);
      const mean = per.reduce((a, s) => a + s.cost!, 0) / 3;
      expect(doc.summary[name]!.mean.cost).toBeCloseTo(mean, 5);
      const worst = doc.summary[name]!.worst;
      expect(doc.runs.find((x) => x.seed === worst.seed)!.strategies[name]!.unservedVcpuMinutes).toBe(Math.max(...per.map((s) => s.unservedVcpuMinutes!)));
    }
    expect(r.chartRuns.map((c) => c.name)).toEqual(['none', 'reactive']);
  }, 120_000);

  it("with a sweep, adds each knob strategy's frontier over its grid (means over the seeds)", async () => {
    const r = await shortRun([1, 2], { strategies: ['static-headroom', 'spotwise'], sweep: true });
    const doc = toJsonReport(r) as { frontier: Record<string, { knob: number; cost: number; unservedVcpuMinutes: number; availability: number }[]> };
    expect(Object.keys(doc.frontier)).toEqual(['static-headroom']);
    const points = doc.frontier['static-headroom']!;
    expect(points[0]!.knob).toBe(0);
    expect(points.length).toBeGreaterThan(1);
    for (const p of points) expect(Object.keys(p).sort()).toEqual(['availability', 'cost', 'knob', 'unservedVcpuMinutes']);
    // More always-running spares cost more.
    expect(points.at(-1)!.cost).toBeGreaterThan(points[0]!.cost);
    expect(r.frontierComparisons?.spotwise?.cost).toBe(r.summary.spotwise?.mean.cost);
  }, 120_000);

  it('replays an interruption sequence instead of the drawn bursts', async () => {
    const replayed = [
      { line: 2, timeSeconds: 600, pool: 'x', fraction: 1 },
      { line: 3, timeSeconds: 1800, pool: 'y', fraction: 0.5 },
    ];
    // No priority requests, so nothing but the file moves instances between pools.
    const r = await shortRun([1], {
      strategies: ['none'],
      replayedInterruptions: replayed,
      interruption: { rateScale: 0 },
      requests: { meanHoursBetweenWaves: 10_000 },
    });
    expect(r.setup.bursts.map((b) => [b.at - r.setup.sample.startAt, b.pinned])).toEqual([
      [600_000, true],
      [1_800_000, true],
    ]);
    expect(r.setup.replayedPools).toEqual({ x: 'm5.large@us-east-1a', y: 'm5.large@us-east-1b' });
    // x: the one m5.large in us-east-1a; y: half of the one m5.large in us-east-1b, at least one.
    expect(r.summary.none?.mean.interruptions).toBe(2);
  }, 60_000);
});

describe('spotwise simulate (command)', () => {
  const quiet = async (raw: Parameters<typeof simulateCommand>[0]) => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      return {
        code: await simulateCommand({ progress: false, ...raw }),
        errors: err.mock.calls.map((c) => String(c[0])),
        logs: log.mock.calls.map((c) => String(c[0])),
      };
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  };

  it('writes the report and the JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spotwise-sim-'));
    const { code, logs } = await quiet({ hours: '0.5', instances: '4', out: dir, json: join(dir, 'r.json'), strategy: 'none,reactive', workers: '1' });
    expect(code).toBe(0);
    expect(logs.join('\n')).toContain('simulated in');
    const doc = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { strategies: Record<string, unknown>; seed: number };
    expect(Object.keys(doc.strategies)).toEqual(['none', 'reactive']);
    expect(doc.seed).toBe(1);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('id="frontier-data"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  }, 60_000);

  const dir = mkdtempSync(join(tmpdir(), 'spotwise-sim-bad-'));
  const badCsv = join(dir, 'bad.csv');
  writeFileSync(badCsv, 'time,pool,fraction\n60,a,0.5\n120,b,1.5\n');
  const badYaml = join(dir, 'bad.yaml');
  writeFileSync(
    badYaml,
    'groups:\n  - name: web\n    policy: web\n    capacity:\n      vcpu: -4\n      memory_gib: 16\npolicies:\n  - policy_name: web\n    priority: high\n',
  );
  const tagOnly = join(dir, 'tag.yaml');
  writeFileSync(tagOnly, 'group_tag: { key: team, value: web }\npolicies:\n  - policy_name: web\n    priority: high\n');

  it.each([
    [{ seed: 'abc' }, '--seed: expected an integer between 0 and 4294967295 (got "abc")'],
    [{ seed: '3', seeds: '1..10' }, '--seed and --seeds: give one seed with --seed or several with --seeds, not both (got "--seed 3 --seeds 1..10")'],
    [{ seeds: '5..1' }, '--seeds: expected a range like 1..10 or a list like 1,4,7: range 5..1 ends before it starts (got "5..1")'],
    [{ seeds: '1,x' }, '--seeds: expected a range like 1..10 or a list like 1,4,7: "x" is not a seed (an integer between 0 and 4294967295) (got "1,x")'],
    [{ hours: '-3' }, '--hours: expected a number of hours greater than 0'],
    [{ instances: '1' }, '--instances: expected an integer number of Spot instances between 2 and 500 (got "1")'],
    [{ strategy: 'spotwise,magic' }, `--strategy: expected "all" or a comma-separated list of ${STRATEGY_NAMES.join(', ')} (got "spotwise,magic")`],
    [{ data: '/nonexistent/folder' }, '--data: expected a folder in the layout of ../shared/data'],
    [{ workers: '0' }, '--workers: expected an integer number of worker threads between 1 and 32 (got "0")'],
    [{ interruptionScale: 'x' }, '--interruption-scale: expected a number ≥ 0'],
    [{ rebalanceShare: '1.5' }, '--rebalance-share: expected a share between 0 and 1 of bursts whose rebalance recommendation comes early (got "1.5")'],
    [{ json: '/tmp' }, '--json: expected a file path (not a folder) (got "/tmp")'],
    [{ interruptions: '/nonexistent/i.csv' }, '--interruptions: expected a file (it does not exist) (got "/nonexistent/i.csv")'],
    [{ interruptions: badCsv }, `--interruptions: ${badCsv} line 3, field fraction: expected the share of the pool reclaimed, a number in (0, 1] (got "1.5")`],
    [{ config: '/nonexistent/s.yaml' }, '--config: expected a file (it does not exist) (got "/nonexistent/s.yaml")'],
    [{ config: badYaml }, `--config: invalid spotwise configuration: groups.0.capacity.vcpu (line 5): `],
    [{ config: tagOnly }, '--config: groups: the simulator needs named groups (group_tag alone names none) (got [])'],
    [{ config: badYaml, instances: '10' }, '--instances and --config: '],
  ])('rejects bad options with exit 2 and a message naming the option and value (%#)', async (raw, message) => {
    const { code, errors } = await quiet(raw);
    expect(code).toBe(2);
    expect(errors[0]).toContain(message);
  });
});
