import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type InstanceTypeSpec } from '../../../lambda/core/domain';
import { InMemoryCloud } from '../../../lambda/sim/memory/in-memory-cloud';
import { InstanceNotStoppedError, InMemoryCloudError } from '../../../lambda/sim/memory/cloud-errors';
import { ManualClock } from '../../../lambda/sim/memory/manual-clock';
import { instance, res } from './fixtures';

const spec = (name: string, vcpu: number, mem: number): InstanceTypeSpec => ({ name, resources: res(vcpu, mem, 10_000, 20_000), onDemandHourlyUsd: vcpu * 0.05 });
const g1 = groupId('g1');
const od = instanceId('i-00000000000000a1');
const spot = instanceId('i-00000000000000b2');
const warm = instanceId('i-00000000000000c3');

const cloud = (clock?: ManualClock) =>
  new InMemoryCloud(
    {
      catalog: [spec('m5.large', 2, 8), spec('m5.xlarge', 4, 16)],
      groups: [{ id: g1, desiredCapacity: 2, minSize: 1, maxSize: 4, availabilityZones: ['us-east-1a'], tags: {}, warmPool: { minSize: 1, maxGroupPreparedCapacity: -1, poolState: 'Stopped', reuseOnScaleIn: true } }],
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
