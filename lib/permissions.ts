import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SPOTWISE_SOURCE } from '../lambda/contracts/events';
import { Keys } from '../lambda/contracts/table';
import { STANDBY_MARK_TAG } from '../lambda/core/domain';
import type { HandlerName } from './spotwise-function';
import { acknowledgeNag } from './nag';

/**
 * Named DynamoDB actions on the table, only on items whose partition key matches one of `partitions`
 * (`dynamodb:LeadingKeys`, StringLike: `*` matches any characters). For a function that touches a few partitions only.
 */
export interface ScopedTableAccess {
  readonly actions: readonly string[];
  readonly partitions: readonly string[];
}

/** What one function may do. Data, so the matrix is reviewable in one place and pinned by tests. */
export interface FunctionAccess {
  /** DynamoDB: 'read' gets grantReadData, 'read-write' grantReadWriteData, a ScopedTableAccess exactly its actions and partitions. */
  readonly table: 'read' | 'read-write' | ScopedTableAccess;
  /** Read-only describe calls. They do not support resource-level permissions, hence Resource '*'. None: no statement. */
  readonly describe: readonly string[];
  /** events:PutEvents on spotwise's bus, with source spotwise only. */
  readonly publishEvents: boolean;
  /** cloudwatch:GetMetricData (no resource-level permissions either). */
  readonly readMetrics: boolean;
  /** Prices, read-only: ec2:DescribeSpotPriceHistory and pricing:GetProducts (neither has resource-level permissions). */
  readonly readPrices?: boolean;
  /** EC2 actions that change instances: only on instances carrying the managed tag. */
  readonly instanceActions: readonly string[];
  /** Auto Scaling actions that change groups: only on managed groups carrying the managed tag. */
  readonly groupActions: readonly string[];
  /**
   * ec2:CreateTags / ec2:DeleteTags of the standby mark (STANDBY_MARK_TAG) alone: on managed instances, and with
   * `aws:TagKeys` limited to that one key, so no other tag (the managed tag itself included) can be written or deleted.
   */
  readonly standbyMarkActions: readonly ('ec2:CreateTags' | 'ec2:DeleteTags')[];
}

const EC2_DESCRIBE = ['ec2:DescribeInstances', 'ec2:DescribeInstanceTypes'];
const ASG_DESCRIBE = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeWarmPool',
  'autoscaling:DescribePolicies',
];

/**
 * The permission matrix, from the Plan actions each handler executes (lambda/core/domain.ts `Action`).
 * Every function writes the table (the profiler stores profiles and forecasts, the notice and coordinator
 * functions reserve capacity and record processed events, the executor releases reservations and records
 * the outcome, the retrainer stores the model), so none of them is read-only there; each gets only the EC2/Auto
 * Scaling calls its plans use. The retrainer plans nothing: it only reads restart cycles and replaces the model.
 */
