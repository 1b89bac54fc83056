import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ScaleOutPolicies } from '../../lib/scale-out-policies';
import { SCALE_OUT_POLICY_ID } from '../../lambda/contracts/scaling-policy';
import { bareStack } from './helpers';

describe('ScaleOutPolicies', () => {
  it('puts one +1 simple scaling policy without cooldown on every named group, findable by its name', () => {
    const stack = bareStack();
    new ScaleOutPolicies(stack, 'ScaleOutPolicies', { groupNames: ['web', 'web-standby'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 2);
    for (const name of ['web', 'web-standby']) {
      template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        AutoScalingGroupName: name,
        PolicyType: 'SimpleScaling',
        AdjustmentType: 'ChangeInCapacity',
        ScalingAdjustment: 1,
        Cooldown: '0',
      });
    }
    // CloudFormation names a policy after its logical id: the adapter looks for SCALE_OUT_POLICY_ID in it.
    for (const id of Object.keys(template.findResources('AWS::AutoScaling::ScalingPolicy'))) expect(id).toContain(SCALE_OUT_POLICY_ID);
  });

  it('refuses a group named twice', () => {
    expect(() => new ScaleOutPolicies(bareStack(), 'P', { groupNames: ['web', 'web'] })).toThrow(
      'ScaleOutPolicies Test/P: groupNames must be unique (got "web" twice)',
    );
  });
});

describe('the stack', () => {
  it('puts the scale-out policy on every group the configuration names (IAM: test/lib/permissions.test.ts)', async () => {
    const { synthSpotwise } = await import('./helpers');
    const { template } = synthSpotwise();
    for (const name of ['web-spot', 'batch-spot', 'web-standby']) {
      template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        AutoScalingGroupName: name,
        PolicyType: 'SimpleScaling',
        AdjustmentType: 'ChangeInCapacity',
        ScalingAdjustment: 1,
      });
    }
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 3);
  });
});
