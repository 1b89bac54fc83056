/** Environment variable names set by the stack (lib/) and validated at cold start (lambda/app/runtime). */
export const Env = {
  tableName: 'SPOTWISE_TABLE_NAME',
  eventBusName: 'SPOTWISE_EVENT_BUS_NAME',
  schedulerGroupName: 'SPOTWISE_SCHEDULER_GROUP',
  schedulerRoleArn: 'SPOTWISE_SCHEDULER_ROLE_ARN',
  executorFunctionArn: 'SPOTWISE_EXECUTOR_ARN',
  /** Queue a scheduled interruption goes to when Scheduler cannot invoke the executor. */
  schedulerDeadLetterArn: 'SPOTWISE_SCHEDULER_DLQ_ARN',
  dryRun: 'SPOTWISE_DRY_RUN',
  /** The validated spotwise configuration (groups and policies), as JSON. */
  config: 'SPOTWISE_CONFIG',
  /** Directory holding model.json / weights.bin / metadata.json (profiler only). */
  modelDir: 'SPOTWISE_MODEL_DIR',
  powertoolsServiceName: 'POWERTOOLS_SERVICE_NAME',
  powertoolsMetricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
export type EnvName = (typeof Env)[keyof typeof Env];

export const DEFAULT_MANAGED_TAG_KEY = 'spotwise:managed';
export const DEFAULT_MANAGED_TAG_VALUE = 'true';
