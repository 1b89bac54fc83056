import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type BehaviourProfile, type Forecast, type LearnedCycle, type RestartCycle } from '../../../lambda/core/domain';
import {
  CALIBRATION_BOUNDS,
  MIN_CALIBRATION_CASES,
  calibrateForecast,
  calibrationCases,
  calibrationFactors,
  conformalFactor,
  fleetCalibrationCases,
  forecastRecord,
  type CalibrationCase,
} from '../../../lambda/core/predict/calibrate';
import { newProfile } from '../../../lambda/core/profile/behaviour-profile';
import { toResources } from '../../../lambda/core/resources/resources';

const T0 = Date.UTC(2024, 6, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;

const cycle = (at: number, forecastVcpu: number, peakVcpu: number, extra: Partial<RestartCycle> = {}): RestartCycle => ({
  interruptedAt: at - MIN,
  restartedAt: at,
  downtimeSeconds: 60,
  steadyBefore: toResources({ vcpu: 1, memoryGiB: 4 }),
  peakAfter: toResources({ vcpu: peakVcpu, memoryGiB: 4 }),
  curve: [],
  forecastBefore: toResources({ vcpu: forecastVcpu, memoryGiB: 4 }),
  ...extra,
});

const profileWith = (restarts: readonly RestartCycle[], jobType = 'web'): BehaviourProfile => ({
  ...newProfile({
    instanceId: instanceId('i-0123456789abcdef0'),
    groupId: 'web' as never,
    instanceType: 'm5.large',
    vcpus: 2,
    jobType,
    launchedAt: T0,
    now: T0,
  }),
  restarts,
});

const known = (p90: number, p50 = p90 / 2): Forecast => ({
  kind: 'known',
  instanceId: instanceId('i-0123456789abcdef0'),
  madeAt: T0,
  downtimeSeconds: 60,
  windowMinutes: 30,
  dims: {
    vcpu: { p50, p90, basis: 'model', confidence: 0.8 },
    memoryGiB: { p50: 3, p90: 4, basis: 'model', confidence: 0.8 },
    networkMbps: { p50: 10, p90: 20, basis: 'model', confidence: 0.8 },
    diskIops: { p50: 10, p90: 20, basis: 'model', confidence: 0.8 },
  },
});

describe('conformalFactor', () => {
  it.each([
    ['too few cases', [1, 2], undefined],
    // n = 3: rank ⌈4 × 0.9⌉ = 4 → capped at 3, the largest score.
    ['three cases: the largest', [0.5, 1.2, 0.7], 1.2],
    // n = 5: rank ⌈6 × 0.9⌉ = 6 → capped at 5, the largest score.
    ['five cases: the largest', [0.5, 0.6, 0.7, 0.8, 2], 2],
    // n = 9: rank ⌈10 × 0.9⌉ = 9, the largest; n = 19: rank 18.
    ['nineteen cases: the 18th', Array.from({ length: 19 }, (_, k) => (k + 1) / 10), 1.8],
    ['clamped above', [5, 6, 7, 8, 9], CALIBRATION_BOUNDS.max],
    ['clamped below', [0.1, 0.1, 0.1, 0.1, 0.1], CALIBRATION_BOUNDS.min],
    ['NaN and negative scores are not evidence', [Number.NaN, -1, 1, 1], undefined],
  ])('%s', (_name, scores, expected) => {
    expect(conformalFactor(scores)).toBe(expected);
  });

  it('property: a p90 scaled by the factor would have covered at least 90 % of the cases it was fitted on', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.5, max: 4, noNaN: true }), { minLength: MIN_CALIBRATION_CASES, maxLength: 60 }), (scores) => {
        const f = conformalFactor(scores) as number;
        const covered = scores.filter((s) => s <= f).length / scores.length;
        expect(covered).toBeGreaterThanOrEqual(0.9 - 1e-9);
      }),
    );
  });
});

