import { describe, expect, it } from 'vitest';
import { costFigure, profilerFigures, profilerMemoryMb, type ProfilerChildResult } from '../../bench/profiler-bench';
import { PROFILER_HEAP_MIB } from '../../lib/functions';

const measurement = (over: Partial<ProfilerChildResult> = {}): ProfilerChildResult => ({
  instances: 10_000,
  firstTickMs: 40_000,
  steadyTickMs: 20_000,
  betweenTickMs: 8_000,
  calls: 160,
  queries: 80_000,
  betweenCalls: 0,
  forecasts: 10_000,
  modelDimensions: 40_000,
  rateMinutes: 5,
  readEveryMinutes: 20,
  errors: [],
  breakdownMs: { read: 4_000, getProfiles: 5_000 },
  firstBreakdownMs: { read: 3_000 },
  tableBytes: 50 * 2 ** 20,
  maxRssMiB: 700,
  pinnedToOneCore: true,
  ...over,
});

describe('profiler figures', () => {
  it('names the profiler figures, with their targets', () => {
    const { figures } = profilerFigures(measurement(), 1024);
    expect(Object.fromEntries(figures.map((f) => [f.name, [f.value, f.target, f.pass]]))).toEqual({
      'profiler.seconds.10000': [20, '< 30 s', true],
      'profiler.firstTickSeconds.10000': [40, '< 30 s', false],
      'profiler.betweenReadsSeconds.10000': [8, '< 30 s', true],
      'profiler.instancesPerSecond.10000': [500, '≥ 334 instances/s', true],
      'profiler.peakMiB.10000': [700, '< 512 MiB', false],
      'profiler.getMetricDataCalls.10000': [160, '= 160 (ceil(80000 queries / 500))', true],
    });
  });

  it('tick times are the medians of the runs, and the notes show every run', () => {
    const { figures, notes } = profilerFigures(
      measurement({ steadyTickMs: 21_000, steadyTickRunsMs: [25_000, 21_000, 20_000], betweenTickMs: 9_000, betweenTickRunsMs: [9_000, 8_000, 12_000] }),
      1024,
    );
    expect(figures.find((f) => f.name === 'profiler.seconds.10000')?.value).toBe(21);
    expect(notes[0]).toContain('steady tick 21.0 s (median of 3: 25.0, 21.0, 20.0 s)');
    expect(notes[0]).toContain('a tick between reads 9.0 s (median of 3: 9.0, 8.0, 12.0 s)');
  });

  it('GetMetricData calls must be exactly ceil(queries / 500): one more call (a page) falls short', () => {
    const { figures } = profilerFigures(measurement({ calls: 161 }), 1024);
    expect(figures.find((f) => f.name === 'profiler.getMetricDataCalls.10000')?.pass).toBe(false);
  });

  it('at 1,000 instances: the tick times only, held to a tenth of the 10,000 target', () => {
    const { figures } = profilerFigures(measurement({ instances: 1_000, steadyTickMs: 2_500 }), 1024);
    expect(figures.map((f) => [f.name, f.target])).toEqual([
      ['profiler.seconds.1000', '< 3 s'],
      ['profiler.firstTickSeconds.1000', '< 3 s'],
      ['profiler.betweenReadsSeconds.1000', '< 3 s'],
    ]);
  });

  it.each([
    // 8 metrics per instance per read; reads every 20 min = 2,160 a month; $0.01 per 1,000 metrics.
    [8, 20, 0.1728, true, 18],
    [8, 5, 0.6912, false, 18],
    [6, 20, 0.1296, true, 13],
  ])('%d metrics per instance read every %d min cost $%d per instance-month', (perInstance, every, usd, pass, breakEven) => {
    const { figure, note } = costFigure(measurement({ queries: perInstance * 10_000, readEveryMinutes: every }));
    expect(figure).toMatchObject({ name: 'cloudwatch.usdPerInstanceMonth', value: usd, unit: 'USD', target: '≤ 0.2 USD', pass });
    expect(note).toContain(`reading every ${breakEven} minutes or less often`);
  });

  it("the heap cap is the profiler function's as the stack configures it (its NODE_OPTIONS heap limit, below its memory size)", () => {
    expect(profilerMemoryMb()).toBe(PROFILER_HEAP_MIB);
    expect(PROFILER_HEAP_MIB).toBeLessThan(1024);
  });
});
