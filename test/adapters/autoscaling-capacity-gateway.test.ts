import 'aws-sdk-client-mock-vitest/extend';
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeWarmPoolCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  AutoScalingServiceException,
  PutWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  ResourceContentionFault,
  DescribePoliciesCommand,
  ExecutePolicyCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AutoScalingCapacityGateway, inferLifecycle, launchesBothPurchaseOptions } from '../../lambda/adapters/autoscaling-capacity-gateway';
import { AwsCallError, LifecycleActionNotActiveError, NotFoundError, ThrottledError } from '../../lambda/adapters/errors';
import { groupId, instanceId } from '../../lambda/core/domain';
import { ec2Error, meta } from './aws-errors';

const asg = mockClient(AutoScalingClient);
afterAll(() => asg.restore());
const gateway = () => new AutoScalingCapacityGateway(new AutoScalingClient({}));

const group = (name: string, extra: Partial<AutoScalingGroup> = {}): AutoScalingGroup => ({
  AutoScalingGroupName: name,
  MinSize: 1,
  MaxSize: 10,
  DesiredCapacity: 4,
  DefaultCooldown: 300,
  AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
  HealthCheckType: 'EC2',
  CreatedTime: new Date('2025-01-01T00:00:00Z'),
  Instances: [
    {
      InstanceId: 'i-1',
      InstanceType: 'm5.large',
      AvailabilityZone: 'eu-west-1a',
      LifecycleState: 'InService',
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
    },
    {
      InstanceId: 'i-2',
      InstanceType: 'c5.large',
      AvailabilityZone: 'eu-west-1b',
      LifecycleState: 'Warmed:Stopped',
      HealthStatus: 'Healthy',
      ProtectedFromScaleIn: false,
    },
  ],
  Tags: [{ Key: 'team', Value: 'search', ResourceId: name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true }],
  ...extra,
});

beforeEach(() => {
  asg.reset();
});

describe('AutoScalingCapacityGateway.describeGroups', () => {
  it.each([
    ['a target group', { TargetGroupARNs: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef'] }, true],
    ['a Classic Load Balancer', { LoadBalancerNames: ['web-clb'] }, true],
    ['a traffic source', { TrafficSources: [{ Identifier: 'arn:aws:vpc-lattice:eu-west-1:123456789012:targetgroup/tg-0123', Type: 'vpc-lattice' }] }, true],
    ['none (empty lists)', { TargetGroupARNs: [], LoadBalancerNames: [], TrafficSources: [] }, false],
  ])('a group served by %s is load balanced: %s', async (_name, attached, expected) => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('web', attached)] });
    expect((await gateway().describeGroups([groupId('web')]))[0]?.loadBalanced).toBe(expected);
  });

  it('pages through DescribeAutoScalingGroups and maps groups, instances and tags', async () => {
    asg
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [group('web')], NextToken: 'more' })
      .resolvesOnce({
        AutoScalingGroups: [
          group('batch', {
            Instances: [],
            CapacityRebalance: true,
            MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0 } },
          }),
        ],
      });
    const groups = await gateway().describeGroups([groupId('web'), groupId('batch'), groupId('web')]);
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupNames: ['web', 'batch'], MaxRecords: 100 },
      { AutoScalingGroupNames: ['web', 'batch'], MaxRecords: 100, NextToken: 'more' },
    ]);
    expect(groups).toEqual([
      {
        id: 'web',
        desiredCapacity: 4,
        minSize: 1,
        maxSize: 10,
        instances: [
          { id: 'i-1', instanceType: 'm5.large', availabilityZone: 'eu-west-1a', lifecycle: 'on-demand', warm: false, lifecycleState: 'InService' },
          { id: 'i-2', instanceType: 'c5.large', availabilityZone: 'eu-west-1b', lifecycle: 'on-demand', warm: true, lifecycleState: 'Warmed:Stopped' },
        ],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        tags: { team: 'search' },
        mixedPurchase: false,
        capacityRebalance: false,
        loadBalanced: false,
      },
      {
        id: 'batch',
        desiredCapacity: 4,
        minSize: 1,
        maxSize: 10,
        instances: [],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        tags: { team: 'search' },
        mixedPurchase: false,
        capacityRebalance: true,
        loadBalanced: false,
      },
    ]);
  });

  it('learns instance → group from what it described (no extra lookup)', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group('web')] });
    const gw = gateway();
    await gw.describeGroups([groupId('web')]);
    expect(await gw.findGroupOfInstance(instanceId('i-2'))).toBe('web');
    expect(asg).not.toHaveReceivedCommand(DescribeAutoScalingInstancesCommand);
  });
});

