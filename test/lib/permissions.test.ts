import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { FUNCTION_ACCESS, grantFunctionAccess } from '../../lib/permissions';
import { RequestBus } from '../../lib/request-bus';
import { StateTable } from '../../lib/state-table';
import { HANDLER_NAMES, type HandlerName } from '../../lib/spotwise-function';
import { bareStack, synthSpotwise } from './helpers';

type Statement = Record<string, unknown>;

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The statements of a function's role, in order, from the role's default policy. */
const statementsOf = (template: Template, fn: HandlerName): Statement[] => {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(`Functions${capitalise(fn)}RoleDefaultPolicy`));
  expect(policies).toHaveLength(1);
  return policies[0]?.[1].Properties.PolicyDocument.Statement as Statement[];
};

const idOf = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

const arn = (service: string, resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, resource]],
});
const instanceArn = arn('ec2', ':instance/*');
const groupArn = (name: string) => arn('autoscaling', `:autoScalingGroup:*:autoScalingGroupName/${name}`);
const managedInstances = { StringEquals: { 'aws:ResourceTag/spotwise:managed': 'true' } };
const managedGroups = { StringEquals: { 'autoscaling:ResourceTag/spotwise:managed': 'true' } };
/** Tag writes on managed instances, of the standby mark alone, and never a DeleteTags naming no key (it deletes every tag). */
const standbyMarkOnly = {
  ...managedInstances,
  'ForAllValues:StringEquals': { 'aws:TagKeys': ['spotwise:standby'] },
  Null: { 'aws:TagKeys': 'false' },
};

const DESCRIBE = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeWarmPool',
  'autoscaling:DescribePolicies',
];
const TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:GetItem',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];

/** What every function gets: its own logs, its DLQ, X-Ray. */
const ownStatements = (template: Template, fn: HandlerName): Statement[] => [
  {
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::Logs::LogGroup', `Functions${capitalise(fn)}Logs`), 'Arn'] },
  },
  {
    Action: 'sqs:SendMessage',
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::SQS::Queue', `Functions${capitalise(fn)}DeadLetters`), 'Arn'] },
  },
  { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
];

/** What every function that acts on the fleet gets besides: the table, describe calls, publishing as spotwise. */
const baseStatements = (template: Template, fn: HandlerName): Statement[] => {
  const table = idOf(template, 'AWS::DynamoDB::Table', 'State');
  return [
    ...ownStatements(template, fn),
    { Action: TABLE_READ_WRITE, Effect: 'Allow', Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }] },
    { Action: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Effect: 'Allow', Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }] },
    { Sid: 'Describe', Action: DESCRIBE, Effect: 'Allow', Resource: '*' },
    {
      Sid: 'PublishSpotwiseEvents',
      Action: 'events:PutEvents',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::Events::EventBus', 'EventsBus'), 'Arn'] },
      Condition: { StringEquals: { 'events:source': 'spotwise' } },
    },
  ];
};

const NAMED_GROUPS = ['web-spot', 'batch-spot', 'web-standby'];

/**
 * The retrainer's whole policy: its own logs, DLQ and X-Ray, and Query/GetItem/PutItem on the table only for the
 * restart cycles (CYCLES#<group>) and the model (MODEL): no fleet read or change, no event, no other item.
 */
const retrainerStatements = (template: Template): Statement[] => [
  ...ownStatements(template, 'retrainer'),
  {
    Sid: 'StateTable',
    Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::DynamoDB::Table', 'State'), 'Arn'] },
    Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CYCLES#*', 'MODEL'] } },
  },
];

