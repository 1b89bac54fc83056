import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS, groupId, instanceId, type BehaviourProfile, type InstanceId, type MetricSample, type RestartCycle } from '../../../lambda/core/domain';
import {
  InvalidProfileError,
  RESTART_HISTORY_LIMIT,
  closeRestartWindow,
  newProfile,
  openRestartWindow,
  steadyQuantile,
  updateProfile,
} from '../../../lambda/core/profile/behaviour-profile';
import { cycleObserved } from '../../../lambda/core/profile/cycle-observed';
import { calibrationCases } from '../../../lambda/core/predict/calibrate';
import { inheritProfile, type InheritInput } from '../../../lambda/core/profile/inherit-profile';
import { decodeProfile, encodeProfile } from '../../../lambda/core/profile/profile-codec';
import { featureRowsBefore } from '../../../lambda/core/predict/model-features';
import { learnJobTypeFactors, MIN_JOB_TYPE_CYCLES } from '../../../lambda/core/predict/fallback-predictor';
import { toResources } from '../../../lambda/core/resources/resources';

const MIN = 60_000;
const T0 = Date.UTC(2024, 2, 1);
const WINDOW = 30;
const VICTIM = instanceId('i-0victim');
const HEIR = instanceId('i-0heir');
/** The victim served for two hours before T0 and went down at T0; its replacement started 3 minutes later. */
const RESTARTED = T0 + 3 * MIN;

const minutes = (start: number, n: number, cpuPercent: number, memoryGiB = 6): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({
    at: start + i * MIN,
    cpuPercent,
    cpuMaxPercent: cpuPercent,
    memoryGiB,
    networkMbps: 50,
    diskIops: 200,
    connections: 40,
  }));

const blank = (id: InstanceId, launchedAt: number, now: number, vcpus = 4): BehaviourProfile =>
  newProfile({ instanceId: id, groupId: groupId('web'), instanceType: 'm5.xlarge', vcpus, jobType: id === VICTIM ? 'queue' : 'web', launchedAt, now });

/** Two hours of steady state at 25 % of 4 vCPUs (1 vCPU), 6 GiB, with `cycles` restart cycles of its own. */
const victimProfile = (cycles: readonly RestartCycle[] = []): BehaviourProfile => ({
  ...updateProfile(blank(VICTIM, T0 - 180 * MIN, T0 - 180 * MIN), minutes(T0 - 120 * MIN, 120, 25), T0),
  restarts: cycles,
});

const pastCycle = (k: number): RestartCycle => ({
  interruptedAt: T0 - 1000 * MIN + k * 10 * MIN,
  restartedAt: T0 - 1000 * MIN + k * 10 * MIN + 2 * MIN,
  downtimeSeconds: 120,
  steadyBefore: { vcpu: 1, memoryGiB: 6, networkMbps: 50, diskIops: 200 },
  peakAfter: { vcpu: 1.5 + k / 100, memoryGiB: 7, networkMbps: 60, diskIops: 250 },
  curve: [],
});

const input = (over: Partial<InheritInput> = {}): InheritInput => ({
  heirId: HEIR,
  groupId: groupId('web'),
  restartedAt: RESTARTED,
  windowMinutes: WINDOW,
  heir: { instanceType: 'm5.xlarge', vcpus: 4 },
  now: RESTARTED + MIN,
  ...over,
});

const inherited = (victim: BehaviourProfile | undefined, heir: BehaviourProfile | undefined, over: Partial<InheritInput> = {}): BehaviourProfile => {
  const out = inheritProfile(victim, heir, input(over));
  if (out.kind !== 'inherited') throw new Error(`expected inherited, got kept: ${out.reason}`);
  return out.profile;
};

/** The heir as the notice handler leaves it when its state change came first: a new profile with a window and no steady state before. */
const heirWithOwnWindow = (): BehaviourProfile => openRestartWindow(blank(HEIR, RESTARTED, RESTARTED), { interruptedAt: RESTARTED, restartedAt: RESTARTED });