describe('AutoScalingCapacityGateway.findGroupOfInstance', () => {
  it('looks an instance up once and caches the answer', async () => {
    asg.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        {
          InstanceId: 'i-9',
          AutoScalingGroupName: 'web',
          AvailabilityZone: 'eu-west-1a',
          LifecycleState: 'InService',
          HealthStatus: 'HEALTHY',
          ProtectedFromScaleIn: false,
        },
      ],
    });
    const gw = gateway();
    expect(await gw.findGroupOfInstance(instanceId('i-9'))).toBe('web');
    expect(await gw.findGroupOfInstance(instanceId('i-9'))).toBe('web');
    expect(asg).toHaveReceivedCommandExactlyOnceWith(DescribeAutoScalingInstancesCommand, { InstanceIds: ['i-9'] });
  });

  it('does not cache "no group" (the instance may still be launching)', async () => {
    asg.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    const gw = gateway();
    expect(await gw.findGroupOfInstance(instanceId('i-new'))).toBeUndefined();
    expect(await gw.findGroupOfInstance(instanceId('i-new'))).toBeUndefined();
    expect(asg).toHaveReceivedCommandTimes(DescribeAutoScalingInstancesCommand, 2);
  });

  it('translates Auto Scaling throttling ("Throttling") into ThrottledError', async () => {
    asg.on(DescribeAutoScalingInstancesCommand).rejects(ec2Error('Throttling', 'Rate exceeded'));
    await expect(gateway().findGroupOfInstance(instanceId('i-1'))).rejects.toThrow(
      'looking up the Auto Scaling group of i-1: throttled by AWS (Throttling); retry later',
    );
    await expect(gateway().findGroupOfInstance(instanceId('i-1'))).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe('AutoScalingCapacityGateway warm pools', () => {
  it('describes the warm pool and its instances across pages', async () => {
    asg
      .on(DescribeWarmPoolCommand)
      .resolvesOnce({
        WarmPoolConfiguration: { MinSize: 2, MaxGroupPreparedCapacity: 6, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } },
        Instances: [
          {
            InstanceId: 'i-w1',
            InstanceType: 'm5.large',
            AvailabilityZone: 'eu-west-1a',
            LifecycleState: 'Warmed:Stopped',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({
        WarmPoolConfiguration: { MinSize: 2, MaxGroupPreparedCapacity: 6, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } },
        Instances: [
          {
            InstanceId: 'i-w2',
            InstanceType: 'm5.xlarge',
            AvailabilityZone: 'eu-west-1b',
            LifecycleState: 'Warmed:Pending',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
      });
    const gw = gateway();
    const pool = await gw.describeWarmPool(groupId('standby'));
    expect(asg.commandCalls(DescribeWarmPoolCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'standby', MaxRecords: 100 },
      { AutoScalingGroupName: 'standby', MaxRecords: 100, NextToken: 'p2' },
    ]);
    expect(pool).toEqual({
      minSize: 2,
      maxGroupPreparedCapacity: 6,
      poolState: 'Stopped',
      reuseOnScaleIn: true,
      instances: [
        { id: 'i-w1', instanceType: 'm5.large', availabilityZone: 'eu-west-1a', lifecycleState: 'Warmed:Stopped' },
        { id: 'i-w2', instanceType: 'm5.xlarge', availabilityZone: 'eu-west-1b', lifecycleState: 'Warmed:Pending' },
      ],
    });
    expect(await gw.findGroupOfInstance(instanceId('i-w2'))).toBe('standby');
  });

  it('returns undefined for a group without a warm pool', async () => {
    asg.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
    expect(await gateway().describeWarmPool(groupId('web'))).toBeUndefined();
  });

  it('puts the warm pool with -1 passed through (Auto Scaling’s "max size" default)', async () => {
    asg.on(PutWarmPoolCommand).resolves({});
    await gateway().putWarmPool(groupId('standby'), { minSize: 3, maxGroupPreparedCapacity: -1, poolState: 'Hibernated', reuseOnScaleIn: false });
    expect(asg.commandCalls(PutWarmPoolCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'standby',
      MinSize: 3,
      MaxGroupPreparedCapacity: -1,
      PoolState: 'Hibernated',
      InstanceReusePolicy: { ReuseOnScaleIn: false },
    });
  });
});

describe('AutoScalingCapacityGateway mutating calls', () => {
  it('sends the exact commands', async () => {
    asg.on(CompleteLifecycleActionCommand).resolves({});
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({});
    const gw = gateway();
    await gw.completeLifecycleAction({
      groupId: groupId('web'),
      instanceId: instanceId('i-1'),
      hookName: 'spotwise-terminate',
      token: 'tok-1',
      result: 'CONTINUE',
    });
    await gw.recordLifecycleActionHeartbeat({ groupId: groupId('web'), instanceId: instanceId('i-1'), hookName: 'spotwise-terminate', token: 'tok-1' });
    await gw.terminateInstanceInGroup(instanceId('i-1'), { decrementDesiredCapacity: false });

    expect(asg.commandCalls(CompleteLifecycleActionCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'spotwise-terminate',
      LifecycleActionToken: 'tok-1',
      LifecycleActionResult: 'CONTINUE',
      InstanceId: 'i-1',
    });
    expect(asg.commandCalls(RecordLifecycleActionHeartbeatCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'web',
      LifecycleHookName: 'spotwise-terminate',
      LifecycleActionToken: 'tok-1',
      InstanceId: 'i-1',
    });
    expect(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      InstanceId: 'i-1',
      ShouldDecrementDesiredCapacity: false,
    });
  });

  it('a lifecycle action that is over (ValidationError "No active Lifecycle Action found") is typed; other refusals are not', async () => {
    const refusal = (message: string) => new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', $metadata: meta(400), message });
    const action = { groupId: groupId('web'), instanceId: instanceId('i-1'), hookName: 'spotwise-terminate', token: 'tok-1' };
    asg.on(CompleteLifecycleActionCommand).rejects(refusal('No active Lifecycle Action found with token tok-1'));
    asg.on(RecordLifecycleActionHeartbeatCommand).rejects(refusal('No active Lifecycle Action found with token tok-1'));
    const gw = gateway();
    const completed = gw.completeLifecycleAction({ ...action, result: 'CONTINUE' });
    await expect(completed).rejects.toBeInstanceOf(LifecycleActionNotActiveError);
    await expect(completed).rejects.toThrow(
      'completing lifecycle hook spotwise-terminate for i-1 in group web with CONTINUE: no active lifecycle action with this token (completed already, or its heartbeat timeout passed)',
    );
    await expect(gw.recordLifecycleActionHeartbeat(action)).rejects.toBeInstanceOf(LifecycleActionNotActiveError);
    asg.on(CompleteLifecycleActionCommand).rejects(refusal('Group web not found'));
    await expect(gw.completeLifecycleAction({ ...action, result: 'CONTINUE' })).rejects.toBeInstanceOf(AwsCallError);
  });

  it('names the operation when Auto Scaling refuses', async () => {
    asg.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [scaleOutPolicy] });
    asg.on(ExecutePolicyCommand).rejects(new ResourceContentionFault({ message: 'pending update', $metadata: meta(500) }));
    const call = gateway().changeDesiredCapacity(groupId('standby'), 1);
    await expect(call).rejects.toBeInstanceOf(AwsCallError);
    await expect(call).rejects.toThrow(
      `raising the desired capacity of group standby by one (1 of 1) with policy ${scaleOutPolicy.PolicyName}: AWS call failed (ResourceContentionFault, HTTP 500)`,
    );
  });
});

describe('AutoScalingCapacityGateway Standby (EnterStandby / ExitStandby around a voluntary stop)', () => {
  it('enters Standby decrementing desired capacity, and exits it, with the exact commands', async () => {
    asg.on(EnterStandbyCommand).resolves({ Activities: [] });
    asg.on(ExitStandbyCommand).resolves({ Activities: [] });
    const gw = gateway();
    await gw.enterStandby(groupId('web'), instanceId('i-1'), { decrementDesiredCapacity: true });
    await gw.exitStandby(groupId('web'), instanceId('i-1'));
    expect(asg.commandCalls(EnterStandbyCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'web', InstanceIds: ['i-1'], ShouldDecrementDesiredCapacity: true },
    ]);
    expect(asg.commandCalls(ExitStandbyCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: 'web', InstanceIds: ['i-1'] }]);
  });

  it('passes ShouldDecrementDesiredCapacity false through as asked', async () => {
    asg.on(EnterStandbyCommand).resolves({});
    await gateway().enterStandby(groupId('web'), instanceId('i-2'), { decrementDesiredCapacity: false });
    expect(asg.commandCalls(EnterStandbyCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'web',
      InstanceIds: ['i-2'],
      ShouldDecrementDesiredCapacity: false,
    });
  });

  it('a refused EnterStandby (below min size) is an AwsCallError naming the operation; ExitStandby likewise', async () => {
    const refusal = (message: string) => new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', $metadata: meta(400), message });
    asg
      .on(EnterStandbyCommand)
      .rejects(
        refusal('AutoScalingGroup web has min-size=1, max-size=10, and desired-capacity=1. Please enter a number that is greater than or equal to min-size.'),
      );
    asg.on(ExitStandbyCommand).rejects(refusal('The instance i-1 is not in Standby.'));
    const enter = gateway().enterStandby(groupId('web'), instanceId('i-1'), { decrementDesiredCapacity: true });
    await expect(enter).rejects.toBeInstanceOf(AwsCallError);
    await expect(enter).rejects.toThrow('moving i-1 of group web to Standby (decrementing desired capacity): AWS call failed (ValidationError, HTTP 400)');
    await expect(gateway().exitStandby(groupId('web'), instanceId('i-1'))).rejects.toThrow(
      'returning i-1 of group web from Standby to service: AWS call failed (ValidationError, HTTP 400)',
    );
  });
});

