import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  type BehaviourProfile,
  type Forecast,
  type MetricSample,
  type PredictionInput,
  type RestartCycle,
} from '../../../lambda/core/domain';
import {
  CATCH_UP_WEIGHT,
  DEFAULT_POST_RESTART_FACTOR,
  FACTOR_BOUNDS,
  FallbackPredictor,
  MIN_JOB_TYPE_CYCLES,
  catchUpFraction,
  learnJobTypeFactors,
  predictFallback,
} from '../../../lambda/core/predict/fallback-predictor';
import { closeRestartWindow, newProfile, openRestartWindow, steadyQuantile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';
import { toCatalog } from '../../../lambda/core/resources/catalog';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);
const NOW = T0 + 120 * MIN;

const blank = (jobType = 'web', id = 'i-1'): BehaviourProfile =>
  newProfile({ instanceId: instanceId(id), groupId: groupId('g'), instanceType: 'm5.xlarge', vcpus: 4, jobType, launchedAt: T0, now: T0 });

const samples = (start: number, n: number, s: Omit<MetricSample, 'at'>): MetricSample[] => Array.from({ length: n }, (_, i) => ({ at: start + i * MIN, ...s }));

/** 2 h of steady data: 1 vCPU (25 % of 4), 6 GiB, 50 Mbps, 200 IOPS. */
const steadyProfile = (jobType = 'web', id = 'i-1'): BehaviourProfile =>
  updateProfile(blank(jobType, id), samples(T0, 120, { cpuPercent: 25, memoryGiB: 6, networkMbps: 50, diskIops: 200 }), NOW);

const input = (profile: BehaviourProfile, downtimeSeconds = 0, windowMinutes = 30, now = NOW): PredictionInput => ({
  profile,
  downtimeSeconds,
  windowMinutes,
  now,
});

const known = (f: Forecast) => {
  if (f.kind !== 'known') throw new Error(`expected a known forecast, got ${JSON.stringify(f)}`);
  return f;
};

/** A cycle whose peak is `ratio` × the steady-before on every dimension (downtime 0: no catch-up). */
const cycle = (ratio: number, downtimeSeconds = 0): RestartCycle => {
  const before = { vcpu: 1, memoryGiB: 6, networkMbps: 50, diskIops: 200 };
  return {
    interruptedAt: T0,
    restartedAt: T0 + downtimeSeconds * 1000,
    downtimeSeconds,
    steadyBefore: before,
    peakAfter: { vcpu: before.vcpu * ratio, memoryGiB: before.memoryGiB * ratio, networkMbps: before.networkMbps * ratio, diskIops: before.diskIops * ratio },
    curve: [],
  };
};
const withCycles = (p: BehaviourProfile, cycles: RestartCycle[]): BehaviourProfile => ({ ...p, restarts: cycles });

