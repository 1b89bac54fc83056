import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern, type IRule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AWS_AUTOSCALING_SOURCE, AWS_EC2_SOURCE, DetailType, SPOT_WARNING_LEAD_SECONDS } from '../lambda/contracts/events';
import { LIFECYCLE_HOOK_NAMES } from './lifecycle-hooks';
import { lambdaTarget, validateDelivery, type RuleDelivery } from './rule-delivery';

/** The notices spotwise listens to on the default bus. */
export const NOTICE_RULE_KINDS = ['spotInterruptionWarning', 'rebalanceRecommendation', 'stateChange', 'lifecycleLaunch', 'lifecycleTerminate'] as const;
export type NoticeRuleKind = (typeof NOTICE_RULE_KINDS)[number];

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
};

export interface NoticeRulesProps {
  /** The notice handler. */
  readonly target: IFunction;
  /** Where undeliverable events go (the notice function's dead-letter queue). */
  readonly deadLetterQueue: IQueue;
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
 * Builds the event pattern of each notice rule. EC2 events carry no tags and no group, so the three EC2
 * rules cannot be narrowed to managed instances (the handler looks the group up and ignores others). The
 * lifecycle rules match only spotwise's own hooks: completing another owner's lifecycle action would race it.
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
    stateChange: { source: [AWS_EC2_SOURCE], detailType: [DetailType.stateChange] },
    lifecycleLaunch: lifecycle(DetailType.lifecycleLaunch, LIFECYCLE_HOOK_NAMES.launch),
    lifecycleTerminate: lifecycle(DetailType.lifecycleTerminate, LIFECYCLE_HOOK_NAMES.terminate),
  };
};

const RULE_DESCRIPTIONS: Readonly<Record<NoticeRuleKind, string>> = {
  spotInterruptionWarning: `spotwise: ${DetailType.spotInterruptionWarning} -> notice handler`,
  rebalanceRecommendation: `spotwise: ${DetailType.rebalanceRecommendation} -> notice handler`,
  stateChange: `spotwise: ${DetailType.stateChange} -> notice handler`,
  lifecycleLaunch: `spotwise: ${DetailType.lifecycleLaunch} (spotwise hooks on managed groups) -> notice handler`,
  lifecycleTerminate: `spotwise: ${DetailType.lifecycleTerminate} (spotwise hooks on managed groups) -> notice handler`,
};

/** One rule per notice kind on the default bus, each targeting the notice handler with a DLQ and retry policy. */
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
      rule.addTarget(lambdaTarget(props.target, props.deadLetterQueue, delivery));
      rules[kind] = rule;
    }
    this.rules = rules;
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
