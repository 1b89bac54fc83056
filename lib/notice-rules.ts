import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern, type IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ACTED_ON_INSTANCE_STATES,
  AWS_AUTOSCALING_SOURCE,
  AWS_EC2_SOURCE,
  AWS_HEALTH_SOURCE,
  DetailType,
  SPOT_WARNING_LEAD_SECONDS,
} from '../lambda/contracts/events';
import { LIFECYCLE_HOOK_NAMES } from './lifecycle-hooks';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

/** The notices spotwise listens to on the default bus. */
export const NOTICE_RULE_KINDS = [
  'spotInterruptionWarning',
  'rebalanceRecommendation',
  'stateChange',
  'lifecycleLaunch',
  'lifecycleTerminate',
  'capacityReservationInterruptionWarning',
  'scheduledMaintenance',
] as const;
export type NoticeRuleKind = (typeof NOTICE_RULE_KINDS)[number];

/**
 * Scheduled maintenance becomes voluntary interruption requests, which the coordinator admits, schedules
 * and records; every other notice goes to the notice handler.
 */
const COORDINATOR_KINDS: ReadonlySet<NoticeRuleKind> = new Set(['scheduledMaintenance']);

/**
 * Delivery per notice kind. A spot warning is worth nothing after the 120 s lead (the instance is gone);
 * rebalance recommendations and state changes stay useful for minutes; a lifecycle action waits for its
 * hook's heartbeat timeout (5 min by default, see lifecycle-hooks.ts), with margin.
 */
export const NOTICE_DELIVERY: Readonly<Record<NoticeRuleKind, RuleDelivery>> = {
  spotInterruptionWarning: { maxEventAge: Duration.seconds(SPOT_WARNING_LEAD_SECONDS), retryAttempts: 5 },
  rebalanceRecommendation: { maxEventAge: Duration.minutes(10), retryAttempts: 8 },
  stateChange: { maxEventAge: Duration.minutes(10), retryAttempts: 8 },
  lifecycleLaunch: { maxEventAge: Duration.minutes(10), retryAttempts: 8 },
  lifecycleTerminate: { maxEventAge: Duration.minutes(10), retryAttempts: 8 },
  // Terminated two minutes after the warning, like a Spot instance.
  capacityReservationInterruptionWarning: { maxEventAge: Duration.seconds(SPOT_WARNING_LEAD_SECONDS), retryAttempts: 5 },
  // Announced days ahead (about two weeks for MAINTENANCE_SCHEDULED events): still worth delivering hours late.
  scheduledMaintenance: { maxEventAge: Duration.hours(6), retryAttempts: 50 },
};

export interface NoticeRulesProps {
  /** The notice handler. */
  readonly target: IFunction;
  /** Where undeliverable events go (the notice function's dead-letter queue). */
  readonly deadLetterQueue: IQueue;
  /** The coordinator and its dead-letter queue: AWS Health scheduled changes become its interruption requests. */
  readonly maintenance: { readonly target: IFunction; readonly deadLetterQueue: IQueue };
  /**
   * Managed group names (primary and standby) the lifecycle rules are filtered to. `undefined` when groups
   * are selected by tag: EventBridge cannot filter on tags, so those rules match every group and the rule
   * relies on the hook-name filter (spotwise's hooks exist only on managed groups).
   */
  readonly groupNames: readonly string[] | undefined;
  /**
   * Override of the delivery policy per kind.
   * @default NOTICE_DELIVERY
   */
  readonly delivery?: Partial<Record<NoticeRuleKind, RuleDelivery>>;
}

/**
 * Builds the event pattern of each notice rule. EC2 events carry no tags and no group, so the EC2 rules
 * cannot be narrowed to managed instances (the handler looks the group up and ignores others); the
 * state-change rule is narrowed to the states spotwise acts on (ACTED_ON_INSTANCE_STATES), not every
 * state change in the region. The lifecycle rules match only spotwise's own hooks: completing another
 * owner's lifecycle action would race it. The Health rule matches EC2 scheduled changes only (the parser
 * checks the same and ignores the rest).
 */
