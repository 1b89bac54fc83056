import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  ExecutePolicyCommand,
  DescribePoliciesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
  type DescribeAutoScalingGroupsCommandInput,
  type DescribeWarmPoolCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { SCALE_OUT_POLICY_ADJUSTMENT, SCALE_OUT_POLICY_ID } from '../../lambda/contracts/scaling-policy';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type Instance,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { groupId, instanceId, type GroupId, type InstanceId } from '../../lambda/core/domain';
import type { InMemoryCloud } from '../../lambda/sim/memory';

/**
 * Real EC2 and Auto Scaling SDK clients whose `send` is answered (aws-sdk-client-mock) from an
 * InMemoryCloud: the real adapters (Ec2InstanceGateway, AutoScalingCapacityGateway) then run unchanged —
 * their paging, batching and caches — and every AWS API call they make is recorded by name. That is how
 * the storm benchmark counts calls per API as spotwise would make them in an account, not per port call.
 *
 * Only what the adapters read is answered (ids, types, placement, lifecycle, state, tags; group sizes,
 * members and warm pools); mutations go through the InMemoryCloud so its refusals (a Spot instance
 * cannot be stopped, desired capacity within [min, max]) stay in force.
 */
export interface RecordedAwsCall {
  readonly service: 'ec2' | 'autoscaling';
  readonly api: string;
}

export interface CloudBackedClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly calls: RecordedAwsCall[];
  restore(): void;
}

/** DescribeInstances pages hold at most MaxResults (≤ 1000) instances. */
const MAX_PAGE = 1000;

const toEc2Instance = (i: ReturnType<InMemoryCloud['allInstances']>[number]): Instance => ({
  InstanceId: i.id,
  InstanceType: i.instanceType as Instance['InstanceType'],
  Placement: { AvailabilityZone: i.availabilityZone },
  ...(i.lifecycle === 'spot' ? { InstanceLifecycle: 'spot' as const } : {}),
  State: { Name: i.state },
  // EC2 always reports Monitoring; the fake's instances without the field are on detailed monitoring (ManagedInstance).
  Monitoring: { State: i.detailedMonitoring === false ? 'disabled' : 'enabled' },
  LaunchTime: new Date(i.launchedAt),
  Tags: Object.entries({ ...i.tags, 'aws:autoscaling:groupName': i.groupId, 'spotwise:priority': String(i.priority), 'spotwise:job-type': i.jobType }).map(
    ([Key, Value]) => ({ Key, Value }),
  ),
});

const filterValues = (input: DescribeInstancesCommandInput, name: string): Set<string> | undefined => {
  const f = input.Filters?.find((x) => x.Name === name);
  return f === undefined ? undefined : new Set(f.Values ?? []);
};

export interface CloudBackedOptions {
  /**
   * Called when a call arrives, before the cloud answers it (and before a mutation takes effect): the
   * benchmarks wait here for a modelled round trip or an API rate budget's token, and note what was read.
   */
  readonly onCall?: (call: RecordedAwsCall, input: unknown) => Promise<void>;
}

