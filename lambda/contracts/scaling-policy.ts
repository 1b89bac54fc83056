/**
 * The scale-out policy the stack puts on every managed group it names (lib/scale-out-policies.ts): a simple
 * scaling policy adding exactly one instance (ChangeInCapacity +1). spotwise raises a group by executing it
 * (ExecutePolicy, HonorCooldown false) once per instance: Auto Scaling applies each execution to the desired
 * capacity it holds, so concurrent notice handlers never overwrite each other's increase, which a
 * read-then-SetDesiredCapacity would (Auto Scaling User Guide, "Simple scaling policies"; API reference,
 * ExecutePolicy). The construct id is part of the policy name CloudFormation generates, which is how the
 * adapter finds the policy among a group's others.
 */
export const SCALE_OUT_POLICY_ID = 'SpotwiseScaleOutByOne';
export const SCALE_OUT_POLICY_ADJUSTMENT = 1;
