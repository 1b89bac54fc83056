import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  type BehaviourProfile,
  type Dimension,
  type LearnedCycle,
  type MetricSample,
  type RestartCycle,
} from '../../../lambda/core/domain';
import { cycleCase, fleetCalibrationCases } from '../../../lambda/core/predict/calibrate';
import { cycleRows, gateCandidate, learnedCycleOf, MIN_HELD_BACK_CASES, splitByTime, type ScoresByDimension } from '../../../lambda/core/predict/learned-cycle';
import { MODEL_FEATURE_NAMES, toLogRatio } from '../../../lambda/core/predict/model-features';
import type { Scores } from '../../../lambda/core/predict/score-forecasts';
import {
  closedCycle,
  closeRestartWindow,
  newProfile,
  openRestartWindow,
  RESTART_HISTORY_LIMIT,
  updateProfile,
} from '../../../lambda/core/profile/behaviour-profile';
import { decodeProfile, encodeProfile } from '../../../lambda/core/profile/profile-codec';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1);
const WINDOW = 30;
const ID = instanceId('i-0aaaaaaaaaaaaaaa1');

const minutes = (start: number, n: number, cpuPercent: number, memoryGiB: number | null = 6): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({
    at: start + i * MIN,
    cpuPercent,
    cpuMaxPercent: cpuPercent,
    ...(memoryGiB !== null ? { memoryGiB } : {}),
    networkMbps: 50,
    diskIops: 200,
    connections: 40,
  }));

/** Two hours at 25 % of 4 vCPUs and 6 GiB, then an interruption at T0 and a restart at T0 + 3 min (window open). */
const withOpenWindow = (): BehaviourProfile => {
  const served = updateProfile(
    newProfile({
      instanceId: ID,
      groupId: groupId('web'),
      instanceType: 'm5.xlarge',
      vcpus: 4,
      jobType: 'web',
      launchedAt: T0 - 180 * MIN,
      now: T0 - 180 * MIN,
    }),
    minutes(T0 - 120 * MIN, 120, 25),
    T0,
  );
  return openRestartWindow(served, { interruptedAt: T0, restartedAt: T0 + 3 * MIN, windowMinutes: WINDOW });
};

describe('features recorded when a restart window opens', () => {
  it('holds one row per dimension with a steady state, from the points before the interruption, and survives storage', () => {
    const open = withOpenWindow();
    const rows = open.openRestart?.featuresBefore;
    expect(Object.keys(rows ?? {}).sort()).toEqual(['diskIops', 'memoryGiB', 'networkMbps', 'vcpu']);
    expect(rows?.vcpu?.values).toHaveLength(MODEL_FEATURE_NAMES.length);
    expect(rows?.vcpu?.values.slice(0, 4)).toEqual([1, 0, 0, 0]);
    expect(rows?.vcpu?.scale).toBeCloseTo(1, 1);
    expect(decodeProfile(encodeProfile(open)).openRestart?.featuresBefore).toEqual(rows);
  });

  it('is not recorded by a caller that does not say the window (no features without it)', () => {
    const open = withOpenWindow();
    const bare = openRestartWindow({ ...open, openRestart: undefined } as BehaviourProfile, { interruptedAt: T0, restartedAt: T0 + 3 * MIN });
    expect(bare.openRestart?.featuresBefore).toBeUndefined();
  });
});

describe("a closed cycle is the same evidence to its own group's recalibration and to a group that borrows it", () => {
  it('property: the scores calibrationCases takes from a cycle are the ones its stored learned cycle lends', () => {
    const level = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 64, noNaN: true }));
    const positive = fc.double({ min: 0.01, max: 64, noNaN: true });
    const perDimension = <T>(arb: fc.Arbitrary<T>) => fc.record(Object.fromEntries(DIMENSIONS.map((d) => [d, arb])) as Record<Dimension, fc.Arbitrary<T>>);
    fc.assert(
      fc.property(perDimension(level), perDimension(positive), perDimension(positive), fc.subarray([...DIMENSIONS]), (steady, peak, forecast, unobserved) => {
        const before = withOpenWindow();
        const restartedAt = before.openRestart!.restartedAt;
        // The cycle closeRestartWindow would record: a steady state of 0 is a lineage whose load never arrived.
        const cycle: RestartCycle = {
          interruptedAt: T0,
          restartedAt,
          downtimeSeconds: 180,
          steadyBefore: steady,
          peakAfter: peak,
          curve: [],
          ...(unobserved.length > 0 ? { unobserved } : {}),
          forecastBefore: forecast,
        };
        const closed: BehaviourProfile = { ...before, openRestart: undefined, restarts: [cycle] };
        const own = cycleCase('web', cycle).map((c) => c.score);
        const learned = learnedCycleOf(before, closed, WINDOW);
        const lent = learned === undefined ? [] : fleetCalibrationCases([learned]).map((c) => c.score);
        expect(lent).toEqual(own);
      }),
    );
  });
});