export const noticeEventPatterns = (groupNames: readonly string[] | undefined): Readonly<Record<NoticeRuleKind, EventPattern>> => {
  const lifecycle = (detailType: string, hookName: string): EventPattern => ({
    source: [AWS_AUTOSCALING_SOURCE],
    detailType: [detailType],
    detail: {
      ...(groupNames !== undefined ? { AutoScalingGroupName: [...groupNames] } : {}),
      LifecycleHookName: [hookName],
    },
  });
  return {
    spotInterruptionWarning: { source: [AWS_EC2_SOURCE], detailType: [DetailType.spotInterruptionWarning] },
    rebalanceRecommendation: { source: [AWS_EC2_SOURCE], detailType: [DetailType.rebalanceRecommendation] },
    stateChange: { source: [AWS_EC2_SOURCE], detailType: [DetailType.stateChange], detail: { state: [...ACTED_ON_INSTANCE_STATES] } },
    lifecycleLaunch: lifecycle(DetailType.lifecycleLaunch, LIFECYCLE_HOOK_NAMES.launch),
    lifecycleTerminate: lifecycle(DetailType.lifecycleTerminate, LIFECYCLE_HOOK_NAMES.terminate),
    capacityReservationInterruptionWarning: { source: [AWS_EC2_SOURCE], detailType: [DetailType.capacityReservationInterruptionWarning] },
    scheduledMaintenance: {
      source: [AWS_HEALTH_SOURCE],
      detailType: [DetailType.healthEvent],
      detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
    },
  };
};

const RULE_DESCRIPTIONS: Readonly<Record<NoticeRuleKind, string>> = {
  spotInterruptionWarning: `spotwise: ${DetailType.spotInterruptionWarning} -> notice handler`,
  rebalanceRecommendation: `spotwise: ${DetailType.rebalanceRecommendation} -> notice handler`,
  stateChange: `spotwise: ${DetailType.stateChange} -> notice handler`,
  lifecycleLaunch: `spotwise: ${DetailType.lifecycleLaunch} (spotwise hooks on managed groups) -> notice handler`,
  lifecycleTerminate: `spotwise: ${DetailType.lifecycleTerminate} (spotwise hooks on managed groups) -> notice handler`,
  capacityReservationInterruptionWarning: `spotwise: ${DetailType.capacityReservationInterruptionWarning} -> notice handler`,
  scheduledMaintenance: `spotwise: ${DetailType.healthEvent} (EC2 scheduledChange) -> coordinator`,
};

/**
 * One rule per notice kind on the default bus, each targeting the notice handler (the coordinator for
 * scheduled maintenance) with that function's DLQ and a retry policy.
 */
export class NoticeRules extends Construct {
  readonly rules: Readonly<Record<NoticeRuleKind, IRule>>;

  constructor(scope: Construct, id: string, props: NoticeRulesProps) {
    super(scope, id);
    if (props.groupNames !== undefined && props.groupNames.length === 0) {
      throw new Error(`NoticeRules ${this.node.path}: groupNames must name at least one group, or be undefined for tag-selected groups (got [])`);
    }
    const patterns = noticeEventPatterns(props.groupNames);
    const rules = {} as Record<NoticeRuleKind, IRule>;
    for (const kind of NOTICE_RULE_KINDS) {
      const delivery = props.delivery?.[kind] ?? NOTICE_DELIVERY[kind];
      validateDelivery(`NoticeRules ${this.node.path} ${kind}`, delivery);
      const rule = new Rule(this, capitalise(kind), { description: RULE_DESCRIPTIONS[kind], eventPattern: patterns[kind] });
      const to = COORDINATOR_KINDS.has(kind) ? props.maintenance : props;
      rule.addTarget(lambdaTarget(to.target, to.deadLetterQueue, delivery));
      rules[kind] = rule;
    }
    this.rules = rules;
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
