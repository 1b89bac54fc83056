import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Ec2InstanceGateway,
  FAIL_CLOSED_PRIORITY,
  networkMbpsOf,
  parsePriority,
  priceTableFromSpecs,
  toInstanceState,
} from '../../lambda/adapters/ec2-instance-gateway';
import { AwsCallError, InstanceNotStoppedError, NotFoundError, ThrottledError } from '../../lambda/adapters/errors';
import { groupId, instanceId } from '../../lambda/core/domain';
import { ec2Error } from './aws-errors';

const ec2 = mockClient(EC2Client);
afterAll(() => ec2.restore());
const LAUNCH = new Date('2026-01-10T08:00:00Z');

const prices = priceTableFromSpecs([
  { name: 'm5.large', resources: { vcpu: 2, memoryGiB: 8, networkMbps: 750, diskIops: 3600 }, onDemandHourlyUsd: 0.096, spotHourlyUsd: 0.037 },
  { name: 'c5.xlarge', resources: { vcpu: 4, memoryGiB: 8, networkMbps: 1250, diskIops: 6000 }, onDemandHourlyUsd: 0.17 },
]);
const gateway = () => new Ec2InstanceGateway(new EC2Client({}), { prices });

const instance = (id: string, extra: Partial<Instance> = {}, tags: Record<string, string> = { 'aws:autoscaling:groupName': 'web' }): Instance => ({
  InstanceId: id,
  InstanceType: 'm5.large',
  Placement: { AvailabilityZone: 'eu-west-1a' },
  State: { Name: 'running', Code: 16 },
  LaunchTime: LAUNCH,
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  ...extra,
});

beforeEach(() => {
  ec2.reset();
});

