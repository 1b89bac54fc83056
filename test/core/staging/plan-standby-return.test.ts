import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BehaviourProfile, InstanceId } from '../../../lambda/core/domain';
import { newProfile } from '../../../lambda/core/profile/behaviour-profile';
import { IDLE_MEMORY_GIB, IDLE_MINUTES_TO_RETURN, MAX_DATA_AGE_MS, planStandbyReturn } from '../../../lambda/core/staging/plan-standby-return';
import { fleet, forecast, group, iid, instance, MINUTE, policy, pool, reservation, roomyPool, T0 } from '../fixtures/fleet-builders';

/** A profile whose recent points are `cpu` vCPU per minute (in order, the last at `newestAt`). */
const profileWith = (id: string, cpu: readonly number[], newestAt = T0 - 3 * MINUTE, vcpus = 2): BehaviourProfile => {
  const p = newProfile({
    instanceId: iid(id),
    groupId: 'standby' as never,
    instanceType: 'm5.large',
    vcpus,
    jobType: 'standby',
    launchedAt: T0 - 120 * MINUTE,
    now: T0,
  });
  return { ...p, recent: cpu.map((v, k) => ({ at: newestAt - (cpu.length - 1 - k) * MINUTE, demand: { vcpu: v } })) };
};

const standbyGroup = (members: readonly string[], overrides: { desiredCapacity?: number; minSize?: number } = {}) =>
  group('standby', {
    role: 'standby',
    instances: members.map((id) => instance(id, { groupId: 'standby', lifecycle: 'on-demand' })),
    desiredCapacity: overrides.desiredCapacity ?? members.length,
    minSize: overrides.minSize ?? 0,
  });

const idle = (n = IDLE_MINUTES_TO_RETURN): number[] => Array.from({ length: n }, () => 0.04);

