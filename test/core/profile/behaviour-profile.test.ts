import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, SAMPLE_FIELDS, groupId, instanceId, type BehaviourProfile, type Dimension, type MetricSample } from '../../../lambda/core/domain';
import {
  InvalidProfileError,
  MAX_RESTART_CURVE_MINUTES,
  RECENT_LIMIT,
  RESTART_CURVES_KEPT,
  RESTART_HISTORY_LIMIT,
  closeRestartWindow,
  newProfile,
  openRestartWindow,
  sampleDemand,
  steadyQuantile,
  updateProfile,
} from '../../../lambda/core/profile/behaviour-profile';
import { cycleObserved } from '../../../lambda/core/profile/cycle-observed';
import { histogramQuantile, isEmptyHistogram } from '../../../lambda/core/profile/decaying-histogram';

/** Dimensions the profile has no steady-state data for (e.g. memory without the CloudWatch agent). */
const withoutSteadyData = (p: BehaviourProfile): Dimension[] => DIMENSIONS.filter((d) => isEmptyHistogram(p.steady[d]));

const MIN = 60_000;
const T0 = Date.UTC(2024, 2, 1);

const fresh = (vcpus = 4): BehaviourProfile =>
  newProfile({
    instanceId: instanceId('i-0abc'),
    groupId: groupId('web'),
    instanceType: 'm5.xlarge',
    vcpus,
    jobType: 'web',
    launchedAt: T0 - 60 * MIN,
    now: T0,
  });

/** n one-minute samples starting at `start`, from a generator of the sample body. */
const minutes = (start: number, n: number, body: (i: number) => Omit<MetricSample, 'at'>): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({ at: start + i * MIN, ...body(i) }));

const full = (cpuPercent: number, memoryGiB = 6, networkMbps = 50, diskIops = 200): Omit<MetricSample, 'at'> => ({
  cpuPercent,
  cpuMaxPercent: Math.min(100, cpuPercent * 1.5),
  memoryGiB,
  networkMbps,
  diskIops,
  connections: 40,
});

describe('newProfile', () => {
  it('starts with every dimension missing and no gaps', () => {
    const p = fresh();
    expect(withoutSteadyData(p)).toEqual(['vcpu', 'memoryGiB', 'networkMbps', 'diskIops']);
    expect(steadyQuantile(p, 0.9)).toEqual({});
    expect(Object.values(p.gaps).every((g) => g === 0)).toBe(true);
    expect(p.steady.vcpu.halfLifeMs).toBe(24 * 60 * MIN);
  });

  it.each([
    [{ vcpus: 0 }, 'vcpus'],
    [{ vcpus: Number.NaN }, 'vcpus'],
    [{ launchedAt: Number.NaN }, 'launchedAt'],
    [{ halfLifeMs: -5 }, 'halfLifeMs'],
  ])('rejects %j naming %s', (override, field) => {
    const input = {
      instanceId: instanceId('i-1'),
      groupId: groupId('g'),
      instanceType: 'm5.large',
      vcpus: 2,
      jobType: 'batch',
      launchedAt: T0,
      now: T0,
      ...override,
    };
    expect(() => newProfile(input)).toThrow(InvalidProfileError);
    expect(() => newProfile(input)).toThrow(`behaviour profile: ${field}`);
  });
});

describe('sampleDemand', () => {
  it.each([
    ['cpu percent × vCPUs', { at: 0, cpuPercent: 50 }, 4, { vcpu: 2 }],
    ['max stands in when the average is missing', { at: 0, cpuMaxPercent: 25 }, 8, { vcpu: 2 }],
    ['average wins over max', { at: 0, cpuPercent: 10, cpuMaxPercent: 90 }, 10, { vcpu: 1 }],
    ['cpu above 100 % is clamped', { at: 0, cpuPercent: 100.4 }, 2, { vcpu: 2 }],
    ['all dimensions', { at: 0, cpuPercent: 25, memoryGiB: 3, networkMbps: 12, diskIops: 7 }, 4, { vcpu: 1, memoryGiB: 3, networkMbps: 12, diskIops: 7 }],
    [
      'NaN and negative values are left out, never 0',
      { at: 0, cpuPercent: Number.NaN, memoryGiB: -1, networkMbps: Number.POSITIVE_INFINITY, diskIops: 0 },
      4,
      { diskIops: 0 },
    ],
    ['empty sample', { at: 0 }, 4, {}],
  ])('%s', (_name, sample, vcpus, expected) => {
    expect(sampleDemand(sample, vcpus)).toEqual(expected);
  });

  it('rejects a non-positive vCPU count', () => {
    expect(() => sampleDemand({ at: 0, cpuPercent: 5 }, 0)).toThrow(InvalidProfileError);
  });
});

