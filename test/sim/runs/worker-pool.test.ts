import { describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import type { RunSettings, SimJob } from '../../../lambda/sim/runs/run-job';
import { runJobs } from '../../../lambda/sim/runs/worker-pool';
import { loadTraces } from '../../../lambda/data/traces/load-traces';

const settings: RunSettings = { hours: 0.5, instances: 4, traces: loadTraces(BUNDLED_DATA_DIR), predictor: 'fallback', interruption: { rateScale: 600 } };
const job = (index: number, extra: Partial<SimJob> = {}): SimJob => ({ index, seed: 1, strategy: 'none', comparison: true, keepRun: false, ...extra });

describe('runJobs', () => {
  it('returns results in job order whatever the worker finished first, and reports progress up to every job', async () => {
    const jobs = [job(0, { strategy: 'static-headroom', knob: 2 }), job(1, { seed: 2 }), job(2, { strategy: 'reactive', keepRun: true })];
    const seen: number[] = [];
    const results = await runJobs(settings, jobs, { workers: 2, onProgress: (done, total) => seen.push(done / total) });
    expect(results.map((r) => [r.index, r.strategy, r.seed, r.knob])).toEqual([
      [0, 'static-headroom', 1, 2],
      [1, 'none', 2, undefined],
      [2, 'reactive', 1, undefined],
    ]);
    expect(results[0]!.summary.knob).toBe(2);
    expect(results[2]!.run?.name).toBe('reactive');
    expect(results[0]!.run).toBeUndefined();
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((x, i) => i === 0 || x >= seen[i - 1]! - 1e-9)).toBe(true);
  }, 120_000);

  it.each([0, 1])(
    'rejects with the job and the cause when a run fails (%i workers)',
    async (workers) => {
      await expect(runJobs(settings, [job(0), job(1, { strategy: 'static-headroom', knob: -1 })], { workers })).rejects.toThrow(
        /knob must be an integer ≥ 0 \(got -1\)/,
      );
      if (workers > 0)
        await expect(runJobs(settings, [job(0, { strategy: 'static-headroom', knob: -1 })], { workers })).rejects.toThrow(
          'simulating static-headroom on seed 1 (knob -1): ',
        );
    },
    120_000,
  );
});
