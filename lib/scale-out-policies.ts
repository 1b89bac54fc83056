import { CfnScalingPolicy } from 'aws-cdk-lib/aws-autoscaling';
import { Construct } from 'constructs';
import { SCALE_OUT_POLICY_ADJUSTMENT, SCALE_OUT_POLICY_ID } from '../lambda/contracts/scaling-policy';

export interface ScaleOutPoliciesProps {
  /** Names of the managed groups (primary and standby) the handlers may raise. */
  readonly groupNames: readonly string[];
}

/**
 * One simple scaling policy per managed group that adds exactly one instance (lambda/contracts/scaling-policy.ts).
 * The notice handler raises a group by executing it (ExecutePolicy, HonorCooldown false) once per instance:
 * Auto Scaling applies each execution to the desired capacity it holds, so concurrent warnings add up instead
 * of overwriting each other. A policy is only a definition: nothing runs it but spotwise (no alarm is attached).
 * Groups selected only by tag have no name at synth and so no policy: the adapter refuses to raise them
 * (NotFoundError), and the plan's failure is counted like any other.
 */
export class ScaleOutPolicies extends Construct {
  readonly policies: ReadonlyMap<string, CfnScalingPolicy>;

  constructor(scope: Construct, id: string, props: ScaleOutPoliciesProps) {
    super(scope, id);
    const duplicate = props.groupNames.find((g, i) => props.groupNames.indexOf(g) !== i);
    if (duplicate !== undefined) throw new Error(`ScaleOutPolicies ${this.node.path}: groupNames must be unique (got ${JSON.stringify(duplicate)} twice)`);
    const policies = new Map<string, CfnScalingPolicy>();
    for (const [k, name] of props.groupNames.entries()) {
      // The construct id is part of the policy name CloudFormation generates: the adapter finds the policy by it.
      policies.set(
        name,
        new CfnScalingPolicy(this, `${SCALE_OUT_POLICY_ID}${k}`, {
          autoScalingGroupName: name,
          policyType: 'SimpleScaling',
          adjustmentType: 'ChangeInCapacity',
          scalingAdjustment: SCALE_OUT_POLICY_ADJUSTMENT,
          cooldown: '0',
        }),
      );
    }
    this.policies = policies;
  }
}
