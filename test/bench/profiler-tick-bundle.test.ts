import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfilerChildResult } from '../../bench/profiler-bench';
import { bundleProfilerTick } from '../../bench/profiler-tick-bundle';
import { runScriptInChild } from '../../bench/section-process';
import { PROJECT_ROOT } from '../../lib/project-root';

/**
 * The profiler benchmark runs its ticks from an esbuild bundle made as the stack bundles the function. Built outside
 * the repository, the bundle must still find what the benchmark's fleet and predictor read through their modules' own
 * URLs (the model artifact, the Spot Advisor slice, the price table): the model answering proves the artifact was found.
 */
describe('bundleProfilerTick', () => {
  let temp: string;
  let bundle: string;
  beforeAll(async () => {
    temp = mkdtempSync(join(tmpdir(), 'spotwise-profiler-tick-'));
    // The function's SDK comes from the layer; here, the project's installed one beside the bundle.
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(temp, 'node_modules'), 'dir');
    bundle = await bundleProfilerTick(join(temp, 'index.mjs'));
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('runs the real profiler ticks in a child process and reports them with the peak RSS', async () => {
    const m = (await runScriptInChild([bundle, '20'], { heapMiB: 384 })) as unknown as ProfilerChildResult;
    expect(m.instances).toBe(20);
    expect(m.forecasts).toBe(20);
    expect(m.errors).toEqual([]);
    // Four dimensions a forecast; the model answers the ones it predicts (CPU and memory at least) from the bundled artifact.
    expect(m.modelDimensions).toBeGreaterThanOrEqual(40);
    expect(m.calls).toBeGreaterThan(0);
    expect(m.maxRssMiB).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a bad instance count, naming it', async () => {
    await expect(runScriptInChild([bundle, 'ten'], {})).rejects.toThrow(/exited with code 2/);
  }, 120_000);
});