describe('inheritProfile: what a replacement carries', () => {
  it("a replacement with no profile gets the victim's steady state, history and job type, and a window whose steady before is the victim's", () => {
    const victim = victimProfile([pastCycle(1), pastCycle(2)]);
    const p = inherited(victim, undefined);
    expect(p.instanceId).toBe(HEIR);
    expect(p.instanceType).toBe('m5.xlarge');
    expect(p.steady).toBe(victim.steady);
    expect(p.connections).toBe(victim.connections);
    expect(p.cpuPerCore).toBe(victim.cpuPerCore);
    expect(p.restarts).toEqual(victim.restarts);
    expect(p.jobType).toBe('queue');
    expect(p.inheritedFrom).toBe(VICTIM);
    expect(p.lastSampleAt).toBeUndefined(); // its own metrics are all still to be read
    expect(p.openRestart).toEqual({
      interruptedAt: victim.lastSampleAt,
      restartedAt: RESTARTED,
      from: VICTIM,
      steadyBefore: toResources(steadyQuantile(victim, 0.9)),
      curve: [],
      // The victim's model input before it went down: the closed window becomes a training case (LearnedCycle).
      featuresBefore: featureRowsBefore(victim, { interruptedAt: victim.lastSampleAt!, restartedAt: RESTARTED, windowMinutes: WINDOW }),
    });
    expect(p.openRestart?.steadyBefore.vcpu).toBeGreaterThan(0);
    expect(p.openRestart?.featuresBefore?.vcpu?.scale).toBeCloseTo(p.openRestart!.steadyBefore.vcpu, 4);
  });

  it('keeps the window the replacement opened itself (its state change marks the start) and its curve', () => {
    let heir = heirWithOwnWindow();
    heir = updateProfile(heir, minutes(RESTARTED, 5, 50), RESTARTED + 5 * MIN);
    const p = inherited(victimProfile(), heir, { restartedAt: RESTARTED - 20_000 });
    expect(p.openRestart?.restartedAt).toBe(RESTARTED);
    expect(p.openRestart?.curve).toEqual(heir.openRestart?.curve);
    expect(p.openRestart?.curve).toHaveLength(5);
    expect(p.lastSampleAt).toBe(heir.lastSampleAt);
    expect(p.samplesSeen).toBe(5);
  });

  it('a replacement the profiler saw first (its minutes filed as steady) gets them back as its post-restart curve', () => {
    const heir = updateProfile(blank(HEIR, RESTARTED, RESTARTED), minutes(RESTARTED, 4, 50), RESTARTED + 4 * MIN);
    expect(steadyQuantile(heir, 0.9).vcpu).toBeGreaterThan(1.9); // 2 vCPU of restart demand taken for steady state
    const victim = victimProfile();
    const p = inherited(victim, heir);
    expect(p.steady).toBe(victim.steady);
    expect(p.openRestart?.curve.map((c) => c.vcpu)).toEqual([2, 2, 2, 2]);
  });

  it('on another vCPU count, per-core CPU and the peak percentage are learned afresh; absolute steady state still moves', () => {
    const victim = victimProfile();
    const p = inherited(victim, undefined, { heir: { instanceType: 'm5.2xlarge', vcpus: 8 } });
    expect(p.vcpus).toBe(8);
    expect(p.steady).toBe(victim.steady);
    expect(p.cpuPerCore.count).toBe(0);
    expect(p.cpuPeakPercent).toBe(0);
  });

  it("without the replacement's type, the victim's stands in (the profiler corrects it when it sees the instance)", () => {
    const { heir: _none, ...rest } = input();
    const out = inheritProfile(victimProfile(), undefined, rest);
    expect(out.kind === 'inherited' && [out.profile.instanceType, out.profile.vcpus]).toEqual(['m5.xlarge', 4]);
  });

  it('marks the victim with its one heir; the same heir may take it again (a profile it lost to a race)', () => {
    const victim = victimProfile();
    const out = inheritProfile(victim, undefined, input());
    expect(out.kind === 'inherited' && out.victim).toEqual({ ...victim, inheritedBy: HEIR });
    const again = inheritProfile(out.kind === 'inherited' ? out.victim : victim, undefined, input());
    expect(again.kind === 'inherited' && again.victim.inheritedBy).toBe(HEIR);
    expect(decodeProfile(encodeProfile({ ...victim, inheritedBy: HEIR })).inheritedBy).toBe(HEIR);
  });

  it('survives the storage codec', () => {
    const p = inherited(victimProfile([pastCycle(1)]), heirWithOwnWindow());
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(p))))).toEqual(decodeProfile(encodeProfile(p)));
    expect(decodeProfile(encodeProfile(p)).inheritedFrom).toBe(VICTIM);
    expect(decodeProfile(encodeProfile(p)).openRestart?.from).toBe(VICTIM);
  });
});

