import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../lambda/sim/bundled-data';
import { runSimulation, toJsonReport } from '../../lambda/sim/simulate';
import { STRATEGY_NAMES } from '../../lambda/sim/strategies/strategy-names';
import { loadTraces, type TraceSeries } from '../../lambda/sim/traces/load-traces';
import { simulateCommand } from '../../bin/commands/simulate';

let traces: TraceSeries[];
beforeAll(() => {
  traces = loadTraces(BUNDLED_DATA_DIR);
});

/** Short, busy runs: a high interruption scale so a couple of hours see bursts and requests. */
const shortRun = (seed: number, extra: Record<string, unknown> = {}) =>
  runSimulation({ seed, hours: 2, instances: 8, traces, checkInvariants: true, predictor: 'fallback', interruption: { rateScale: 600 }, requests: { meanHoursBetweenWaves: 1 }, ...extra });

const JSON_KEYS = ['interruptions', 'unservedVcpuMinutes', 'unservedGibMinutes', 'recoveryP50Seconds', 'recoveryP95Seconds', 'cost', 'budgetViolations', 'overCommits'];

describe('runSimulation', () => {
  it('is deterministic for a seed', async () => {
    const a = await shortRun(11);
    const b = await shortRun(11);
    expect(toJsonReport(a)).toEqual(toJsonReport(b));
    expect(a.runs.map((r) => r.timeline)).toEqual(b.runs.map((r) => r.timeline));
  });

  it('runs every strategy on the same bursts and requests', async () => {
    const r = await shortRun(5);
    expect(Object.keys(r.strategies)).toEqual([...STRATEGY_NAMES]);
    expect(r.setup.bursts.length).toBeGreaterThan(0);
    for (const run of r.runs) {
      expect(run.totals.demandVcpuMinutes).toBeGreaterThan(0);
      expect(run.totals.costUsd).toBeGreaterThan(0);
    }
    // Each baseline admits every request at once; none reacts before the reclaim.
    expect(r.strategies.none!.requestsAdmitted).toBe(r.setup.requests.length - r.runs[0]!.requests.requestsUnserved);
    expect(r.strategies.none!.warmStarts).toBe(0);
  });

  it('keeps its invariants over many seeds: demand conserved, no over-commit and no budget violation for spotwise', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      // checkInvariants throws inside the run on any per-step violation (conservation, double claims, sizes).
      const r = await shortRun(seed, { instances: 20, interruption: { rateScale: 400 } });
      for (const run of r.runs) {
        const t = run.totals;
        expect(t.servedVcpuMinutes + t.unservedVcpuMinutes).toBeCloseTo(t.demandVcpuMinutes, 6);
        expect(t.unservedVcpuMinutes).toBeGreaterThanOrEqual(0);
        expect(t.unservedGibMinutes).toBeGreaterThanOrEqual(0);
        for (const e of run.episodes) if (e.end !== undefined) expect(e.end).toBeGreaterThanOrEqual(e.start);
      }
      expect(r.strategies.spotwise!.overCommits).toBe(0);
      expect(r.strategies.spotwise!.budgetViolations).toBe(0);
    }
  }, 120_000);

  // Was an over-commit: the profiler's pool refresh gave a replacement with no profile its full shape
  // beside its victim's reservation (5 instances, 2.5 vCPU of headroom). Now refreshed through the pool's admission rules.
  it('small fleet (8 instances, seed 3): spotwise never over-commits a pool', async () => {
    const r = await shortRun(3, { strategies: ['spotwise'] });
    expect(r.strategies.spotwise!.overCommits).toBe(0);
  });

  it('gives the JSON document exactly its documented shape (README, --json)', async () => {
    const r = await shortRun(2, { strategies: ['none', 'spotwise'] });
    const doc = toJsonReport(r);
    expect(Object.keys(doc).sort()).toEqual(['seed', 'strategies']);
    expect(doc.seed).toBe(2);
    expect(Object.keys(doc.strategies)).toEqual(['none', 'spotwise']);
    for (const s of Object.values(doc.strategies)) {
      for (const k of JSON_KEYS) expect(typeof (s as unknown as Record<string, unknown>)[k]).toBe('number');
    }
  });
});

describe('spotwise simulate (command)', () => {
  it('writes the report and the JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spotwise-sim-'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const code = await simulateCommand({ hours: '0.5', instances: '4', out: dir, json: join(dir, 'r.json'), strategy: 'none,reactive', progress: false });
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
    }
    const doc = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { strategies: Record<string, unknown>; seed: number };
    expect(Object.keys(doc.strategies)).toEqual(['none', 'reactive']);
    expect(doc.seed).toBe(1);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('id="sim-data"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it.each([
    [{ seed: 'abc' }, '--seed: expected an integer between 0 and 4294967295 (got "abc")'],
    [{ hours: '-3' }, '--hours: expected a number of hours greater than 0'],
    [{ instances: '1' }, '--instances: expected an integer number of Spot instances between 2 and 500 (got "1")'],
    [{ strategy: 'spotwise,magic' }, '--strategy: expected "all" or a comma-separated list of none, reactive, rebalance, spotwise (got "spotwise,magic")'],
    [{ data: '/nonexistent/folder' }, '--data: expected a folder in the layout of ../shared/data'],
    [{ interruptionScale: 'x' }, '--interruption-scale: expected a number ≥ 0'],
    [{ rebalanceShare: '1.5' }, '--rebalance-share: expected a share between 0 and 1 of bursts whose rebalance recommendation comes early (got "1.5")'],
    [{ json: '/tmp' }, '--json: expected a file path (not a folder) (got "/tmp")'],
  ])('rejects bad options with a message naming the option and value (%#)', async (raw, message) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await simulateCommand({ ...raw, progress: false });
      expect(code).toBe(2);
      expect(err.mock.calls[0]?.[0]).toContain(message);
    } finally {
      err.mockRestore();
    }
  });
});