export const createCloudBackedClients = (cloud: InMemoryCloud, opts: CloudBackedOptions = {}): CloudBackedClients => {
  const calls: RecordedAwsCall[] = [];
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const ec2 = new EC2Client(config);
  const autoScaling = new AutoScalingClient(config);
  const ec2Mock = mockClient(ec2);
  const asgMock = mockClient(autoScaling);
  const record = async (service: RecordedAwsCall['service'], api: string, input: unknown): Promise<void> => {
    const call: RecordedAwsCall = { service, api };
    calls.push(call);
    await opts.onCall?.(call, input);
  };
  const ec2Call = (api: string, input: unknown) => record('ec2', api, input);
  const asgCall = (api: string, input: unknown) => record('autoscaling', api, input);

  ec2Mock.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput) => {
    await ec2Call('DescribeInstances', input);
    const states = filterValues(input, 'instance-state-name');
    const groups = filterValues(input, 'tag:aws:autoscaling:groupName');
    const ids = input.InstanceIds === undefined ? undefined : new Set<string>(input.InstanceIds);
    const tagFilters = (input.Filters ?? []).filter((f) => f.Name?.startsWith('tag:') && f.Name !== 'tag:aws:autoscaling:groupName');
    const matching = cloud
      .allInstances()
      .filter(
        (i) => (states === undefined ? true : states.has(i.state)) && (ids === undefined || ids.has(i.id)) && (groups === undefined || groups.has(i.groupId)),
      )
      .filter((i) => tagFilters.every((f) => (f.Values ?? []).includes(i.tags[(f.Name ?? '').slice(4)] ?? '\u0000')))
      .sort((a, b) => a.id.localeCompare(b.id));
    const size = Math.min(MAX_PAGE, input.MaxResults ?? MAX_PAGE);
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    const page = ids === undefined ? matching.slice(start, start + size) : matching;
    const next = ids === undefined && start + size < matching.length ? String(start + size) : undefined;
    return { Reservations: page.length === 0 ? [] : [{ Instances: page.map(toEc2Instance) }], ...(next !== undefined ? { NextToken: next } : {}) };
  });
  ec2Mock.on(DescribeInstanceTypesCommand).callsFake(async (input: { InstanceTypes?: string[] }) => {
    await ec2Call('DescribeInstanceTypes', input);
    const catalog = await cloud.describeInstanceTypes(input.InstanceTypes ?? []);
    const InstanceTypes: InstanceTypeInfo[] = [...catalog.values()].map((s) => ({
      InstanceType: s.name as InstanceTypeInfo['InstanceType'],
      VCpuInfo: { DefaultVCpus: s.resources.vcpu },
      MemoryInfo: { SizeInMiB: Math.round(s.resources.memoryGiB * 1024) },
      NetworkInfo: { NetworkCards: [{ BaselineBandwidthInGbps: s.resources.networkMbps / 1000 }] },
      EbsInfo: { EbsOptimizedInfo: { BaselineIops: s.resources.diskIops } },
    }));
    return { InstanceTypes };
  });
  ec2Mock.on(ModifyInstanceAttributeCommand).callsFake(async (input: { InstanceId: string; InstanceType?: { Value?: string } }) => {
    await ec2Call('ModifyInstanceAttribute', input);
    await cloud.retypeStoppedInstance(instanceId(input.InstanceId), input.InstanceType?.Value ?? '');
    return {};
  });
  ec2Mock.on(StartInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
    await ec2Call('StartInstances', input);
    await cloud.startInstances(input.InstanceIds.map(instanceId));
    return {};
  });
  ec2Mock.on(StopInstancesCommand).callsFake(async (input: { InstanceIds: string[]; Hibernate?: boolean }) => {
    await ec2Call('StopInstances', input);
    await cloud.stopInstances(input.InstanceIds.map(instanceId), input.Hibernate === true ? { hibernate: true } : {});
    return {};
  });
  ec2Mock.on(TerminateInstancesCommand).callsFake(async (input: { InstanceIds: string[] }) => {
    await ec2Call('TerminateInstances', input);
    await cloud.terminateInstances(input.InstanceIds.map(instanceId));
    return {};
  });
  ec2Mock.on(CreateTagsCommand).callsFake(async (input: { Resources: string[]; Tags: { Key: string; Value: string }[] }) => {
    await ec2Call('CreateTags', input);
    await cloud.tagInstances(input.Resources.map(instanceId), Object.fromEntries(input.Tags.map((t) => [t.Key, t.Value])));
    return {};
  });

  const toGroup = async (id: GroupId): Promise<AutoScalingGroup | undefined> => {
    const [d] = await cloud.describeGroups([id]);
    const g = cloud.group(id);
    if (d === undefined || g === undefined) return undefined;
    const spot = d.instances.some((i) => i.lifecycle === 'spot');
    const onDemand = d.instances.filter((i) => i.lifecycle === 'on-demand').length;
    return {
      AutoScalingGroupName: d.id,
      DesiredCapacity: d.desiredCapacity,
      MinSize: d.minSize,
      MaxSize: d.maxSize,
      AvailabilityZones: [...d.availabilityZones],
      Tags: Object.entries(d.tags).map(([Key, Value]) => ({ Key, Value, ResourceId: d.id, ResourceType: 'auto-scaling-group', PropagateAtLaunch: true })),
      // A mixed-instances policy with Spot above a zero base is how a Spot group looks to Auto Scaling; its On-Demand
      // members (if any) are its On-Demand base.
      ...(spot ? { MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: onDemand, OnDemandPercentageAboveBaseCapacity: 0 } } } : {}),
      Instances: d.instances.map((i) => ({
        InstanceId: i.id,
        InstanceType: i.instanceType,
        AvailabilityZone: i.availabilityZone,
        LifecycleState: i.lifecycleState ?? 'InService',
        HealthStatus: 'Healthy',
        ProtectedFromScaleIn: false,
      })),
      DefaultCooldown: 300,
      HealthCheckType: 'EC2',
      CreatedTime: new Date(0),
    } as AutoScalingGroup;
  };
  asgMock.on(DescribeAutoScalingGroupsCommand).callsFake(async (input: DescribeAutoScalingGroupsCommandInput) => {
    await asgCall('DescribeAutoScalingGroups', input);
    const out: AutoScalingGroup[] = [];
    for (const name of input.AutoScalingGroupNames ?? []) {
      const g = await toGroup(groupId(name));
      if (g !== undefined) out.push(g);
    }
    return { AutoScalingGroups: out };
  });
  asgMock.on(DescribeAutoScalingInstancesCommand).callsFake(async (input: { InstanceIds?: string[] }) => {
    await asgCall('DescribeAutoScalingInstances', input);
    const found = (input.InstanceIds ?? []).flatMap((id) => {
      const i = cloud.instance(instanceId(id));
      return i === undefined || i.state === 'terminated' || cloud.group(i.groupId) === undefined
        ? []
        : [
            {
              InstanceId: i.id,
              AutoScalingGroupName: i.groupId,
              InstanceType: i.instanceType,
              AvailabilityZone: i.availabilityZone,
              LifecycleState: i.warm ? 'Warmed:Stopped' : 'InService',
              HealthStatus: 'HEALTHY',
              ProtectedFromScaleIn: false,
            },
          ];
    });
    return { AutoScalingInstances: found };
  });
  asgMock.on(DescribeWarmPoolCommand).callsFake(async (input: DescribeWarmPoolCommandInput) => {
    await asgCall('DescribeWarmPool', input);
    const wp = await cloud.describeWarmPool(groupId(input.AutoScalingGroupName ?? ''));
    if (wp === undefined) return { Instances: [] };
    return {
      WarmPoolConfiguration: {
        MinSize: wp.minSize,
        MaxGroupPreparedCapacity: wp.maxGroupPreparedCapacity,
        PoolState: wp.poolState,
        InstanceReusePolicy: { ReuseOnScaleIn: wp.reuseOnScaleIn },
      },
      Instances: wp.instances.map((i) => ({
        InstanceId: i.id,
        InstanceType: i.instanceType,
        AvailabilityZone: i.availabilityZone,
        LifecycleState: i.lifecycleState,
        HealthStatus: 'Healthy',
      })),
    };
  });
  asgMock
    .on(PutWarmPoolCommand)
    .callsFake(
      async (input: {
        AutoScalingGroupName: string;
        MinSize?: number;
        MaxGroupPreparedCapacity?: number;
        PoolState?: 'Stopped' | 'Running' | 'Hibernated';
        InstanceReusePolicy?: { ReuseOnScaleIn?: boolean };
      }) => {
        await asgCall('PutWarmPool', input);
        await cloud.putWarmPool(groupId(input.AutoScalingGroupName), {
          minSize: input.MinSize ?? 0,
          maxGroupPreparedCapacity: input.MaxGroupPreparedCapacity ?? -1,
          poolState: input.PoolState ?? 'Stopped',
          reuseOnScaleIn: input.InstanceReusePolicy?.ReuseOnScaleIn ?? false,
        });
        return {};
      },
    );
  // Every group the stack names has its +1 simple scaling policy (lib/scale-out-policies.ts).
  asgMock.on(DescribePoliciesCommand).callsFake(async (input: { AutoScalingGroupName?: string }) => {
    await asgCall('DescribePolicies', input);
    const g = input.AutoScalingGroupName === undefined ? undefined : cloud.group(groupId(input.AutoScalingGroupName));
    if (g === undefined) return { ScalingPolicies: [] };
    return {
      ScalingPolicies: [
        {
          AutoScalingGroupName: g.id,
          PolicyName: `spotwise-${SCALE_OUT_POLICY_ID}-bench`,
          PolicyType: 'SimpleScaling',
          AdjustmentType: 'ChangeInCapacity',
          ScalingAdjustment: SCALE_OUT_POLICY_ADJUSTMENT,
        },
      ],
    };
  });
  asgMock.on(ExecutePolicyCommand).callsFake(async (input: { AutoScalingGroupName?: string; PolicyName: string }) => {
    await asgCall('ExecutePolicy', input);
    await cloud.changeDesiredCapacity(groupId(input.AutoScalingGroupName ?? ''), SCALE_OUT_POLICY_ADJUSTMENT);
    return {};
  });
  asgMock
    .on(CompleteLifecycleActionCommand)
    .callsFake(
      async (input: {
        AutoScalingGroupName: string;
        InstanceId?: string;
        LifecycleHookName: string;
        LifecycleActionToken?: string;
        LifecycleActionResult: string;
      }) => {
        await asgCall('CompleteLifecycleAction', input);
        await cloud.completeLifecycleAction({
          groupId: groupId(input.AutoScalingGroupName),
          instanceId: instanceId(input.InstanceId ?? ''),
          hookName: input.LifecycleHookName,
          token: input.LifecycleActionToken ?? '',
          result: input.LifecycleActionResult === 'ABANDON' ? 'ABANDON' : 'CONTINUE',
        });
        return {};
      },
    );
  asgMock
    .on(RecordLifecycleActionHeartbeatCommand)
    .callsFake(async (input: { AutoScalingGroupName: string; InstanceId?: string; LifecycleHookName: string; LifecycleActionToken?: string }) => {
      await asgCall('RecordLifecycleActionHeartbeat', input);
      await cloud.recordLifecycleActionHeartbeat({
        groupId: groupId(input.AutoScalingGroupName),
        instanceId: instanceId(input.InstanceId ?? ''),
        hookName: input.LifecycleHookName,
        token: input.LifecycleActionToken ?? '',
      });
      return {};
    });
  asgMock.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(async (input: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean }) => {
    await asgCall('TerminateInstanceInAutoScalingGroup', input);
    await cloud.terminateInstanceInGroup(instanceId(input.InstanceId) as InstanceId, { decrementDesiredCapacity: input.ShouldDecrementDesiredCapacity });
    return {};
  });

  return {
    ec2,
    autoScaling,
    calls,
    restore: () => {
      ec2Mock.restore();
      asgMock.restore();
    },
  };
};
