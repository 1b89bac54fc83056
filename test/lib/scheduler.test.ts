import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { InterruptionScheduler } from '../../lib/scheduler';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

const build = (dryRun: boolean) => {
  const stack = bareStack();
  const executor = dummyFunction(stack, 'Executor');
  const coordinator = dummyFunction(stack, 'Coordinator') as LambdaFunction;
  const coordinatorRole = new Role(stack, 'CoordinatorRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const scheduler = new InterruptionScheduler(stack, 'Scheduler', { executor, deadLetterQueue: dummyQueue(stack, 'Dlq') });
  scheduler.grantScheduling({ function: coordinator, role: coordinatorRole }, { dryRun });
  const template = Template.fromStack(stack);
  const ids = {
    executor: Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('Executor')) as string,
    group: logicalIdsOf(template, 'AWS::Scheduler::ScheduleGroup')[0] as string,
    dlq: logicalIdsOf(template, 'AWS::SQS::Queue')[0] as string,
    schedulerRole: Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('SchedulerRole')) as string,
    coordinatorRole: Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('CoordinatorRole')) as string,
  };
  return { template, scheduler, ids, executorFn: executor };
};

describe('InterruptionScheduler', () => {
  it('creates a schedule group deleted with the stack', () => {
    const { template } = build(false);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete' });
  });

  it('has a role only Scheduler of this account and group can assume, which can invoke the executor only', () => {
    const { template, ids } = build(false);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.group, 'Arn'] } },
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids.schedulerRole }],
      PolicyDocument: {
        Statement: [
          { Sid: 'InvokeExecutor', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Executor'), 'Arn'] } },
          { Sid: 'DeadLetters', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [ids.dlq, 'Arn'] } },
        ],
      },
    });
  });

  it('lets the coordinator manage schedules of its group only and pass the role to Scheduler only', () => {
    const { template, ids, scheduler } = build(false);
    const groupName = scheduler.group.scheduleGroupName;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: ids.coordinatorRole }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ManageInterruptionSchedules',
            Effect: 'Allow',
            Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'],
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:schedule/${groupName}/*`],
              ],
            },
          },
          {
            Sid: 'PassSchedulerRole',
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: { 'Fn::GetAtt': [ids.schedulerRole, 'Arn'] },
            Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
          },
        ],
      },
    });
  });

  it('gives the coordinator the group, role and executor names', () => {
    const { template, ids, scheduler } = build(true);
    const coordinator = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('Coordinator'))?.[1];
    expect(coordinator?.Properties).toMatchObject({
      Environment: {
        Variables: {
          SPOTWISE_SCHEDULER_GROUP: scheduler.group.scheduleGroupName,
          SPOTWISE_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [ids.schedulerRole, 'Arn'] },
          SPOTWISE_EXECUTOR_ARN: { 'Fn::GetAtt': [ids.executor, 'Arn'] },
          SPOTWISE_SCHEDULER_DLQ_ARN: { 'Fn::GetAtt': [ids.dlq, 'Arn'] },
        },
      },
    });
    expect(ids.executor).toMatch(/^Executor/);
  });

  it('in dry-run gives the names but no permission to create schedules', () => {
    const { template, ids } = build(true);
    const coordinatorPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(ids.coordinatorRole),
    );
    expect(coordinatorPolicies).toEqual([]);
  });
});
