import { Duration } from 'aws-cdk-lib';
import { EventField, Rule, RuleTargetInput, Schedule, type IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DetailType, SPOTWISE_SOURCE } from '../lambda/contracts/events';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

/** EventBridge allows at most five targets per rule. */
export const MAX_TARGETS_PER_RULE = 5;

/**
 * The input of one group's tick. No `id`: all targets of a scheduled rule share the rule's event id, so the
 * handler derives a per-group id (`profile-tick:<group>:<time>`, lambda/events/parsers/profile-tick.ts) from
 * the scheduled `time`, which stays the same when EventBridge retries, making the tick idempotent.
 */
export const profileTickInput = (groupName: string) => ({
  source: SPOTWISE_SOURCE,
  'detail-type': DetailType.profileTick,
  time: EventField.time,
  detail: { groupName },
});

export interface ProfilerScheduleProps {
  readonly profiler: IFunction;
  /** The profiler's dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** The managed groups (primary and standby): one target, hence one invocation, per group per tick. */
  readonly groupNames: readonly string[];
  /** Minutes between ticks: 1..60 (the configuration's profiler.rate_minutes). */
  readonly rateMinutes: number;
  /**
   * Delivery policy of every target.
   * @default maxEventAge = the cadence (at least 60 s: a tick older than that is superseded by the next), 2 retries
   */
  readonly delivery?: RuleDelivery;
}

/**
 * The profiler's schedule. It scales by group: each managed group gets its own target with its own input,
 * so ten groups of 1,000 instances cost ten short invocations per tick rather than one long one, and one
 * slow group never delays another. Targets are packed five to a rule (the EventBridge limit).
 */
export class ProfilerSchedule extends Construct {
  readonly rules: readonly IRule[];

  constructor(scope: Construct, id: string, props: ProfilerScheduleProps) {
    super(scope, id);
    const path = this.node.path;
    if (!Number.isInteger(props.rateMinutes) || props.rateMinutes < 1 || props.rateMinutes > 60) {
      throw new Error(`ProfilerSchedule ${path}: rateMinutes must be an integer between 1 and 60 (got ${props.rateMinutes})`);
    }
    if (props.groupNames.length === 0) throw new Error(`ProfilerSchedule ${path}: groupNames must name at least one group (got [])`);
    const duplicate = props.groupNames.find((g, i) => props.groupNames.indexOf(g) !== i);
    if (duplicate !== undefined) throw new Error(`ProfilerSchedule ${path}: groupNames must be unique (got ${JSON.stringify(duplicate)} twice)`);
    const delivery = props.delivery ?? { maxEventAge: Duration.seconds(Math.max(60, props.rateMinutes * 60)), retryAttempts: 2 };
    validateDelivery(`ProfilerSchedule ${path}`, delivery);

    const rules: IRule[] = [];
    for (let start = 0; start < props.groupNames.length; start += MAX_TARGETS_PER_RULE) {
      const batch = props.groupNames.slice(start, start + MAX_TARGETS_PER_RULE);
      const rule = new Rule(this, `Tick${rules.length}`, {
        description: `spotwise: ${DetailType.profileTick} every ${props.rateMinutes} min for ${batch.join(', ')}`.slice(0, 512),
        schedule: Schedule.rate(Duration.minutes(props.rateMinutes)),
      });
      for (const groupName of batch) {
        rule.addTarget(lambdaTarget(props.profiler, props.deadLetterQueue, delivery, RuleTargetInput.fromObject(profileTickInput(groupName))));
      }
      rules.push(rule);
    }
    this.rules = rules;
  }
}