describe('IAM, active (spotwise.example.yaml with -c dry_run=false)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthSpotwise({ [ContextKey.dryRun]: 'false' }).template;
  });

  it('profiler: reads metrics; retypes managed instances and sizes warm pools of managed groups only', () => {
    expect(statementsOf(template, 'profiler')).toEqual([
      ...baseStatements(template, 'profiler'),
      { Sid: 'ReadMetrics', Action: 'cloudwatch:GetMetricData', Effect: 'Allow', Resource: '*' },
      { Sid: 'ReadPrices', Action: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'], Effect: 'Allow', Resource: '*' },
      { Sid: 'ChangeManagedInstances', Action: 'ec2:ModifyInstanceAttribute', Effect: 'Allow', Resource: instanceArn, Condition: managedInstances },
      { Sid: 'MarkStandby', Action: 'ec2:DeleteTags', Effect: 'Allow', Resource: instanceArn, Condition: standbyMarkOnly },
      {
        Sid: 'ChangeManagedGroups',
        Action: ['autoscaling:PutWarmPool', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:ExitStandby'],
        Effect: 'Allow',
        Resource: NAMED_GROUPS.map(groupArn),
        Condition: managedGroups,
      },
    ]);
  });

  it('notice: starts/stops/retypes managed instances; capacity, warm pool and lifecycle actions on managed groups only', () => {
    expect(statementsOf(template, 'notice')).toEqual([
      ...baseStatements(template, 'notice'),
      {
        Sid: 'ChangeManagedInstances',
        Action: ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:ModifyInstanceAttribute'],
        Effect: 'Allow',
        Resource: instanceArn,
        Condition: managedInstances,
      },
      { Sid: 'MarkStandby', Action: ['ec2:CreateTags', 'ec2:DeleteTags'], Effect: 'Allow', Resource: instanceArn, Condition: standbyMarkOnly },
      {
        Sid: 'ChangeManagedGroups',
        Action: [
          'autoscaling:ExecutePolicy',
          'autoscaling:PutWarmPool',
          'autoscaling:CompleteLifecycleAction',
          'autoscaling:RecordLifecycleActionHeartbeat',
          'autoscaling:EnterStandby',
          'autoscaling:ExitStandby',
        ],
        Effect: 'Allow',
        Resource: NAMED_GROUPS.map(groupArn),
        Condition: managedGroups,
      },
    ]);
  });

  it('coordinator: no fleet changes; manages schedules in its group and passes the scheduler role to Scheduler only', () => {
    const group = idOf(template, 'AWS::Scheduler::ScheduleGroup', 'SchedulerGroup');
    const groupName = (template.findResources('AWS::Scheduler::ScheduleGroup')[group]?.Properties as { Name: string }).Name;
    expect(statementsOf(template, 'coordinator')).toEqual([
      ...baseStatements(template, 'coordinator'),
      {
        Sid: 'ManageInterruptionSchedules',
        Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'],
        Effect: 'Allow',
        Resource: arn('scheduler', `:schedule/${groupName}/*`),
      },
      {
        Sid: 'PassSchedulerRole',
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::IAM::Role', 'SchedulerRole'), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
  });

  it('executor: stops/starts managed instances, moves them to and from Standby and terminates through Auto Scaling in managed groups only', () => {
    expect(statementsOf(template, 'executor')).toEqual([
      ...baseStatements(template, 'executor'),
      {
        Sid: 'ChangeManagedInstances',
        Action: ['ec2:StopInstances', 'ec2:StartInstances'],
        Effect: 'Allow',
        Resource: instanceArn,
        Condition: managedInstances,
      },
      { Sid: 'MarkStandby', Action: ['ec2:CreateTags', 'ec2:DeleteTags'], Effect: 'Allow', Resource: instanceArn, Condition: standbyMarkOnly },
      {
        Sid: 'ChangeManagedGroups',
        Action: ['autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:EnterStandby', 'autoscaling:ExitStandby'],
        Effect: 'Allow',
        Resource: NAMED_GROUPS.map(groupArn),
        Condition: managedGroups,
      },
    ]);
  });

  it('retrainer: Query, GetItem and PutItem on the restart cycles and the model in the table, nothing else', () => {
    expect(statementsOf(template, 'retrainer')).toEqual(retrainerStatements(template));
  });

  it('never allows a mutating EC2 or Auto Scaling action on "*" or without the managed-tag condition', () => {
    for (const fn of HANDLER_NAMES) {
      for (const s of statementsOf(template, fn)) {
        const actions = ([] as string[]).concat(s.Action as string | string[]);
        const mutating = actions.filter((a) => /^(ec2|autoscaling):/.test(a) && !/:Describe/.test(a));
        if (mutating.length === 0) continue;
        expect(s.Resource, `${fn}: ${mutating.join(', ')}`).not.toBe('*');
        const tags = actions.every((a) => a === 'ec2:CreateTags' || a === 'ec2:DeleteTags');
        expect(s.Condition, `${fn}: ${mutating.join(', ')}`).toEqual(
          tags ? standbyMarkOnly : actions[0]?.startsWith('ec2:') ? managedInstances : managedGroups,
        );
      }
    }
  });

  it('gives each function its own role, assumable by Lambda only, without AWS managed policies', () => {
    for (const fn of HANDLER_NAMES) {
      const role = template.findResources('AWS::IAM::Role')[idOf(template, 'AWS::IAM::Role', `Functions${capitalise(fn)}Role`)];
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });
});

describe('IAM in dry-run (the default)', () => {
  it('holds no mutating EC2, Auto Scaling or Scheduler permission at all', () => {
    const { template } = synthSpotwise();
    expect(statementsOf(template, 'retrainer')).toEqual(retrainerStatements(template));
    for (const fn of HANDLER_NAMES.filter((f) => f !== 'retrainer')) {
      expect(statementsOf(template, fn)).toEqual([
        ...baseStatements(template, fn),
        ...(FUNCTION_ACCESS[fn].readMetrics ? [{ Sid: 'ReadMetrics', Action: 'cloudwatch:GetMetricData', Effect: 'Allow', Resource: '*' }] : []),
        ...(FUNCTION_ACCESS[fn].readPrices === true
          ? [{ Sid: 'ReadPrices', Action: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'], Effect: 'Allow', Resource: '*' }]
          : []),
      ]);
    }
  });
});

describe('IAM with tag-selected groups', () => {
  it('allows any group name, still only with the managed tag', () => {
    const config = {
      group_tag: { key: 'team', value: 'web' },
      policies: [{ policy_name: 'p', priority: 'medium' }],
      dry_run: false,
    };
    const { template } = synthSpotwise({ [ContextKey.config]: config });
    const executor = statementsOf(template, 'executor');
    expect(executor.at(-1)).toEqual({
      Sid: 'ChangeManagedGroups',
      Action: ['autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:EnterStandby', 'autoscaling:ExitStandby'],
      Effect: 'Allow',
      Resource: groupArn('*'),
      Condition: managedGroups,
    });
  });
});

describe('grantFunctionAccess with scoped table access', () => {
  it('on a table with a customer managed key, also lets the function use the key as grantReadWriteData would', () => {
    const stack = bareStack();
    const table = new StateTable(stack, 'State', { encryptionKey: new Key(stack, 'Key') }).table;
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    grantFunctionAccess(role, FUNCTION_ACCESS.retrainer, {
      table,
      bus: new RequestBus(stack, 'Events').bus,
      managedTag: { key: 'spotwise:managed', value: 'true' },
      groupNames: ['g'],
      dryRun: false,
    });
    const template = Template.fromStack(stack);
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'StateTable',
        Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::DynamoDB::Table', 'State'), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CYCLES#*', 'MODEL'] } },
      },
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [idOf(template, 'AWS::KMS::Key', 'Key'), 'Arn'] },
      },
    ]);
  });
});