describe('Ec2InstanceGateway.describeInstances', () => {
  it('filters by tag and live state, pages with NextToken, and maps to managed instances', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          {
            Instances: [
              instance(
                'i-1',
                { InstanceLifecycle: 'spot', Monitoring: { State: 'enabled' } },
                { 'aws:autoscaling:groupName': 'web', 'spotwise:priority': '70', 'spotwise:job-type': 'api' },
              ),
            ],
          },
        ],
        NextToken: 'next',
      })
      .resolvesOnce({ Reservations: [{ Instances: [instance('i-2', { State: { Name: 'stopped' } }), instance('i-loose', {}, { Name: 'not in a group' })] }] });

    const found = await gateway().describeInstances({ tag: { key: 'spotwise:managed', value: 'true' } });

    const calls = ec2.commandCalls(DescribeInstancesCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        Filters: [
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
          { Name: 'tag:spotwise:managed', Values: ['true'] },
        ],
        MaxResults: 1000,
      },
      {
        Filters: [
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
          { Name: 'tag:spotwise:managed', Values: ['true'] },
        ],
        MaxResults: 1000,
        NextToken: 'next',
      },
    ]);
    expect(found).toEqual([
      {
        id: 'i-1',
        groupId: 'web',
        instanceType: 'm5.large',
        availabilityZone: 'eu-west-1a',
        lifecycle: 'spot',
        state: 'running',
        launchedAt: LAUNCH.getTime(),
        warm: false,
        priority: 70,
        jobType: 'api',
        detailedMonitoring: true,
      },
      // No priority tag and no group default: the highest priority (fail closed: never the first victim).
      {
        id: 'i-2',
        groupId: 'web',
        instanceType: 'm5.large',
        availabilityZone: 'eu-west-1a',
        lifecycle: 'on-demand',
        state: 'stopped',
        launchedAt: LAUNCH.getTime(),
        warm: false,
        priority: FAIL_CLOSED_PRIORITY,
        jobType: 'unknown',
        detailedMonitoring: false,
      },
    ]);
  });

  // Only 'enabled' sends 1-minute EC2 points (EC2 API reference, Monitoring.State); the rest are read as basic monitoring.
  it.each([
    ['enabled', true],
    ['pending', false],
    ['disabling', false],
    ['disabled', false],
    [undefined, false],
  ] as const)('reads Monitoring.State %s as detailed monitoring %s', async (state, detailed) => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-1', state === undefined ? {} : { Monitoring: { State: state } })] }] });
    const [found] = await gateway().describeInstances({ instanceIds: [instanceId('i-1')] });
    expect(found?.detailedMonitoring).toBe(detailed);
  });

  it('asks by id without MaxResults (EC2 refuses both together) and by group through the Auto Scaling tag', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await gateway().describeInstances({ instanceIds: [instanceId('i-1'), instanceId('i-2')], groupIds: [groupId('web'), groupId('batch')] });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
        { Name: 'tag:aws:autoscaling:groupName', Values: ['web', 'batch'] },
      ],
      InstanceIds: ['i-1', 'i-2'],
    });
  });

  it('splits long id lists over several calls and answers empty lists without a call', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const ids = Array.from({ length: 450 }, (_, i) => instanceId(`i-${i}`));
    await gateway().describeInstances({ instanceIds: ids });
    expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length)).toEqual([200, 200, 50]);
    ec2.reset();
    expect(await gateway().describeInstances({ instanceIds: [] })).toEqual([]);
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });

  it("reads spotwise's standby mark (the spotwise:standby tag) as standbyMark, and nothing when the tag is absent", async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-1', {}, { 'aws:autoscaling:groupName': 'web', 'spotwise:standby': 'before stopping it: request r-1' }),
            instance('i-2', {}, { 'aws:autoscaling:groupName': 'web', 'spotwise:standby': '' }),
            instance('i-3'),
          ],
        },
      ],
    });
    const found = await gateway().describeInstances({});
    expect(found.map((i) => [i.id, i.standbyMark])).toEqual([
      ['i-1', 'before stopping it: request r-1'],
      ['i-2', ''],
      ['i-3', undefined],
    ]);
    expect(found[2]).not.toHaveProperty('standbyMark');
  });

  it("uses the group's priority the call gives when the tag is missing or invalid", async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-1', {}, { 'aws:autoscaling:groupName': 'web', 'spotwise:priority': 'high' })] }] });
    expect((await gateway().describeInstances({ priorities: new Map([[groupId('web'), 30]]) }))[0]?.priority).toBe(30);
  });

  it("an untagged member takes its group's priority from the call (a group_tag group's policy too); a valid tag wins; a group the call does not name fails closed", async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-1', {}, { 'aws:autoscaling:groupName': 'tagged-web' }),
            instance('i-2', {}, { 'aws:autoscaling:groupName': 'tagged-web', 'spotwise:priority': '70' }),
            instance('i-3', {}, { 'aws:autoscaling:groupName': 'web' }),
            instance('i-4', {}, { 'aws:autoscaling:groupName': 'other' }),
          ],
        },
      ],
    });
    const found = await gateway().describeInstances({
      groupIds: [groupId('tagged-web'), groupId('web'), groupId('other')],
      priorities: new Map([
        [groupId('tagged-web'), 10],
        [groupId('web'), 30],
      ]),
    });
    expect(found.map((i) => [i.id, i.priority])).toEqual([
      ['i-1', 10],
      ['i-2', 70],
      ['i-3', 30],
      ['i-4', FAIL_CLOSED_PRIORITY],
    ]);
    // The priorities are not a filter: the request is the same without them.
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({
      Filters: [
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
        { Name: 'tag:aws:autoscaling:groupName', Values: ['tagged-web', 'web', 'other'] },
      ],
      MaxResults: 1000,
    });
  });

  it('translates RequestLimitExceeded into ThrottledError naming the filter', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));
    const call = gateway().describeInstances({ groupIds: [groupId('web')] });
    await expect(call).rejects.toBeInstanceOf(ThrottledError);
    await expect(call).rejects.toThrow('describing instances in group(s) web: throttled by AWS (RequestLimitExceeded); retry later');
  });
});