describe('inheritProfile: what it never does', () => {
  const victim = victimProfile([pastCycle(1)]);
  const once = inherited(victim, undefined);
  const ownCycle = closeRestartWindow(
    updateProfile(heirWithOwnWindow(), minutes(RESTARTED, 5, 50), RESTARTED + WINDOW * MIN),
    RESTARTED + WINDOW * MIN,
    WINDOW,
  );
  const longServing = updateProfile(blank(HEIR, RESTARTED, RESTARTED), minutes(RESTARTED, WINDOW + 1, 20), RESTARTED + (WINDOW + 1) * MIN);
  const otherLineage = { ...heirWithOwnWindow(), inheritedFrom: instanceId('i-0other') };
  const passedOn = { ...victim, inheritedBy: instanceId('i-0first') };

  it.each<[string, BehaviourProfile | undefined, BehaviourProfile | undefined, Partial<InheritInput>, RegExp]>([
    ['inheriting twice (a redelivered plan)', victim, once, {}, /already inherited from i-0victim/],
    ['a replacement that already carries another lineage', victim, otherLineage, {}, /already carries the lineage of i-0other/],
    [
      'a victim whose lineage went to another replacement (it held two reservations)',
      passedOn,
      undefined,
      {},
      /the lineage of i-0victim already went to i-0first/,
    ],
    ['a replacement with a restart cycle of its own', victim, ownCycle, {}, /1 restart cycle\(s\) of its own/],
    ['a replacement observed past its own post-restart window', victim, longServing, {}, /observed past its post-restart window/],
    ['a victim without a profile', undefined, undefined, {}, /has no profile: nothing to inherit/],
    ['a victim with nothing learned', blank(VICTIM, T0, T0), undefined, {}, /neither steady state nor restart history/],
    ['a restart under the same id', victim, undefined, { heirId: VICTIM }, /restarted under its own id/],
  ])('keeps: %s', (_name, v, h, over, reason) => {
    const out = inheritProfile(v, h, input(over));
    expect(out.kind).toBe('kept');
    expect(out.kind === 'kept' && out.reason).toMatch(reason);
  });

  it.each<[string, Partial<InheritInput>, string]>([
    ['a window of 0 minutes', { windowMinutes: 0 }, 'windowMinutes'],
    ['a window beyond the longest curve', { windowMinutes: 241 }, 'windowMinutes'],
    ['a restart time that is not a number', { restartedAt: Number.NaN }, 'restartedAt'],
    ['a forecast with a NaN', { forecastBefore: { vcpu: Number.NaN, memoryGiB: 1, networkMbps: 1, diskIops: 1 } }, 'forecastBefore.vcpu'],
  ])('rejects %s, naming the field', (_name, over, field) => {
    expect(() => inheritProfile(victim, undefined, input(over))).toThrow(InvalidProfileError);
    expect(() => inheritProfile(victim, undefined, input(over))).toThrow(`behaviour profile: ${field}`);
  });

  it('rejects a stored profile of another instance given as the replacement', () => {
    expect(() => inheritProfile(victim, { ...once, instanceId: instanceId('i-0else') }, input())).toThrow('behaviour profile: heir.instanceId');
  });
});