describe('learnedCycleOf: the training case a closed window gives', () => {
  const close = (open: BehaviourProfile, cpuPercent: number): BehaviourProfile => {
    const seen = updateProfile(open, minutes(T0 + 3 * MIN, WINDOW + 2, cpuPercent), T0 + (WINDOW + 6) * MIN);
    return closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW);
  };

  it('pairs the features before with the observed peak per dimension', () => {
    const open = close(withOpenWindow(), 60);
    const before = withOpenWindow();
    const seen = updateProfile(before, minutes(T0 + 3 * MIN, WINDOW + 2, 60), T0 + (WINDOW + 6) * MIN);
    const closed = closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW);
    const cycle = learnedCycleOf(seen, closed, WINDOW);
    expect(cycle).toMatchObject({ groupId: 'web', instanceId: ID, jobType: 'web', restartedAt: T0 + 3 * MIN, windowMinutes: WINDOW });
    expect(cycle?.rows.vcpu?.peak).toBeCloseTo(2.4, 5);
    expect(cycle?.rows.vcpu?.values).toEqual(before.openRestart?.featuresBefore?.vcpu?.values);
    expect(open.openRestart).toBeUndefined();
  });

  it("carries the calibration scores other groups borrow: observed peak ÷ the model's own p90 before, none without a forecast", () => {
    const served = withOpenWindow();
    const opened = openRestartWindow({ ...served, openRestart: undefined } as BehaviourProfile, {
      interruptedAt: T0,
      restartedAt: T0 + 3 * MIN,
      windowMinutes: WINDOW,
      // The p90 reserved for had been scaled 2× by recalibration: the score is against the model's own 1.2.
      forecastBefore: { vcpu: 2.4, memoryGiB: 12, networkMbps: 100, diskIops: 400 },
      modelBefore: { vcpu: 1.2, memoryGiB: 6, networkMbps: 50, diskIops: 200 },
    });
    const seen = updateProfile(opened, minutes(T0 + 3 * MIN, WINDOW + 2, 60), T0 + (WINDOW + 6) * MIN);
    const cycle = learnedCycleOf(seen, closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW), WINDOW);
    expect(cycle?.calibration?.vcpu).toBeCloseTo(2.4 / 1.2, 5);
    expect(cycle?.calibration?.memoryGiB).toBeCloseTo(6 / 6, 5);
    expect(Object.keys(cycle?.calibration ?? {}).sort()).toEqual(['memoryGiB', 'vcpu']);
    // Without the host's capacity there is no share; with it, peak ÷ capacity.
    expect(cycle).not.toHaveProperty('shares');
    const onHost = learnedCycleOf(seen, closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW, { vcpu: 4, memoryGiB: 16 }), WINDOW);
    expect(onHost?.shares?.vcpu).toBeCloseTo(2.4 / 4, 5);
    expect(Object.keys(onHost?.shares ?? {}).sort()).toEqual(['memoryGiB', 'vcpu']);
    // withOpenWindow records no forecast: a training case, but no calibration evidence.
    const bare = withOpenWindow();
    const bareSeen = updateProfile(bare, minutes(T0 + 3 * MIN, WINDOW + 2, 60), T0 + (WINDOW + 6) * MIN);
    expect(learnedCycleOf(bareSeen, closeRestartWindow(bareSeen, T0 + (WINDOW + 6) * MIN, WINDOW), WINDOW)).not.toHaveProperty('calibration');
  });

  it('leaves out a dimension the window did not observe, and gives nothing while the window is open or had no features', () => {
    const before = withOpenWindow();
    const seen = updateProfile(before, minutes(T0 + 3 * MIN, WINDOW + 2, 60, null), T0 + (WINDOW + 6) * MIN);
    const closed = closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW);
    expect(Object.keys(learnedCycleOf(seen, closed, WINDOW)?.rows ?? {})).not.toContain('memoryGiB');
    expect(learnedCycleOf(seen, seen, WINDOW)).toBeUndefined();
    const { featuresBefore: _dropped, ...bare } = seen.openRestart!;
    expect(learnedCycleOf({ ...seen, openRestart: bare }, closed, WINDOW)).toBeUndefined();
  });

  it('finds the closed cycle by its restart time, also when the history is full and the oldest cycle drops out', () => {
    const before = withOpenWindow();
    const old = {
      interruptedAt: T0 - 2 * MIN,
      restartedAt: T0 - MIN,
      downtimeSeconds: 60,
      steadyBefore: { vcpu: 1, memoryGiB: 6, networkMbps: 50, diskIops: 200 },
      peakAfter: { vcpu: 2, memoryGiB: 7, networkMbps: 60, diskIops: 250 },
      curve: [],
    };
    const full = { ...before, restarts: Array.from({ length: RESTART_HISTORY_LIMIT }, () => old) };
    const seen = updateProfile(full, minutes(T0 + 3 * MIN, WINDOW + 2, 60), T0 + (WINDOW + 6) * MIN);
    const closed = closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW);
    expect(closed.restarts).toHaveLength(RESTART_HISTORY_LIMIT);
    expect(closedCycle(seen, closed)?.restartedAt).toBe(T0 + 3 * MIN);
    expect(learnedCycleOf(seen, closed, WINDOW)?.restartedAt).toBe(T0 + 3 * MIN);
    expect(closedCycle(seen, seen)).toBeUndefined();
  });

  it('gives rows whose target is the log ratio of the peak to the scale', () => {
    const before = withOpenWindow();
    const seen = updateProfile(before, minutes(T0 + 3 * MIN, WINDOW + 2, 60), T0 + (WINDOW + 6) * MIN);
    const cycle = learnedCycleOf(seen, closeRestartWindow(seen, T0 + (WINDOW + 6) * MIN, WINDOW), WINDOW)!;
    const rows = cycleRows([cycle], MODEL_FEATURE_NAMES.length);
    const vcpu = rows.find((r) => r.dimension === 'vcpu')!;
    expect(vcpu.target).toBeCloseTo(toLogRatio(cycle.rows.vcpu!.peak, cycle.rows.vcpu!.scale, 'vcpu'), 10);
    expect(cycleRows([cycle], MODEL_FEATURE_NAMES.length - 1)).toEqual([]);
  });
});