export const FUNCTION_ACCESS: Readonly<Record<HandlerName, FunctionAccess>> = {
  profiler: {
    table: 'read-write',
    describe: [...EC2_DESCRIBE, ...ASG_DESCRIBE],
    publishEvents: true,
    readMetrics: true,
    // Cost metrics and staging's cheapest covering type (lambda/app/profiler-prices.ts).
    readPrices: true,
    // Staging (lambda/core/staging): retype-stopped-instance and put-warm-pool (under the group's warm-pool lease, an item
    // of the table); return-standby-instance
    // (TerminateInstanceInAutoScalingGroup with a decrement) for idle standby members; exit-standby and
    // clear-standby-mark for members spotwise moved to Standby that nothing brings back (core/coordinator/standby-exit.ts).
    instanceActions: ['ec2:ModifyInstanceAttribute'],
    groupActions: ['autoscaling:PutWarmPool', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:ExitStandby'],
    standbyMarkActions: ['ec2:DeleteTags'],
  },
  notice: {
    table: 'read-write',
    describe: [...EC2_DESCRIBE, ...ASG_DESCRIBE],
    publishEvents: true,
    readMetrics: false,
    // Absorbing a spot warning (lambda/core/planner/absorb-load.ts): start or retype staged instances, and
    // stop → modify → start of an On-Demand sibling where the policy allows it; a rebalance recommendation's
    // stage-warm-instance retypes the stopped warm instance it claimed (the claim is an item of the table).
    instanceActions: ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:ModifyInstanceAttribute'],
    // change-desired-capacity (ExecutePolicy of the group's +1 scale-out policy, lib/scale-out-policies.ts),
    // raise-warm-pool (rebalance: PutWarmPool under the group's warm-pool lease, an item of the table), complete-lifecycle-action and heartbeat (lifecycle hooks), enter-standby before a
    // sibling's stop and exit-standby when a voluntarily stopped member runs again.
    groupActions: [
      'autoscaling:ExecutePolicy',
      'autoscaling:PutWarmPool',
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:RecordLifecycleActionHeartbeat',
      'autoscaling:EnterStandby',
      'autoscaling:ExitStandby',
    ],
    // The standby mark: written before a sibling's EnterStandby, deleted after ExitStandby.
    standbyMarkActions: ['ec2:CreateTags', 'ec2:DeleteTags'],
  },
  coordinator: {
    table: 'read-write',
    describe: [...EC2_DESCRIBE, ...ASG_DESCRIBE],
    publishEvents: true,
    readMetrics: false,
    // Requests only reserve, schedule (EventBridge Scheduler, granted in scheduler.ts) or defer: no fleet change.
    instanceActions: [],
    groupActions: [],
    standbyMarkActions: [],
  },
  executor: {
    table: 'read-write',
    describe: [...EC2_DESCRIBE, ...ASG_DESCRIBE],
    publishEvents: true,
    readMetrics: false,
    // interrupt-instance: stop or hibernate (StopInstances with Hibernate=true); StartInstances restarts an
    // instance when a later step fails (execute-plan compensation).
    instanceActions: ['ec2:StopInstances', 'ec2:StartInstances'],
    // interrupt-instance terminate goes through Auto Scaling so the group launches the replacement; a stop or
    // hibernate is preceded by enter-standby (exit-standby when the stop fails: compensation).
    groupActions: ['autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:EnterStandby', 'autoscaling:ExitStandby'],
    // The standby mark: written before EnterStandby, deleted after ExitStandby (a compensation's too).
    standbyMarkActions: ['ec2:CreateTags', 'ec2:DeleteTags'],
  },
  retrainer: {
    // lambda/adapters/dynamodb-learning-store.ts: Query of each group's CYCLES# partition (listCycles) and of the
    // MODEL partition's runs; GetItem of MODEL/CURRENT; PutItem of MODEL/CURRENT (conditional on the version) and of
    // a MODEL/RUN# record. Nothing else in the table: not the pools, reservations, profiles or requests.
    table: {
      actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      partitions: [Keys.cycle('*', 0, '').pk, Keys.currentModel.pk],
    },
    // No fleet reads or changes, no events: its outcome is logged, recorded in the table and counted (EMF metrics).
    describe: [],
    publishEvents: false,
    readMetrics: false,
    instanceActions: [],
    groupActions: [],
    standbyMarkActions: [],
  },
};

export interface GrantFunctionAccessOptions {
  readonly table: ITable;
  readonly bus: IEventBus;
  readonly managedTag: { readonly key: string; readonly value: string };
  /**
   * Names of the managed groups (primary and standby). `undefined` when groups are (also) selected by tag:
   * then any group name, still only with the managed tag.
   */
  readonly groupNames: readonly string[] | undefined;
  /**
   * In dry-run the handlers only plan and report, so the functions get no mutating EC2/Auto Scaling
   * permissions at all: a dry-run deployment cannot change the fleet even if a handler ignored the flag.
   */
  readonly dryRun: boolean;
}

/** ARNs of the managed Auto Scaling groups (the group id in the ARN is random, hence `*` there). */
export const autoScalingGroupArns = (scope: Construct, groupNames: readonly string[] | undefined): string[] =>
  (groupNames ?? ['*']).map((name) =>
    Stack.of(scope).formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${name}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );

export const instanceArn = (scope: Construct): string =>
  Stack.of(scope).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

/** The IAM statements of one function besides the table grant (exported for the tests' expectations). */
export const accessStatements = (scope: Construct, access: FunctionAccess, options: Omit<GrantFunctionAccessOptions, 'table'>): PolicyStatement[] => {
  const { key, value } = options.managedTag;
  const statements: PolicyStatement[] = [];
  if (access.describe.length > 0) statements.push(new PolicyStatement({ sid: 'Describe', actions: [...access.describe], resources: ['*'] }));
  if (access.publishEvents) {
    // Only spotwise's own source on spotwise's own bus (events:source is checked by PutEvents).
    statements.push(
      new PolicyStatement({
        sid: 'PublishSpotwiseEvents',
        actions: ['events:PutEvents'],
        resources: [options.bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': SPOTWISE_SOURCE } },
      }),
    );
  }
  if (access.readMetrics) statements.push(new PolicyStatement({ sid: 'ReadMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
  if (access.readPrices === true)
    statements.push(new PolicyStatement({ sid: 'ReadPrices', actions: ['ec2:DescribeSpotPriceHistory', 'pricing:GetProducts'], resources: ['*'] }));
  if (!options.dryRun && access.instanceActions.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'ChangeManagedInstances',
        actions: [...access.instanceActions],
        resources: [instanceArn(scope)],
        conditions: { StringEquals: { [`aws:ResourceTag/${key}`]: value } },
      }),
    );
  }
  if (!options.dryRun && access.standbyMarkActions.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'MarkStandby',
        actions: [...access.standbyMarkActions],
        resources: [instanceArn(scope)],
        conditions: {
          StringEquals: { [`aws:ResourceTag/${key}`]: value },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [STANDBY_MARK_TAG] },
          // ForAllValues holds for a request naming no key, and a DeleteTags without Tags deletes every tag: the key
          // list must be there.
          Null: { 'aws:TagKeys': 'false' },
        },
      }),
    );
  }
  if (!options.dryRun && access.groupActions.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'ChangeManagedGroups',
        actions: [...access.groupActions],
        resources: autoScalingGroupArns(scope, options.groupNames),
        conditions: { StringEquals: { [`autoscaling:ResourceTag/${key}`]: value } },
      }),
    );
  }
  return statements;
};

