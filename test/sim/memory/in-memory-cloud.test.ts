import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type InstanceTypeSpec } from '../../../lambda/core/domain';
import { InMemoryCloud } from '../../../lambda/sim/memory/in-memory-cloud';
import { InstanceNotStoppedError, InMemoryCloudError } from '../../../lambda/sim/memory/cloud-errors';
import { ManualClock } from '../../../lambda/sim/memory/manual-clock';
import { instance, res } from './fixtures';

const spec = (name: string, vcpu: number, mem: number): InstanceTypeSpec => ({
  name,
  resources: res(vcpu, mem, 10_000, 20_000),
  onDemandHourlyUsd: vcpu * 0.05,
});
const g1 = groupId('g1');
const od = instanceId('i-00000000000000a1');
const spot = instanceId('i-00000000000000b2');
const warm = instanceId('i-00000000000000c3');

const cloud = (clock?: ManualClock) =>
  new InMemoryCloud(
    {
      catalog: [spec('m5.large', 2, 8), spec('m5.xlarge', 4, 16)],
      groups: [
        {
          id: g1,
          desiredCapacity: 2,
          minSize: 1,
          maxSize: 4,
          availabilityZones: ['us-east-1a'],
          tags: {},
          warmPool: { minSize: 1, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true },
        },
      ],
      instances: [
        instance(od, { tags: { 'spotwise:managed': 'true' } }),
        instance(spot, { lifecycle: 'spot' }),
        instance(warm, { warm: true, state: 'stopped' }),
      ],
    },
    clock ? { clock } : {},
  );

