import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One acknowledged cdk-nag finding: the rule id (with `[finding]` for IAM5 and the like) and why it is fine. */
export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag findings on a construct and everything under it. cdk-nag 3 reads CDK's native
 * acknowledgements (`Validations.of(...).acknowledge`); v2's NagSuppressions no longer exists. Every
 * acknowledgement must carry its reason: an empty one is refused here rather than silently accepted.
 */
export const acknowledgeNag = (scope: IConstruct, ...acks: readonly NagAcknowledgement[]): void => {
  for (const ack of acks) {
    if (ack.reason.trim().length < 20) {
      throw new Error(`cdk-nag acknowledgement ${ack.id} on ${scope.node.path} needs a reason of at least 20 characters (got ${JSON.stringify(ack.reason)})`);
    }
  }
  Validations.of(scope).acknowledge(...acks);
};

/**
 * Runs the AwsSolutions rule pack at synth. cdk-nag 3 is a policy-validation plugin: any unacknowledged
 * finding fails `cdk synth` with a report (no Aspects, which was v2).
 */
export const applyAwsSolutionsChecks = (app: App): AwsSolutionsChecks => {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
};
