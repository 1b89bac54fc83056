/**
 * Errors the in-memory cloud throws where AWS would refuse a call. `code` is the AWS error code the real
 * API returns in the same situation, so handler tests can see realistic refusals.
 */
export type CloudErrorCode = 'InvalidInstanceID.NotFound' | 'IncorrectInstanceState' | 'UnsupportedOperation' | 'InvalidParameterValue' | 'ValidationError';

export class InMemoryCloudError extends Error {
  override readonly name: string = 'InMemoryCloudError';
  constructor(
    readonly code: CloudErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** ModifyInstanceAttribute InstanceType on an instance that is not stopped (AWS: IncorrectInstanceState). */
export class InstanceNotStoppedError extends InMemoryCloudError {
  override readonly name = 'InstanceNotStoppedError';
  constructor(
    readonly instanceId: string,
    readonly state: string,
  ) {
    super('IncorrectInstanceState', `changing the type of ${instanceId}: the instance is ${state}, it must be stopped`);
  }
}

/**
 * CompleteLifecycleAction / RecordLifecycleActionHeartbeat for an action that is not active (AWS: ValidationError
 * "No active Lifecycle Action found with token …"): completed already, or timed out.
 */
export class LifecycleActionNotActiveError extends InMemoryCloudError {
  override readonly name = 'LifecycleActionNotActiveError';
  constructor(
    readonly instanceId: string,
    readonly token: string,
  ) {
    super('ValidationError', `No active Lifecycle Action found with token ${token} (instance ${instanceId})`);
  }
}