describe('calibration from restart cycles', () => {
  it("scores each cycle against the model's own p90 when the forecast used had been scaled, and skips cycles without a forecast", () => {
    const scaled = cycle(T0, 4, 3, { modelBefore: toResources({ vcpu: 2, memoryGiB: 4 }) });
    const cases = calibrationCases(
      profileWith([scaled, cycle(T0 + MIN, 2, 3, { forecastBefore: undefined }), cycle(T0 + 2 * MIN, 2, 1, { unobserved: ['vcpu'] })]),
    );
    expect(cases).toEqual([
      { jobType: 'web', restartedAt: T0, score: { vcpu: 1.5, memoryGiB: 1 } },
      { jobType: 'web', restartedAt: T0 + 2 * MIN, score: { memoryGiB: 1 } },
    ]);
  });

  it.each([
    // [name, steady state before, expected score]: a dimension with no steady state before is no evidence (cycleObserved).
    ['both dimensions had a steady state', { vcpu: 1, memoryGiB: 4 }, { vcpu: 1.5, memoryGiB: 1 }],
    ['memory had none: only vCPU is scored', { vcpu: 1 }, { vcpu: 1.5 }],
    ['neither: a window whose load never arrived is no case', {}, undefined],
  ] as const)('scores only the dimensions a cycle observed with a steady state before — %s', (_name, steady, score) => {
    const c = cycle(T0, 2, 3, { steadyBefore: toResources(steady) });
    const cases = calibrationCases(profileWith([c]));
    expect(cases.map((x) => x.score)).toEqual(score === undefined ? [] : [score]);
  });

  it("uses a job type's own factor when it has enough cases, else the group's pooled one; nothing below the minimum", () => {
    const web: CalibrationCase[] = Array.from({ length: 6 }, (_, k) => ({ jobType: 'web', restartedAt: T0 + k * MIN, score: { vcpu: 2 } }));
    const batch: CalibrationCase[] = [{ jobType: 'batch', restartedAt: T0, score: { vcpu: 0.5 } }];
    const factors = calibrationFactors([...web, ...batch]);
    expect(factors.byJobType.get('web')).toEqual({ vcpu: 2 });
    expect(factors.byJobType.has('batch')).toBe(false);
    expect(factors.pooled).toEqual({ vcpu: 2 });
    expect(factors.cases).toEqual({ vcpu: 7, memoryGiB: 0 });
    expect(calibrationFactors(web.slice(0, MIN_CALIBRATION_CASES - 1)).pooled).toEqual({});
  });

  it.each([
    // [name, own vcpu scores, fleet vcpu scores, expected vcpu factor, borrowed]
    ['no restarts of its own: the fleet decides', [], [1.2, 1.5, 2, 1.1], 2, true],
    ['too few of its own: its own and the fleet’s together', [3], [1.2, 1.5, 2], 3, true],
    ['enough of its own: the fleet is not used', [1.1, 1.2, 1.3], [4, 4, 4, 4], 1.3, false],
    ['too few anywhere: nothing changes', [2], [2], undefined, false],
  ] as const)("borrows the fleet's cases only for a dimension short of its own — %s", (_name, own, fleet, factor, borrowed) => {
    const cases = (scores: readonly number[], job: string, t0: number): CalibrationCase[] =>
      scores.map((vcpu, k) => ({ jobType: job, restartedAt: t0 + k * MIN, score: { vcpu } }));
    const factors = calibrationFactors(cases(own, 'web', T0), 0.9, cases(fleet, 'batch', T0 + HOUR));
    expect(factors.pooled.vcpu).toBe(factor);
    expect(factors.fromFleet).toEqual(borrowed ? ['vcpu'] : []);
    // Job types stay the group's own: the fleet's cases never make a per-job-type factor.
    expect(factors.byJobType.has('batch')).toBe(false);
  });

  it("reads the fleet's stored cycles' calibration scores, skipping absent, negative and non-finite ones", () => {
    const stored = (calibration: LearnedCycle['calibration'], restartedAt: number): LearnedCycle => ({
      groupId: groupId('batch'),
      instanceId: instanceId('i-0123456789abcdef0'),
      jobType: 'batch',
      instanceType: 'm5.large',
      interruptedAt: restartedAt - MIN,
      restartedAt,
      windowMinutes: 30,
      rows: {},
      ...(calibration !== undefined ? { calibration } : {}),
    });
    expect(
      fleetCalibrationCases([
        stored({ vcpu: 1.5, memoryGiB: 2 }, T0),
        stored(undefined, T0 + MIN),
        stored({ vcpu: Number.NaN, memoryGiB: -1 }, T0 + 2 * MIN),
        stored({ memoryGiB: 0.8, networkMbps: 3 }, T0 + 3 * MIN),
      ]),
    ).toEqual([
      { jobType: 'batch', restartedAt: T0, score: { vcpu: 1.5, memoryGiB: 2 } },
      { jobType: 'batch', restartedAt: T0 + 3 * MIN, score: { memoryGiB: 0.8 } },
    ]);
  });

  // Whatever the fleet's cases, a group with MIN_CALIBRATION_CASES or more of its own gets the factor of its own alone.
  it("property: a group's own cases, once enough, decide its factor whatever the fleet's say", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.2, max: 5, noNaN: true }), { minLength: MIN_CALIBRATION_CASES, maxLength: 30 }),
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 30 }),
        (own, fleet) => {
          const mk = (xs: readonly number[], job: string): CalibrationCase[] =>
            xs.map((vcpu, k) => ({ jobType: job, restartedAt: T0 + k * MIN, score: { vcpu } }));
          expect(calibrationFactors(mk(own, 'web'), 0.9, mk(fleet, 'batch')).pooled).toEqual(calibrationFactors(mk(own, 'web')).pooled);
        },
      ),
    );
  });

  it('counts instances restarted together as different cycles; the same cycle carried twice once', () => {
    // A burst: three restarts at the same instant, each its own cycle with its own score.
    const burst = [1.2, 2.5, 0.8].map((vcpu) => ({ jobType: 'web', restartedAt: T0, score: { vcpu } }));
    expect(calibrationFactors(burst).cases.vcpu).toBe(3);
    expect(calibrationFactors(burst).pooled.vcpu).toBe(2.5);
    // A stale copy of one of them (the same cycle through another profile) adds nothing.
    expect(calibrationFactors([...burst, { ...burst[1]! }]).cases.vcpu).toBe(3);
  });

  it('scales the p90 of the calibrated dimensions and records the factor, recalibrates the p50 at its own level; unknown forecasts pass through', () => {
    // Nine scores: the 0.9 conformal quantile is the 9th smallest (1.5), the median the 5th (1.2).
    const scores = [0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.5, 1.5, 1.5];
    const factors = calibrationFactors(scores.map((vcpu, k) => ({ jobType: 'web', restartedAt: T0 + k * MIN, score: { vcpu } })));
    expect(factors.medians.pooled.vcpu).toEqual({ score: 1.2 });
    const out = calibrateForecast(known(2, 1), 'web', factors);
    // p90 2 × 1.5; p50 = the model's p90 × the median score (2 × 1.2), not the model's p50 × the p90's factor (1.5).
    expect(out.kind === 'known' && out.dims.vcpu).toEqual({ p50: 2.4, p90: 3, basis: 'model', confidence: 0.8, calibration: 1.5 });
    expect(out.kind === 'known' && out.dims.memoryGiB).toEqual(
      known(2).kind === 'known' ? (known(2) as Extract<Forecast, { kind: 'known' }>).dims.memoryGiB : undefined,
    );
    const unknown: Forecast = { kind: 'unknown', instanceId: instanceId('i-0123456789abcdef0'), madeAt: T0, reason: 'no data', missing: ['vcpu'] };
    expect(calibrateForecast(unknown, 'web', factors)).toBe(unknown);
    // What a restart then records: the p90 used, and the model's own behind it.
    expect(forecastRecord(out)).toEqual({
      forecastBefore: toResources({ vcpu: 3, memoryGiB: 4, networkMbps: 20, diskIops: 20 }),
      modelBefore: toResources({ vcpu: 2, memoryGiB: 4, networkMbps: 20, diskIops: 20 }),
    });
    expect(forecastRecord(known(2))).toEqual({ forecastBefore: toResources({ vcpu: 2, memoryGiB: 4, networkMbps: 20, diskIops: 20 }) });
  });

  it.each([
    // [name, scores, model p50, model p90, expected p50, expected p90]
    ['the median score × the model p90', [0.5, 0.8, 1, 1.1, 1.2], 1, 2, 2, 2.4],
    ['a median far below the model p50: at most halved', [0.1, 0.1, 0.2, 0.3, 1], 1, 2, 0.5, 2],
    ['a median far above it: at most 4×', [3, 3.5, 3.5, 3.9, 3.9], 0.2, 2, 0.8, 7.8],
    ['a model p50 equal to its p90, fleets below both: the p50 follows the p90 down', [0.5, 0.6, 0.6, 0.6, 0.6], 2, 2, 1.2, 1.2],
  ] as const)('p50 at its own level: %s', (_name, scores, p50, p90, wantP50, wantP90) => {
    const factors = calibrationFactors(scores.map((vcpu, k) => ({ jobType: 'web', restartedAt: T0 + k * MIN, score: { vcpu } })));
    const out = calibrateForecast(known(p90, p50), 'web', factors);
    expect(out.kind === 'known' && out.dims.vcpu.p50).toBeCloseTo(wantP50, 12);
    expect(out.kind === 'known' && out.dims.vcpu.p90).toBeCloseTo(wantP90, 12);
  });

  it("a job type with its own cases takes its own median, one without takes the group's", () => {
    const web = [0.2, 0.2, 0.2, 1].map((vcpu, k) => ({ jobType: 'web', restartedAt: T0 + k * MIN, score: { vcpu } }));
    const batch = [1, 1.6, 1.6, 1.6].map((vcpu, k) => ({ jobType: 'batch', restartedAt: T0 + HOUR + k * MIN, score: { vcpu } }));
    const factors = calibrationFactors([...web, ...batch]);
    expect(factors.medians.byJobType.get('web')?.vcpu).toEqual({ score: 0.2 });
    expect(factors.medians.byJobType.get('batch')?.vcpu).toEqual({ score: 1.6 });
    // Pooled over all eight: the median is the 5th smallest of 0.2, 0.2, 0.2, 1, 1, 1.6, 1.6, 1.6.
    expect(factors.medians.pooled.vcpu).toEqual({ score: 1 });
    const p50Of = (job: string): number => {
      const f = calibrateForecast(known(2, 1), job, factors);
      return f.kind === 'known' ? f.dims.vcpu.p50 : Number.NaN;
    };
    expect(p50Of('web')).toBeCloseTo(0.5, 12); // 2 × 0.2 = 0.4, at most halved
    expect(p50Of('batch')).toBeCloseTo(3.2, 12);
    expect(p50Of('cron')).toBeCloseTo(2, 12);
  });

  it('property: the recalibrated p50 covers half the cases it was fitted on, not more (a median, not a higher quantile), and stays at most the p90', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.6, max: 1.5, noNaN: true }),
        fc.uniqueArray(fc.double({ min: 0.7, max: 1.3, noNaN: true }), { minLength: 10, maxLength: 50 }),
        (k, noise) => {
          const restarts = noise.map((n, i) => cycle(T0 + i * MIN, 2, 2 * k * n));
          const scores = new Set(restarts.map((c) => c.peakAfter.vcpu / 2));
          fc.pre(scores.size === restarts.length);
          const f = calibrateForecast(known(2, 1), 'web', calibrationFactors(calibrationCases(profileWith(restarts))));
          const p50 = f.kind === 'known' ? f.dims.vcpu.p50 : Number.NaN;
          const p90 = f.kind === 'known' ? f.dims.vcpu.p90 : Number.NaN;
          const covered = restarts.filter((c) => c.peakAfter.vcpu <= p50 + 1e-12).length / restarts.length;
          expect(covered).toBeGreaterThanOrEqual(0.5);
          expect(covered).toBeLessThanOrEqual(0.5 + 1 / restarts.length + 1e-9);
          expect(p50).toBeLessThanOrEqual(p90);
        },
      ),
    );
  });

  // k × noise stays within CALIBRATION_BOUNDS (up to 3.9×): beyond them the clamp, not coverage, decides.
  it("property: recalibrated on cases from a fleet whose restarts are k× the model's p90, the scaled p90 covers ≥ 90 % of them", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.6, max: 3, noNaN: true }),
        fc.array(fc.double({ min: 0.7, max: 1.3, noNaN: true }), { minLength: 10, maxLength: 50 }),
        (k, noise) => {
          const restarts = noise.map((n, i) => cycle(T0 + i * MIN, 2, 2 * k * n));
          const factors = calibrationFactors(calibrationCases(profileWith(restarts)));
          const f = calibrateForecast(known(2), 'web', factors);
          const p90 = f.kind === 'known' ? f.dims.vcpu.p90 : Number.NaN;
          const covered = restarts.filter((c) => c.peakAfter.vcpu <= p90 + 1e-9).length / restarts.length;
          expect(covered).toBeGreaterThanOrEqual(0.9 - 1e-9);
        },
      ),
    );
  });
});