describe('updateProfile', () => {
  it('learns the steady state from full samples', () => {
    const p = updateProfile(
      fresh(),
      minutes(T0, 60, (i) => full(i < 30 ? 20 : 40)),
      T0 + 60 * MIN,
    );
    expect(withoutSteadyData(p)).toEqual([]);
    const p90 = steadyQuantile(p, 0.9);
    expect(p90.vcpu).toBeGreaterThanOrEqual(1.6); // 40 % of 4 vCPU
    expect(p90.vcpu).toBeLessThan(1.7);
    expect(p90.memoryGiB).toBeGreaterThanOrEqual(6);
    expect(p.samplesSeen).toBe(60);
    expect(p.lastSampleAt).toBe(T0 + 59 * MIN);
    expect(p.updatedAt).toBe(T0 + 60 * MIN);
    expect(p.cpuPeakPercent).toBeCloseTo(60, 0);
    expect(histogramQuantile(p.cpuPerCore, 0.9)).toBeCloseTo(0.4, 1);
    expect(histogramQuantile(p.connections, 0.5)).toBeGreaterThanOrEqual(40);
    expect(p.recent).toHaveLength(60);
  });

  it('skips and counts gaps per field, and reports dimensions with no data', () => {
    // EC2-only metrics (no CloudWatch agent): no memory, no connections; one NaN CPU point.
    const samples = minutes(T0, 10, (i) => ({ cpuPercent: i === 3 ? Number.NaN : 30, cpuMaxPercent: 50, networkMbps: 10, diskIops: 5 }));
    const p = updateProfile(fresh(), samples, T0 + 10 * MIN);
    expect(p.gaps).toEqual({ cpuPercent: 1, cpuMaxPercent: 0, memoryGiB: 10, networkMbps: 0, diskIops: 0, connections: 10 });
    expect(withoutSteadyData(p)).toEqual(['memoryGiB']);
    expect(steadyQuantile(p, 0.5).memoryGiB).toBeUndefined();
    // The NaN minute used the minute's max (50 % of 4 = 2 vCPU) rather than a 0.
    expect(p.steady.vcpu.count).toBe(10);
    expect(histogramQuantile(p.steady.vcpu, 0)).toBeGreaterThanOrEqual(1.2);
  });

  it('never counts an overlapping window twice (CloudWatch windows overlap between ticks)', () => {
    const window1 = minutes(T0, 60, () => full(30));
    const window2 = minutes(T0 + 5 * MIN, 60, () => full(30));
    const once = updateProfile(fresh(), window1, T0 + 60 * MIN);
    const twice = updateProfile(once, window2, T0 + 65 * MIN);
    expect(twice.samplesSeen).toBe(65);
    expect(twice.steady.vcpu.count).toBe(65);
    expect(twice.recent.at(-1)?.at).toBe(T0 + 64 * MIN);
    expect(updateProfile(twice, window2, T0 + 70 * MIN)).toBe(twice);
  });

  it('ignores samples stamped after now, with bad times, and duplicate timestamps', () => {
    const samples: MetricSample[] = [
      { at: T0, cpuPercent: 10 },
      { at: T0, cpuPercent: 90 },
      { at: Number.NaN, cpuPercent: 10 },
      { at: T0 + 10 * MIN, cpuPercent: 10 },
    ];
    const p = updateProfile(fresh(), samples, T0 + MIN);
    expect(p.samplesSeen).toBe(1);
    expect(p.lastSampleAt).toBe(T0);
  });

  it('sorts out-of-order samples', () => {
    const samples = minutes(T0, 5, () => full(20)).reverse();
    const p = updateProfile(fresh(), samples, T0 + 5 * MIN);
    expect(p.samplesSeen).toBe(5);
    expect(p.recent.map((r) => r.at)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * MIN));
  });

  it('keeps recent bounded', () => {
    const p = updateProfile(
      fresh(),
      minutes(T0, RECENT_LIMIT + 25, () => full(20)),
      T0 + 200 * MIN,
    );
    expect(p.recent).toHaveLength(RECENT_LIMIT);
    expect(p.recent[0]?.at).toBe(T0 + 25 * MIN);
  });

  it('throws on a non-finite now', () => {
    expect(() => updateProfile(fresh(), [], Number.NaN)).toThrow(InvalidProfileError);
  });

  const field = fc.oneof(
    fc.constant(undefined),
    fc.constant(Number.NaN),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.constant(-1),
    fc.double({ min: 0, max: 100, noNaN: true }),
  );
  const sampleArb = fc.record({
    at: fc.integer({ min: T0, max: T0 + 600 * MIN }),
    cpuPercent: field,
    cpuMaxPercent: field,
    memoryGiB: field,
    networkMbps: field,
    diskIops: field,
    connections: field,
  });

  it('property: NaN/missing/negative values are never data, and each one is counted as a gap', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 50 }), (raw) => {
        const samples = raw.map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as MetricSample);
        const p = updateProfile(fresh(), samples, T0 + 1000 * MIN);
        const distinct = [...new Map(samples.map((s) => [s.at, s])).values()];
        // What counts is the first sample of each timestamp after sorting (stable), i.e. the first occurrence.
        const firsts = distinct.map((s) => samples.find((x) => x.at === s.at) as MetricSample);
        const ok = (v: number | undefined) => v !== undefined && Number.isFinite(v) && v >= 0;
        for (const f of SAMPLE_FIELDS) expect(p.gaps[f]).toBe(firsts.filter((s) => !ok(s[f])).length);
        expect(p.steady.memoryGiB.count).toBe(firsts.filter((s) => ok(s.memoryGiB)).length);
        expect(p.steady.vcpu.count).toBe(firsts.filter((s) => ok(s.cpuPercent) || ok(s.cpuMaxPercent)).length);
        for (const d of ['vcpu', 'memoryGiB', 'networkMbps', 'diskIops'] as const) {
          const q = histogramQuantile(p.steady[d], 0.5);
          if (q !== undefined) expect(Number.isFinite(q)).toBe(true);
        }
        expect(p.samplesSeen).toBe(firsts.length);
      }),
    );
  });
});

