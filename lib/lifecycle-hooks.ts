import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { DefaultResult, LifecycleTransition, type AutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { autoScalingGroupArns } from './permissions';
import { acknowledgeNag } from './nag';

/**
 * The names of spotwise's lifecycle hooks. The notice rules match only these names, so spotwise never
 * completes a lifecycle action that belongs to another hook on the same group. For an existing group, add
 * hooks with exactly these names (README, "Deploy"), or set `-c lifecycle_hooks=true`.
 */
export const LIFECYCLE_HOOK_NAMES = { launch: 'spotwise-launch', terminate: 'spotwise-terminate' } as const;

/**
 * Hook settings. CONTINUE on timeout in both directions: if spotwise is down, a launching instance still
 * enters service and a terminating one still leaves (ABANDON on launch would terminate the new instance).
 * Five minutes is more than the notice handler needs (it answers within seconds) and short enough that an
 * outage delays scale-out by minutes, not the Auto Scaling default of an hour.
 */
export const LIFECYCLE_HOOK_SETTINGS = { heartbeatTimeout: Duration.minutes(5), defaultResult: DefaultResult.CONTINUE } as const;

/** Adds spotwise's launch and terminate hooks to a group the stack creates (the demo groups). */
export const addSpotwiseLifecycleHooks = (group: AutoScalingGroup): void => {
  group.addLifecycleHook('SpotwiseLaunchHook', {
    lifecycleHookName: LIFECYCLE_HOOK_NAMES.launch,
    lifecycleTransition: LifecycleTransition.INSTANCE_LAUNCHING,
    heartbeatTimeout: LIFECYCLE_HOOK_SETTINGS.heartbeatTimeout,
    defaultResult: LIFECYCLE_HOOK_SETTINGS.defaultResult,
  });
  group.addLifecycleHook('SpotwiseTerminateHook', {
    lifecycleHookName: LIFECYCLE_HOOK_NAMES.terminate,
    lifecycleTransition: LifecycleTransition.INSTANCE_TERMINATING,
    heartbeatTimeout: LIFECYCLE_HOOK_SETTINGS.heartbeatTimeout,
    defaultResult: LIFECYCLE_HOOK_SETTINGS.defaultResult,
  });
};

export interface ExistingGroupLifecycleHooksProps {
  /** Names of existing groups (created outside this stack) to add the hooks to. */
  readonly groupNames: readonly string[];
  /** The managed tag: the custom resource may only change groups carrying it. */
  readonly managedTag: { readonly key: string; readonly value: string };
  /**
   * Retention of the custom resource function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Opt-in (`-c lifecycle_hooks=true`): adds spotwise's hooks to existing groups through a custom resource
 * calling PutLifecycleHook, and removes them (DeleteLifecycleHook) when the stack is deleted. Scoped to the
 * named groups carrying the managed tag.
 */
export class ExistingGroupLifecycleHooks extends Construct {
  constructor(scope: Construct, id: string, props: ExistingGroupLifecycleHooksProps) {
    super(scope, id);
    if (props.groupNames.length === 0) {
      throw new Error(`ExistingGroupLifecycleHooks ${this.node.path}: groupNames must name at least one group (got [])`);
    }
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'spotwise: adds lifecycle hooks to existing groups',
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const { key, value } = props.managedTag;

    props.groupNames.forEach((groupName, g) => {
      const transitions = [
        ['Launch', LIFECYCLE_HOOK_NAMES.launch, LifecycleTransition.INSTANCE_LAUNCHING],
        ['Terminate', LIFECYCLE_HOOK_NAMES.terminate, LifecycleTransition.INSTANCE_TERMINATING],
      ] as const;
      for (const [label, hookName, transition] of transitions) {
        const put = {
          service: 'AutoScaling',
          action: 'putLifecycleHook',
          parameters: {
            AutoScalingGroupName: groupName,
            LifecycleHookName: hookName,
            LifecycleTransition: transition,
            HeartbeatTimeout: LIFECYCLE_HOOK_SETTINGS.heartbeatTimeout.toSeconds(),
            DefaultResult: LIFECYCLE_HOOK_SETTINGS.defaultResult,
          },
          physicalResourceId: PhysicalResourceId.of(`${groupName}/${hookName}`),
        };
        new AwsCustomResource(this, `Group${g}${label}Hook`, {
          onCreate: put,
          onUpdate: put,
          onDelete: {
            service: 'AutoScaling',
            action: 'deleteLifecycleHook',
            parameters: { AutoScalingGroupName: groupName, LifecycleHookName: hookName },
            // The group (or the hook) may already be gone when the stack is deleted.
            ignoreErrorCodesMatching: 'ValidationError',
          },
          policy: AwsCustomResourcePolicy.fromStatements([
            new PolicyStatement({
              actions: ['autoscaling:PutLifecycleHook', 'autoscaling:DeleteLifecycleHook'],
              resources: autoScalingGroupArns(this, [groupName]),
              conditions: { StringEquals: { [`autoscaling:ResourceTag/${key}`]: value } },
            }),
          ]),
          role,
          logGroup,
          // The runtime's SDK has PutLifecycleHook; installing the latest SDK at deploy time needs network and npm.
          installLatestAwsSdk: false,
        });
      }
      acknowledgeNag(this, {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${groupName}]`,
        reason:
          'The group id inside an Auto Scaling group ARN is random; the group name is fixed and the statement requires the managed tag (autoscaling:ResourceTag).',
      });
    });
  }
}
