import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambda/contracts/validation';
import { DIMENSIONS, groupId, instanceId, type BehaviourProfile, type MetricSample } from '../../../lambda/core/domain';
import { closeRestartWindow, newProfile, openRestartWindow, steadyQuantile, updateProfile } from '../../../lambda/core/profile/behaviour-profile';
import { emptyHistogram, histogramQuantile, observe } from '../../../lambda/core/profile/decaying-histogram';
import { decodeProfile, encodeProfile } from '../../../lambda/core/profile/profile-codec';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1);

const blank = (): BehaviourProfile =>
  newProfile({
    instanceId: instanceId('i-0123456789abcdef0'),
    groupId: groupId('web-asg'),
    instanceType: 'm5.xlarge',
    vcpus: 4,
    jobType: 'web',
    launchedAt: T0,
    now: T0,
  });

/** A deterministic but irregular load (17-digit floats, like real percent × vCPU products). */
const load = (start: number, n: number, phase = 0): MetricSample[] =>
  Array.from({ length: n }, (_, i) => ({
    at: start + i * MIN,
    cpuPercent: 30 + 20 * Math.sin((i + phase) / 7),
    cpuMaxPercent: 60 + 30 * Math.sin((i + phase) / 5),
    memoryGiB: 6 + Math.cos(i / 11),
    networkMbps: 80 + 40 * Math.sin(i / 3),
    diskIops: i % 13 === 0 ? Number.NaN : 300 + 100 * Math.cos(i / 4),
    connections: 40 + (i % 9),
  }));

const busyProfile = (restarts: number): BehaviourProfile => {
  let p = updateProfile(blank(), load(T0, 240), T0 + 240 * MIN);
  let t = T0 + 240 * MIN;
  for (let k = 0; k < restarts; k++) {
    p = openRestartWindow(p, { interruptedAt: t + MIN, restartedAt: t + 3 * MIN });
    p = updateProfile(p, load(t + 3 * MIN, 60, k), t + 63 * MIN);
    p = closeRestartWindow(p, t + 63 * MIN, 30);
    t += 63 * MIN;
  }
  return p;
};

const expectEquivalent = (a: BehaviourProfile, b: BehaviourProfile): void => {
  for (const q of [0, 0.5, 0.9, 0.99, 1]) expect(steadyQuantile(b, q)).toEqual(steadyQuantile(a, q));
  expect(histogramQuantile(b.cpuPerCore, 0.9)).toBe(histogramQuantile(a.cpuPerCore, 0.9));
  expect(histogramQuantile(b.connections, 0.5)).toBe(histogramQuantile(a.connections, 0.5));
  for (const d of DIMENSIONS) expect(b.steady[d].weights).toEqual(a.steady[d].weights);
  expect(b.gaps).toEqual(a.gaps);
  expect(b.samplesSeen).toBe(a.samplesSeen);
  expect(b.lastSampleAt).toBe(a.lastSampleAt);
  expect(b.restarts.length).toBe(a.restarts.length);
  b.recent.forEach((r, i) => {
    const orig = a.recent[i];
    expect(r.at).toBe(orig?.at);
    for (const d of DIMENSIONS) {
      if (orig?.demand[d] === undefined) expect(r.demand[d]).toBeUndefined();
      else expect(r.demand[d]).toBeCloseTo(orig.demand[d] as number, 3);
    }
  });
};

