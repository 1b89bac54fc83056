import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { SpotwiseConfig } from '../lambda/contracts/config';
import { MetricName } from '../lambda/contracts/metrics';
import { spotwiseMetric } from './metric-catalog';
import type { HandlerName, SpotwiseFunction } from './spotwise-function';

/** The p99 time from a notice to spotwise's last action on it must stay within the spot warning's lead, with margin. */
export const NOTICE_TO_LAST_ACTION_P99_SECONDS = 60;

export interface SpotwiseAlarmsProps {
  readonly functions: Readonly<Record<HandlerName, SpotwiseFunction>>;
  /** Thresholds from the configuration (`alarms`). */
  readonly thresholds: SpotwiseConfig['alarms'];
  /** The named primary groups: profile staleness and prediction error are watched per group. */
  readonly groupNames: readonly string[];
  /** POWERTOOLS_SERVICE_NAME of the functions (the `service` dimension). */
  readonly serviceName: string;
  /**
   * Minutes between two profiler ticks of a group (config profiler.rate_minutes): a stale-profile alarm
   * must not treat the quiet minutes between ticks as silence.
   */
  readonly profilerRateMinutes: number;
  /**
   * Address subscribed to the alarm topic (it must confirm the subscription e-mail).
   * @default - no subscription; subscribe to the topic yourself
   */
  readonly alarmEmail?: string;
}

/**
 * spotwise's alarms, all notifying one SNS topic (on alarm and on recovery): errors of each handler, messages
 * in each dead-letter queue, notice-to-last-action p99 above 60 s, reservation refusals above the configured
 * rate, failed actions, fail-closed decisions, and per group stale profiles (or no profile age reported at all) and
 * post-restart prediction error above the configured ratio.
 */