describe('InMemoryCloud as InstanceGateway', () => {
  it('filters by tag, ids and groups and hides terminated instances', async () => {
    const c = cloud();
    expect((await c.describeInstances({ tag: { key: 'spotwise:managed', value: 'true' } })).map((i) => i.id)).toEqual([od]);
    expect((await c.describeInstances({ instanceIds: [spot] })).map((i) => i.id)).toEqual([spot]);
    await c.terminateInstances([spot]);
    expect((await c.describeInstances({ groupIds: [g1] })).map((i) => i.id)).toEqual([od, warm]);
  });

  it('retypes only stopped instances, to known types', async () => {
    const c = cloud();
    await expect(c.retypeStoppedInstance(od, 'm5.xlarge')).rejects.toBeInstanceOf(InstanceNotStoppedError);
    await expect(c.retypeStoppedInstance(warm, 'x9.huge')).rejects.toThrow('unknown instance type "x9.huge"');
    await c.retypeStoppedInstance(warm, 'm5.xlarge');
    expect(c.instance(warm)?.instanceType).toBe('m5.xlarge');
  });

  it('refuses to complete or extend a lifecycle action it completed already (AWS: ValidationError, no active action)', async () => {
    const c = cloud();
    const action = { groupId: g1, instanceId: od, hookName: 'spotwise-launch', token: 'tok-1' };
    await c.recordLifecycleActionHeartbeat(action);
    await c.completeLifecycleAction({ ...action, result: 'CONTINUE' });
    await expect(c.completeLifecycleAction({ ...action, result: 'CONTINUE' })).rejects.toMatchObject({
      name: 'LifecycleActionNotActiveError',
      code: 'ValidationError',
      message: 'No active Lifecycle Action found with token tok-1 (instance i-00000000000000a1)',
    });
    await expect(c.recordLifecycleActionHeartbeat(action)).rejects.toBeInstanceOf(InMemoryCloudError);
    // Another token of the same hook is another action.
    await c.completeLifecycleAction({ ...action, token: 'tok-2', result: 'CONTINUE' });
    expect(c.completedLifecycleActions.map((a) => a.token)).toEqual(['tok-1', 'tok-2']);
  });

  it('refuses to stop a Spot instance, with the AWS error code', async () => {
    const c = cloud();
    const err = await c.stopInstances([spot]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InMemoryCloudError);
    expect((err as InMemoryCloudError).code).toBe('UnsupportedOperation');
    expect(c.instance(spot)?.state).toBe('running');
  });

  it('stop then start moves state and stamps the launch time from the clock', async () => {
    const clock = new ManualClock(5_000);
    const c = cloud(clock);
    await c.stopInstances([od], { hibernate: true });
    expect(c.instance(od)?.state).toBe('stopped');
    await c.startInstances([od]);
    expect(c.instance(od)).toMatchObject({ state: 'running', launchedAt: 5_000 });
  });

  it('views read the stored records without copying; a write replaces a record, so a view held stays as it was read', async () => {
    const c = cloud();
    const before = c.instanceView(od);
    expect(c.instanceView(od)).toBe(before);
    expect([...c.instanceViews()].map((i) => i.id)).toEqual([od, spot, warm]);
    await c.stopInstances([od]);
    expect(before?.state).toBe('running');
    expect(c.instanceView(od)?.state).toBe('stopped');
    expect(c.instanceView(od)).not.toBe(before);
    expect(c.instanceView(instanceId('i-ffffffffffffffff0'))).toBeUndefined();
  });

  it('group views read the stored records without copying; a write replaces a record, so a view held stays as it was read', async () => {
    const c = cloud();
    const before = c.groupView(g1);
    expect(c.groupViews()).toEqual([before]);
    expect(c.groupViews()[0]).toBe(before);
    await c.changeDesiredCapacity(g1, 1);
    expect(before?.desiredCapacity).toBe(2);
    expect(c.groupView(g1)?.desiredCapacity).toBe(3);
    expect(c.groupView(groupId('missing'))).toBeUndefined();
  });

  it('a view iterator sees a write made while it runs, and an instance added meanwhile', () => {
    const c = cloud();
    const seen: string[] = [];
    for (const i of c.instanceViews()) {
      seen.push(`${i.id}:${i.state}`);
      if (i.id === od) {
        c.setInstanceState(spot, 'shutting-down');
        c.putInstance(instance(instanceId('i-00000000000000d4')));
      }
    }
    expect(seen).toEqual([`${od}:running`, `${spot}:shutting-down`, `${warm}:stopped`, 'i-00000000000000d4:running']);
  });

  it('names the unknown instance', async () => {
    await expect(cloud().terminateInstances([instanceId('i-ffffffffffffffff0')])).rejects.toThrow('terminating i-ffffffffffffffff0: no such instance');
  });

  it('returns only known types from the catalog', async () => {
    expect([...(await cloud().describeInstanceTypes(['m5.large', 'nope.large'])).keys()]).toEqual(['m5.large']);
  });
});