/**
 * The statement of a ScopedTableAccess: its actions on the table itself (no index: a Query of an index would need the
 * index ARN), limited to items whose partition key matches. `ForAllValues` because dynamodb:LeadingKeys is
 * multivalued; every action granted here names exactly one partition key, so the key is always present in the request.
 * (Using IAM policy conditions for fine-grained access control, Amazon DynamoDB Developer Guide.)
 */
export const scopedTableStatement = (table: ITable, access: ScopedTableAccess): PolicyStatement =>
  new PolicyStatement({
    sid: 'StateTable',
    actions: [...access.actions],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...access.partitions] } },
  });

/** Grants one function its table access and statements, and acknowledges the wildcards with their reasons. */
export const grantFunctionAccess = (role: IRole, access: FunctionAccess, options: GrantFunctionAccessOptions): void => {
  if (access.table === 'read') options.table.grantReadData(role);
  else if (access.table === 'read-write') options.table.grantReadWriteData(role);
  else {
    role.addToPrincipalPolicy(scopedTableStatement(options.table, access.table));
    // What grantReadWriteData gives on a customer managed key (none by default: lib/state-table.ts).
    options.table.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*');
  }
  for (const statement of accessStatements(role, access, options)) role.addToPrincipalPolicy(statement);

  if (!options.dryRun && (access.instanceActions.length > 0 || access.standbyMarkActions.length > 0)) {
    acknowledgeNag(role, {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
      reason: 'Instances come and go; the statement carries the condition aws:ResourceTag/<managed tag> so only instances tagged as managed can be changed.',
    });
  }
  if (!options.dryRun && access.groupActions.length > 0) {
    for (const name of options.groupNames ?? ['*']) {
      acknowledgeNag(role, {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${name}]`,
        reason:
          'The group id inside an Auto Scaling group ARN is random; the name is fixed (or, for tag-selected groups, any) and the condition autoscaling:ResourceTag/<managed tag> limits the statement to managed groups.',
      });
    }
  }
};
