import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** How EventBridge retries delivering to a target before giving the event to the dead-letter queue. */
export interface RuleDelivery {
  /** Oldest event still delivered: EventBridge allows 60 s .. 24 h. */
  readonly maxEventAge: Duration;
  /** Delivery retries: EventBridge allows 0..185. */
  readonly retryAttempts: number;
}

/** Checks a delivery policy against EventBridge's limits; the message names the owner, the field and the value. */
export const validateDelivery = (owner: string, delivery: RuleDelivery): void => {
  const age = delivery.maxEventAge.toSeconds();
  if (age < 60 || age > 24 * 3600) throw new Error(`${owner}: maxEventAge must be between 60 seconds and 24 hours (got ${age} seconds)`);
  if (!Number.isInteger(delivery.retryAttempts) || delivery.retryAttempts < 0 || delivery.retryAttempts > 185) {
    throw new Error(`${owner}: retryAttempts must be an integer between 0 and 185 (got ${delivery.retryAttempts})`);
  }
};

/** A Lambda target with its dead-letter queue and retry policy: every spotwise rule target is built here. */
export const lambdaTarget = (fn: IFunction, deadLetterQueue: IQueue, delivery: RuleDelivery, event?: RuleTargetInput): LambdaFunction =>
  new LambdaFunction(fn, {
    deadLetterQueue,
    maxEventAge: delivery.maxEventAge,
    retryAttempts: delivery.retryAttempts,
    ...(event ? { event } : {}),
  });
