import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { DEMO_INSTANCE_TYPES } from '../../lib/config/demo-config';
import { DemoFleet } from '../../lib/demo-fleet';
import { PROJECT_ROOT } from '../../lib/project-root';
import { bareStack, synthSpotwise } from './helpers';

const warmPool = { min_size: 1, max_prepared_capacity: 2, pool_state: 'Stopped', reuse_on_scale_in: true } as const;

describe('the demo fleet (-c demo=true)', () => {
  let template: Template;
  const groupId = (name: string): string =>
    Object.entries(template.findResources('AWS::AutoScaling::AutoScalingGroup')).find(([, r]) => r.Properties.AutoScalingGroupName === name)?.[0] as string;
  beforeAll(() => {
    template = synthSpotwise({ [ContextKey.demo]: 'true' }).template;
  });

  it('builds a small VPC of public subnets in two AZs without NAT gateways, with a flow log of rejected traffic', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
  });

  it('lets no traffic in', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('has a primary Spot group: mixed Graviton types, price-capacity-optimized, capacity rebalancing, managed tag propagated', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      AutoScalingGroupName: 'Spotwise-demo-primary',
      MinSize: '2',
      MaxSize: '4',
      CapacityRebalance: true,
      MixedInstancesPolicy: {
        InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
        LaunchTemplate: { Overrides: DEMO_INSTANCE_TYPES.map((t) => ({ InstanceType: t })) },
      },
      Tags: [{ Key: 'spotwise:managed', Value: 'true', PropagateAtLaunch: true }],
    });
  });

  it('has a standby On-Demand group with a Stopped warm pool that reuses instances on scale-in', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      AutoScalingGroupName: 'Spotwise-demo-standby',
      MinSize: '0',
      MixedInstancesPolicy: Match.absent(),
      LaunchTemplate: Match.objectLike({ LaunchTemplateId: Match.anyValue() }),
      Tags: [{ Key: 'spotwise:managed', Value: 'true', PropagateAtLaunch: true }],
    });
    template.resourceCountIs('AWS::AutoScaling::WarmPool', 1);
    template.hasResourceProperties('AWS::AutoScaling::WarmPool', {
      AutoScalingGroupName: { Ref: groupId('Spotwise-demo-standby') },
      MinSize: 1,
      MaxGroupPreparedCapacity: 2,
      PoolState: 'Stopped',
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
  });

  it('launches with IMDSv2 only, EC2 basic monitoring (CPU comes from the agent each minute) and an encrypted gp3 volume', () => {
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 2);
    template.allResourcesProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required' },
        Monitoring: { Enabled: false },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 10, VolumeType: 'gp3' } }],
      }),
    });
  });

  it("installs and configures the CloudWatch agent with the adapters' configuration as it is, and starts the demo workload", () => {
    const [lt] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    const userData = lt?.Properties.LaunchTemplateData.UserData['Fn::Base64'] as string;
    const agentConfig = JSON.parse(readFileSync(join(PROJECT_ROOT, 'lambda/adapters/cloudwatch-agent-config.json'), 'utf8')) as Record<string, unknown>;
    expect(userData).toContain('dnf install -y amazon-cloudwatch-agent');
    expect(userData).toContain(`<<'SPOTWISE_AGENT_CONFIG'\n${JSON.stringify(agentConfig, null, 2)}\nSPOTWISE_AGENT_CONFIG\n`);
    expect(userData).toContain(
      'amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json',
    );
    expect(userData).not.toContain('procstat');
    expect(userData).toContain('systemctl enable --now spotwise-demo-load.service');
  });

  it('lets instances publish agent metrics to CWAgent only, with no AWS managed policy', () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith('DemoInstanceRole'));
    expect(roles).toHaveLength(1);
    expect(roles[0]?.[1].Properties.ManagedPolicyArns).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roles[0]?.[0] }],
      PolicyDocument: {
        Statement: [{ Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } } }],
      },
    });
  });

  it("puts spotwise's lifecycle hooks on both groups", () => {
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 4);
    for (const name of ['Spotwise-demo-primary', 'Spotwise-demo-standby']) {
      for (const hook of ['spotwise-launch', 'spotwise-terminate']) {
        template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
          AutoScalingGroupName: { Ref: groupId(name) },
          LifecycleHookName: hook,
          DefaultResult: 'CONTINUE',
          HeartbeatTimeout: 300,
        });
      }
    }
  });

  it('is managed by the stack: lifecycle rules filtered to the demo groups, a profiler tick for each group', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['EC2 Instance-launch Lifecycle Action'],
        detail: { AutoScalingGroupName: ['Spotwise-demo-primary', 'Spotwise-demo-standby'] },
      },
    });
    const ticks = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression === 'rate(5 minutes)');
    expect(ticks).toHaveLength(1);
    const inputs = (ticks[0]?.Properties.Targets as { InputTransformer: { InputTemplate: string } }[]).map((t) => t.InputTransformer.InputTemplate);
    expect(inputs.map((i) => /"groupName":"([^"]+)"/.exec(i)?.[1])).toEqual(['Spotwise-demo-primary', 'Spotwise-demo-standby']);
  });
});

describe('the demo fleet in dry-run', () => {
  it('has no lifecycle hooks: nothing would complete the actions, so every launch would wait for the timeout', () => {
    const { template } = synthSpotwise({ [ContextKey.demo]: 'true', [ContextKey.dryRun]: 'true' });
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
  });
});

describe('DemoFleet props', () => {
  const props = {
    primary: { name: 'p', instanceTypes: ['t4g.medium'] },
    standby: { name: 's', instanceType: 't4g.medium', warmPool },
    managedTag: { key: 'k', value: 'v' },
    lifecycleHooks: false,
  };
  it.each([
    [{ primary: { name: 'p', instanceTypes: [] } }, 'primary.instanceTypes must name at least one instance type (got [])'],
    [{ primarySize: { min: 3, max: 2 } }, 'primarySize must satisfy 0 <= min <= max and max >= 1 (got {"min":3,"max":2})'],
    [{ primarySize: { min: 0, max: 0 } }, 'primarySize must satisfy 0 <= min <= max and max >= 1 (got {"min":0,"max":0})'],
    [
      { standby: { name: 's', instanceType: 't4g.medium', warmPool: { ...warmPool, min_size: 3, max_prepared_capacity: 2 } } },
      'standby.warmPool.max_prepared_capacity must be -1 or at least min_size 3 (got 2)',
    ],
  ])('refuses %j', (patch, message) => {
    expect(() => new DemoFleet(bareStack(), 'Demo', { ...props, ...patch })).toThrow(`DemoFleet Test/Demo: ${message}`);
  });

  it('without an agent configuration, installs no agent and grants no metric permission', () => {
    const stack = bareStack();
    const fleet = new DemoFleet(stack, 'Demo', props);
    const template = fleet.node.findChild('PrimaryTemplate').node.defaultChild as unknown as { launchTemplateData: unknown };
    const json = JSON.stringify(stack.resolve(template.launchTemplateData));
    expect(json).not.toContain('amazon-cloudwatch-agent');
    expect(json).toContain('stress-ng');
  });
});