describe('Ec2InstanceGateway.describeInstanceTypes', () => {
  const m5: InstanceTypeInfo = {
    InstanceType: 'm5.large',
    VCpuInfo: { DefaultVCpus: 2 },
    MemoryInfo: { SizeInMiB: 8192 },
    NetworkInfo: { NetworkPerformance: 'Up to 10 Gigabit', NetworkCards: [{ BaselineBandwidthInGbps: 0.75, PeakBandwidthInGbps: 10 }] },
    EbsInfo: { EbsOptimizedInfo: { BaselineIops: 3600, MaximumIops: 18750 } },
  };
  const r5: InstanceTypeInfo = {
    InstanceType: 'r5.large',
    VCpuInfo: { DefaultVCpus: 2 },
    MemoryInfo: { SizeInMiB: 16384 },
    NetworkInfo: { NetworkPerformance: '10 Gigabit' },
  };

  it('builds the catalog with the price table and caches it', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [m5, r5] });
    const gw = gateway();
    const catalog = await gw.describeInstanceTypes(['m5.large', 'r5.large', 'm5.large']);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large', 'r5.large'] });
    expect(catalog.get('m5.large')).toEqual({
      name: 'm5.large',
      resources: { vcpu: 2, memoryGiB: 8, networkMbps: 750, diskIops: 3600 },
      onDemandHourlyUsd: 0.096,
      spotHourlyUsd: 0.037,
    });
    // Not in the price table: known shape, infinite price (never the cheapest); no EBS baseline: 0 IOPS.
    expect(catalog.get('r5.large')).toEqual({
      name: 'r5.large',
      resources: { vcpu: 2, memoryGiB: 16, networkMbps: 10_000, diskIops: 0 },
      onDemandHourlyUsd: Number.POSITIVE_INFINITY,
    });

    const again = await gw.describeInstanceTypes(['r5.large']);
    expect(ec2).toHaveReceivedCommandTimes(DescribeInstanceTypesCommand, 1);
    expect([...again.keys()]).toEqual(['r5.large']);
  });

  it.each([
    [{ NetworkCards: [{ BaselineBandwidthInGbps: 25 }, { BaselineBandwidthInGbps: 25 }] }, 50_000],
    [{ NetworkPerformance: 'Up to 12.5 Gigabit' }, 12_500],
    [{ NetworkPerformance: '100 Gigabit' }, 100_000],
    [{ NetworkPerformance: 'Moderate' }, 0],
    [undefined, 0],
  ])('network capacity of %j is %d Mbps', (networkInfo, mbps) => {
    expect(networkMbpsOf({ NetworkInfo: networkInfo })).toBe(mbps);
  });
});

describe('Ec2InstanceGateway.retypeStoppedInstance', () => {
  it('checks the state, then modifies a stopped instance', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance('i-1', { State: { Name: 'stopped' } })] }] });
    ec2.on(ModifyInstanceAttributeCommand).resolves({});
    await gateway().retypeStoppedInstance(instanceId('i-1'), 'c5.xlarge');
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeInstancesCommand, { InstanceIds: ['i-1'] });
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand)[0]?.args[0].input).toEqual({ InstanceId: 'i-1', InstanceType: { Value: 'c5.xlarge' } });
  });

  it.each(['running', 'pending', 'stopping'])('refuses a %s instance before any ModifyInstanceAttribute', async (state) => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance('i-1', { State: { Name: state as 'running' } })] }] });
    const call = gateway().retypeStoppedInstance(instanceId('i-1'), 'c5.xlarge');
    await expect(call).rejects.toBeInstanceOf(InstanceNotStoppedError);
    await expect(call).rejects.toThrow(`changing the type of i-1 to c5.xlarge: instance i-1 is ${state}, not stopped`);
    expect(ec2).not.toHaveReceivedCommand(ModifyInstanceAttributeCommand);
  });

  it('turns EC2’s IncorrectInstanceState (started after the check) into InstanceNotStoppedError', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance('i-1', { State: { Name: 'stopped' } })] }] });
    ec2.on(ModifyInstanceAttributeCommand).rejects(ec2Error('IncorrectInstanceState', 'The instance is not in the stopped state.'));
    await expect(gateway().retypeStoppedInstance(instanceId('i-1'), 'c5.xlarge')).rejects.toBeInstanceOf(InstanceNotStoppedError);
  });

  it('does nothing when the type is already the one asked for', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance('i-1', { State: { Name: 'stopped' } })] }] });
    await gateway().retypeStoppedInstance(instanceId('i-1'), 'm5.large');
    expect(ec2).not.toHaveReceivedCommand(ModifyInstanceAttributeCommand);
  });

  it('reports a missing instance as NotFoundError', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound', "The instance ID 'i-9' does not exist"));
    await expect(gateway().retypeStoppedInstance(instanceId('i-9'), 'c5.xlarge')).rejects.toBeInstanceOf(NotFoundError);
    ec2.reset();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await expect(gateway().retypeStoppedInstance(instanceId('i-9'), 'c5.xlarge')).rejects.toThrow(
      'changing the type of i-9 to c5.xlarge: instance i-9 not found',
    );
  });
});

