/**
 * The CDK context keys spotwise reads (`cdk.json` "context" or `-c key=value`). Everything the stack
 * needs comes through these keys; nothing is read from the environment or looked up in an account.
 */
export const ContextKey = {
  /** The spotwise configuration as an object (cdk.json) or a JSON string (`-c spotwise='{...}'`). */
  config: 'spotwise',
  /** Path of a YAML file with a configuration and/or shaping policies (`-c policy=./spotwise.yaml`). */
  policyFile: 'policy',
  /** `true` deploys the demo fleet (VPC, Spot group, standby group with a warm pool) and manages it. */
  demo: 'demo',
  /** Overrides `dry_run` of the configuration (`-c dry_run=false`). */
  dryRun: 'dry_run',
  /** Overrides `alarm_email` of the configuration. */
  alarmEmail: 'alarm_email',
  /** Stack name; also the prefix of the demo group names. */
  stackName: 'stack_name',
  /** Pins the stack to an account and region (both or neither); otherwise the stack is environment-agnostic. */
  account: 'account',
  region: 'region',
  /** `true` adds spotwise's lifecycle hooks to existing named groups through a custom resource (PutLifecycleHook). */
  lifecycleHooks: 'lifecycle_hooks',
} as const;

export type ContextKeyName = (typeof ContextKey)[keyof typeof ContextKey];

/** Reads one context value (the App's `node.tryGetContext`). */
export type ContextReader = (key: ContextKeyName) => unknown;
