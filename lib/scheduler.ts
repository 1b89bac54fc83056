import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Env } from '../lambda/contracts/env';
import { acknowledgeNag } from './nag';

/** What the coordinator may do with schedules (the InterruptionScheduler port: schedule and cancel). */
export const SCHEDULING_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:GetSchedule', 'scheduler:DeleteSchedule'] as const;

export interface InterruptionSchedulerProps {
  /** The only function schedules may invoke. */
  readonly executor: IFunction;
  /** Where Scheduler puts a firing it could not deliver (the executor's dead-letter queue). */
  readonly deadLetterQueue: IQueue;
}

/**
 * EventBridge Scheduler for voluntary interruptions: a schedule group holding the coordinator's one-time
 * schedules, and the role those schedules run as, which can invoke the executor and nothing else (plus
 * writing to the executor's dead-letter queue). Deleting the stack deletes the group and with it every
 * pending interruption.
 */
export class InterruptionScheduler extends Construct {
  readonly group: ScheduleGroup;
  /** The role schedules assume (passed by the coordinator in CreateSchedule). */
  readonly role: IRole;
  private readonly executor: IFunction;
  private readonly deadLetterQueue: IQueue;

  constructor(scope: Construct, id: string, props: InterruptionSchedulerProps) {
    super(scope, id);
    this.executor = props.executor;
    this.deadLetterQueue = props.deadLetterQueue;
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    const stack = Stack.of(this);
    // Confused-deputy guard (Scheduler user guide, "Set up the execution role"): only schedules of this
    // account's group may assume the role.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
      description: 'spotwise: scheduled interruptions invoke the executor',
    });
    role.addToPrincipalPolicy(new PolicyStatement({ sid: 'InvokeExecutor', actions: ['lambda:InvokeFunction'], resources: [props.executor.functionArn] }));
    role.addToPrincipalPolicy(new PolicyStatement({ sid: 'DeadLetters', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }));
    this.role = role;
  }

  /** ARN pattern of the schedules in the group. */
  scheduleArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.group.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * Lets a function (the coordinator) create and cancel schedules in the group, passing the role, and gives it
   * the names it needs (Env.schedulerGroupName, schedulerRoleArn, executorFunctionArn, schedulerDeadLetterArn). In dry-run only the
   * names: a dry-run coordinator plans schedules but never creates them.
   */
  grantScheduling(fn: { readonly function: IFunction; readonly role: IRole }, options: { readonly dryRun: boolean }): void {
    const target = fn.function as IFunction & { addEnvironment(key: string, value: string): unknown };
    target.addEnvironment(Env.schedulerGroupName, this.group.scheduleGroupName);
    target.addEnvironment(Env.schedulerRoleArn, this.role.roleArn);
    target.addEnvironment(Env.executorFunctionArn, this.executor.functionArn);
    target.addEnvironment(Env.schedulerDeadLetterArn, this.deadLetterQueue.queueArn);
    if (options.dryRun) return;
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'ManageInterruptionSchedules', actions: [...SCHEDULING_ACTIONS], resources: [this.scheduleArnPattern()] }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PassSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledgeNag(fn.role, {
      // The group's name is generated at synth (a plain string), so the finding names it literally.
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*]`,
      reason: "One-time schedules are named per interruption request at run time; the wildcard is limited to schedules in spotwise's own schedule group.",
    });
  }
}