describe('planStandbyReturn', () => {
  it.each([
    ['idle long enough', [...[1.5, 1.2], ...idle()], undefined, ['i-s1']],
    ['idle one minute short', idle(IDLE_MINUTES_TO_RETURN - 1), undefined, []],
    ['busy now', [...idle(), 1.0], undefined, []],
    ['data too old', idle(), T0 - MAX_DATA_AGE_MS - MINUTE, []],
    ['a NaN datapoint ends the idle stretch', [...idle(), Number.NaN], undefined, []],
  ])('%s', (_name, cpu, newestAt, expected) => {
    const standby = standbyGroup(['i-s1']);
    const plan = planStandbyReturn({ standby, fleet: fleet([standby]), profiles: new Map([[iid('i-s1'), profileWith('i-s1', cpu, newestAt)]]), now: T0 });
    expect(plan.actions.map((a) => (a.kind === 'return-standby-instance' ? a.instanceId : a.kind))).toEqual(expected);
    if (expected.length === 0) expect(plan.kept.map((k) => k.instanceId)).toEqual(['i-s1']);
  });

  it('keeps a member with no data (fail closed) and one a reservation names', () => {
    const standby = standbyGroup(['i-s1', 'i-s2']);
    // Backed by the standby group (30-minute window): a reservation made 20 minutes ago still names i-s2.
    const web = group('web', {
      standbyGroupId: standby.id,
      pool: roomyPool('web', { reservations: [reservation('r1', { instanceId: 'i-s2', createdAt: T0 - 20 * MINUTE, expiresAt: T0 + 30 * MINUTE })] }),
    });
    const plan = planStandbyReturn({ standby, fleet: fleet([web, standby]), profiles: new Map([[iid('i-s2'), profileWith('i-s2', idle())]]), now: T0 });
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toEqual([
      { instanceId: 'i-s1', reason: 'no utilisation data yet' },
      { instanceId: 'i-s2', reason: 'a reservation holds capacity on it' },
    ]);
  });

  it.each([
    [
      'a reservation made 5 minutes ago',
      { reservations: [reservation('r1', { instanceId: 'i-gone', createdAt: T0 - 5 * MINUTE, expiresAt: T0 + 30 * MINUTE })] },
      {},
      /a reservation was made 5 min ago/,
    ],
    ['a backed member still pending', {}, { state: 'pending' as const }, /an instance is starting, stopping or terminating/],
  ])('keeps every member while an interruption is being absorbed: %s', (_name, poolOpts, memberOver, reason) => {
    const standby = standbyGroup(['i-s1']);
    const web = group('web', { standbyGroupId: standby.id, instances: [instance('i-w1', memberOver)], pool: roomyPool('web', poolOpts) });
    const plan = planStandbyReturn({ standby, fleet: fleet([web, standby]), profiles: new Map([[iid('i-s1'), profileWith('i-s1', idle())]]), now: T0 });
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toEqual([{ instanceId: 'i-s1', reason: expect.stringMatching(reason) }]);
    // The same fleet at rest returns it.
    const rest = group('web', { standbyGroupId: standby.id, instances: [instance('i-w1')] });
    expect(
      planStandbyReturn({ standby, fleet: fleet([rest, standby]), profiles: new Map([[iid('i-s1'), profileWith('i-s1', idle())]]), now: T0 }).actions,
    ).toHaveLength(1);
  });

  it('never takes the group below its minimum size, and acts only on standby groups', () => {
    const standby = standbyGroup(['i-s1', 'i-s2', 'i-s3'], { minSize: 2 });
    const profiles = new Map(['i-s1', 'i-s2', 'i-s3'].map((id) => [iid(id), profileWith(id, idle())] as const));
    const plan = planStandbyReturn({ standby, fleet: fleet([standby]), profiles, now: T0 });
    expect(plan.actions).toHaveLength(1);
    const primary = { ...standby, role: 'primary' as const };
    expect(planStandbyReturn({ standby: primary, fleet: fleet([primary]), profiles, now: T0 }).actions).toEqual([]);
  });

  it("an application holding memory is not idle, however little CPU it uses (with the agent's memory metric)", () => {
    const standby = standbyGroup(['i-s1']);
    const busyMemory = {
      ...profileWith('i-s1', idle()),
      recent: profileWith('i-s1', idle()).recent.map((r) => ({ ...r, demand: { ...r.demand, memoryGiB: 3.2 } })),
    };
    expect(planStandbyReturn({ standby, fleet: fleet([standby]), profiles: new Map([[iid('i-s1'), busyMemory]]), now: T0 }).kept).toEqual([
      { instanceId: 'i-s1', reason: 'in use' },
    ]);
    const osOnly = { ...busyMemory, recent: busyMemory.recent.map((r) => ({ ...r, demand: { ...r.demand, memoryGiB: IDLE_MEMORY_GIB } })) };
    expect(planStandbyReturn({ standby, fleet: fleet([standby]), profiles: new Map([[iid('i-s1'), osOnly]]), now: T0 }).actions).toHaveLength(1);
  });

  describe('the post-restart window rule: a member that took an interrupted load is returned, busy or not, once its window is over', () => {
    /** A busy member whose newest start was `startedAgo` minutes ago (window closed unless `open`). */
    const served = (startedAgo: number, open = false): BehaviourProfile => {
      const p = profileWith('i-s1', [1.5, 1.4, 1.6]);
      const restartedAt = T0 - startedAgo * MINUTE;
      const cycle = {
        interruptedAt: restartedAt - MINUTE,
        restartedAt,
        downtimeSeconds: 60,
        steadyBefore: { vcpu: 1, memoryGiB: 4, networkMbps: 0, diskIops: 0 },
        peakAfter: { vcpu: 1.8, memoryGiB: 5, networkMbps: 0, diskIops: 0 },
        curve: [],
      };
      return open
        ? { ...p, openRestart: { interruptedAt: cycle.interruptedAt, restartedAt, steadyBefore: cycle.steadyBefore, curve: [] } }
        : { ...p, restarts: [cycle] };
    };
    const backedFleet = (
      webOver: Parameters<typeof group>[1] = {},
      standbyOver: Parameters<typeof group>[1] = {},
      forecasts = [forecast('i-s1', { vcpu: 1.6, memoryGiB: 5 })],
    ) => {
      const standby = { ...standbyGroup(['i-s1']), ...standbyOver };
      const web = group('web', {
        standbyGroupId: standby.id,
        instances: [instance('i-w1'), instance('i-w2')],
        desiredCapacity: 2,
        pool: roomyPool('web'),
        ...webOver,
      });
      return { standby, f: fleet([web, standby], forecasts) };
    };
    const WINDOW = 30;
    const returned = (plan: ReturnType<typeof planStandbyReturn>) => plan.actions.map((a) => (a.kind === 'return-standby-instance' ? a.instanceId : a.kind));

    /** A standby group of three members backing groups built by backedGroup (4 members each, a roomy pool, a budget). */
    const burst = () => {
      const members = ['i-s1', 'i-s2', 'i-s3'];
      const standby = standbyGroup(members);
      const backedGroup = (id: string, maxUnavailable: number, reservations: readonly ReturnType<typeof reservation>[] = []) =>
        group(id, {
          standbyGroupId: standby.id,
          instances: [1, 2, 3, 4].map((k) => instance(`i-${id}${k}`, { groupId: id })),
          desiredCapacity: 4,
          pool: roomyPool(id, { reservations }),
          policy: policy({ disruptionBudget: { maxUnavailable } }),
        });
      return { members, standby, backedGroup };
    };

    it.each([
      ['window over, primary back at desired', WINDOW + 1, false, {}, ['reserve', 'i-s1']],
      ['window not over yet', WINDOW - 1, false, {}, []],
      // The profiler closes a window once its minutes have come from CloudWatch; the return waits on its length only.
      ['window over, still open in its profile', WINDOW + 1, true, {}, ['reserve', 'i-s1']],
      ['window not over, open in its profile', WINDOW - 1, true, {}, []],
      ['primary short of desired (its replacement is not in service)', WINDOW + 1, false, { desiredCapacity: 3 }, []],
    ] as const)('%s', (_name, startedAgo, open, webOver, expected) => {
      const { standby, f } = backedFleet(webOver);
      const plan = planStandbyReturn({ standby, fleet: f, profiles: new Map([[iid('i-s1'), served(startedAgo, open)]]), now: T0 });
      expect(returned(plan)).toEqual(expected);
      if (expected.length > 0) {
        expect(plan.actions[1]).toMatchObject({ reason: expect.stringContaining('past the 30-minute post-restart window') });
        // The load's restart on the home group is reserved first (a voluntary disruption like any other).
        expect(plan.actions[0]).toMatchObject({
          kind: 'reserve',
          reservation: { id: `return:standby@${T0}:i-s1`, groupId: 'web', instanceId: 'i-s1', amount: { vcpu: 1.6, memoryGiB: 5 } },
        });
      }
    });

    it.each([
      ['no forecast for its load', {}, {}, [], /cannot go home \(fail closed\): web: no stored forecast/],
      ['the home pool is full', { pool: pool('web', { vcpu: 1, memoryGiB: 2 }) }, {}, undefined, /cannot go home \(fail closed\): web: short/],
      [
        // The load is the home group's: its restart there counts against the home group's budget.
        "the home group's disruption budget allows none",
        { policy: policy({ disruptionBudget: { maxUnavailable: 0 } }) },
        {},
        undefined,
        /its window is over but its load cannot go home \(fail closed\): web: group web: .*allows no disruption/,
      ],
    ] as const)('fails closed when %s: kept, with the reason', (_name, webOver, standbyOver, forecasts, reason) => {
      const { standby, f } = backedFleet(webOver, standbyOver, forecasts === undefined ? undefined : [...forecasts]);
      const plan = planStandbyReturn({ standby, fleet: f, profiles: new Map([[iid('i-s1'), served(WINDOW + 1)]]), now: T0 });
      expect(plan.actions).toEqual([]);
      expect(plan.kept).toEqual([{ instanceId: 'i-s1', reason: expect.stringMatching(reason) }]);
    });

    it("with no forecast for its load, the reservation holds the member's own observed peak over the window (all four dimensions)", () => {
      const { standby, f } = backedFleet({}, {}, []);
      const points = [
        { vcpu: 1.2, memoryGiB: 4, networkMbps: 30, diskIops: 100 },
        { vcpu: 1.9, memoryGiB: 3.5, networkMbps: 80, diskIops: 60 },
        { vcpu: 1.4, memoryGiB: 4.5, networkMbps: 20, diskIops: 90 },
      ];
      // A point older than the window does not count.
      const early = { at: T0 - 3 * MINUTE - (WINDOW + 1) * MINUTE, demand: { vcpu: 9, memoryGiB: 9, networkMbps: 900, diskIops: 900 } };
      const p = served(WINDOW + 1);
      const withPeak = { ...p, recent: [early, ...points.map((demand, k) => ({ at: T0 - 3 * MINUTE - (points.length - 1 - k) * MINUTE, demand }))] };
      const plan = planStandbyReturn({ standby, fleet: f, profiles: new Map([[iid('i-s1'), withPeak]]), now: T0 });
      expect(returned(plan)).toEqual(['reserve', 'i-s1']);
      expect(plan.actions[0]).toMatchObject({
        kind: 'reserve',
        reservation: { groupId: 'web', amount: { vcpu: 1.9, memoryGiB: 4.5, networkMbps: 80, diskIops: 100 } },
      });
      // Without a memory figure (no agent) there is no peak of all four: kept, fail closed.
      const cpuOnly = { ...p, recent: points.map((d, k) => ({ at: T0 - 3 * MINUTE - (points.length - 1 - k) * MINUTE, demand: { vcpu: d.vcpu } })) };
      expect(planStandbyReturn({ standby, fleet: f, profiles: new Map([[iid('i-s1'), cpuOnly]]), now: T0 }).kept).toEqual([
        { instanceId: 'i-s1', reason: expect.stringMatching(/fail closed\): web: no stored forecast for i-s1, and no observed peak of all four dimensions/) },
      ]);
    });

    it.each([
      // Idle is not empty: an idle replica is still a replica, so its return spends budget like a busy one's.
      ['its newest minutes idle: the budget decides (none left)', [1.5, 1.4, 0.04, 0.04], 0, []],
      ['its newest minute busy: the budget decides (none left)', [0.04, 0.04, 1.5], 0, []],
      ['its newest minutes idle, with room for one', [1.5, 1.4, 0.04, 0.04], 1, ['reserve', 'i-s1']],
    ] as const)('past its window, %s', (_name, cpu, maxUnavailable, expected) => {
      const { standby, f } = backedFleet({ policy: policy({ disruptionBudget: { maxUnavailable } }) });
      const profile = { ...served(WINDOW + 1), recent: profileWith('i-s1', cpu).recent };
      const plan = planStandbyReturn({ standby, fleet: f, profiles: new Map([[iid('i-s1'), profile]]), now: T0 });
      expect(returned(plan)).toEqual(expected);
      if (expected.length > 0) expect(plan.actions[1]).toMatchObject({ reason: expect.stringContaining('its load goes home as it drains') });
      else expect(plan.kept).toEqual([{ instanceId: 'i-s1', reason: expect.stringMatching(/allows no disruption/) }]);
    });

    it("a burst's members go home together within the home group's budget; the standby group's own budget does not hold them", () => {
      const members = ['i-s1', 'i-s2', 'i-s3'];
      const standby = { ...standbyGroup(members), policy: policy({ disruptionBudget: { maxUnavailable: 0 } }) };
      const web = group('web', {
        standbyGroupId: standby.id,
        instances: ['i-w1', 'i-w2', 'i-w3', 'i-w4'].map((id) => instance(id)),
        desiredCapacity: 4,
        pool: roomyPool('web'),
        policy: policy({ disruptionBudget: { maxUnavailable: 2 } }),
      });
      const f = fleet(
        [web, standby],
        members.map((id) => forecast(id, { vcpu: 1, memoryGiB: 2 })),
      );
      const profiles = new Map(members.map((id) => [iid(id), { ...served(WINDOW + 1), instanceId: iid(id) }] as const));
      const plan = planStandbyReturn({ standby, fleet: f, profiles, now: T0 });
      expect(returned(plan)).toEqual(['reserve', 'i-s1', 'reserve', 'i-s2']);
      expect(plan.kept).toEqual([{ instanceId: 'i-s3', reason: expect.stringMatching(/cannot go home \(fail closed\): web: group web: .*2 allowed/) }]);
    });

    it("a known home's exhausted budget is not worked around through another backed group's; an unknown home needs room in every backed group's", () => {
      const { members, standby, backedGroup } = burst();
      // Reservations older than the window name i-s1 and i-s2 as web's loads; i-s3's home is unknown.
      const old = (id: string, instanceId: string) => reservation(id, { instanceId, createdAt: T0 - (WINDOW + 20) * MINUTE, expiresAt: T0 + 5 * MINUTE });
      const profiles = new Map(members.map((id) => [iid(id), { ...served(WINDOW + 30), instanceId: iid(id) }] as const));
      const plan = planStandbyReturn({
        standby,
        fleet: fleet(
          [backedGroup('web', 1, [old('r1', 'i-s1'), old('r2', 'i-s2')]), backedGroup('batch', 4), standby],
          members.map((id) => forecast(id, { vcpu: 1, memoryGiB: 2 })),
        ),
        profiles,
        now: T0,
      });
      expect(returned(plan)).toEqual(['reserve', 'i-s1']);
      expect(plan.actions[0]).toMatchObject({ reservation: { groupId: 'web' } });
      expect(plan.kept.map((k) => [k.instanceId, k.reason.match(/\(fail closed\): (\w+): /)?.[1]])).toEqual([
        ['i-s2', 'web'],
        ['i-s3', 'web'],
      ]);
    });

    it('an idle member goes by its data first, without a reservation, but only with room in the budget (an idle member may carry an idle load)', () => {
      const noBudget = { policy: policy({ disruptionBudget: { maxUnavailable: 0 } }) };
      const idleServed = { ...served(WINDOW + 10), recent: profileWith('i-s1', idle()).recent };
      const room = backedFleet();
      expect(planStandbyReturn({ standby: room.standby, fleet: room.f, profiles: new Map([[iid('i-s1'), idleServed]]), now: T0 }).actions).toEqual([
        expect.objectContaining({ kind: 'return-standby-instance', instanceId: 'i-s1', reason: expect.stringMatching(/^idle for/) }),
      ]);
      // The standby group's own budget does not decide; the budget of the group whose load it may carry does.
      const standbyHasNone = backedFleet({}, noBudget);
      expect(
        planStandbyReturn({ standby: standbyHasNone.standby, fleet: standbyHasNone.f, profiles: new Map([[iid('i-s1'), idleServed]]), now: T0 }).actions,
      ).toHaveLength(1);
      const homeHasNone = backedFleet(noBudget);
      const plan = planStandbyReturn({ standby: homeHasNone.standby, fleet: homeHasNone.f, profiles: new Map([[iid('i-s1'), idleServed]]), now: T0 });
      expect(plan.actions).toEqual([]);
      expect(plan.kept).toEqual([
        {
          instanceId: 'i-s1',
          reason: expect.stringMatching(/^idle for 5 min, but an idle member may still carry an idle load .*web: group web: .*allows no disruption/),
        },
      ]);
    });

    it("idle members of a burst go within their home group's budget, one budget slot each; with no known home, every backed group's budget must have room", () => {
      const { members, standby, backedGroup } = burst();
      // Reservations older than the window name i-s1 and i-s2 as batch's loads; i-s3's home is unknown.
      const old = (id: string, instanceId: string) =>
        reservation(id, { groupId: 'batch', instanceId, createdAt: T0 - (WINDOW + 20) * MINUTE, expiresAt: T0 + 5 * MINUTE });
      const profiles = new Map(
        members.map((id) => [iid(id), { ...served(WINDOW + 30), instanceId: iid(id), recent: profileWith(id, idle()).recent }] as const),
      );
      const plan = (web: number, batch: number) =>
        planStandbyReturn({
          standby,
          fleet: fleet([backedGroup('web', web), backedGroup('batch', batch, [old('r1', 'i-s1'), old('r2', 'i-s2')]), standby]),
          profiles,
          now: T0,
        });
      const one = plan(1, 1);
      expect(returned(one)).toEqual(['i-s1']);
      expect(one.kept.map((k) => [k.instanceId, k.reason.match(/group (\w+): /)?.[1]])).toEqual([
        ['i-s2', 'batch'],
        ['i-s3', 'batch'],
      ]);
      expect(returned(plan(1, 3))).toEqual(['i-s1', 'i-s2', 'i-s3']);
      expect(returned(plan(0, 3))).toEqual(['i-s1', 'i-s2']);
    });

    it('a reservation made within the window on the member keeps it; an older hand-over does not', () => {
      const { standby } = backedFleet();
      const recent = group('web', {
        standbyGroupId: standby.id,
        instances: [instance('i-w1'), instance('i-w2')],
        desiredCapacity: 2,
        pool: roomyPool('web', { reservations: [reservation('r1', { instanceId: 'i-s1', createdAt: T0 - 20 * MINUTE, expiresAt: T0 + 20 * MINUTE })] }),
      });
      expect(
        planStandbyReturn({
          standby,
          fleet: fleet([recent, standby], [forecast('i-s1', { vcpu: 1 })]),
          profiles: new Map([[iid('i-s1'), served(WINDOW + 1)]]),
          now: T0,
        }).actions,
      ).toEqual([]);
      const old = group('web', {
        standbyGroupId: standby.id,
        instances: [instance('i-w1'), instance('i-w2')],
        desiredCapacity: 2,
        pool: roomyPool('web', { reservations: [reservation('r1', { instanceId: 'i-s1', createdAt: T0 - 40 * MINUTE, expiresAt: T0 + 5 * MINUTE })] }),
      });
      expect(
        returned(
          planStandbyReturn({
            standby,
            fleet: fleet([old, standby], [forecast('i-s1', { vcpu: 1 })]),
            profiles: new Map([[iid('i-s1'), served(WINDOW + 1)]]),
            now: T0,
          }),
        ),
      ).toEqual(['reserve', 'i-s1']);
    });
  });

  it('property: returns only idle, unreserved, running members, at most desired − min of them', () => {
    const member = fc.record({
      state: fc.constantFrom('running', 'running', 'pending', 'stopping'),
      warm: fc.boolean(),
      cpu: fc.array(fc.oneof(fc.constant(0.02), fc.constant(0.5), fc.double({ min: 0, max: 2, noNaN: true })), { maxLength: 30 }),
      reserved: fc.boolean(),
      hasProfile: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 6 }), fc.integer({ min: 0, max: 6 }), (members, minSize) => {
        const ids = members.map((_, k) => `i-s${k}`);
        const instances = members.map((m, k) => instance(ids[k]!, { groupId: 'standby', lifecycle: 'on-demand', state: m.state as never, warm: m.warm }));
        const desired = instances.filter((i) => !i.warm).length;
        const reservations = members.flatMap((m, k) =>
          m.reserved
            ? [
                reservation(`r${k}`, {
                  groupId: 'standby',
                  instanceId: ids[k]!,
                  amount: { vcpu: 0.01, memoryGiB: 0.01, networkMbps: 0, diskIops: 0 },
                  createdAt: T0 - MINUTE,
                  expiresAt: T0 + MINUTE,
                }),
              ]
            : [],
        );
        const standby = group('standby', {
          role: 'standby',
          instances,
          desiredCapacity: desired,
          minSize: Math.min(minSize, desired),
          pool: pool('standby', { vcpu: 100, memoryGiB: 100 }, { reservations }),
        });
        const profiles = new Map<InstanceId, BehaviourProfile>(
          members.flatMap((m, k) => (m.hasProfile ? [[iid(ids[k]!), profileWith(ids[k]!, m.cpu)] as const] : [])),
        );
        const plan = planStandbyReturn({ standby, fleet: fleet([standby]), profiles, now: T0 });
        expect(plan.actions.length).toBeLessThanOrEqual(desired - standby.minSize);
        for (const a of plan.actions) {
          if (a.kind !== 'return-standby-instance') throw new Error(`unexpected ${a.kind}`);
          const k = ids.indexOf(a.instanceId);
          const m = members[k]!;
          expect(m.state).toBe('running');
          expect(m.warm).toBe(false);
          expect(m.reserved).toBe(false);
          expect(m.hasProfile).toBe(true);
          expect(m.cpu.slice(-IDLE_MINUTES_TO_RETURN).every((v) => v <= 2 * 0.05)).toBe(true);
          expect(m.cpu.length).toBeGreaterThanOrEqual(IDLE_MINUTES_TO_RETURN);
        }
      }),
    );
  });
});
