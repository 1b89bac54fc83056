import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NoticeRules } from '../../lib/notice-rules';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

const build = (groupNames: readonly string[] | undefined) => {
  const stack = bareStack();
  const fn = dummyFunction(stack, 'Notice');
  const dlq = dummyQueue(stack, 'Dlq');
  new NoticeRules(stack, 'Notices', { target: fn, deadLetterQueue: dlq, groupNames });
  const template = Template.fromStack(stack);
  const [fnId] = logicalIdsOf(template, 'AWS::Lambda::Function');
  const [dlqId] = logicalIdsOf(template, 'AWS::SQS::Queue');
  return { template, fnId: fnId as string, dlqId: dlqId as string };
};

/** The exact pattern, target, DLQ and retry policy of one rule. */
const expectRule = (
  t: ReturnType<typeof build>,
  pattern: Record<string, unknown>,
  retry: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number },
) => {
  t.template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: pattern,
    State: 'ENABLED',
    Targets: [
      {
        Arn: { 'Fn::GetAtt': [t.fnId, 'Arn'] },
        Id: 'Target0',
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [t.dlqId, 'Arn'] } },
        RetryPolicy: retry,
      },
    ],
  });
};

describe('NoticeRules with named groups', () => {
  let t: ReturnType<typeof build>;
  beforeAll(() => {
    t = build(['web-spot', 'web-standby']);
  });

  it('has exactly five rules on the default bus', () => {
    t.template.resourceCountIs('AWS::Events::Rule', 5);
    for (const rule of Object.values(t.template.findResources('AWS::Events::Rule'))) expect(rule.Properties.EventBusName).toBeUndefined();
  });

  it('routes spot interruption warnings, useless after the 120 s lead', () => {
    expectRule(t, { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] }, { MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 5 });
  });

  it('routes rebalance recommendations', () => {
    expectRule(t, { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] }, { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 });
  });

  it('routes instance state changes', () => {
    expectRule(t, { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 });
  });

  it('routes launch lifecycle actions of spotwise\'s hook on the managed groups only', () => {
    expectRule(
      t,
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action'],
        detail: { AutoScalingGroupName: ['web-spot', 'web-standby'], LifecycleHookName: ['spotwise-launch'] },
      },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
  });

  it('routes terminate lifecycle actions of spotwise\'s hook on the managed groups only', () => {
    expectRule(
      t,
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: ['web-spot', 'web-standby'], LifecycleHookName: ['spotwise-terminate'] },
      },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
  });

  it('lets EventBridge invoke the notice function from each rule and write to the DLQ', () => {
    t.template.resourceCountIs('AWS::Lambda::Permission', 5);
    const [policy] = Object.values(t.template.findResources('AWS::SQS::QueuePolicy'));
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const ruleIds = logicalIdsOf(t.template, 'AWS::Events::Rule');
    // One statement per rule, each limited to that rule by aws:SourceArn.
    expect(statements).toHaveLength(5);
    expect(statements).toEqual(
      ruleIds.map((ruleId) => expect.objectContaining({
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: { 'Fn::GetAtt': [t.dlqId, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }) as unknown),
    );
  });
});

describe('NoticeRules with tag-selected groups', () => {
  it('cannot filter lifecycle actions by group (no tags in events), only by spotwise\'s hook name', () => {
    const t = build(undefined);
    expectRule(
      t,
      { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-launch Lifecycle Action'], detail: { LifecycleHookName: ['spotwise-launch'] } },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
    expectRule(
      t,
      { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-terminate Lifecycle Action'], detail: { LifecycleHookName: ['spotwise-terminate'] } },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
  });
});

describe('NoticeRules props', () => {
  it('refuses an empty list of group names', () => {
    expect(() => build([])).toThrow('NoticeRules Test/Notices: groupNames must name at least one group, or be undefined for tag-selected groups (got [])');
  });

  it.each([
    [{ maxEventAge: Duration.seconds(30), retryAttempts: 1 }, 'NoticeRules Test/Notices stateChange: maxEventAge must be between 60 seconds and 24 hours (got 30 seconds)'],
    [{ maxEventAge: Duration.minutes(5), retryAttempts: 186 }, 'NoticeRules Test/Notices stateChange: retryAttempts must be an integer between 0 and 185 (got 186)'],
  ])('refuses a delivery policy outside EventBridge limits', (delivery, message) => {
    const stack = bareStack();
    expect(() => new NoticeRules(stack, 'Notices', { target: dummyFunction(stack, 'F'), deadLetterQueue: dummyQueue(stack, 'Q'), groupNames: ['a'], delivery: { stateChange: delivery } })).toThrow(message);
  });
});