describe('catchUpFraction', () => {
  it.each([
    [0, 30, 0],
    [120, 30, 1 - Math.exp(-120 / 1800)],
    [1800, 30, 1 - Math.exp(-1)],
    [1e9, 30, 1],
    [-5, 30, 0],
  ])('downtime %s s, window %s min → %s', (d, w, expected) => {
    expect(catchUpFraction(d, w)).toBeCloseTo(expected, 9);
  });

  it('property: grows with downtime and stays within [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 5, max: 240 }), (a, b, w) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(catchUpFraction(lo, w)).toBeLessThanOrEqual(catchUpFraction(hi, w));
        expect(catchUpFraction(hi, w)).toBeLessThanOrEqual(1);
        expect(catchUpFraction(lo, w)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('predictFallback', () => {
  it('uses the documented default factors when there is no restart history', () => {
    const p = steadyProfile();
    const f = known(predictFallback(input(p)));
    const s50 = steadyQuantile(p, 0.5);
    const s90 = steadyQuantile(p, 0.9);
    for (const d of DIMENSIONS) {
      expect(f.dims[d].basis).toBe('default');
      expect(f.dims[d].p50).toBeCloseTo((s50[d] as number) * DEFAULT_POST_RESTART_FACTOR[d], 9);
      expect(f.dims[d].p90).toBeCloseTo((s90[d] as number) * DEFAULT_POST_RESTART_FACTOR[d], 9);
    }
    expect(f.dims.vcpu.p90).toBeGreaterThanOrEqual(1.5); // 1 vCPU steady × 1.5
    expect(f.dims.vcpu.p90).toBeLessThan(1.6);
    expect(f.dims.vcpu.confidence).toBeCloseTo(0.3, 3); // full coverage, last sample 1 minute old
    expect(f.madeAt).toBe(NOW);
    expect(f.windowMinutes).toBe(30);
  });

  it.each([
    ['one cycle at 2×', [cycle(2)], 2, 2],
    ['three cycles', [cycle(1.5), cycle(2), cycle(3)], 2, 2.8],
    ['ratio below 1 is clamped to 1', [cycle(0.4)], 1, 1],
    ['huge ratio is clamped', [cycle(500)], FACTOR_BOUNDS.max, FACTOR_BOUNDS.max],
  ])('learns from the instance history: %s', (_name, cycles, f50, f90) => {
    const p = withCycles(steadyProfile(), cycles);
    const f = known(predictFallback(input(p)));
    const s50 = steadyQuantile(p, 0.5).vcpu as number;
    const s90 = steadyQuantile(p, 0.9).vcpu as number;
    expect(f.dims.vcpu.basis).toBe('instance-history');
    expect(f.dims.vcpu.p50).toBeCloseTo(s50 * f50, 9);
    expect(f.dims.vcpu.p90).toBeCloseTo(s90 * f90, 9);
    expect(f.dims.vcpu.confidence).toBeGreaterThan(0.6);
  });

  it('nets out the catch-up a past cycle already contained, and adds the catch-up of this downtime', () => {
    // A cycle after 30 min downtime peaking at (1.2 + catch-up(30 min)) × steady → net factor 1.2.
    const c = catchUpFraction(1800, 30);
    const p = withCycles(steadyProfile(), [cycle(1.2 + c, 1800)]);
    const s50 = steadyQuantile(p, 0.5).vcpu as number;
    const short = known(predictFallback(input(p, 120)));
    expect(short.dims.vcpu.p50).toBeCloseTo(s50 * (1.2 + catchUpFraction(120, 30)), 6);
    // Memory carries no catch-up (a level, not a rate): net factor = ratio.
    expect(CATCH_UP_WEIGHT.memoryGiB).toBe(0);
    const s50m = steadyQuantile(p, 0.5).memoryGiB as number;
    expect(short.dims.memoryGiB.p50).toBeCloseTo(s50m * (1.2 + c), 6);
  });

  it('a longer downtime never forecasts less', () => {
    const p = steadyProfile();
    const a = known(predictFallback(input(p, 60)));
    const b = known(predictFallback(input(p, 3600)));
    for (const d of DIMENSIONS) expect(b.dims[d].p90).toBeGreaterThanOrEqual(a.dims[d].p90);
    expect(b.dims.vcpu.p90).toBeGreaterThan(a.dims.vcpu.p90);
  });

  it('falls back to job-type factors, then to the default', () => {
    const p = steadyProfile('batch');
    const factors = new Map([['batch', { vcpu: 3 }]]);
    const f = known(predictFallback(input(p), { jobTypeFactors: factors }));
    expect(f.dims.vcpu.basis).toBe('job-type');
    expect(f.dims.vcpu.p50).toBeCloseTo((steadyQuantile(p, 0.5).vcpu as number) * 3, 9);
    expect(f.dims.memoryGiB.basis).toBe('default');
    expect(f.dims.vcpu.confidence).toBeCloseTo(0.45, 3);
  });

  it('ignores NaN job-type factors', () => {
    const f = known(predictFallback(input(steadyProfile('batch')), { jobTypeFactors: new Map([['batch', { vcpu: Number.NaN }]]) }));
    expect(f.dims.vcpu.basis).toBe('default');
  });

  it('answers unknown, listing the dimensions, when a dimension has no data', () => {
    const p = updateProfile(blank(), samples(T0, 30, { cpuPercent: 20, networkMbps: 5, diskIops: 1 }), NOW);
    const f = predictFallback(input(p));
    expect(f).toMatchObject({ kind: 'unknown', missing: ['memoryGiB'] });
    expect(f.kind === 'unknown' && f.reason).toContain('memoryGiB');
  });

  it('answers unknown for an empty profile', () => {
    expect(predictFallback(input(blank()))).toMatchObject({ kind: 'unknown', missing: [...DIMENSIONS] });
  });

  it('with assumeShapeFrom, guesses the instance shape for a missing dimension at confidence 0', () => {
    const catalog = toCatalog([{ name: 'm5.xlarge', resources: { vcpu: 4, memoryGiB: 16, networkMbps: 10_000, diskIops: 18_750 }, onDemandHourlyUsd: 0.192 }]);
    const p = updateProfile(blank(), samples(T0, 30, { cpuPercent: 20, networkMbps: 5, diskIops: 1 }), NOW);
    const f = known(predictFallback(input(p), { assumeShapeFrom: catalog }));
    expect(f.dims.memoryGiB).toEqual({ p50: 16, p90: 16, basis: 'default', confidence: 0 });
    expect(f.dims.vcpu.basis).toBe('default');
    const other = { ...p, instanceType: 'x9.unknown' };
    expect(predictFallback(input(other), { assumeShapeFrom: catalog }).kind).toBe('unknown');
  });

  it.each([
    ['NaN downtime', { downtimeSeconds: Number.NaN }, 'downtimeSeconds'],
    ['negative downtime', { downtimeSeconds: -1 }, 'downtimeSeconds'],
    ['zero window', { windowMinutes: 0 }, 'windowMinutes'],
    ['NaN now', { now: Number.NaN }, 'now'],
  ])('fails closed on %s', (_name, override, field) => {
    const f = predictFallback({ ...input(steadyProfile()), ...override });
    expect(f.kind).toBe('unknown');
    expect(f.kind === 'unknown' && f.reason).toContain(field);
    expect(Number.isFinite(f.madeAt)).toBe(true);
  });

  it('ignores corrupt restart cycles (NaN, unobserved, zero steady state)', () => {
    const bad: RestartCycle[] = [
      { ...cycle(3), downtimeSeconds: Number.NaN },
      { ...cycle(3), unobserved: ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] },
      { ...cycle(3), steadyBefore: { vcpu: 0, memoryGiB: 0, networkMbps: 0, diskIops: 0 } },
      { ...cycle(3), peakAfter: { vcpu: Number.NaN, memoryGiB: Number.NaN, networkMbps: Number.NaN, diskIops: Number.NaN } },
    ];
    const f = known(predictFallback(input(withCycles(steadyProfile(), bad))));
    for (const d of DIMENSIONS) expect(f.dims[d].basis).toBe('default');
  });

  it('confidence falls with staleness and with little data', () => {
    const p = steadyProfile();
    const fresh = known(predictFallback(input(p)));
    const stale = known(predictFallback(input(p, 0, 30, NOW + 24 * 60 * MIN)));
    expect(stale.dims.vcpu.confidence).toBeCloseTo(fresh.dims.vcpu.confidence / 2, 2);
    const thin = updateProfile(blank(), samples(T0, 6, { cpuPercent: 25, memoryGiB: 6, networkMbps: 50, diskIops: 200 }), NOW);
    // 6 of 60 samples × default 0.3, last sample 115 minutes before now with a 24 h half-life.
    expect(known(predictFallback(input(thin))).dims.vcpu.confidence).toBeCloseTo(0.3 * 0.1 * 2 ** (-115 / 1440), 9);
  });

  const cycleArb = fc.record({
    ratio: fc.double({ min: 0, max: 100, noNaN: true }),
    downtime: fc.double({ min: 0, max: 7200, noNaN: true }),
  });
  const sampleArb = fc.record({
    cpuPercent: fc.double({ min: 0, max: 100, noNaN: true }),
    memoryGiB: fc.double({ min: 0, max: 64, noNaN: true }),
    networkMbps: fc.double({ min: 0, max: 10_000, noNaN: true }),
    diskIops: fc.double({ min: 0, max: 20_000, noNaN: true }),
  });

  it('property: p50 ≤ p90, both finite and ≥ 0, confidence within 0..1', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 30 }),
        fc.array(cycleArb, { maxLength: 5 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 5, max: 240 }),
        (raw, cycles, downtime, window) => {
          const profile = withCycles(
            updateProfile(
              blank(),
              raw.map((s, i) => ({ at: T0 + i * MIN, ...s })),
              NOW,
            ),
            cycles.map((c) => cycle(c.ratio, c.downtime)),
          );
          const f = known(predictFallback(input(profile, downtime, window)));
          for (const d of DIMENSIONS) {
            const x = f.dims[d];
            expect(Number.isFinite(x.p50) && Number.isFinite(x.p90)).toBe(true);
            expect(x.p50).toBeGreaterThanOrEqual(0);
            expect(x.p50).toBeLessThanOrEqual(x.p90);
            expect(x.confidence).toBeGreaterThanOrEqual(0);
            expect(x.confidence).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('property: the forecast never goes below the steady state (factors ≥ 1)', () => {
    fc.assert(
      fc.property(fc.array(cycleArb, { maxLength: 5 }), fc.double({ min: 0, max: 1e5, noNaN: true }), (cycles, downtime) => {
        const p = withCycles(
          steadyProfile(),
          cycles.map((c) => cycle(c.ratio, c.downtime)),
        );
        const f = known(predictFallback(input(p, downtime)));
        const s50 = steadyQuantile(p, 0.5);
        for (const d of DIMENSIONS) expect(f.dims[d].p50).toBeGreaterThanOrEqual((s50[d] as number) * (1 - 1e-12));
      }),
    );
  });
});

describe('learnJobTypeFactors', () => {
  it(`needs ${MIN_JOB_TYPE_CYCLES} usable cycles per job type and takes their median`, () => {
    const profiles = [
      withCycles(steadyProfile('web', 'i-1'), [cycle(2), cycle(4)]),
      withCycles(steadyProfile('web', 'i-2'), [cycle(3)]),
      withCycles(steadyProfile('batch', 'i-3'), [cycle(5), cycle(5)]),
      steadyProfile('db', 'i-4'),
    ];
    const factors = learnJobTypeFactors(profiles);
    expect(factors.get('web')).toEqual({ vcpu: 3, memoryGiB: 3, networkMbps: 3, diskIops: 3 });
    expect(factors.has('batch')).toBe(false);
    expect(factors.has('db')).toBe(false);
  });

  it('learns from real restart windows recorded by the profile', () => {
    const profiles = ['i-1', 'i-2', 'i-3'].map((id) => {
      let p = steadyProfile('queue', id);
      const interruptedAt = NOW + MIN;
      const restartedAt = interruptedAt; // no downtime: the ratio is the factor
      p = openRestartWindow(p, { interruptedAt, restartedAt });
      p = updateProfile(p, samples(restartedAt, 30, { cpuPercent: 50, memoryGiB: 6, networkMbps: 50, diskIops: 200 }), restartedAt + 30 * MIN);
      return closeRestartWindow(p, restartedAt + 30 * MIN, 30);
    });
    const factors = learnJobTypeFactors(profiles).get('queue');
    // Peak 2 vCPU over a steady p90 that is the 1-vCPU bucket's upper bound (≤ 5 % above 1).
    expect(factors?.vcpu).toBeGreaterThan(1.9);
    expect(factors?.vcpu).toBeLessThanOrEqual(2);
    expect(factors?.memoryGiB).toBe(1); // 6 GiB after vs a p90 bucket bound ≥ 6: ratio ≤ 1, clamped
  });
});

describe('FallbackPredictor', () => {
  it('implements the Predictor port and maps the batch in order', async () => {
    const predictor = new FallbackPredictor();
    expect(predictor.name).toBe('fallback');
    const inputs = [input(steadyProfile('web', 'i-1')), input(blank('web', 'i-2'))];
    const out = await predictor.predict(inputs);
    expect(out.map((f) => [f.instanceId, f.kind])).toEqual([
      ['i-1', 'known'],
      ['i-2', 'unknown'],
    ]);
  });

  it('learns job-type factors from the batch when none are given', async () => {
    const fleet = [1, 2, 3].map((n) => withCycles(steadyProfile('web', `i-${n}`), [cycle(3)]));
    const newcomer = steadyProfile('web', 'i-new');
    const [, , , f] = await new FallbackPredictor().predict([...fleet, newcomer].map((p) => input(p)));
    expect(known(f as Forecast).dims.vcpu.basis).toBe('job-type');
  });

  it('uses the given job-type factors over the batch', async () => {
    const fleet = [1, 2, 3].map((n) => withCycles(steadyProfile('web', `i-${n}`), [cycle(3)]));
    const newcomer = steadyProfile('web', 'i-new');
    const predictor = new FallbackPredictor({ jobTypeFactors: new Map() });
    const out = await predictor.predict([...fleet, newcomer].map((p) => input(p)));
    expect(known(out[3] as Forecast).dims.vcpu.basis).toBe('default');
  });
});
