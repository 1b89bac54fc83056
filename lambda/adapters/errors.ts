import { ConditionalCheckFailedException, ResourceNotFoundException as DynamoDbResourceNotFound } from '@aws-sdk/client-dynamodb';
import { ResourceNotFoundException as SchedulerResourceNotFound } from '@aws-sdk/client-scheduler';
import { ResourceNotFoundException as EventBridgeResourceNotFound } from '@aws-sdk/client-eventbridge';

/**
 * Typed errors the adapters throw. Every one carries the operation in words ("reserving capacity for
 * i-0abc in group web"), the SDK error as `cause`, and a `name` callers can switch on. Handlers treat
 * ThrottledError as retryable, ConditionFailedError / InstanceNotStoppedError / NotFoundError as a
 * decision to report, and AwsCallError as a failure of the action.
 */
abstract class AdapterError extends Error {
  abstract override readonly name: string;
  constructor(
    /** What spotwise was doing, in words. */
    readonly operation: string,
    detail: string,
    cause?: unknown,
  ) {
    super(`${operation}: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/** AWS throttled the call (after the SDK's own adaptive retries), or a contended write kept conflicting. */
export class ThrottledError extends AdapterError {
  override readonly name = 'ThrottledError';
  constructor(operation: string, cause?: unknown, detail?: string) {
    super(operation, detail ?? `throttled by AWS (${awsErrorName(cause) ?? 'no error code'}); retry later`, cause);
  }
}

/** A DynamoDB condition did not hold (the item changed, exists, or does not exist). */
export class ConditionFailedError extends AdapterError {
  override readonly name = 'ConditionFailedError';
  constructor(operation: string, cause?: unknown, detail = 'the conditional check failed') {
    super(operation, detail, cause);
  }
}

/** EC2 changes an instance's type only while it is stopped; spotwise checks first and refuses. */
export class InstanceNotStoppedError extends AdapterError {
  override readonly name = 'InstanceNotStoppedError';
  constructor(
    operation: string,
    readonly instanceId: string,
    readonly state: string,
    cause?: unknown,
  ) {
    super(operation, `instance ${instanceId} is ${state}, not stopped (EC2 changes the type of stopped instances only)`, cause);
  }
}

/**
 * CompleteLifecycleAction or RecordLifecycleActionHeartbeat for a lifecycle action that is not active any more: it was
 * completed (by another delivery) or its heartbeat timeout passed and Auto Scaling applied the hook's default result.
 * Auto Scaling answers ValidationError "No active Lifecycle Action found with token …"; nothing is left to complete.
 */
export class LifecycleActionNotActiveError extends AdapterError {
  override readonly name = 'LifecycleActionNotActiveError';
  constructor(operation: string, cause?: unknown) {
    super(operation, 'no active lifecycle action with this token (completed already, or its heartbeat timeout passed)', cause);
  }
}

/** Auto Scaling's answer for an inactive lifecycle action (ValidationError; only its message tells it apart). */
const NO_ACTIVE_LIFECYCLE_ACTION = /No active Lifecycle Action found/i;

/** The thing named in the operation does not exist (instance, schedule, pool, table). */
export class NotFoundError extends AdapterError {
  override readonly name = 'NotFoundError';
  constructor(operation: string, cause?: unknown, detail?: string) {
    super(operation, detail ?? `not found (${awsErrorName(cause) ?? 'no error code'})`, cause);
  }
}

/** Any other failure of an AWS call. */
export class AwsCallError extends AdapterError {
  override readonly name = 'AwsCallError';
  constructor(operation: string, cause?: unknown, detail?: string) {
    super(operation, detail ?? `AWS call failed (${awsErrorName(cause) ?? 'no error code'}${httpStatus(cause)})`, cause);
  }
}

export type SpotwiseAdapterError =
  ThrottledError | ConditionFailedError | InstanceNotStoppedError | LifecycleActionNotActiveError | NotFoundError | AwsCallError;

export const isAdapterError = (error: unknown): error is SpotwiseAdapterError => error instanceof AdapterError;

/**
 * Error codes AWS uses for throttling across services. EC2 (query protocol) has no modeled exception
 * classes: its errors arrive as EC2ServiceException whose `name` is the error code ("RequestLimitExceeded"),
 * so codes are matched on `name`, the SDK's own field, never on the message text. Same list as the SDK's
 * retry classifier (@smithy/service-error-classification THROTTLING_ERROR_CODES).
 */
export const THROTTLING_ERROR_CODES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** EC2 error codes for missing resources look like "InvalidInstanceID.NotFound", "InvalidGroup.NotFound". */
const EC2_NOT_FOUND_SUFFIX = '.NotFound';

/**
 * Translates an SDK error into a typed adapter error, by exception class or SDK error name.
 * Errors that are already adapter errors pass through unchanged.
 */
export const translateAwsError = (operation: string, error: unknown): Error => {
  if (isAdapterError(error)) return error;
  const name = awsErrorName(error);
  if (name !== undefined && THROTTLING_ERROR_CODES.has(name)) return new ThrottledError(operation, error);
  if (isThrottleStatus(error)) return new ThrottledError(operation, error);
  if (error instanceof ConditionalCheckFailedException) return new ConditionFailedError(operation, error);
  if (name === 'ValidationError' && error instanceof Error && NO_ACTIVE_LIFECYCLE_ACTION.test(error.message)) {
    return new LifecycleActionNotActiveError(operation, error);
  }
  if (
    error instanceof DynamoDbResourceNotFound ||
    error instanceof SchedulerResourceNotFound ||
    error instanceof EventBridgeResourceNotFound ||
    (name !== undefined && name.endsWith(EC2_NOT_FOUND_SUFFIX))
  ) {
    return new NotFoundError(operation, error);
  }
  return new AwsCallError(operation, error);
};

/** Runs an AWS call and translates whatever it throws. */
export const callAws = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(operation, error);
  }
};

/** The SDK's error name (the AWS error code for query-protocol services), when there is one. */
export const awsErrorName = (error: unknown): string | undefined =>
  error instanceof Error && typeof error.name === 'string' && error.name !== 'Error' ? error.name : undefined;

const statusOf = (error: unknown): number | undefined => {
  if (error === null || typeof error !== 'object' || !('$metadata' in error)) return undefined;
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
};

/** HTTP 429 is throttling whatever the code says (API Gateway-fronted services answer it bare). */
const isThrottleStatus = (error: unknown): boolean => statusOf(error) === 429;

const httpStatus = (error: unknown): string => {
  const status = statusOf(error);
  return status === undefined ? '' : `, HTTP ${status}`;
};
