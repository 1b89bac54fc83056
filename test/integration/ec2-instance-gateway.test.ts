import { CreateAutoScalingGroupCommand, DescribeAutoScalingInstancesCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeInstancesCommand, DescribeImagesCommand, StopInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AutoScalingCapacityGateway } from '../../lambda/adapters/autoscaling-capacity-gateway';
import { createAutoScalingClient, createEc2Client } from '../../lambda/adapters/aws-clients';
import { Ec2InstanceGateway } from '../../lambda/adapters/ec2-instance-gateway';
import { InstanceNotStoppedError } from '../../lambda/adapters/errors';
import { groupId, instanceId, STANDBY_MARK_TAG, type InstanceId } from '../../lambda/core/domain';
import { describeWithMoto } from './moto';

describeWithMoto('Ec2InstanceGateway and AutoScalingCapacityGateway against moto (real HTTP)', (moto) => {
  let ec2: EC2Client;
  let autoScaling: AutoScalingClient;
  /** Names of the EC2 commands the clients sent, recorded by a middleware, to prove what was (not) called. */
  const sent: string[] = [];
  let ids: InstanceId[] = [];

  beforeAll(async () => {
    ec2 = createEc2Client(moto().clientOptions);
    autoScaling = createAutoScalingClient(moto().clientOptions);
    ec2.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const imageId = images.Images?.[0]?.ImageId;
    if (imageId === undefined) throw new Error('moto offers no AMI to launch');
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web-lt', LaunchTemplateData: { ImageId: imageId, InstanceType: 'm5.large' } }));
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web',
        LaunchTemplate: { LaunchTemplateName: 'web-lt' },
        MinSize: 3,
        MaxSize: 6,
        DesiredCapacity: 3,
        AvailabilityZones: ['us-east-1a'],
        Tags: [{ Key: 'spotwise:managed', Value: 'true', PropagateAtLaunch: true }],
      }),
    );
    const described = await ec2.send(new DescribeInstancesCommand({}));
    ids = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => instanceId(i.InstanceId ?? ''));
    expect(ids).toHaveLength(3);
  });
  afterAll(() => {
    ec2?.destroy();
    autoScaling?.destroy();
  });

  it('discovers the group’s instances by tag and group, with Auto Scaling’s group name', async () => {
    const gateway = new Ec2InstanceGateway(ec2, {
      prices: new Map([['m5.large', { onDemandHourlyUsd: 0.096, spotHourlyUsd: 0.035 }]]),
    });
    const byTag = await gateway.describeInstances({ tag: { key: 'spotwise:managed', value: 'true' }, priorities: new Map([[groupId('web'), 40]]) });
    expect(byTag.map((i) => i.id).sort()).toEqual([...ids].sort());
    for (const instance of byTag) {
      expect(instance).toMatchObject({
        groupId: 'web',
        instanceType: 'm5.large',
        state: 'running',
        lifecycle: 'on-demand',
        priority: 40,
        jobType: 'unknown',
        warm: false,
      });
      expect(instance.availabilityZone).toBe('us-east-1a');
    }
    expect(await gateway.describeInstances({ groupIds: [groupId('other')] })).toEqual([]);
    expect((await gateway.describeInstances({ groupIds: [groupId('web')], instanceIds: [ids[0] as InstanceId] })).map((i) => i.id)).toEqual([ids[0]]);

    const catalog = await gateway.describeInstanceTypes(['m5.large', 'm5.large']);
    expect(catalog.get('m5.large')).toMatchObject({ name: 'm5.large', resources: { vcpu: 2, memoryGiB: 8 }, onDemandHourlyUsd: 0.096, spotHourlyUsd: 0.035 });

    // EC2 events carry no group: the capacity gateway finds it through DescribeAutoScalingInstances.
    // (DescribeAutoScalingGroups stays on mocks: moto 5.1 sends CreatedTime without a UTC offset, which
    // the SDK's strict RFC 3339 parser rejects.)
    const capacity = new AutoScalingCapacityGateway(autoScaling);
    expect(await capacity.findGroupOfInstance(ids[1] as InstanceId)).toBe('web');
    expect(await capacity.findGroupOfInstance(instanceId('i-0000000000unknown'))).toBeUndefined();
  });

  it('changes the type of a stopped instance, and refuses a running one before any ModifyInstanceAttribute', async () => {
    const gateway = new Ec2InstanceGateway(ec2, { prices: new Map() });
    const [stopped, running] = ids as [InstanceId, InstanceId, InstanceId];
    await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));

    sent.length = 0;
    await gateway.retypeStoppedInstance(stopped, 'm5.xlarge');
    expect(sent).toEqual(['DescribeInstancesCommand', 'ModifyInstanceAttributeCommand']);
    const [after] = await gateway.describeInstances({ instanceIds: [stopped] });
    expect(after).toMatchObject({ id: stopped, instanceType: 'm5.xlarge', state: 'stopped' });

    sent.length = 0;
    const refusal = gateway.retypeStoppedInstance(running, 'm5.xlarge');
    await expect(refusal).rejects.toBeInstanceOf(InstanceNotStoppedError);
    await expect(refusal).rejects.toThrow(`changing the type of ${running} to m5.xlarge: instance ${running} is running, not stopped`);
    expect(sent).toEqual(['DescribeInstancesCommand']);
    const [unchanged] = await gateway.describeInstances({ instanceIds: [running] });
    expect(unchanged).toMatchObject({ instanceType: 'm5.large', state: 'running' });
  });

  it("the standby mark over real HTTP: written, read back with EC2's tags, and deleted by key around EnterStandby / ExitStandby", async () => {
    const gateway = new Ec2InstanceGateway(ec2, { prices: new Map() });
    const capacity = new AutoScalingCapacityGateway(autoScaling);
    const member = ids[2] as InstanceId;
    const lifecycle = async (): Promise<string | undefined> =>
      (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [member] }))).AutoScalingInstances?.[0]?.LifecycleState;

    await gateway.tagInstances([member], { [STANDBY_MARK_TAG]: 'before stopping it (no health-check replacement): request q-1' });
    await capacity.enterStandby(groupId('web'), member, { decrementDesiredCapacity: true });
    expect(await lifecycle()).toBe('Standby');
    const [marked] = await gateway.describeInstances({ instanceIds: [member] });
    expect(marked?.standbyMark).toBe('before stopping it (no health-check replacement): request q-1');

    await capacity.exitStandby(groupId('web'), member);
    await gateway.untagInstances([member], [STANDBY_MARK_TAG]);
    expect(await lifecycle()).toBe('InService');
    const [cleared] = await gateway.describeInstances({ instanceIds: [member] });
    expect(cleared).not.toHaveProperty('standbyMark');
    // The other tags are untouched: DeleteTags named the mark's key only.
    const tags = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [member] }))).Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
    expect(tags.map((t) => t.Key)).toEqual(expect.arrayContaining(['spotwise:managed', 'aws:autoscaling:groupName']));
  });
});