describe('restart windows', () => {
  const steadyUntil = T0 + 120 * MIN;
  const steady = () =>
    updateProfile(
      fresh(),
      minutes(T0, 120, () => full(25, 6, 50, 200)),
      steadyUntil,
    );
  const interruptedAt = steadyUntil + 1 * MIN;
  const restartedAt = interruptedAt + 4 * MIN;

  it('opens a window with the steady p90 before the interruption', () => {
    const p = openRestartWindow(steady(), { interruptedAt, restartedAt });
    expect(p.openRestart?.steadyBefore.vcpu).toBeGreaterThanOrEqual(1);
    expect(p.openRestart?.steadyBefore.vcpu).toBeLessThan(1.06);
    expect(p.openRestart?.curve).toEqual([]);
  });

  it('keeps the forecast held before the interruption, and refuses a non-finite one naming the dimension', () => {
    const forecastBefore = { vcpu: 2, memoryGiB: 6, networkMbps: 50, diskIops: 300 };
    expect(openRestartWindow(steady(), { interruptedAt, restartedAt, forecastBefore }).openRestart?.forecastBefore).toEqual(forecastBefore);
    expect(openRestartWindow(steady(), { interruptedAt, restartedAt }).openRestart).not.toHaveProperty('forecastBefore');
    expect(() => openRestartWindow(steady(), { interruptedAt, restartedAt, forecastBefore: { ...forecastBefore, memoryGiB: Number.NaN } })).toThrow(
      'forecastBefore.memoryGiB',
    );
  });

  it('is idempotent for a redelivered notice', () => {
    const p = openRestartWindow(steady(), { interruptedAt, restartedAt });
    expect(openRestartWindow(p, { interruptedAt, restartedAt })).toBe(p);
  });

  it('rejects a restart before the interruption', () => {
    expect(() => openRestartWindow(steady(), { interruptedAt, restartedAt: interruptedAt - 1 })).toThrow('restartedAt');
  });

  it('routes post-restart samples to the curve, not the steady state, and records the cycle when the window closes', () => {
    const opened = openRestartWindow(steady(), { interruptedAt, restartedAt });
    // Post-restart: CPU 75 % (3 vCPU) for 10 minutes, then back to 25 %; memory 7 GiB; disk 800 IOPS.
    const after = minutes(restartedAt, 40, (i) => full(i < 10 ? 75 : 25, 7, 50, i < 5 ? 800 : 200));
    const observed = updateProfile(opened, after, restartedAt + 40 * MIN);
    expect(observed.steady.vcpu.count).toBe(120);
    expect(observed.openRestart?.curve).toHaveLength(40);
    // Not yet due (window 30 min ends at restartedAt + 30 min): the profiler may call it every tick.
    expect(closeRestartWindow(observed, restartedAt + 29 * MIN, 30)).toBe(observed);
    const closed = closeRestartWindow(observed, restartedAt + 40 * MIN, 30);
    expect(closed.openRestart).toBeUndefined();
    expect('openRestart' in closed).toBe(false);
    expect(closed.restarts).toHaveLength(1);
    const cycle = closed.restarts[0];
    expect(cycle?.downtimeSeconds).toBe(240);
    expect(cycle?.peakAfter.vcpu).toBeCloseTo(3, 9);
    expect(cycle?.peakAfter.diskIops).toBe(800);
    expect(cycle?.peakAfter.memoryGiB).toBe(7);
    expect(cycle?.curve).toHaveLength(30);
    expect(cycle?.unobserved).toBeUndefined();
    // Minutes 30..39 are steady state again and were folded into the histograms.
    expect(closed.steady.vcpu.count).toBe(130);
    expect(cycleObserved(cycle!, 'vcpu')).toBe(true);
  });

  it.each([
    // m5.xlarge: 4 vCPU, 16 GiB. The curve's CPU peak is 4 vCPU (100 %), memory 7 GiB.
    ['CPU at the cap, memory below', { vcpu: 4, memoryGiB: 16 }, ['vcpu']],
    ['both within 3 % of the cap', { vcpu: 4.1, memoryGiB: 7.2 }, ['vcpu', 'memoryGiB']],
    ['a larger host: nothing capped', { vcpu: 8, memoryGiB: 32 }, undefined],
    ['no capacity given: nothing marked', undefined, undefined],
    ['an unobserved dimension is never saturated', { vcpu: 8, networkMbps: 0.001 }, undefined],
  ])("marks the dimensions whose window peak reached the host's capacity (%s)", (_name, capacity, saturated) => {
    const opened = openRestartWindow(steady(), { interruptedAt, restartedAt });
    const samples: MetricSample[] = minutes(restartedAt, 40, (i) => ({ cpuPercent: i < 10 ? 100 : 25, memoryGiB: 7 }));
    const closed = closeRestartWindow(updateProfile(opened, samples, restartedAt + 40 * MIN), restartedAt + 40 * MIN, 30, capacity);
    expect(closed.restarts[0]?.saturated).toEqual(saturated);
  });

  it.each([
    ['vCPUs and memory of the host', { vcpu: 4, memoryGiB: 16, networkMbps: 10_000 }, { vcpu: 4, memoryGiB: 16 }],
    ['only what is known and positive', { vcpu: 2, memoryGiB: 0 }, { vcpu: 2 }],
    ['no capacity given: none recorded', undefined, undefined],
  ])('records the capacity the window ran on (%s): recalibration relative to the machine reads it', (_name, capacity, recorded) => {
    const opened = openRestartWindow(steady(), { interruptedAt, restartedAt });
    const samples: MetricSample[] = minutes(restartedAt, 40, () => ({ cpuPercent: 25, memoryGiB: 7 }));
    const closed = closeRestartWindow(updateProfile(opened, samples, restartedAt + 40 * MIN), restartedAt + 40 * MIN, 30, capacity);
    expect(closed.restarts[0]?.hostCapacity).toEqual(recorded);
  });

  it('fills curve gaps by carrying values forward and marks unobserved dimensions', () => {
    const opened = openRestartWindow(steady(), { interruptedAt, restartedAt });
    const sparse: MetricSample[] = [
      { at: restartedAt + 2 * MIN, cpuPercent: 50 },
      { at: restartedAt + 5 * MIN, cpuPercent: 100 },
    ];
    const closed = closeRestartWindow(updateProfile(opened, sparse, restartedAt + 10 * MIN), restartedAt + 30 * MIN, 30);
    const cycle = closed.restarts[0]!;
    expect(cycle.curve.map((c) => c.vcpu)).toEqual([2, 2, 2, 2, 2, 4]);
    expect(cycle.unobserved).toEqual(['memoryGiB', 'networkMbps', 'diskIops']);
    expect(cycle.peakAfter.memoryGiB).toBe(0);
    expect(cycleObserved(cycle, 'memoryGiB')).toBe(false);
    expect(cycleObserved(cycle, 'vcpu')).toBe(true);
  });

  it('drops downtime samples and records no cycle for a window without data', () => {
    const opened = openRestartWindow(steady(), { interruptedAt, restartedAt });
    const during = updateProfile(opened, [{ at: interruptedAt + MIN, cpuPercent: 99 }], restartedAt);
    expect(during.steady.vcpu.count).toBe(120);
    const closed = closeRestartWindow(during, restartedAt + 60 * MIN, 30);
    expect(closed.restarts).toEqual([]);
    expect(closed.openRestart).toBeUndefined();
  });

  it('seeds the curve from recent points the profiler read before the notice arrived', () => {
    const early = updateProfile(
      steady(),
      minutes(restartedAt, 3, () => full(90)),
      restartedAt + 3 * MIN,
    );
    const opened = openRestartWindow(early, { interruptedAt, restartedAt });
    expect(opened.openRestart?.curve.map((c) => c.vcpu)).toEqual([3.6, 3.6, 3.6]);
  });

  it('caps the curve and the history and strips old curves', () => {
    let p = steady();
    let t = steadyUntil;
    for (let k = 0; k < RESTART_HISTORY_LIMIT + 3; k++) {
      const at = t + MIN;
      const back = at + 2 * MIN;
      p = openRestartWindow(p, { interruptedAt: at, restartedAt: back });
      p = updateProfile(
        p,
        minutes(back, MAX_RESTART_CURVE_MINUTES + 5, () => full(60)),
        back + 300 * MIN,
      );
      expect(p.openRestart?.curve.length).toBe(MAX_RESTART_CURVE_MINUTES);
      p = closeRestartWindow(p, back + 300 * MIN, 30);
      t = back + 300 * MIN;
    }
    expect(p.restarts).toHaveLength(RESTART_HISTORY_LIMIT);
    expect(p.restarts.filter((c) => c.curve.length > 0)).toHaveLength(RESTART_CURVES_KEPT);
    expect(p.restarts.at(-1)?.curve).toHaveLength(30);
    expect(JSON.stringify(p).length).toBeLessThan(100_000); // well inside DynamoDB's 400 KB item limit
  });

  it.each([0, 1.5, -3, 241, Number.NaN])('rejects window minutes %s', (w) => {
    expect(() => closeRestartWindow(steady(), steadyUntil, w)).toThrow('windowMinutes');
  });
});
