import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { waitBeforeRetry, type BackoffOptions } from './backoff';
import { AwsCallError, ThrottledError, translateAwsError } from './errors';

/**
 * The retries DynamoDB leaves to its caller (the SDK already retries throttled and failed calls): a write whose
 * condition found the item moved since it was read, a transaction cancelled by a TransactionConflict, batch items
 * left unprocessed. Every such loop of the DynamoDB adapters runs through `retrying`.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
}

/** An attempt that did not settle: another one follows, after a jittered wait or at once. */
export class Again {
  private constructor(readonly backoff: boolean) {}
  /** Contention (a conflict, a version that moved): wait (full jitter, backoff.ts) so contending writers spread out. */
  static readonly afterBackoff = new Again(true);
  /** The state changed in a way a fresh read settles (released, freed, swept): nothing to wait for. */
  static readonly atOnce = new Again(false);
}

export interface Attempts<T> {
  /** What is being done, in words: the operation of the ThrottledError when the attempts run out. */
  readonly operation: string;
  /** One attempt (numbered from 0): its result, or Again. */
  readonly attempt: (n: number) => Promise<T | Again>;
  /**
   * What an error thrown by the attempt means: a result, Again, or (by throwing) a failure. Without it every error
   * is a failure. Errors are passed as thrown: reads and writes translate their own (callAws, transact).
   */
  readonly retry?: (error: unknown, n: number) => Promise<T | Again> | T | Again;
  /** Why the attempts ran out (the ThrottledError's detail), e.g. "the pool stayed contended for 8 attempts; retry later". */
  readonly exhausted: (maxAttempts: number) => string;
}

/**
 * Runs attempts until one settles, at most `policy.maxAttempts`, waiting before the next where the last one asked
 * for it (a wait after the last attempt would only delay the error); then a ThrottledError, which handlers treat as
 * retryable.
 */
export const retrying = async <T>(policy: RetryPolicy, attempts: Attempts<T>): Promise<T> => {
  for (let n = 0; n < policy.maxAttempts; n += 1) {
    let outcome: T | Again;
    try {
      outcome = await attempts.attempt(n);
    } catch (error) {
      if (attempts.retry === undefined) throw error;
      outcome = await attempts.retry(error, n);
    }
    if (!(outcome instanceof Again)) return outcome;
    if (outcome.backoff && n + 1 < policy.maxAttempts) await waitBeforeRetry(n, policy.backoff);
  }
  throw new ThrottledError(attempts.operation, undefined, attempts.exhausted(policy.maxAttempts));
};

/** Reasons DynamoDB gives, per item and in request order, when it cancels a transaction. */
export type CancellationCode = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | 'ThrottlingError' | 'ProvisionedThroughputExceeded' | string;

const THROTTLE_CODES: ReadonlySet<string> = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * A transaction DynamoDB cancelled, with its reasons per item in request order (CancellationReasons). Thrown by
 * `transact` for a retry callback to decide on; a callback that does not settle it throws `conflictOrFailure`.
 */
export class TransactionCancelled extends Error {
  override readonly name = 'TransactionCancelled';
  readonly codes: readonly CancellationCode[];
  constructor(
    readonly operation: string,
    override readonly cause: TransactionCanceledException,
  ) {
    super(`${operation}: transaction cancelled`, { cause });
    this.codes = (cause.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  }
}

/** One TransactWriteItems: a cancellation is thrown as TransactionCancelled, any other failure typed (translateAwsError). */
export const transact = async (client: DynamoDBDocumentClient, operation: string, items: TransactWriteCommandInput['TransactItems']): Promise<void> => {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw new TransactionCancelled(operation, error);
    throw translateAwsError(operation, error);
  }
};

/** The cancellation `error` is, or `error` itself thrown when it is something else (what no retry callback decides on). */
export const cancellationOf = (error: unknown): TransactionCancelled => {
  if (error instanceof TransactionCancelled) return error;
  throw error;
};

/** A cancellation nothing else settled: a TransactionConflict is retried after a wait; throttling and the rest are thrown, typed. */
export const conflictOrFailure = (cancelled: TransactionCancelled): Again => {
  const { codes, operation, cause } = cancelled;
  if (codes.some((c) => THROTTLE_CODES.has(c))) throw new ThrottledError(operation, cause);
  if (codes.includes('TransactionConflict')) return Again.afterBackoff;
  throw new AwsCallError(operation, cause, `transaction cancelled (${codes.join(', ') || 'no reasons given'})`);
};
