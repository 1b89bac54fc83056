import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, type MetricSample } from '../../../lambda/core/domain';
import {
  cpuFromFiveMinutePoints,
  extractModelFeatures,
  FEATURE_EPSILON,
  fromLogRatio,
  MIN_RECENT_POINTS,
  MODEL_FEATURE_NAMES,
  toLogRatio,
} from '../../../lambda/core/predict/model-features';
import { groupId, instanceId } from '../../../lambda/core/domain';
import { newProfile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';
import { inputFor, MINUTE, profileFrom, steadySample, T0 } from '../../models/support/make-profile';

const feature = (values: readonly number[], name: (typeof MODEL_FEATURE_NAMES)[number]): number => values[MODEL_FEATURE_NAMES.indexOf(name)]!;

describe('extractModelFeatures', () => {
  it('gives one finite value per feature name, the dimension one-hot, and the steady p90 as scale', () => {
    const input = inputFor(profileFrom(120, steadySample));
    for (const d of DIMENSIONS) {
      const f = extractModelFeatures(input, d);
      expect(f.kind).toBe('features');
      if (f.kind !== 'features') continue;
      expect(f.values).toHaveLength(MODEL_FEATURE_NAMES.length);
      expect(f.values.every(Number.isFinite)).toBe(true);
      expect(DIMENSIONS.map((x) => feature(f.values, `dim:${x}`))).toEqual(DIMENSIONS.map((x) => (x === d ? 1 : 0)));
      expect(f.scale).toBeGreaterThan(0);
    }
  });

  it('hand-computed: a flat 1 % CPU on 1 vCPU sits exactly on a histogram bound (0.01), so its levels are 0', () => {
    // 1 % of 1 vCPU = 0.01 vCPU = the first non-zero bucket bound: p50 = p90 = p99 = last = 0.01.
    const f = extractModelFeatures({ ...inputFor(profileFrom(90, () => ({ cpuPercent: 1 }), 1)), downtimeSeconds: 600, windowMinutes: 30 }, 'vcpu');
    expect(f.kind).toBe('features');
    if (f.kind !== 'features') return;
    expect(f.scale).toBe(0.01);
    for (const name of [
      'steadyP50Ratio',
      'steadyP99Ratio',
      'lastRatio',
      'recentMean60Ratio',
      'recentMax60Ratio',
      'recentMax15Ratio',
      'recentStd60Ratio',
    ] as const) {
      expect(feature(f.values, name)).toBeCloseTo(0, 12);
    }
    expect(feature(f.values, 'cpuUtilisation')).toBeCloseTo(0.01, 12); // 0.01 vCPU of 1
    expect(feature(f.values, 'downtimeMinutesLog')).toBeCloseTo(Math.log1p(10), 12);
    expect(feature(f.values, 'windowMinutesLog')).toBeCloseTo(Math.log(30), 12);
    expect(feature(f.values, 'sampleStepMinutesLog')).toBeCloseTo(0, 12); // 1-minute samples
    expect(feature(f.values, 'stalenessMinutesLog')).toBeCloseTo(Math.log1p(1), 12); // now = last sample + 1 min
    expect(feature(f.values, 'restartPeakRatioMean')).toBe(0);
  });

  it.each([
    { name: 'NaN downtime', patch: { downtimeSeconds: Number.NaN }, reason: /downtimeSeconds/ },
    { name: 'negative downtime', patch: { downtimeSeconds: -5 }, reason: /downtimeSeconds/ },
    { name: 'zero window', patch: { windowMinutes: 0 }, reason: /windowMinutes/ },
    { name: 'infinite now', patch: { now: Number.POSITIVE_INFINITY }, reason: /now/ },
  ])('is invalid (never throws) for $name', ({ patch, reason }) => {
    const f = extractModelFeatures({ ...inputFor(profileFrom(60, steadySample)), ...patch }, 'vcpu');
    expect(f).toMatchObject({ kind: 'invalid', dimension: 'vcpu' });
    if (f.kind === 'invalid') expect(f.reason).toMatch(reason);
  });

  it('is invalid for a dimension without steady data, and with too few recent points', () => {
    const cpuOnly = inputFor(profileFrom(60, () => ({ cpuPercent: 10 })));
    expect(extractModelFeatures(cpuOnly, 'vcpu').kind).toBe('features');
    expect(extractModelFeatures(cpuOnly, 'memoryGiB')).toMatchObject({ kind: 'invalid', reason: 'no steady-state data for memoryGiB' });
    const short = extractModelFeatures(inputFor(profileFrom(MIN_RECENT_POINTS - 1, steadySample)), 'vcpu');
    expect(short).toMatchObject({ kind: 'invalid', reason: `${MIN_RECENT_POINTS - 1} recent vcpu points, need ${MIN_RECENT_POINTS}` });
  });

  /** A restart cycle 1 vCPU / 2 GiB steady before, with the peak after given per dimension. */
  const restartCycle = (peak: { readonly vcpu: number; readonly memoryGiB: number }) => ({
    interruptedAt: 0,
    restartedAt: 60_000,
    downtimeSeconds: 60,
    steadyBefore: { vcpu: 1, memoryGiB: 2, networkMbps: 10, diskIops: 100 },
    peakAfter: { ...peak, networkMbps: 10, diskIops: 100 },
    curve: [],
  });

  it('reads past restart cycles as log ratios of peak after to steady before', () => {
    const profile = profileFrom(60, steadySample);
    const cycle = restartCycle({ vcpu: 2, memoryGiB: 2 });
    const f = extractModelFeatures(inputFor({ ...profile, restarts: [cycle, { ...cycle, peakAfter: { ...cycle.peakAfter, vcpu: 4 } }] }), 'vcpu');
    if (f.kind !== 'features') throw new Error('expected features');
    const r2 = toLogRatio(2, 1, 'vcpu');
    const r4 = toLogRatio(4, 1, 'vcpu');
    expect(feature(f.values, 'restartPeakRatioMean')).toBeCloseTo((r2 + r4) / 2, 12);
    expect(feature(f.values, 'restartPeakRatioMax')).toBeCloseTo(r4, 12);
  });

  it('leaves out a cycle with no steady state before in that dimension, as the fallback and the retraining do', () => {
    const profile = profileFrom(60, steadySample);
    const arrived = restartCycle({ vcpu: 2, memoryGiB: 3 });
    // A lineage whose load never arrived (or an instance's own first window): every steady level 0. Its peak ÷ ε was a
    // log-ratio of ~6.5.
    const none = { ...arrived, restartedAt: 120_000, steadyBefore: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 } };
    for (const d of ['vcpu', 'memoryGiB'] as const) {
      const alone = extractModelFeatures(inputFor({ ...profile, restarts: [none] }), d);
      const both = extractModelFeatures(inputFor({ ...profile, restarts: [arrived, none] }), d);
      if (alone.kind !== 'features' || both.kind !== 'features') throw new Error('expected features');
      expect([feature(alone.values, 'restartPeakRatioMean'), feature(alone.values, 'restartPeakRatioMax')]).toEqual([0, 0]);
      const r = toLogRatio(arrived.peakAfter[d], arrived.steadyBefore[d], d);
      expect(feature(both.values, 'restartPeakRatioMean')).toBeCloseTo(r, 12);
      expect(feature(both.values, 'restartPeakRatioMax')).toBeCloseTo(r, 12);
    }
  });

  it('property: for any samples (NaN, negative, missing fields included) every dimension is invalid or fully finite', () => {
    const field = fc.option(fc.oneof(fc.double({ min: -10, max: 1e5, noNaN: false }), fc.constant(Number.NaN)), { nil: undefined });
    const sample = fc.record({ cpuPercent: field, memoryGiB: field, networkMbps: field, diskIops: field });
    fc.assert(
      fc.property(fc.array(sample, { minLength: 0, maxLength: 80 }), fc.double({ min: 0, max: 1e6, noNaN: true }), (samples, downtime) => {
        const clean = samples.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Omit<MetricSample, 'at'>);
        const profile = profileFrom(clean.length, (i) => clean[i]!);
        for (const f of DIMENSIONS.map((d) => extractModelFeatures({ ...inputFor(profile), downtimeSeconds: downtime }, d))) {
          if (f.kind === 'features') {
            expect(f.values.every(Number.isFinite)).toBe(true);
            expect(f.values).toHaveLength(MODEL_FEATURE_NAMES.length);
          } else expect(f.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('toLogRatio / fromLogRatio', () => {
  it('are inverse for non-negative values and never give negative demand', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DIMENSIONS),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (d, value, scale) => {
          const back = fromLogRatio(toLogRatio(value, scale, d), scale, d);
          expect(back).toBeGreaterThanOrEqual(0);
          expect(Math.abs(back - value)).toBeLessThanOrEqual(1e-9 * (value + scale + FEATURE_EPSILON[d]));
        },
      ),
    );
    expect(fromLogRatio(-100, 5, 'vcpu')).toBe(0);
  });
});

describe('cpuFromFiveMinutePoints', () => {
  /** A profile fed samples at the given minutes (CPU only where `cpu` says so), as the profiler folds them. */
  const profileAt = (minutes: readonly number[], cpu: (m: number) => boolean = () => true) => {
    const base = newProfile({
      instanceId: instanceId('i-1'),
      groupId: groupId('g'),
      instanceType: 'm5.large',
      vcpus: 2,
      jobType: 'web',
      launchedAt: T0,
      now: T0,
    });
    const samples: MetricSample[] = minutes.map((m) => ({ at: T0 + m * MINUTE, memoryGiB: 3, ...(cpu(m) ? { cpuPercent: 30 } : {}) }));
    return updateProfile(base, samples, T0 + ((minutes.at(-1) ?? 0) + 1) * MINUTE);
  };
  const every = (step: number, n: number): number[] => Array.from({ length: n }, (_, i) => i * step);

  it.each([
    ['CPU each minute (the agent, detailed monitoring)', every(1, 60), undefined, false],
    ["EC2's 5-minute points", every(5, 24), undefined, true],
    ['10-minute points', every(10, 12), undefined, true],
    ['2-minute points', every(2, 30), undefined, false],
    [`fewer than ${MIN_RECENT_POINTS} CPU points: nothing to judge by`, every(5, MIN_RECENT_POINTS - 1), undefined, false],
    ['memory each minute, CPU every 5 minutes: the CPU points decide', every(1, 60), (m: number) => m % 5 === 0, true],
    ['mostly 5-minute, one late minute in between: the median decides', [0, 5, 10, 11, 15, 20, 25], undefined, true],
  ] as const)('%s', (_label, minutes, cpu, expected) => {
    expect(cpuFromFiveMinutePoints(profileAt(minutes, cpu))).toBe(expected);
  });
});
