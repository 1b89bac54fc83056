import { Template } from 'aws-cdk-lib/assertions';
import { AutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { InstanceType, MachineImage, Vpc } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { ExistingGroupLifecycleHooks, LIFECYCLE_HOOK_NAMES, addSpotwiseLifecycleHooks } from '../../lib/lifecycle-hooks';
import { bareStack } from './helpers';

describe('addSpotwiseLifecycleHooks', () => {
  it('adds the launch and terminate hooks, continuing after 5 minutes without an answer', () => {
    const stack = bareStack();
    const group = new AutoScalingGroup(stack, 'Group', {
      vpc: new Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 }),
      instanceType: new InstanceType('t4g.micro'),
      machineImage: MachineImage.latestAmazonLinux2023(),
    });
    addSpotwiseLifecycleHooks(group);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 2);
    for (const [name, transition] of [
      ['spotwise-launch', 'autoscaling:EC2_INSTANCE_LAUNCHING'],
      ['spotwise-terminate', 'autoscaling:EC2_INSTANCE_TERMINATING'],
    ]) {
      template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
        AutoScalingGroupName: { Ref: Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0] },
        LifecycleHookName: name,
        LifecycleTransition: transition,
        HeartbeatTimeout: 300,
        DefaultResult: 'CONTINUE',
      });
    }
    expect(LIFECYCLE_HOOK_NAMES).toEqual({ launch: 'spotwise-launch', terminate: 'spotwise-terminate' });
  });
});

describe('ExistingGroupLifecycleHooks', () => {
  const build = (groupNames: readonly string[]) => {
    const stack = bareStack();
    new ExistingGroupLifecycleHooks(stack, 'Hooks', { groupNames, managedTag: { key: 'spotwise:managed', value: 'true' } });
    return Template.fromStack(stack);
  };

  it('puts both hooks on each named group and deletes them with the stack', () => {
    const template = build(['web-spot']);
    const calls = Object.values(template.findResources('Custom::AWS')).map((r) => ({
      create: JSON.parse(r.Properties.Create as string) as Record<string, unknown>,
      del: JSON.parse(r.Properties.Delete as string) as Record<string, unknown>,
    }));
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.create)).toEqual([
      {
        service: 'AutoScaling',
        action: 'putLifecycleHook',
        parameters: {
          AutoScalingGroupName: 'web-spot',
          LifecycleHookName: 'spotwise-launch',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: 300,
          DefaultResult: 'CONTINUE',
        },
        physicalResourceId: { id: 'web-spot/spotwise-launch' },
      },
      {
        service: 'AutoScaling',
        action: 'putLifecycleHook',
        parameters: {
          AutoScalingGroupName: 'web-spot',
          LifecycleHookName: 'spotwise-terminate',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: 300,
          DefaultResult: 'CONTINUE',
        },
        physicalResourceId: { id: 'web-spot/spotwise-terminate' },
      },
    ]);
    expect(calls.map((c) => c.del)).toEqual(
      ['spotwise-launch', 'spotwise-terminate'].map((hook) => ({
        service: 'AutoScaling',
        action: 'deleteLifecycleHook',
        parameters: { AutoScalingGroupName: 'web-spot', LifecycleHookName: hook },
        ignoreErrorCodesMatching: 'ValidationError',
      })),
    );
    // The custom resource function does not download an SDK at deploy time.
    for (const r of Object.values(template.findResources('Custom::AWS'))) expect(r.Properties.InstallLatestAwsSdk).toBe(false);
  });

  it('may change the hooks of the named group only, and only while it carries the managed tag', () => {
    const template = build(['web-spot']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['autoscaling:PutLifecycleHook', 'autoscaling:DeleteLifecycleHook'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':autoscaling:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':autoScalingGroup:*:autoScalingGroupName/web-spot',
                ],
              ],
            },
            Condition: { StringEquals: { 'autoscaling:ResourceTag/spotwise:managed': 'true' } },
          },
        ],
      },
    });
    // No AWS managed policy on the custom resource's role.
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('refuses an empty group list', () => {
    expect(() => build([])).toThrow('ExistingGroupLifecycleHooks Test/Hooks: groupNames must name at least one group (got [])');
  });
});