describe('calibration relative to the machine (share of capacity)', () => {
  // A fleet whose restarts fill most of their machine's memory while the model forecasts a tenth of it.
  const memoryCases = (shares: readonly number[], modelP90 = 0.4, capacity = 8, job = 'web', t0 = T0): CalibrationCase[] =>
    shares.map((s, k) => ({ jobType: job, restartedAt: t0 + k * MIN, score: { memoryGiB: (s * capacity) / modelP90 }, share: { memoryGiB: s } }));
  const withMemory = (p90: number): Forecast => {
    const f = known(2) as Extract<Forecast, { kind: 'known' }>;
    return { ...f, dims: { ...f.dims, memoryGiB: { p50: p90 / 2, p90, basis: 'model', confidence: 0.8 } } };
  };
  const memoryOf = (f: Forecast) => (f.kind === 'known' ? f.dims.memoryGiB : undefined);

  it.each([
    // [name, cases, expected pooled share, expected pooled (clamped) scale factor]
    ['scaling within its bound: the scale factor alone, shares unused', memoryCases([0.1, 0.12, 0.15], 1), undefined, 1.2],
    ['scaling beyond its bound, shares known: the clamped factor and a share', memoryCases([0.6, 0.9, 0.8, 0.7]), 0.9, CALIBRATION_BOUNDS.max],
    [
      'scaling beyond its bound, no shares: the clamped scale factor alone (as before)',
      memoryCases([0.6, 0.9, 0.8]).map(({ share: _s, ...c }) => c),
      undefined,
      CALIBRATION_BOUNDS.max,
    ],
    ['a share above the machine is capped at it', memoryCases([1.4, 1.2, 1.1]), 1, CALIBRATION_BOUNDS.max],
  ] as const)('%s', (_name, cases, share, factor) => {
    const factors = calibrationFactors(cases);
    expect(factors.shares?.pooled.memoryGiB).toBe(share);
    expect(factors.pooled.memoryGiB).toBe(factor);
  });

  it("raises a scaled p90 still below share × the forecast instance's capacity to it (recorded), the p50 to the median share; never lowers one", () => {
    const factors = calibrationFactors(memoryCases([0.6, 0.9, 0.8, 0.7]));
    const raised = calibrateForecast(withMemory(0.5), 'web', factors, { vcpu: 2, memoryGiB: 16 });
    // 0.9 × 16 GiB = 14.4 GiB, a factor of 28.8 on the model's 0.5 (the clamped 4× would give 2).
    // The p50: the median share (the 3rd smallest of 0.6, 0.7, 0.8, 0.9) × 16 GiB — the bound that holds the scaled
    // median to 4× the model's p50 (0.25 → 1 GiB) does not hold the floor, as it does not hold the p90's.
    expect(memoryOf(raised)).toEqual({ p50: 12.8, p90: 14.4, basis: 'model', confidence: 0.8, calibration: 28.8 });
    // The restart then records the model's own p90 behind it: the next scores are not compounded.
    expect(forecastRecord(raised)?.modelBefore?.memoryGiB).toBeCloseTo(0.5, 12);
    // vCPU had no factor: unchanged.
    expect(raised.kind === 'known' && raised.dims.vcpu).toEqual((known(2) as Extract<Forecast, { kind: 'known' }>).dims.vcpu);
    // Scaled 4× above the floor: the scale factor alone. Without a capacity, or with a p90 of 0: the scale factor alone.
    expect(memoryOf(calibrateForecast(withMemory(5), 'web', factors, { vcpu: 2, memoryGiB: 16 }))).toMatchObject({ p90: 20, calibration: 4 });
    expect(memoryOf(calibrateForecast(withMemory(0.5), 'web', factors))).toMatchObject({ p90: 2, calibration: 4 });
    expect(memoryOf(calibrateForecast(withMemory(0), 'web', factors, { vcpu: 2, memoryGiB: 16 }))).toMatchObject({ p90: 0, calibration: 4 });
  });

  it("a job type with its own evidence takes its own factor and floor; the group's floor is not laid under it", () => {
    const web = memoryCases([0.6, 0.9, 0.8, 0.7], 0.4, 8, 'web');
    const batch = memoryCases([0.1, 0.1, 0.1, 0.1], 0.4, 8, 'batch', T0 + HOUR);
    const factors = calibrationFactors([...web, ...batch]);
    expect(factors.byJobType.get('batch')).toEqual({ memoryGiB: 2 });
    expect(factors.shares?.byJobType.get('web')).toEqual({ memoryGiB: 0.9 });
    expect(factors.shares?.byJobType.has('batch')).toBe(false);
    const at = (job: string) => memoryOf(calibrateForecast(withMemory(0.4), job, factors, { vcpu: 2, memoryGiB: 8 }))?.p90;
    expect(at('web')).toBeCloseTo(0.9 * 8, 12);
    expect(at('batch')).toBeCloseTo(0.8, 12);
  });

  it("a group with too few restarts of its own borrows the fleet's shares with its factor", () => {
    const factors = calibrationFactors(memoryCases([0.9]), 0.9, memoryCases([0.6, 0.8, 0.7], 0.4, 8, 'batch', T0 + HOUR));
    expect(factors.fromFleet).toEqual(['memoryGiB']);
    expect(factors.shares?.pooled).toEqual({ memoryGiB: 0.9 });
    expect(factors.pooled).toEqual({ memoryGiB: CALIBRATION_BOUNDS.max });
  });

  it("reads a cycle's shares from the capacity its window ran on, and the fleet's stored shares", () => {
    const c = cycle(T0, 0.5, 1, { peakAfter: toResources({ vcpu: 1, memoryGiB: 6 }), hostCapacity: { vcpu: 2, memoryGiB: 8 } });
    expect(calibrationCases(profileWith([c]))).toEqual([
      { jobType: 'web', restartedAt: T0, score: { vcpu: 2, memoryGiB: 1.5 }, share: { vcpu: 0.5, memoryGiB: 0.75 } },
    ]);
    const stored: LearnedCycle = {
      groupId: groupId('batch'),
      instanceId: instanceId('i-0123456789abcdef0'),
      jobType: 'batch',
      instanceType: 'm5.large',
      interruptedAt: T0 - MIN,
      restartedAt: T0,
      windowMinutes: 30,
      rows: {},
      calibration: { memoryGiB: 9 },
      shares: { memoryGiB: 0.75, vcpu: Number.NaN },
    };
    expect(fleetCalibrationCases([stored])).toEqual([{ jobType: 'batch', restartedAt: T0, score: { memoryGiB: 9 }, share: { memoryGiB: 0.75 } }]);
  });

  it("property: on a fleet whose restarts use a share of their machine far above the model's p90, the raised p90 covers ≥ 90 % of them", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.3, max: 1, noNaN: true }), { minLength: 10, maxLength: 50 }), (shares) => {
        const restarts = shares.map((s, i) =>
          cycle(T0 + i * MIN, 2, 2, {
            peakAfter: toResources({ vcpu: 2, memoryGiB: 16 * s }),
            forecastBefore: toResources({ vcpu: 2, memoryGiB: 0.5 }),
            hostCapacity: { vcpu: 4, memoryGiB: 16 },
          }),
        );
        const factors = calibrationFactors(calibrationCases(profileWith(restarts)));
        const f = known(2) as Extract<Forecast, { kind: 'known' }>;
        const out = calibrateForecast({ ...f, dims: { ...f.dims, memoryGiB: { ...f.dims.memoryGiB, p50: 0.3, p90: 0.5 } } }, 'web', factors, {
          vcpu: 4,
          memoryGiB: 16,
        });
        const p90 = out.kind === 'known' ? out.dims.memoryGiB.p90 : Number.NaN;
        const covered = restarts.filter((c) => c.peakAfter.memoryGiB <= p90 + 1e-9).length / restarts.length;
        expect(covered).toBeGreaterThanOrEqual(0.9 - 1e-9);
      }),
    );
  });
});