describe("a Spot replacement's restart is learned", () => {
  it("closing the inherited window records one more cycle whose steady before is the victim's, and the job-type factors form", () => {
    const heirs = [1, 2, 3].map((k) => {
      const victim = { ...victimProfile(), instanceId: instanceId(`i-0v${k}`) };
      let p = inherited(victim, undefined, { heirId: instanceId(`i-0h${k}`) });
      p = updateProfile(p, minutes(RESTARTED, WINDOW + 5, 50, 9), RESTARTED + (WINDOW + 5) * MIN);
      p = closeRestartWindow(p, RESTARTED + (WINDOW + 5) * MIN, WINDOW);
      expect(p.openRestart).toBeUndefined();
      expect(p.restarts).toHaveLength(1);
      const cycle = p.restarts[0] as RestartCycle;
      expect(cycle.steadyBefore).toEqual(toResources(steadyQuantile(victim, 0.9)));
      expect(cycle.interruptedAt).toBe(victim.lastSampleAt);
      expect(cycle.restartedAt).toBe(RESTARTED);
      expect(cycle.peakAfter.vcpu).toBe(2);
      for (const d of DIMENSIONS) expect(cycleObserved(cycle, d)).toBe(true);
      return p;
    });
    expect(MIN_JOB_TYPE_CYCLES).toBeLessThanOrEqual(3);
    const factors = learnJobTypeFactors(heirs, WINDOW).get('queue');
    expect(factors?.vcpu).toBeGreaterThan(1.5);
  });

  it("a replacement the victim's load never reached (another instance took it) records no evidence and keeps its own steady state", () => {
    const victim = victimProfile();
    // The victim's p90 from before it went, as the executor passes it on: the recalibration's divisor.
    const forecastBefore = { vcpu: 3, memoryGiB: 8, networkMbps: 60, diskIops: 300 };
    let p = inherited(victim, undefined, { forecastBefore });
    // 5 % of 4 vCPUs (0.2 vCPU), 0.5 GiB, 1 Mbps, 3 IOPS: an idle instance, far under half the victim's steady state.
    const idle = minutes(RESTARTED, WINDOW + 5, 5, 0.5).map((m) => ({ ...m, networkMbps: 1, diskIops: 3 }));
    p = updateProfile(p, idle, RESTARTED + (WINDOW + 5) * MIN);
    p = closeRestartWindow(p, RESTARTED + (WINDOW + 5) * MIN, WINDOW);
    const cycle = p.restarts.at(-1) as RestartCycle;
    expect(cycle.steadyBefore).toEqual(toResources({}));
    for (const d of DIMENSIONS) expect(cycleObserved(cycle, d)).toBe(false);
    expect(steadyQuantile(p, 0.9).vcpu).toBeLessThan(0.25);
    expect(p.steady).not.toBe(victim.steady);
    // Nor is it a recalibration case: an idle window's peak ÷ the victim's p90 would read as a restart far smaller
    // than forecast (in the simulator such scores of 0.02 pulled the fleet's conformal quantile down).
    expect(calibrationCases(p)).toEqual([]);
    // At half the steady state or more on one dimension, the load is taken to have arrived.
    let q = inherited(victim, undefined, { forecastBefore });
    q = updateProfile(
      q,
      idle.map((m) => ({ ...m, memoryGiB: 4 })),
      RESTARTED + (WINDOW + 5) * MIN,
    );
    q = closeRestartWindow(q, RESTARTED + (WINDOW + 5) * MIN, WINDOW);
    expect(q.restarts.at(-1)?.steadyBefore).toEqual(toResources(steadyQuantile(victim, 0.9)));
    expect(calibrationCases(q).map((c) => c.score)).toEqual([{ vcpu: 0.2 / 3, memoryGiB: 4 / 8 }]);
  });

  it('without lineage the same restart is no evidence (the replacement has no steady state before)', () => {
    let p = updateProfile(heirWithOwnWindow(), minutes(RESTARTED, WINDOW + 5, 50, 9), RESTARTED + (WINDOW + 5) * MIN);
    p = closeRestartWindow(p, RESTARTED + (WINDOW + 5) * MIN, WINDOW);
    for (const d of DIMENSIONS) expect(cycleObserved(p.restarts[0] as RestartCycle, d)).toBe(false);
  });

  it("a cycle is counted once by the job-type factors even when the victim's profile is listed beside its heir", () => {
    const victim = victimProfile([pastCycle(1), pastCycle(2), pastCycle(3)]);
    const heir = inherited(victim, undefined);
    expect(learnJobTypeFactors([victim, heir], WINDOW)).toEqual(learnJobTypeFactors([heir], WINDOW));
    expect(learnJobTypeFactors([victim, heir], WINDOW).get('queue')).toEqual(learnJobTypeFactors([victim], WINDOW).get('queue'));
  });

  it('the state change seen after the lineage keeps the lineage window (the same start)', () => {
    const p = inherited(victimProfile(), undefined);
    const forecastBefore = { vcpu: 2, memoryGiB: 8, networkMbps: 60, diskIops: 300 };
    const seen = openRestartWindow(p, { interruptedAt: RESTARTED + 20_000, restartedAt: RESTARTED + 20_000, windowMinutes: WINDOW, forecastBefore });
    expect(seen.openRestart).toEqual({ ...p.openRestart, forecastBefore });
    // A restart after the lineage window is a new one, and replaces it as before.
    const later = openRestartWindow(p, { interruptedAt: RESTARTED + 60 * MIN, restartedAt: RESTARTED + 62 * MIN, windowMinutes: WINDOW });
    expect(later.openRestart?.from).toBeUndefined();
    expect(later.openRestart?.restartedAt).toBe(RESTARTED + 62 * MIN);
  });
});

