import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule, type IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

/** The most hours between two runs: the configuration's bound on retraining.every_hours (30 days). */
export const MAX_RETRAINING_EVERY_HOURS = 24 * 30;

/**
 * `rate(<n> hours)`, in the unit of the configuration (retraining.every_hours). Schedule.rate(Duration.hours(24)) would
 * render `rate(1 day)`: the same schedule, but no longer the number the configuration says. EventBridge wants the
 * singular unit for 1 ("Schedule expressions for rules": `rate(1 hour)`, `rate(5 hours)`).
 */
export const retrainingRate = (hours: number): Schedule => Schedule.expression(`rate(${hours} ${hours === 1 ? 'hour' : 'hours'})`);

export interface RetrainingScheduleProps {
  /** The retrainer. */
  readonly retrainer: IFunction;
  /** The retrainer's dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** Hours between two runs: 1..720 (the configuration's retraining.every_hours). */
  readonly everyHours: number;
  /**
   * Delivery policy of the run.
   * @default maxEventAge 1 hour (the retrainer's own maxEventAge: a later run is as good as the next one), 2 retries
   */
  readonly delivery?: RuleDelivery;
}

/**
 * Runs the periodic retraining of the post-restart demand model: a plain scheduled event (source aws.events,
 * detail-type "Scheduled Event", the input lambda/handlers/retrainer.ts accepts) invokes the retrainer every
 * `everyHours`. The rule's event id and time identify the run; a run that fails waits for the next one (the
 * retrainer's function allows no retries).
 */
export class RetrainingSchedule extends Construct {
  readonly rule: IRule;

  constructor(scope: Construct, id: string, props: RetrainingScheduleProps) {
    super(scope, id);
    const path = this.node.path;
    const hours = props.everyHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_RETRAINING_EVERY_HOURS) {
      throw new Error(`RetrainingSchedule ${path}: everyHours must be an integer between 1 and ${MAX_RETRAINING_EVERY_HOURS} (got ${hours})`);
    }
    const delivery = props.delivery ?? { maxEventAge: Duration.hours(1), retryAttempts: 2 };
    validateDelivery(`RetrainingSchedule ${path}`, delivery);
    const rule = new Rule(this, 'Run', {
      description: `spotwise: retrain the post-restart demand model every ${hours} h (retrainer)`,
      schedule: retrainingRate(hours),
    });
    rule.addTarget(lambdaTarget(props.retrainer, props.deadLetterQueue, delivery));
    this.rule = rule;
  }
}
