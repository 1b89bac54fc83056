import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InstanceTypeSpec } from '../../lambda/core/domain';
import { buildDemandTrace, MAX_SCALE, TARGET_P95_UTILISATION, UnusableSeriesError } from '../../lambda/sim/workload-demand';
import type { TraceSeries } from '../../lambda/data/traces/load-traces';

const m5large: InstanceTypeSpec = { name: 'm5.large', resources: { vcpu: 2, memoryGiB: 8, networkMbps: 750, diskIops: 3600 }, onDemandHourlyUsd: 0.096 };
const series = (cpu: readonly (number | undefined)[], extra: Partial<TraceSeries> = {}): TraceSeries => ({
  id: 'test/s',
  dataset: 'test',
  file: 's.csv',
  stepSeconds: 300,
  points: cpu.map((c, k) => ({ at: k * 300_000, ...(c !== undefined ? { cpuPercent: c } : {}) })),
  ...extra,
});

describe('buildDemandTrace', () => {
  it('rescales so the p95 uses the target share of the home type and holds each 5-minute point', () => {
    const s = series(Array.from({ length: 100 }, (_, k) => (k % 10) + 1)); // 1..10 %, p95 = 10 %
    const d = buildDemandTrace(s, m5large, { minutes: 20, offsetMinutes: 0 });
    const scale = TARGET_P95_UTILISATION / 0.1;
    expect(d.vcpu[0]).toBeCloseTo(0.01 * scale * 2, 10);
    expect(d.vcpu[4]).toBeCloseTo(0.01 * scale * 2, 10);
    expect(d.vcpu[5]).toBeCloseTo(0.02 * scale * 2, 10);
  });

  it('never exceeds the home type (a series measured on a machine never shows more than it had)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 2, maxLength: 300 }), fc.nat(10_000), (cpu, offset) => {
        const d = buildDemandTrace(series(cpu), m5large, { minutes: 60, offsetMinutes: offset });
        for (let m = 0; m < 60; m++) {
          expect(d.vcpu[m]).toBeGreaterThanOrEqual(0);
          expect(d.vcpu[m]).toBeLessThanOrEqual(2 + 1e-12);
          expect(d.memoryGiB[m]).toBeLessThanOrEqual(8);
          expect(d.memoryGiB[m]).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('keeps a near-idle series near idle (scale capped) and fills gaps with the last value', () => {
    const d = buildDemandTrace(series([0.1, undefined, 0.1, 0.1]), m5large, { minutes: 20, offsetMinutes: 0 });
    expect(d.vcpu[0]).toBeCloseTo(0.001 * MAX_SCALE * 2, 10);
    expect(d.vcpu[6]).toBeCloseTo(d.vcpu[0] as number, 12);
  });

  it('wraps around the end of the series', () => {
    const s = series([10, 20, 30, 40]);
    const d = buildDemandTrace(s, m5large, { minutes: 40, offsetMinutes: 0 });
    expect(d.vcpu[20]).toBeCloseTo(d.vcpu[0] as number, 12);
  });

  it('uses the series memory when it has some', () => {
    const s: TraceSeries = {
      ...series([10, 10]),
      points: [
        { at: 0, cpuPercent: 10, memoryPercent: 50 },
        { at: 300_000, cpuPercent: 10, memoryPercent: 25 },
      ],
    };
    const d = buildDemandTrace(s, m5large, { minutes: 10, offsetMinutes: 0 });
    expect(d.memoryGiB[0]).toBeCloseTo(4, 10);
    expect(d.memoryGiB[5]).toBeCloseTo(2, 10);
  });

  it('refuses a series without CPU, naming it', () => {
    expect(() =>
      buildDemandTrace(
        {
          ...series([]),
          points: [
            { at: 0, memoryGiB: 1 },
            { at: 300_000, memoryGiB: 1 },
          ],
        },
        m5large,
        { minutes: 5, offsetMinutes: 0 },
      ),
    ).toThrow(UnusableSeriesError);
    expect(() => buildDemandTrace(series([1, 2]), m5large, { minutes: 0, offsetMinutes: 0 })).toThrow(/minutes must be a positive integer \(got 0\)/);
  });
});