const scaleOutPolicy = {
  AutoScalingGroupName: 'standby',
  PolicyName: 'spotwise-SpotwiseScaleOutByOnestandbyA1B2C3-XYZ',
  PolicyType: 'SimpleScaling',
  AdjustmentType: 'ChangeInCapacity',
  ScalingAdjustment: 1,
};

describe('AutoScalingCapacityGateway.changeDesiredCapacity (ExecutePolicy of the +1 scale-out policy)', () => {
  it('finds the policy once (DescribePolicies, paginated) and executes it once per instance, without cooldown', async () => {
    asg
      .on(DescribePoliciesCommand, { AutoScalingGroupName: 'standby', PolicyTypes: ['SimpleScaling'] })
      .resolvesOnce({ ScalingPolicies: [{ ...scaleOutPolicy, PolicyName: 'someone-elses-scale-out', ScalingAdjustment: 1 }], NextToken: 'p2' })
      .resolvesOnce({ ScalingPolicies: [{ ...scaleOutPolicy, PolicyName: 'spotwise-SpotwiseScaleOutByOne-minus', ScalingAdjustment: -1 }, scaleOutPolicy] });
    asg.on(ExecutePolicyCommand).resolves({});
    const gw = gateway();
    await gw.changeDesiredCapacity(groupId('standby'), 2);
    await gw.changeDesiredCapacity(groupId('standby'), 1);
    await gw.changeDesiredCapacity(groupId('standby'), 0);
    // Two pages through the SDK's paginator (it reuses one input object, so only the last token is visible).
    const describes = asg.commandCalls(DescribePoliciesCommand).map((c) => c.args[0].input);
    expect(describes).toHaveLength(2);
    expect(describes[1]).toMatchObject({ AutoScalingGroupName: 'standby', PolicyTypes: ['SimpleScaling'], NextToken: 'p2' });
    expect(asg.commandCalls(ExecutePolicyCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({ AutoScalingGroupName: 'standby', PolicyName: scaleOutPolicy.PolicyName, HonorCooldown: false }),
    );
  });

  it('refuses, changing nothing, when the group has no spotwise scale-out policy', async () => {
    asg.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
    const call = gateway().changeDesiredCapacity(groupId('tagged-only'), 1);
    await expect(call).rejects.toBeInstanceOf(NotFoundError);
    await expect(call).rejects.toThrow(
      'finding the spotwise scale-out policy of group tagged-only: group tagged-only has no simple scaling policy named *SpotwiseScaleOutByOne* adding 1',
    );
    expect(asg.commandCalls(ExecutePolicyCommand)).toHaveLength(0);
  });

  it.each([[-1], [1.5], [Number.NaN]])('refuses a change by %s before calling AWS', async (by) => {
    await expect(gateway().changeDesiredCapacity(groupId('standby'), by)).rejects.toThrow(`by must be an integer ≥ 0 (got ${by})`);
    expect(asg.calls()).toHaveLength(0);
  });
});

describe("launchesBothPurchaseOptions (a member's purchase option is then EC2's to tell)", () => {
  it.each<[string, Partial<AutoScalingGroup>, boolean]>([
    ['no mixed instances policy (On-Demand)', {}, false],
    [
      'all Spot above a zero base',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0 } } },
      false,
    ],
    [
      'an On-Demand base under Spot',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 2, OnDemandPercentageAboveBaseCapacity: 0 } } },
      true,
    ],
    [
      '30 % On-Demand above base',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 30 } } },
      true,
    ],
    [
      '100 % On-Demand above base',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100 } } },
      false,
    ],
    [
      'a base that covers the max size',
      { MaxSize: 4, MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 4, OnDemandPercentageAboveBaseCapacity: 0 } } },
      false,
    ],
  ])('%s → %s', (_label, extra, expected) => {
    expect(launchesBothPurchaseOptions(group('g', extra))).toBe(expected);
  });
});

describe('inferLifecycle', () => {
  it.each<[string, Partial<AutoScalingGroup>, 'spot' | 'on-demand']>([
    ['no mixed instances policy', {}, 'on-demand'],
    [
      'all spot above a zero base',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0 } } },
      'spot',
    ],
    ['70 % spot above base', { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 2, OnDemandPercentageAboveBaseCapacity: 30 } } }, 'spot'],
    [
      '100 % On-Demand above base',
      { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100 } } },
      'on-demand',
    ],
    [
      'a base that covers the max size',
      { MaxSize: 4, MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 4, OnDemandPercentageAboveBaseCapacity: 0 } } },
      'on-demand',
    ],
  ])('%s → %s', (_label, extra, expected) => {
    expect(inferLifecycle(group('g', extra))).toBe(expected);
  });
});