describe('Ec2InstanceGateway mutating calls', () => {
  it('starts, stops, hibernates, terminates and tags with the exact inputs', async () => {
    ec2.on(StartInstancesCommand).resolves({});
    ec2.on(StopInstancesCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    const gw = gateway();
    await gw.startInstances([instanceId('i-1')]);
    await gw.stopInstances([instanceId('i-2')]);
    await gw.stopInstances([instanceId('i-3')], { hibernate: true });
    await gw.terminateInstances([instanceId('i-4'), instanceId('i-5')]);
    await gw.tagInstances([instanceId('i-1')], { 'spotwise:reservation': 'r-1', 'spotwise:state': 'draining' });
    await gw.tagInstances([instanceId('i-1')], {});
    await gw.startInstances([]);

    expect(ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: ['i-1'] }]);
    expect(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: ['i-2'] }, { InstanceIds: ['i-3'], Hibernate: true }]);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(TerminateInstancesCommand, { InstanceIds: ['i-4', 'i-5'] });
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Resources: ['i-1'],
        Tags: [
          { Key: 'spotwise:reservation', Value: 'r-1' },
          { Key: 'spotwise:state', Value: 'draining' },
        ],
      },
    ]);
  });

  it('deletes tags by key alone (DeleteTags without Value deletes the key whatever its value); no keys, no call', async () => {
    ec2.on(DeleteTagsCommand).resolves({});
    const gw = gateway();
    await gw.untagInstances([instanceId('i-1')], ['spotwise:standby']);
    await gw.untagInstances([instanceId('i-2')], []);
    expect(ec2).toHaveReceivedCommandTimes(DeleteTagsCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DeleteTagsCommand, { Resources: ['i-1'], Tags: [{ Key: 'spotwise:standby' }] });
  });

  it('a refused DeleteTags names the tag and the instance', async () => {
    ec2.on(DeleteTagsCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    await expect(gateway().untagInstances([instanceId('i-1')], ['spotwise:standby'])).rejects.toThrow(/deleting tag\(s\) spotwise:standby of i-1/);
  });

  it('names the operation in translated errors', async () => {
    ec2.on(StopInstancesCommand).rejects(ec2Error('UnsupportedHibernationConfiguration', 'not configured for hibernation'));
    const call = gateway().stopInstances([instanceId('i-3')], { hibernate: true });
    await expect(call).rejects.toBeInstanceOf(AwsCallError);
    await expect(call).rejects.toThrow('hibernating i-3: AWS call failed (UnsupportedHibernationConfiguration, HTTP 400)');
  });
});

describe('tag and state parsing', () => {
  it.each([
    ['0', 0],
    ['100', 100],
    ['55.5', 55.5],
    ['101', undefined],
    ['-1', undefined],
    ['', undefined],
    ['high', undefined],
    [undefined, undefined],
  ])('priority tag %j → %j', (value, expected) => {
    expect(parsePriority(value)).toBe(expected);
  });

  it.each([
    ['running', 'running'],
    ['stopped', 'stopped'],
    ['rebooting', 'shutting-down'],
    [undefined, 'shutting-down'],
  ])('state %j → %s', (name, state) => {
    expect(toInstanceState(name)).toBe(state);
  });
});
