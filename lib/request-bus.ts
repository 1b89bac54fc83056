import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DetailType, SPOTWISE_SOURCE } from '../lambda/contracts/events';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

/** A request stays meaningful until its deadline; an hour of retries covers a coordinator outage. */
export const REQUEST_DELIVERY: RuleDelivery = { maxEventAge: Duration.hours(1), retryAttempts: 8 };

/** The pattern of the request rule: spotwise's own source, "Interruption Requested" and its cancel (`spotwise cancel`). */
export const INTERRUPTION_REQUEST_PATTERN: EventPattern = {
  source: [SPOTWISE_SOURCE],
  detailType: [DetailType.interruptionRequested, DetailType.interruptionCancelRequested],
};

export interface RequestBusProps {
  /** The coordinator. */
  readonly target: IFunction;
  /** The coordinator's dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /**
   * Delivery policy of the request rule.
   * @default REQUEST_DELIVERY
   */
  readonly delivery?: RuleDelivery;
}

/**
 * spotwise's custom bus: priority interruption requests arrive here (`spotwise request`, or any producer
 * allowed to PutEvents on it), and every handler publishes its plans and domain events here, away from the
 * default bus. No resource policy: only principals of this account with an IAM grant can put events.
 */
export class RequestBus extends Construct {
  readonly bus: IEventBus;
  readonly requestRule: Rule;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'spotwise: interruption requests, plans and domain events' });
    this.requestRule = new Rule(this, 'InterruptionRequested', {
      eventBus: this.bus,
      description: `spotwise: ${DetailType.interruptionRequested} -> coordinator`,
      eventPattern: INTERRUPTION_REQUEST_PATTERN,
    });
  }

  /** Routes interruption requests to the coordinator. Separate from the constructor: the coordinator needs the bus first. */
  routeRequestsTo(props: RequestBusProps): void {
    const delivery = props.delivery ?? REQUEST_DELIVERY;
    validateDelivery(`RequestBus ${this.node.path}`, delivery);
    this.requestRule.addTarget(lambdaTarget(props.target, props.deadLetterQueue, delivery));
  }
}
