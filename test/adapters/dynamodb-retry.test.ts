import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient, InternalServerError, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Again, TransactionCancelled, conflictOrFailure, retrying, transact, type RetryPolicy } from '../../lambda/adapters/dynamodb-retry';
import { AwsCallError, ThrottledError } from '../../lambda/adapters/errors';
import { meta } from './aws-errors';

const ddb = mockClient(DynamoDBDocumentClient);
afterAll(() => ddb.restore());
const OPERATION = 'reserving capacity for i-1 in group web';

/** A policy whose waits are recorded (the attempt each followed), never slept. */
const recorded = (maxAttempts: number) => {
  const waits: number[] = [];
  const policy: RetryPolicy = { maxAttempts, backoff: { baseMs: 1, capMs: 1_000, random: () => 0.5, sleep: async (ms) => void waits.push(ms) } };
  return { policy, waits };
};

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: meta(), CancellationReasons: codes.map((Code) => ({ Code })) });

beforeEach(() => {
  ddb.reset();
});

describe('retrying', () => {
  it('returns what the first settled attempt returns, without waiting', async () => {
    const { policy, waits } = recorded(3);
    const seen: number[] = [];
    const out = await retrying(policy, { operation: OPERATION, attempt: async (n) => (seen.push(n), 'done'), exhausted: () => 'never' });
    expect(out).toBe('done');
    expect(seen).toEqual([0]);
    expect(waits).toEqual([]);
  });

  it('settles on undefined and false: only Again asks for another attempt', async () => {
    const { policy } = recorded(3);
    expect(await retrying(policy, { operation: OPERATION, attempt: async () => undefined, exhausted: () => 'never' })).toBeUndefined();
    expect(await retrying(policy, { operation: OPERATION, attempt: async () => false, exhausted: () => 'never' })).toBe(false);
  });

  it('waits with full jitter after each attempt that asks for backoff, never after the last, then gives up typed', async () => {
    const { policy, waits } = recorded(4);
    const seen: number[] = [];
    const call = retrying(policy, {
      operation: OPERATION,
      attempt: async (n) => (seen.push(n), Again.afterBackoff),
      exhausted: (attempts) => `the pool stayed contended for ${attempts} attempts; retry later`,
    });
    await expect(call).rejects.toThrow(new ThrottledError(OPERATION, undefined, 'the pool stayed contended for 4 attempts; retry later'));
    await expect(call).rejects.toBeInstanceOf(ThrottledError);
    expect(seen).toEqual([0, 1, 2, 3]);
    // backoff.ts: random · min(cap, base · 2^attempt), for attempts 0, 1 and 2.
    expect(waits).toEqual([0, 1, 2]);
  });

  it('tries again at once when the attempt says the state moved', async () => {
    const { policy, waits } = recorded(5);
    const out = await retrying(policy, { operation: OPERATION, attempt: async (n) => (n < 2 ? Again.atOnce : n), exhausted: () => 'never' });
    expect(out).toBe(2);
    expect(waits).toEqual([]);
  });

  it('asks the retry callback what an error means: a result, another attempt, or (thrown) a failure', async () => {
    const { policy, waits } = recorded(5);
    const decided: [string, number][] = [];
    const out = await retrying(policy, {
      operation: OPERATION,
      attempt: async (n) => {
        throw new Error(n < 2 ? 'conflict' : 'gone');
      },
      retry: (error, n) => {
        decided.push([(error as Error).message, n]);
        return (error as Error).message === 'conflict' ? Again.afterBackoff : 'settled';
      },
      exhausted: () => 'never',
    });
    expect(out).toBe('settled');
    expect(decided).toEqual([
      ['conflict', 0],
      ['conflict', 1],
      ['gone', 2],
    ]);
    expect(waits).toHaveLength(2);

    const failure = new RangeError('bad input');
    await expect(
      retrying(policy, {
        operation: OPERATION,
        attempt: async () => {
          throw failure;
        },
        retry: (error) => {
          throw error;
        },
        exhausted: () => 'never',
      }),
    ).rejects.toBe(failure);
  });

  it('passes an error through unchanged when there is no retry callback', async () => {
    const { policy } = recorded(3);
    const failure = new RangeError('bad input');
    let attempts = 0;
    const call = retrying(policy, {
      operation: OPERATION,
      attempt: async () => {
        attempts += 1;
        throw failure;
      },
      exhausted: () => 'never',
    });
    await expect(call).rejects.toBe(failure);
    expect(attempts).toBe(1);
  });

  it('makes no attempt with no attempts allowed', async () => {
    const { policy } = recorded(0);
    await expect(retrying(policy, { operation: OPERATION, attempt: async () => 'done', exhausted: (n) => `${n} attempts` })).rejects.toThrow(
      `${OPERATION}: 0 attempts`,
    );
  });
});

describe('transact', () => {
  const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const items = [{ ConditionCheck: { TableName: 't', Key: { pk: 'a', sk: 'b' }, ConditionExpression: 'attribute_exists(pk)' } }];

  it('sends ONE TransactWriteItems with the items as given', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await transact(client(), OPERATION, items);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input).toEqual({ TransactItems: items });
  });

  it('throws a cancellation as TransactionCancelled with its reasons in request order', async () => {
    const error = cancelled('None', 'ConditionalCheckFailed');
    ddb.on(TransactWriteCommand).rejects(error);
    const thrown = await transact(client(), OPERATION, items).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TransactionCancelled);
    expect(thrown).toMatchObject({ operation: OPERATION, codes: ['None', 'ConditionalCheckFailed'], cause: error });
  });

  it('translates any other failure by class', async () => {
    ddb.on(TransactWriteCommand).rejects(new InternalServerError({ message: 'boom', $metadata: meta(500) }));
    await expect(transact(client(), OPERATION, items)).rejects.toBeInstanceOf(AwsCallError);
  });
});

describe('conflictOrFailure', () => {
  const of = (...codes: string[]) => new TransactionCancelled(OPERATION, cancelled(...codes));

  it('retries a TransactionConflict after a wait', () => {
    expect(conflictOrFailure(of('None', 'TransactionConflict'))).toBe(Again.afterBackoff);
  });

  it('throws throttling typed, whatever else was cancelled', () => {
    for (const code of ['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']) {
      expect(() => conflictOrFailure(of('TransactionConflict', code))).toThrow(ThrottledError);
    }
  });

  it('throws anything else as an AwsCallError naming the reasons', () => {
    expect(() => conflictOrFailure(of('ValidationError', 'None'))).toThrow(
      new AwsCallError(OPERATION, undefined, 'transaction cancelled (ValidationError, None)'),
    );
    expect(() => conflictOrFailure(of())).toThrow(`${OPERATION}: transaction cancelled (no reasons given)`);
  });
});