describe('lineage properties', () => {
  type Step = 'inherit' | 'state-change' | 'samples';
  const stepArb = fc.array(fc.constantFrom<Step>('inherit', 'state-change', 'samples'), { minLength: 1, maxLength: 8 });

  it("never loses or duplicates a restart cycle, and the inherited steady state is the victim's, in any delivery order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: RESTART_HISTORY_LIMIT + 5 }), stepArb, fc.integer({ min: 10, max: 95 }), (n, steps, cpu) => {
        const victim = victimProfile(Array.from({ length: n }, (_, k) => pastCycle(k)));
        let heir: BehaviourProfile | undefined;
        let at = RESTARTED;
        let inheritedOnce = false;
        for (const step of [...steps, 'inherit' as const]) {
          if (step === 'inherit') {
            const out = inheritProfile(victim, heir, input({ now: at }));
            if (out.kind === 'inherited') {
              expect(inheritedOnce).toBe(false); // a second delivery never inherits again
              inheritedOnce = true;
              heir = out.profile;
              expect(heir.steady).toBe(victim.steady);
            }
          } else if (step === 'state-change') {
            const base = heir ?? blank(HEIR, RESTARTED, at);
            heir = openRestartWindow(base, {
              interruptedAt: Math.min(base.lastSampleAt ?? base.updatedAt, RESTARTED),
              restartedAt: RESTARTED,
              windowMinutes: WINDOW,
            });
          } else {
            const base = heir ?? blank(HEIR, RESTARTED, at);
            heir = updateProfile(base, minutes(at, 3, cpu), at + 3 * MIN);
            at += 3 * MIN;
          }
        }
        // Every step stays inside the window (≤ 8 steps × 3 min < 30 min), so the lineage always takes.
        expect(inheritedOnce).toBe(true);
        const end = RESTARTED + (WINDOW + 1) * MIN;
        const closed = closeRestartWindow(
          updateProfile(heir as BehaviourProfile, minutes(at, 2, cpu), Math.max(at + 2 * MIN, end)),
          Math.max(at + 2 * MIN, end),
          WINDOW,
        );
        const ids = (cs: readonly RestartCycle[]): string[] => cs.map((c) => `${c.interruptedAt}/${c.restartedAt}`);
        const expected = [...ids(victim.restarts), `${victim.lastSampleAt}/${RESTARTED}`].slice(-RESTART_HISTORY_LIMIT);
        expect(ids(closed.restarts)).toEqual(expected);
        expect(new Set(ids(closed.restarts)).size).toBe(closed.restarts.length);
        expect(closed.restarts.at(-1)?.steadyBefore).toEqual(toResources(steadyQuantile(victim, 0.9)));
        // And inheriting again afterwards changes nothing.
        expect(inheritProfile(victim, closed, input({ now: end })).kind).toBe('kept');
      }),
    );
  });
});