describe('InMemoryCloud as CapacityGateway', () => {
  it('describes groups without warm instances and the warm pool with them', async () => {
    const c = cloud();
    const [g] = await c.describeGroups([g1, groupId('missing')]);
    expect(g?.instances.map((i) => i.id)).toEqual([od, spot]);
    const wp = await c.describeWarmPool(g1);
    expect(wp?.instances).toEqual([{ id: warm, instanceType: 'm5.large', availabilityZone: 'us-east-1a', lifecycleState: 'Warmed:Stopped' }]);
  });

  it('finds the group of an instance', async () => {
    const c = cloud();
    expect(await c.findGroupOfInstance(od)).toBe(g1);
    expect(await c.findGroupOfInstance(instanceId('i-0000000000000fff'))).toBeUndefined();
  });

  it.each([[-1], [1.5]])('refuses a change of desired capacity by %s (only whole increases)', async (d) => {
    await expect(cloud().changeDesiredCapacity(g1, d)).rejects.toThrow(`by ${d}: must be an integer ≥ 0`);
  });

  it('applies each +1 to the desired capacity as it is then, clamped to the max size, even when callers interleave', async () => {
    const c = cloud();
    const before = c.group(g1)!.desiredCapacity;
    await Promise.all([c.changeDesiredCapacity(g1, 1), c.changeDesiredCapacity(g1, 1)]);
    expect(c.group(g1)!.desiredCapacity).toBe(before + 2);
    await c.changeDesiredCapacity(g1, 10);
    expect(c.group(g1)!.desiredCapacity).toBe(4);
  });

  it('raises desired capacity and sets the warm pool', async () => {
    const c = cloud();
    await c.changeDesiredCapacity(g1, 3 - c.group(g1)!.desiredCapacity);
    await c.putWarmPool(g1, { minSize: 2, maxGroupPreparedCapacity: 4, poolState: 'Stopped', reuseOnScaleIn: false });
    expect(c.group(g1)).toMatchObject({ desiredCapacity: 3, warmPool: { minSize: 2, maxGroupPreparedCapacity: 4 } });
  });

  it('terminates in group, decrementing desired capacity, but never below min', async () => {
    const c = cloud();
    await c.terminateInstanceInGroup(od, { decrementDesiredCapacity: true });
    expect(c.group(g1)?.desiredCapacity).toBe(1);
    await expect(c.terminateInstanceInGroup(spot, { decrementDesiredCapacity: true })).rejects.toThrow('would be below min size 1');
  });

  it('records lifecycle completions and heartbeats; all mutators are classed as mutating', async () => {
    const c = cloud();
    await c.recordLifecycleActionHeartbeat({ groupId: g1, instanceId: od, hookName: 'h', token: 't' });
    await c.completeLifecycleAction({ groupId: g1, instanceId: od, hookName: 'h', token: 't', result: 'CONTINUE' });
    expect(c.completedLifecycleActions).toEqual([{ groupId: g1, instanceId: od, hookName: 'h', token: 't', result: 'CONTINUE' }]);
    expect(c.heartbeats).toHaveLength(1);
    await c.describeGroups([g1]);
    expect(c.log.mutatingCalls().map((x) => x.operation)).toEqual(['recordLifecycleActionHeartbeat', 'completeLifecycleAction']);
  });
});

describe('InMemoryCloud with asynchronous states (as AWS)', () => {
  const TIMINGS = { stopSeconds: 45, startSeconds: 20, healthCheckSeconds: 60 };
  const asyncCloud = () => {
    const clock = new ManualClock(1_000_000);
    const c = cloud(clock);
    c.useAsyncStates(TIMINGS);
    return { c, clock };
  };

  it('StopInstances returns while the instance is stopping; a retype or start before it is stopped is refused and counted', async () => {
    const { c, clock } = asyncCloud();
    await c.enterStandby(g1, od, { decrementDesiredCapacity: true });
    await c.stopInstances([od]);
    expect(c.instance(od)?.state).toBe('stopping');
    await expect(c.retypeStoppedInstance(od, 'm5.xlarge')).rejects.toBeInstanceOf(InstanceNotStoppedError);
    await expect(c.startInstances([od])).rejects.toThrow(`starting ${od}: the instance is stopping`);
    expect(c.refusedCalls).toBe(2);
    clock.advance(44_999);
    expect(c.settle()).toEqual([{ instanceId: od, state: 'stopping', at: 1_000_000 }]);
    clock.advance(1);
    expect(c.settle()).toEqual([{ instanceId: od, state: 'stopped', at: 1_045_000 }]);
    await c.retypeStoppedInstance(od, 'm5.xlarge');
    await c.startInstances([od]);
    expect(c.instance(od)).toMatchObject({ state: 'pending', instanceType: 'm5.xlarge' });
    clock.advance(20_000);
    expect(c.settle()).toEqual([
      { instanceId: od, state: 'pending', at: 1_045_000 },
      { instanceId: od, state: 'running', at: 1_065_000 },
    ]);
    expect(c.healthCheckReplacements).toBe(0);
  });

  it('the health check replaces an In-Service member stopped for a health-check period (new id), never one in Standby', async () => {
    const { c, clock } = asyncCloud();
    await c.stopInstances([od]);
    clock.advance(59_000);
    c.settle();
    expect(c.instance(od)?.state).toBe('stopped');
    clock.advance(1_000);
    const changes = c.settle();
    expect(c.healthCheckReplacements).toBe(1);
    expect(c.instance(od)?.state).toBe('terminated');
    const replacement = changes.find((t) => t.state === 'pending')?.instanceId;
    expect(replacement).toBeDefined();
    expect(replacement).not.toBe(od);
    clock.advance(20_000);
    c.settle();
    expect(c.instance(replacement!)).toMatchObject({ state: 'running', groupId: g1 });
  });

  it('a member in Standby stays stopped as long as it likes', async () => {
    const { c, clock } = asyncCloud();
    await c.enterStandby(g1, od, { decrementDesiredCapacity: true });
    await c.stopInstances([od]);
    clock.advance(3_600_000);
    c.settle();
    expect(c.instance(od)?.state).toBe('stopped');
    expect(c.healthCheckReplacements).toBe(0);
  });

  it('needs a clock and valid timings', () => {
    expect(() => cloud().useAsyncStates(TIMINGS)).toThrow('asynchronous instance states need a clock');
    expect(() => cloud(new ManualClock(0)).useAsyncStates({ ...TIMINGS, stopSeconds: Number.NaN })).toThrow(
      'asyncStates.stopSeconds must be a number of seconds ≥ 0 (got NaN)',
    );
  });
});