export class SpotwiseAlarms extends Construct {
  readonly topic: ITopic;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: SpotwiseAlarmsProps) {
    super(scope, id);
    const { thresholds: t } = props;
    const path = this.node.path;
    if (!(t.prediction_error_ratio > 0))
      throw new Error(`SpotwiseAlarms ${path}: thresholds.prediction_error_ratio must be positive (got ${t.prediction_error_ratio})`);
    if (!(t.reservation_refusals_per_5min >= 1))
      throw new Error(`SpotwiseAlarms ${path}: thresholds.reservation_refusals_per_5min must be at least 1 (got ${t.reservation_refusals_per_5min})`);
    if (!(t.stale_profile_minutes >= 1))
      throw new Error(`SpotwiseAlarms ${path}: thresholds.stale_profile_minutes must be at least 1 (got ${t.stale_profile_minutes})`);
    if (!(Number.isInteger(props.profilerRateMinutes) && props.profilerRateMinutes >= 1)) {
      throw new Error(`SpotwiseAlarms ${path}: profilerRateMinutes must be a whole number of minutes, at least 1 (got ${props.profilerRateMinutes})`);
    }
    // CloudWatch refuses an alarm whose period times evaluation periods exceeds one day.
    if (!(Number.isInteger(t.stale_profile_minutes) && t.stale_profile_minutes <= 1440)) {
      throw new Error(
        `SpotwiseAlarms ${path}: thresholds.stale_profile_minutes must be a whole number of minutes, at most 1440 (got ${t.stale_profile_minutes})`,
      );
    }

    // No KMS key: alarm notifications carry no data beyond metric names, and CloudWatch cannot publish to a
    // topic encrypted with the AWS managed SNS key. Publishers must use TLS.
    const topic = new Topic(this, 'Topic', { displayName: 'spotwise alarms', enforceSSL: true });
    if (props.alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    // enforceSSL gives the topic a resource policy, which replaces SNS's default one: without this statement
    // nothing allows CloudWatch to publish and no alarm would notify anyone. Only alarms of this account may
    // publish (the confused-deputy conditions of "Amazon SNS topic policies for CloudWatch alarms").
    const { account, region, partition } = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    this.topic = topic;
    const action = new SnsAction(topic);
    const alarms: Alarm[] = [];

    const add = (
      id: string,
      description: string,
      metric: IMetric,
      threshold: number,
      comparisonOperator: ComparisonOperator,
      treatMissingData = TreatMissingData.NOT_BREACHING,
    ): void => {
      const alarm = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarms.push(alarm);
    };

    for (const [name, fn] of Object.entries(props.functions) as [HandlerName, SpotwiseFunction][]) {
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      add(
        `${label}Errors`,
        `spotwise ${name} function: invocations failed in the last 5 minutes`,
        fn.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
      add(
        `${label}DeadLetters`,
        `spotwise ${name} function: events in its dead-letter queue (undeliverable or failed after retries); inspect and redrive`,
        fn.deadLetterQueue.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        0,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }

    add(
      'NoticeToLastActionP99',
      `spotwise: p99 time from a notice to the last action taken on it above ${NOTICE_TO_LAST_ACTION_P99_SECONDS} s (the spot warning gives 120 s)`,
      spotwiseMetric(props.serviceName, MetricName.noticeToLastActionSeconds, { statistic: 'p99', period: Duration.minutes(5) }),
      NOTICE_TO_LAST_ACTION_P99_SECONDS,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );

    // Refusals and failed actions are counted per plan run, across groups (lambda/app/run-plan.ts).
    add(
      'ReservationRefusals',
      `spotwise: more than ${t.reservation_refusals_per_5min} reservation refusals in 5 minutes (a pool budget is too small for the predicted post-restart demand)`,
      spotwiseMetric(props.serviceName, MetricName.reservationRefusals, { statistic: 'Sum', period: Duration.minutes(5) }),
      t.reservation_refusals_per_5min,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    add(
      'ActionFailures',
      'spotwise: planned actions failed in the last 5 minutes (throttling, permissions, or an instance in the wrong state); see the handler logs',
      spotwiseMetric(props.serviceName, MetricName.actionFailures, { statistic: 'Sum', period: Duration.minutes(5) }),
      0,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );
    // Counted per plan run (lambda/app/run-plan.ts), dry-run included: a forecast that is unknown (no
    // CloudWatch agent, no data), a broken pool or ledger, or an action that failed half-way each leave an
    // interruption unprotected.
    add(
      'FailClosedDecisions',
      'spotwise: decisions failed closed in the last 5 minutes (a forecast, pool or budget could not be evaluated, so nothing was reserved or moved); see the fail-closed events and handler logs',
      spotwiseMetric(props.serviceName, MetricName.failClosedDecisions, { statistic: 'Sum', period: Duration.minutes(5) }),
      0,
      ComparisonOperator.GREATER_THAN_THRESHOLD,
    );

    // The profiler reports the oldest profile age of a group on every tick. One period spans the stale window
    // (and at least one tick), so silence for the whole window is one missing datapoint, and an age above the
    // threshold alarms at the next evaluation.
    const stalePeriod = Duration.minutes(Math.max(t.stale_profile_minutes, props.profilerRateMinutes));
    props.groupNames.forEach((group, g) => {
      add(
        `Group${g}StaleProfiles`,
        `spotwise ${group}: the oldest profile is older than ${t.stale_profile_minutes} minutes, or no profile age was reported for ${stalePeriod.toMinutes()} minutes (the profiler is failing, not scheduled, or its metrics are missing)`,
        spotwiseMetric(props.serviceName, MetricName.profileAgeSeconds, { group, statistic: 'Maximum', period: stalePeriod }),
        t.stale_profile_minutes * 60,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Silence is the failure this alarm exists for: a profiler that stopped running emits no age at all, so
        // missing data breaches (every other alarm here watches counts, where silence means nothing happened).
        TreatMissingData.BREACHING,
      );
      add(
        `Group${g}PredictionError`,
        `spotwise ${group}: post-restart prediction error above ${t.prediction_error_ratio} (|observed - forecast| / observed, hourly average)`,
        // Restarts are rare: average over an hour so one odd restart does not page anyone.
        spotwiseMetric(props.serviceName, MetricName.predictionErrorRatio, { group, statistic: 'Average', period: Duration.hours(1) }),
        t.prediction_error_ratio,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    });
    this.alarms = alarms;
  }
}