const cycleAt = (restartedAt: number, id = `i-${restartedAt}`): LearnedCycle => ({
  groupId: groupId('web'),
  instanceId: instanceId(id),
  jobType: 'web',
  instanceType: 'm5.xlarge',
  interruptedAt: restartedAt - MIN,
  restartedAt,
  windowMinutes: WINDOW,
  rows: {},
});

describe('splitByTime', () => {
  it('holds back the newest share and fits on the rest, whatever the input order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1e9 }), { minLength: 2, maxLength: 60 }),
        fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        (times, share) => {
          const { fit, heldBack } = splitByTime(
            times.map((t) => cycleAt(t)),
            share,
          );
          expect(fit.length + heldBack.length).toBe(times.length);
          expect(heldBack.length).toBeGreaterThanOrEqual(1);
          const newestFit = Math.max(...fit.map((c) => c.restartedAt), Number.NEGATIVE_INFINITY);
          for (const c of heldBack) expect(c.restartedAt).toBeGreaterThan(newestFit);
        },
      ),
    );
  });

  it('refuses a share outside (0, 1) naming it', () => {
    expect(() => splitByTime([], 1)).toThrow('share must be within (0, 1), got 1');
  });
});

const scores = (over: Partial<Scores>): Scores => ({
  underProvisionRate: 0.1,
  meanSlack: 0.3,
  pinball50: 0.1,
  pinball90: 0.1,
  weightedSlack: 0.3,
  weightedQuantileLoss: 0.2,
  cases: MIN_HELD_BACK_CASES,
  ...over,
});
const both = (over: Partial<Scores>): ScoresByDimension => ({ vcpu: scores(over), memoryGiB: scores(over) });

describe('gateCandidate', () => {
  it.each([
    ['lower loss on both, same coverage', both({}), both({ weightedQuantileLoss: 0.15 }), 'candidate', /better on held-back/],
    ['lower loss on one, equal on the other', both({}), { vcpu: scores({ weightedQuantileLoss: 0.1 }), memoryGiB: scores({}) }, 'candidate', /better/],
    ['equal loss', both({}), both({}), 'current', /not better by 2 %/],
    [
      'lower loss but under-provisions more than 10 %',
      both({}),
      both({ weightedQuantileLoss: 0.1, underProvisionRate: 0.2 }),
      'current',
      /vcpu under-provisions more/,
    ],
    [
      'may under-provision up to the current rate when it is above 10 %',
      both({ underProvisionRate: 0.3 }),
      both({ underProvisionRate: 0.3, weightedQuantileLoss: 0.1 }),
      'candidate',
      /better/,
    ],
    [
      'worse on one dimension',
      both({}),
      { vcpu: scores({ weightedQuantileLoss: 0.1 }), memoryGiB: scores({ weightedQuantileLoss: 0.3 }) },
      'current',
      /memoryGiB forecasts worse/,
    ],
    [
      'too few held-back cases',
      both({ cases: MIN_HELD_BACK_CASES - 1 }),
      both({ cases: MIN_HELD_BACK_CASES - 1, weightedQuantileLoss: 0.01 }),
      'current',
      /too few held-back cases/,
    ],
    ['nothing scored', {}, {}, 'current', /too few held-back cases/],
    ['a loss that cannot be computed', both({ weightedQuantileLoss: null }), both({ weightedQuantileLoss: 0.1 }), 'current', /cannot be scored/],
  ] as const)('%s → keeps the %s', (_name, current, candidate, keep, reason) => {
    const decision = gateCandidate(current, candidate);
    expect(decision.keep).toBe(keep);
    expect(decision.reason).toMatch(reason);
  });
});