describe('encodeProfile / decodeProfile', () => {
  it('round-trips a profile with restarts and an open window', () => {
    const p = busyProfile(3);
    const open = updateProfile(
      openRestartWindow(p, { interruptedAt: p.updatedAt + MIN, restartedAt: p.updatedAt + 2 * MIN }),
      load(p.updatedAt + 2 * MIN, 5),
      p.updatedAt + 10 * MIN,
    );
    const back = decodeProfile(JSON.parse(JSON.stringify(encodeProfile(open))));
    expectEquivalent(open, back);
    expect(back.openRestart?.curve.length).toBe(open.openRestart?.curve.length);
    expect(back.restarts[0]?.peakAfter.vcpu).toBeCloseTo(open.restarts[0]?.peakAfter.vcpu as number, 4);
    // Decoded histograms share the preset bounds again (no per-profile copies in memory).
    expect(back.steady.vcpu.bounds).toBe(open.steady.vcpu.bounds);
    // Decoding and encoding again is stable.
    expect(encodeProfile(back)).toEqual(encodeProfile(decodeProfile(encodeProfile(back))));
  });

  it('round-trips the forecast held before the interruption with the open window', () => {
    const p = busyProfile(3);
    const forecastBefore = { vcpu: 2.5, memoryGiB: 7.25, networkMbps: 120, diskIops: 900 };
    const open = openRestartWindow(p, { interruptedAt: p.updatedAt + MIN, restartedAt: p.updatedAt + 2 * MIN, forecastBefore });
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(open)))).openRestart?.forecastBefore).toEqual(forecastBefore);
    const without = openRestartWindow(p, { interruptedAt: p.updatedAt + MIN, restartedAt: p.updatedAt + 2 * MIN });
    expect(decodeProfile(encodeProfile(without)).openRestart).not.toHaveProperty('forecastBefore');
  });

  it("round-trips what a closed cycle keeps of the forecasts before it (used and, when recalibrated, the model's own)", () => {
    const p = busyProfile(1);
    const forecastBefore = { vcpu: 3, memoryGiB: 9, networkMbps: 120, diskIops: 900 };
    const modelBefore = { vcpu: 1.5, memoryGiB: 9, networkMbps: 120, diskIops: 900 };
    const open = openRestartWindow(p, { interruptedAt: p.updatedAt + MIN, restartedAt: p.updatedAt + 2 * MIN, forecastBefore, modelBefore });
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(open)))).openRestart).toMatchObject({ forecastBefore, modelBefore });
    const closed = closeRestartWindow(updateProfile(open, load(p.updatedAt + 2 * MIN, 40), p.updatedAt + 42 * MIN), p.updatedAt + 42 * MIN, 30);
    const cycle = decodeProfile(JSON.parse(JSON.stringify(encodeProfile(closed)))).restarts.at(-1);
    expect(cycle).toMatchObject({ forecastBefore, modelBefore });
    // An uncalibrated forecast records no model copy.
    const plain = openRestartWindow(p, { interruptedAt: p.updatedAt + MIN, restartedAt: p.updatedAt + 2 * MIN, forecastBefore });
    expect(decodeProfile(encodeProfile(plain)).openRestart).not.toHaveProperty('modelBefore');
  });

  it('round-trips a fresh profile and keeps missing dimensions missing', () => {
    const back = decodeProfile(encodeProfile(blank()));
    expect(back).toEqual(blank());
  });

  it('keeps unobserved dimensions of a cycle', () => {
    let p = updateProfile(blank(), load(T0, 60), T0 + 60 * MIN);
    p = openRestartWindow(p, { interruptedAt: T0 + 61 * MIN, restartedAt: T0 + 62 * MIN });
    p = updateProfile(p, [{ at: T0 + 63 * MIN, cpuPercent: 90 }], T0 + 64 * MIN);
    p = closeRestartWindow(p, T0 + 100 * MIN, 30);
    expect(decodeProfile(encodeProfile(p)).restarts[0]?.unobserved).toEqual(['memoryGiB', 'networkMbps', 'diskIops']);
  });

  it("keeps a cycle's saturated dimensions (its peak a lower bound), and stores none when there were none", () => {
    let p = updateProfile(blank(), load(T0, 60), T0 + 60 * MIN);
    p = openRestartWindow(p, { interruptedAt: T0 + 61 * MIN, restartedAt: T0 + 62 * MIN });
    p = updateProfile(p, [{ at: T0 + 63 * MIN, cpuPercent: 100 }], T0 + 64 * MIN);
    const capped = closeRestartWindow(p, T0 + 100 * MIN, 30, { vcpu: p.vcpus });
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(capped)))).restarts[0]?.saturated).toEqual(['vcpu']);
    const roomy = closeRestartWindow(p, T0 + 100 * MIN, 30, { vcpu: 2 * p.vcpus });
    expect(encodeProfile(roomy).restarts[0]).not.toHaveProperty('s');
  });

  it("keeps the capacity a cycle's window ran on, and stores none when it was not known", () => {
    let p = updateProfile(blank(), load(T0, 60), T0 + 60 * MIN);
    p = openRestartWindow(p, { interruptedAt: T0 + 61 * MIN, restartedAt: T0 + 62 * MIN });
    p = updateProfile(p, [{ at: T0 + 63 * MIN, cpuPercent: 50, memoryGiB: 3 }], T0 + 64 * MIN);
    const known = closeRestartWindow(p, T0 + 100 * MIN, 30, { vcpu: 4, memoryGiB: 16 });
    expect(decodeProfile(JSON.parse(JSON.stringify(encodeProfile(known)))).restarts[0]?.hostCapacity).toEqual({ vcpu: 4, memoryGiB: 16 });
    expect(encodeProfile(closeRestartWindow(p, T0 + 100 * MIN, 30)).restarts[0]).not.toHaveProperty('hc');
  });

  it('keeps custom bounds that match no preset', () => {
    const custom = { ...blank(), connections: observe(emptyHistogram(1000, [0, 1, 5, 10]), 3, T0) };
    const back = decodeProfile(encodeProfile(custom));
    expect(back.connections.bounds).toEqual([0, 1, 5, 10]);
    expect(histogramQuantile(back.connections, 0.5)).toBe(5);
  });

  it('is several times smaller than plain JSON', () => {
    const plain = JSON.stringify(busyProfile(0)).length;
    const compact = JSON.stringify(encodeProfile(busyProfile(0))).length;
    expect(compact).toBeLessThan(7_000);
    expect(compact * 3).toBeLessThan(plain);
    expect(JSON.stringify(encodeProfile(busyProfile(25))).length).toBeLessThan(40_000);
  });

  it('property: quantiles survive the round trip exactly', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 5000 }),
            cpu: fc.double({ min: 0, max: 100, noNaN: true }),
            mem: fc.option(fc.double({ min: 0, max: 64, noNaN: true })),
          }),
          { maxLength: 40 },
        ),
        (points) => {
          const samples = points.map((x) => ({ at: T0 + x.minute * MIN, cpuPercent: x.cpu, ...(x.mem === null ? {} : { memoryGiB: x.mem }) }));
          const p = updateProfile(blank(), samples, T0 + 6000 * MIN);
          expectEquivalent(p, decodeProfile(JSON.parse(JSON.stringify(encodeProfile(p)))));
        },
      ),
      { numRuns: 50 },
    );
  });

  it.each([
    ['not an object', 42, '(root)'],
    ['wrong version', { ...encodeProfile(blank()), v: 2 }, 'v:'],
    [
      'unknown preset',
      (() => {
        const e = encodeProfile(blank());
        return { ...e, perCore: { ...e.perCore, b: 'nope' } };
      })(),
      'perCore.b',
    ],
    [
      'bucket index out of range',
      (() => {
        const e = encodeProfile(blank());
        return { ...e, conn: { ...e.conn, w: [[100000, 1]] } };
      })(),
      'conn.w.0.0',
    ],
    [
      'negative weight',
      (() => {
        const e = encodeProfile(blank());
        return { ...e, conn: { ...e.conn, w: [[1, -1]] } };
      })(),
      'conn.w.0.1',
    ],
    [
      'descending custom bounds',
      (() => {
        const e = encodeProfile(blank());
        return { ...e, conn: { ...e.conn, b: [0, 5, 2] } };
      })(),
      'conn.b.2',
    ],
    ['vcpus zero', { ...encodeProfile(blank()), vcpus: 0 }, 'vcpus'],
    ['short gaps', { ...encodeProfile(blank()), gaps: [0, 0] }, 'gaps'],
  ])('rejects a corrupt item (%s) naming the field', (_name, raw, field) => {
    expect(() => decodeProfile(raw, 'profile of i-1')).toThrow(ValidationError);
    expect(() => decodeProfile(raw, 'profile of i-1')).toThrow(field);
  });
});
