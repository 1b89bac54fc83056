import { Duration, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NoticeRules } from '../../lib/notice-rules';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

const build = (groupNames: readonly string[] | undefined) => {
  const stack = bareStack();
  const fn = dummyFunction(stack, 'Notice');
  const dlq = dummyQueue(stack, 'Dlq');
  const coordinator = dummyFunction(stack, 'Coordinator');
  const coordinatorDlq = dummyQueue(stack, 'CoordinatorDlq');
  new NoticeRules(stack, 'Notices', { target: fn, deadLetterQueue: dlq, maintenance: { target: coordinator, deadLetterQueue: coordinatorDlq }, groupNames });
  const template = Template.fromStack(stack);
  return { template, fnId: idOf(stack, fn), dlqId: idOf(stack, dlq), coordinatorId: idOf(stack, coordinator), coordinatorDlqId: idOf(stack, coordinatorDlq) };
};

/** The exact pattern, target, DLQ and retry policy of one rule (the notice function unless `to` says otherwise). */
const expectRule = (
  t: ReturnType<typeof build>,
  pattern: Record<string, unknown>,
  retry: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number },
  to: { fnId: string; dlqId: string } = t,
) => {
  t.template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: pattern,
    State: 'ENABLED',
    Targets: [
      {
        Arn: { 'Fn::GetAtt': [to.fnId, 'Arn'] },
        Id: 'Target0',
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [to.dlqId, 'Arn'] } },
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

  it('has exactly seven rules on the default bus', () => {
    t.template.resourceCountIs('AWS::Events::Rule', 7);
    for (const rule of Object.values(t.template.findResources('AWS::Events::Rule'))) expect(rule.Properties.EventBusName).toBeUndefined();
  });

  it('routes spot interruption warnings, useless after the 120 s lead', () => {
    expectRule(
      t,
      { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] },
      { MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 5 },
    );
  });

  it('routes rebalance recommendations', () => {
    expectRule(
      t,
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance Rebalance Recommendation'] },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
  });

  it('routes instance state changes to the states spotwise acts on only, not every state change in the region', () => {
    expectRule(
      t,
      { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['running', 'stopped'] } },
      { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 8 },
    );
    const stateRules = Object.values(
      t.template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['EC2 Instance State-change Notification'] } } }),
    );
    expect(stateRules).toHaveLength(1);
    expect(stateRules[0]?.Properties.EventPattern.detail.state).not.toContain('pending');
    expect(stateRules[0]?.Properties.EventPattern.detail.state).not.toContain('stopping');
  });

  it('routes interruptible Capacity Reservation warnings to the notice handler, useless after their two-minute lead', () => {
    expectRule(
      t,
      { source: ['aws.ec2'], 'detail-type': ['EC2 Capacity Reservation Instance Interruption Warning'] },
      { MaximumEventAgeInSeconds: 120, MaximumRetryAttempts: 5 },
    );
  });

  it('routes AWS Health EC2 scheduled changes (only) to the coordinator, with its DLQ', () => {
    expectRule(
      t,
      { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] } },
      { MaximumEventAgeInSeconds: 6 * 3600, MaximumRetryAttempts: 50 },
      { fnId: t.coordinatorId, dlqId: t.coordinatorDlqId },
    );
    // No other rule reaches the coordinator, and no Health event reaches the notice handler.
    const toCoordinator = t.template.findResources('AWS::Events::Rule', {
      Properties: { Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [t.coordinatorId, 'Arn'] } })] },
    });
    expect(Object.keys(toCoordinator)).toHaveLength(1);
  });

  it("routes launch lifecycle actions of spotwise's hook on the managed groups only", () => {
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

  it("routes terminate lifecycle actions of spotwise's hook on the managed groups only", () => {
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

  it("lets EventBridge invoke each rule's function and write to that function's DLQ, each rule only its own", () => {
    t.template.resourceCountIs('AWS::Lambda::Permission', 7);
    const policies = Object.values(t.template.findResources('AWS::SQS::QueuePolicy'));
    const policy = policies.find((p) => (p.Properties.Queues as unknown[]).some((q) => JSON.stringify(q).includes(t.dlqId)));
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const ruleIds = logicalIdsOf(t.template, 'AWS::Events::Rule').filter((id) => !id.includes('ScheduledMaintenance'));
    // One statement per rule, each limited to that rule by aws:SourceArn.
    expect(statements).toHaveLength(6);
    expect(statements).toEqual(
      ruleIds.map(
        (ruleId) =>
          expect.objectContaining({
            Action: 'sqs:SendMessage',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Resource: { 'Fn::GetAtt': [t.dlqId, 'Arn'] },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }) as unknown,
      ),
    );
  });
});

describe('NoticeRules: the coordinator side (least privilege)', () => {
  it('the coordinator can be invoked by the Health rule only, and its DLQ written by that rule only', () => {
    const t = build(['web-spot']);
    const [maintenanceRule] = logicalIdsOf(t.template, 'AWS::Events::Rule', { EventPattern: { source: ['aws.health'] } });
    const permissions = Object.values(
      t.template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: { 'Fn::GetAtt': [t.coordinatorId, 'Arn'] } } }),
    );
    expect(permissions.map((p) => p.Properties.SourceArn)).toEqual([{ 'Fn::GetAtt': [maintenanceRule, 'Arn'] }]);
    const policies = Object.values(t.template.findResources('AWS::SQS::QueuePolicy'));
    const coordinatorQueuePolicy = policies.find((p) => JSON.stringify(p.Properties.Queues).includes(t.coordinatorDlqId));
    expect(coordinatorQueuePolicy?.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [maintenanceRule, 'Arn'] } } },
      }),
    ]);
  });
});

describe('NoticeRules with tag-selected groups', () => {
  it("cannot filter lifecycle actions by group (no tags in events), only by spotwise's hook name", () => {
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
    [
      { maxEventAge: Duration.seconds(30), retryAttempts: 1 },
      'NoticeRules Test/Notices stateChange: maxEventAge must be between 60 seconds and 24 hours (got 30 seconds)',
    ],
    [
      { maxEventAge: Duration.minutes(5), retryAttempts: 186 },
      'NoticeRules Test/Notices stateChange: retryAttempts must be an integer between 0 and 185 (got 186)',
    ],
  ])('refuses a delivery policy outside EventBridge limits', (delivery, message) => {
    const stack = bareStack();
    expect(
      () =>
        new NoticeRules(stack, 'Notices', {
          target: dummyFunction(stack, 'F'),
          deadLetterQueue: dummyQueue(stack, 'Q'),
          maintenance: { target: dummyFunction(stack, 'C'), deadLetterQueue: dummyQueue(stack, 'CQ') },
          groupNames: ['a'],
          delivery: { stateChange: delivery },
        }),
    ).toThrow(message);
  });
});