describe('InMemoryCloud Standby (EnterStandby / ExitStandby as Auto Scaling)', () => {
  it('EnterStandby with decrement lowers desired capacity; ExitStandby raises it again', async () => {
    const c = cloud();
    await c.enterStandby(g1, od, { decrementDesiredCapacity: true });
    expect(c.inStandby(od)).toBe(true);
    expect(c.group(g1)?.desiredCapacity).toBe(1);
    await c.exitStandby(g1, od);
    expect(c.inStandby(od)).toBe(false);
    expect(c.group(g1)?.desiredCapacity).toBe(2);
    expect(c.log.calls.map((x) => [x.operation, x.args])).toEqual([
      ['enterStandby', [g1, od, { decrementDesiredCapacity: true }]],
      ['exitStandby', [g1, od]],
    ]);
  });

  it.each([
    [
      'below min size',
      async (c: InMemoryCloud) => {
        await c.enterStandby(g1, od, { decrementDesiredCapacity: true });
        await c.enterStandby(g1, spot, { decrementDesiredCapacity: true });
      },
      `moving ${spot} to Standby and decrementing g1: desired capacity 0 would be below min size 1`,
    ],
    [
      'already in Standby',
      async (c: InMemoryCloud) => {
        await c.enterStandby(g1, od, { decrementDesiredCapacity: false });
        await c.enterStandby(g1, od, { decrementDesiredCapacity: false });
      },
      `moving ${od} to Standby in g1: the instance is already in Standby`,
    ],
    [
      'a warm-pool instance',
      (c: InMemoryCloud) => c.enterStandby(g1, warm, { decrementDesiredCapacity: false }),
      `moving ${warm} to Standby in g1: the instance is in the warm pool`,
    ],
    [
      'a stopped member',
      async (c: InMemoryCloud) => {
        await c.stopInstances([od]);
        await c.enterStandby(g1, od, { decrementDesiredCapacity: false });
      },
      `moving ${od} to Standby in g1: the instance is stopped, not InService`,
    ],
    [
      'ExitStandby of a member not in Standby',
      (c: InMemoryCloud) => c.exitStandby(g1, od),
      `returning ${od} from Standby in g1: the instance is not in Standby`,
    ],
  ])('refuses %s (ValidationError), counted', async (_what, run, message) => {
    const c = cloud();
    const err = await run(c).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InMemoryCloudError);
    expect((err as InMemoryCloudError).code).toBe('ValidationError');
    expect((err as Error).message).toBe(message);
    expect(c.refusedCalls).toBe(1);
  });
});
