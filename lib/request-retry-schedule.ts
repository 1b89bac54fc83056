import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule, type IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

export interface RequestRetryScheduleProps {
  /** The coordinator. */
  readonly coordinator: IFunction;
  /** The coordinator's dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /**
   * Minutes between retry ticks: 1..60. A deferred request is re-planned at the first tick after its
   * retry time, so this bounds how late a deferred interruption is re-admitted.
   * @default 1
   */
  readonly rateMinutes?: number;
  /**
   * Delivery policy of the tick.
   * @default maxEventAge 60 s (the next tick supersedes it), 1 retry
   */
  readonly delivery?: RuleDelivery;
}

/**
 * Re-plans deferred interruption requests: a plain scheduled event invokes the coordinator, whose registry
 * treats it as a noop and which then re-plans the requests whose retry time has come (it does so on every
 * invocation, lambda/handlers/coordinator.ts). Without it a deferred request would wait for the next request.
 */
export class RequestRetrySchedule extends Construct {
  readonly rule: IRule;

  constructor(scope: Construct, id: string, props: RequestRetryScheduleProps) {
    super(scope, id);
    const rate = props.rateMinutes ?? 1;
    if (!Number.isInteger(rate) || rate < 1 || rate > 60) {
      throw new Error(`RequestRetrySchedule ${this.node.path}: rateMinutes must be an integer between 1 and 60 (got ${rate})`);
    }
    const delivery = props.delivery ?? { maxEventAge: Duration.seconds(60), retryAttempts: 1 };
    validateDelivery(`RequestRetrySchedule ${this.node.path}`, delivery);
    const rule = new Rule(this, 'Tick', {
      description: `spotwise: re-plan deferred interruption requests every ${rate} min (coordinator)`,
      schedule: Schedule.rate(Duration.minutes(rate)),
    });
    rule.addTarget(lambdaTarget(props.coordinator, props.deadLetterQueue, delivery));
    this.rule = rule;
  }
}
