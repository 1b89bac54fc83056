import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TracePoint, TraceSeries } from '../../lambda/data/traces/load-traces';
import { AUTOPILOT_WINDOW_MS, VPA_MARGIN } from '../../models/src/baselines';
import { buildCases, buildRealStarts, buildSimulatedInterruptions, DEFAULT_CASE_OPTIONS, REAL_START_SKIP_MS } from '../../models/src/build-cases';

const STEP = 300_000;
const START = Date.UTC(2013, 6, 15);

const makeSeries = (points: number, cpu: (i: number) => number, extra: Partial<TraceSeries> = {}): TraceSeries => ({
  id: 'ds/s1',
  dataset: 'ds',
  file: 'ds/series/s1.csv',
  stepSeconds: 300,
  vcpus: 4,
  points: Array.from({ length: points }, (_, i): TracePoint => ({ at: START + i * STEP, cpuPercent: cpu(i), memoryGiB: 2 + (i % 7) / 10 })),
  ...extra,
});

/** Demand in vCPU of point i, computed independently of the profile code. */
const vcpuAt = (s: TraceSeries, i: number) => (s.points[i]!.cpuPercent! / 100) * s.vcpus!;

describe('buildSimulatedInterruptions', () => {
  const series = makeSeries(3 * 288, (i) => 20 + ((i * 37) % 60));
  const cases = buildSimulatedInterruptions(series);

  it('builds cases that never overlap, each predicted only from data before t', () => {
    expect(cases.length).toBeGreaterThan(2);
    let busyUntil = Number.NEGATIVE_INFINITY;
    for (const c of cases) {
      const t = c.input.now;
      expect(t).toBeGreaterThanOrEqual(busyUntil);
      expect(c.input.profile.lastSampleAt!).toBeLessThan(t);
      expect(c.input.profile.recent.every((p) => p.at < t)).toBe(true);
      expect(t - START).toBeGreaterThanOrEqual(DEFAULT_CASE_OPTIONS.minHistoryHours * 3_600_000);
      expect(c.input.windowMinutes).toBe(30);
      busyUntil = t + c.input.downtimeSeconds * 1000 + c.input.windowMinutes * 60_000;
    }
  });

  it('targets the peak over [t + D, t + D + W) and sets the baselines from the history', () => {
    for (const c of cases) {
      const t = c.input.now;
      const from = t + c.input.downtimeSeconds * 1000;
      const to = from + c.input.windowMinutes * 60_000;
      const inWindow = series.points.map((p, i) => ({ at: p.at, v: vcpuAt(series, i) })).filter((p) => p.at >= from && p.at < to);
      expect(c.actual.vcpu).toBeCloseTo(Math.max(...inWindow.map((p) => p.v)), 12);
      const before = series.points.map((p, i) => ({ at: p.at, v: vcpuAt(series, i) })).filter((p) => p.at < t);
      expect(c.baselines['last-value'].vcpu).toEqual({ p50: before.at(-1)!.v, p90: before.at(-1)!.v });
      // Autopilot: max over the last 24 h of what was observed (downtimes of earlier cases are unseen, so ≤).
      const windowMax = Math.max(...before.filter((p) => p.at >= t - AUTOPILOT_WINDOW_MS).map((p) => p.v));
      expect(c.baselines.autopilot.vcpu!.p90).toBeLessThanOrEqual(windowMax + 1e-12);
      expect(c.baselines.vpa.vcpu!.p90).toBeGreaterThan(0);
      expect(c.baselines.vpa.vcpu!.p90 / (1 + VPA_MARGIN)).toBeLessThanOrEqual(Math.max(...before.map((p) => p.v)) * 1.06);
    }
  });

  it('records each simulated restart in the profile the next case sees', () => {
    const restarts = cases.map((c) => c.input.profile.restarts.length);
    expect(restarts[0]).toBe(0);
    for (let k = 1; k < restarts.length; k++) expect(restarts[k]!).toBeGreaterThan(restarts[k - 1]!);
  });

  it('is deterministic for a seed and changes with it', () => {
    const again = buildSimulatedInterruptions(series);
    expect(again.map((c) => [c.id, c.input.now, c.input.downtimeSeconds, c.actual])).toEqual(
      cases.map((c) => [c.id, c.input.now, c.input.downtimeSeconds, c.actual]),
    );
    const other = buildSimulatedInterruptions(series, { ...DEFAULT_CASE_OPTIONS, seed: 7 });
    expect(other.map((c) => c.input.now)).not.toEqual(cases.map((c) => c.input.now));
  });

  it('builds nothing from a series shorter than the required history', () => {
    expect(buildSimulatedInterruptions(makeSeries(60, () => 10))).toEqual([]);
  });

  it('property: downtimes and windows stay within the options, targets are observed values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.constantFrom([10], [30], [15, 60]), (seed, windows) => {
        const opts = { ...DEFAULT_CASE_OPTIONS, seed, windowMinutes: windows };
        for (const c of buildSimulatedInterruptions(series, opts)) {
          expect(c.input.downtimeSeconds).toBeGreaterThanOrEqual(opts.downtimeSeconds.min - 1);
          expect(c.input.downtimeSeconds).toBeLessThanOrEqual(opts.downtimeSeconds.max + 1);
          expect(windows).toContain(c.input.windowMinutes);
          expect(series.points.some((_, i) => Math.abs(vcpuAt(series, i) - c.actual.vcpu!) < 1e-12)).toBe(true);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('buildRealStarts', () => {
  // A VM whose first 30 minutes run at 90 %, then 10 %.
  const late = makeSeries(12 * 12, (i) => (i < 6 ? 90 : 10), { lateStart: true });

  it('targets the first W minutes and builds the profile from the later life, shifted before the start', () => {
    const [c, ...rest] = buildRealStarts(late);
    expect(rest).toEqual([]);
    expect(c!.kind).toBe('real-start');
    expect(c!.actual.vcpu).toBeCloseTo(3.6, 12); // 90 % of 4 vCPUs
    const t = c!.input.now;
    expect(t).toBe(START - c!.input.downtimeSeconds * 1000);
    expect(c!.input.profile.lastSampleAt!).toBeLessThan(t);
    // Only the later life (10 % = 0.4 vCPU) is in the history: no sample of the target window leaked in.
    expect(c!.input.profile.recent.every((p) => Math.abs(p.demand.vcpu! - 0.4) < 1e-12)).toBe(true);
    expect(c!.baselines['last-value'].vcpu!.p90).toBeCloseTo(0.4, 12);
    expect(c!.baselines.autopilot.vcpu!.p90).toBeCloseTo(0.4, 12);
    // The VM's provisioned size rides along (what the deployed recalibration relative to the machine reads).
    expect(c!.capacity).toEqual({ vcpu: 4 });
    expect(buildRealStarts({ ...late, memoryGiB: 8 })[0]!.capacity).toEqual({ vcpu: 4, memoryGiB: 8 });
  });

  it('needs a late start and enough later life', () => {
    expect(buildRealStarts({ ...late, lateStart: false })).toEqual([]);
    expect(buildRealStarts(makeSeries(REAL_START_SKIP_MS / STEP + 10, () => 10, { lateStart: true }))).toEqual([]);
  });

  it('buildCases puts real starts and simulated interruptions of every series together', () => {
    const kinds = buildCases([late, makeSeries(3 * 288, () => 30, { id: 'ds/s2' })]).map((c) => `${c.seriesId}:${c.kind}`);
    expect(kinds).toContain('ds/s1:real-start');
    expect(kinds).toContain('ds/s2:simulated-interruption');
    expect(kinds).not.toContain('ds/s2:real-start');
  });
});
