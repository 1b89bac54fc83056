import { afterEach, describe, expect, it } from 'vitest';
import { createCloudBackedClients, type CloudBackedClients } from '../../../bench/aws/cloud-backed-clients';
import { buildSyntheticFleet, PRIMARY_GROUP, STANDBY_GROUP } from '../../../bench/fleet/synthetic-fleet';
import { AutoScalingCapacityGateway } from '../../../lambda/adapters/autoscaling-capacity-gateway';
import { Ec2InstanceGateway, priceTableFromSpecs } from '../../../lambda/adapters/ec2-instance-gateway';
import { groupId, instanceId } from '../../../lambda/core/domain';
import { InMemoryCloud } from '../../../lambda/sim/memory';

const NOW = Date.UTC(2026, 0, 12);

/** The storm benchmark counts AWS calls through these clients: they must answer as the fake cloud does. */
describe('cloud-backed SDK clients', () => {
  let clients: CloudBackedClients | undefined;
  afterEach(() => clients?.restore());

  const setup = (instances = 1_500) => {
    const fleet = buildSyntheticFleet({ instances, now: NOW, warmInstances: 3 });
    const cloud = new InMemoryCloud(fleet.cloud);
    clients = createCloudBackedClients(cloud);
    const ec2 = new Ec2InstanceGateway(clients.ec2, { prices: priceTableFromSpecs(fleet.catalogSpecs) });
    const asg = new AutoScalingCapacityGateway(clients.autoScaling);
    return { fleet, cloud, clients, ec2, asg };
  };

  it('the real EC2 adapter pages through every instance of the groups, as the fake lists them', async () => {
    const { cloud, clients: c, ec2 } = setup();
    const viaSdk = await ec2.describeInstances({
      groupIds: [PRIMARY_GROUP, STANDBY_GROUP],
      priorities: new Map([
        [PRIMARY_GROUP, 90],
        [STANDBY_GROUP, 90],
      ]),
    });
    const direct = await cloud.describeInstances({ groupIds: [PRIMARY_GROUP, STANDBY_GROUP] });
    const key = (i: { id: string }) => i.id;
    expect(viaSdk.map((i) => ({ ...i, warm: false })).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      // EC2 always reports Monitoring.State: the fake's instances without the field are on detailed monitoring.
      direct.map((i) => ({ ...i, warm: false, detailedMonitoring: i.detailedMonitoring ?? true })).sort((a, b) => key(a).localeCompare(key(b))),
    );
    // 1,503 instances: two pages of at most 1,000.
    expect(c.calls.filter((x) => x.api === 'DescribeInstances')).toHaveLength(2);
  });

  it("the catalog comes back with the fake's shapes, and the adapter caches it", async () => {
    const { fleet, clients: c, ec2 } = setup(10);
    const catalog = await ec2.describeInstanceTypes(['m5.large', 'c5.xlarge', 'no.such']);
    expect(catalog.get('m5.large')?.resources).toEqual(fleet.catalogSpecs.find((s) => s.name === 'm5.large')?.resources);
    expect(catalog.has('no.such')).toBe(false);
    await ec2.describeInstanceTypes(['m5.large']);
    expect(c.calls.filter((x) => x.api === 'DescribeInstanceTypes')).toHaveLength(1);
  });

  it('groups, warm pools and the instance → group lookup match the fake', async () => {
    const { cloud, clients: c, asg } = setup(20);
    const [viaSdk] = await asg.describeGroups([PRIMARY_GROUP]);
    const [direct] = await cloud.describeGroups([PRIMARY_GROUP]);
    expect(viaSdk).toMatchObject({ id: direct?.id, desiredCapacity: direct?.desiredCapacity, minSize: direct?.minSize, maxSize: direct?.maxSize });
    expect(viaSdk?.instances.map((i) => [i.id, i.lifecycle])).toEqual(direct?.instances.map((i) => [i.id, 'spot']));
    const warm = await asg.describeWarmPool(STANDBY_GROUP);
    expect(warm?.instances.map((i) => i.id)).toEqual((await cloud.describeWarmPool(STANDBY_GROUP))?.instances.map((i) => i.id));
    expect(await asg.describeWarmPool(PRIMARY_GROUP)).toBeUndefined();
    const fresh = new AutoScalingCapacityGateway(c.autoScaling);
    expect(await fresh.findGroupOfInstance(instanceId('i-0d000000000000003'))).toBe(PRIMARY_GROUP);
    expect(await fresh.findGroupOfInstance(instanceId('i-0ffffffffffffffff'))).toBeUndefined();
    expect(c.calls.map((x) => x.api)).toEqual([
      'DescribeAutoScalingGroups',
      'DescribeWarmPool',
      'DescribeWarmPool',
      'DescribeAutoScalingInstances',
      'DescribeAutoScalingInstances',
    ]);
  });

  it('mutations go through the fake cloud, with its refusals', async () => {
    const { cloud, asg, ec2, fleet } = setup(5);
    const before = cloud.group(STANDBY_GROUP)?.desiredCapacity ?? 0;
    await asg.changeDesiredCapacity(STANDBY_GROUP, 2);
    expect(cloud.group(STANDBY_GROUP)?.desiredCapacity).toBe(before + 2);
    await expect(asg.changeDesiredCapacity(groupId('ghost'), 1)).rejects.toThrow(/scale-out policy of group ghost/);
    const spot = fleet.primary[0]?.id ?? instanceId('i-0');
    await expect(ec2.stopInstances([spot])).rejects.toThrow(/stopping/);
    expect(cloud.instance(spot)?.state).toBe('running');
  });
});
