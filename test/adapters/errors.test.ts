import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException as DynamoDbNotFound,
  ThrottlingException as DynamoDbThrottling,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ResourceNotFoundException as SchedulerNotFound, ThrottlingException as SchedulerThrottling } from '@aws-sdk/client-scheduler';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AwsCallError,
  ConditionFailedError,
  InstanceNotStoppedError,
  NotFoundError,
  ThrottledError,
  callAws,
  isAdapterError,
  translateAwsError,
} from '../../lambda/adapters/errors';
import { ec2Error, meta } from './aws-errors';

const OPERATION = 'reserving capacity for i-0abc in group web';

describe('translateAwsError', () => {
  it.each([
    ['EC2 RequestLimitExceeded (by error code)', ec2Error('RequestLimitExceeded'), ThrottledError],
    ['EC2 InvalidInstanceID.NotFound', ec2Error('InvalidInstanceID.NotFound'), NotFoundError],
    ['EC2 UnauthorizedOperation', ec2Error('UnauthorizedOperation', 'not allowed', 403), AwsCallError],
    ['DynamoDB ThrottlingException', new DynamoDbThrottling({ message: 'slow down', $metadata: meta() }), ThrottledError],
    ['DynamoDB RequestLimitExceeded', new RequestLimitExceeded({ message: 'account limit', $metadata: meta() }), ThrottledError],
    ['DynamoDB ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'rcu', $metadata: meta() }), ThrottledError],
    [
      'DynamoDB ConditionalCheckFailedException',
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: meta() }),
      ConditionFailedError,
    ],
    ['DynamoDB ResourceNotFoundException', new DynamoDbNotFound({ message: 'no table', $metadata: meta() }), NotFoundError],
    ['Scheduler ResourceNotFoundException', new SchedulerNotFound({ message: 'no schedule', Message: 'no schedule', $metadata: meta(404) }), NotFoundError],
    ['Scheduler ThrottlingException', new SchedulerThrottling({ message: 'rate', Message: 'rate', $metadata: meta() }), ThrottledError],
    [
      'DynamoDB TransactionCanceledException (handled by the store, generic here)',
      new TransactionCanceledException({ message: 'cancelled', $metadata: meta() }),
      AwsCallError,
    ],
    ['HTTP 429 with an unknown code', ec2Error('SomethingNew', 'busy', 429), ThrottledError],
    ['a plain Error', new Error('socket hang up'), AwsCallError],
    ['a thrown string', 'boom', AwsCallError],
  ])('%s', (_label, error, expected) => {
    const translated = translateAwsError(OPERATION, error);
    expect(translated).toBeInstanceOf(expected);
    expect(translated.name).toBe(expected.name);
    expect(translated.message.startsWith(`${OPERATION}: `)).toBe(true);
    expect(translated.cause).toBe(error);
  });

  it('classifies by class or error code, never by message text', () => {
    const misleading = ec2Error('InvalidParameterValue', 'Throttling ThrottlingException RequestLimitExceeded NotFound');
    expect(translateAwsError(OPERATION, misleading)).toBeInstanceOf(AwsCallError);
  });

  it('names the error code and HTTP status in the message', () => {
    expect(translateAwsError('starting i-1', ec2Error('UnauthorizedOperation', 'nope', 403)).message).toBe(
      'starting i-1: AWS call failed (UnauthorizedOperation, HTTP 403)',
    );
    expect(translateAwsError('starting i-1', ec2Error('RequestLimitExceeded')).message).toBe(
      'starting i-1: throttled by AWS (RequestLimitExceeded); retry later',
    );
  });

  it('passes adapter errors through unchanged', () => {
    const original = new InstanceNotStoppedError('changing the type of i-1 to m5.large', 'i-1', 'running');
    expect(translateAwsError('something else', original)).toBe(original);
    expect(original.message).toBe(
      'changing the type of i-1 to m5.large: instance i-1 is running, not stopped (EC2 changes the type of stopped instances only)',
    );
    expect(original).toMatchObject({ name: 'InstanceNotStoppedError', instanceId: 'i-1', state: 'running' });
  });

  it('always returns a named adapter error that starts with the operation, whatever is thrown', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.anything(), (operation, thrown) => {
        const translated = translateAwsError(operation, thrown);
        expect(isAdapterError(translated)).toBe(true);
        expect(translated.message.startsWith(`${operation}: `)).toBe(true);
      }),
    );
  });
});

describe('callAws', () => {
  it('returns the result and translates a rejection', async () => {
    await expect(callAws('listing', async () => 42)).resolves.toBe(42);
    await expect(callAws('listing', async () => Promise.reject(ec2Error('RequestLimitExceeded')))).rejects.toBeInstanceOf(ThrottledError);
  });
});
