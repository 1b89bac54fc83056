import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpotwiseAlarms } from '../../lib/alarms';
import { ContextKey } from '../../lib/config/context-keys';
import { HANDLER_NAMES } from '../../lib/spotwise-function';
import { bareStack, synthSpotwise } from './helpers';

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

describe('alarms (spotwise.example.yaml with alarm_email)', () => {
  let template: Template;
  let topic: string;
  let alarms: Record<string, Record<string, unknown>>;
  beforeAll(() => {
    template = synthSpotwise({ [ContextKey.alarmEmail]: 'oncall@example.com' }).template;
    [topic] = Object.keys(template.findResources('AWS::SNS::Topic')) as [string];
    alarms = Object.fromEntries(
      Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => [id, r.Properties as Record<string, unknown>]),
    );
  });

  /** The one alarm whose logical id starts with `prefix`. */
  const alarm = (prefix: string): Record<string, unknown> => {
    const found = Object.entries(alarms).filter(([id]) => id.startsWith(prefix));
    expect(found.map(([id]) => id)).toHaveLength(1);
    return found[0]?.[1] as Record<string, unknown>;
  };

  const notifies = () => ({ AlarmActions: [{ Ref: topic }], OKActions: [{ Ref: topic }] });

  it('notifies one topic that requires TLS, with the e-mail subscribed', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topic } });
  });

  it('the topic policy lets CloudWatch alarms of this account publish, over TLS only, and allows nothing else', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const properties = policies[0]?.Properties as { Topics: unknown; PolicyDocument: { Statement: unknown[] } };
    expect(properties.Topics).toEqual([{ Ref: topic }]);
    const account = { Ref: 'AWS::AccountId' };
    expect(properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: { Ref: topic },
      },
      {
        Sid: 'AllowCloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: { Ref: topic },
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: {
            'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', account, ':alarm:*']] },
          },
        },
      },
    ]);
  });

  it('has exactly the expected alarms: 2 per function, 4 fleet-wide, 2 per named group', () => {
    expect(Object.keys(alarms)).toHaveLength(HANDLER_NAMES.length * 2 + 4 + 2 * 2);
    expect(HANDLER_NAMES).toHaveLength(5);
  });

  it('only the stale-profile alarms treat missing data as breaching (silence means the profiler stopped)', () => {
    const breaching = Object.entries(alarms)
      .filter(([, a]) => a.TreatMissingData === 'breaching')
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(breaching.sort()).toEqual(['AlarmsGroup0StaleProfiles', 'AlarmsGroup1StaleProfiles']);
    for (const [id, a] of Object.entries(alarms)) if (!breaching.some((b) => id.startsWith(b))) expect(a.TreatMissingData, id).toBe('notBreaching');
  });

  it('any fail-closed decision', () => {
    expect(alarm('AlarmsFailClosedDecisions')).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'FailClosedDecisions',
      Dimensions: [{ Name: 'service', Value: 'spotwise' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each(HANDLER_NAMES)('%s: errors > 0 in 5 minutes', (fn) => {
    const functionId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith(`Functions${capitalise(fn)}Function`));
    expect(alarm(`Alarms${capitalise(fn)}Errors`)).toEqual({
      ...notifies(),
      AlarmDescription: `spotwise ${fn} function: invocations failed in the last 5 minutes`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it.each(HANDLER_NAMES)('%s: any message in its dead-letter queue', (fn) => {
    const queueId = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith(`Functions${capitalise(fn)}DeadLetters`));
    expect(alarm(`Alarms${capitalise(fn)}DeadLetters`)).toMatchObject({
      ...notifies(),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('notice to last action p99 above 60 s', () => {
    expect(alarm('AlarmsNoticeToLastActionP99')).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'NoticeToLastActionSeconds',
      Dimensions: [{ Name: 'service', Value: 'spotwise' }],
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('reservation refusals above the configured 5 per 5 minutes', () => {
    expect(alarm('AlarmsReservationRefusals')).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'ReservationRefusals',
      Dimensions: [{ Name: 'service', Value: 'spotwise' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('any failed action', () => {
    expect(alarm('AlarmsActionFailures')).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'ActionFailures',
      Dimensions: [{ Name: 'service', Value: 'spotwise' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it.each([
    [0, 'web-spot'],
    [1, 'batch-spot'],
  ])('group %d (%s): stale profiles (> 30 min) and prediction error (> 0.5, hourly)', (g, group) => {
    // The template lists dimensions sorted by name.
    const dims = [
      { Name: 'GroupName', Value: group },
      { Name: 'service', Value: 'spotwise' },
    ];
    // One period spans the 30-minute stale window: a window without any reported age breaches.
    expect(alarm(`AlarmsGroup${g}StaleProfiles`)).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'ProfileAgeSeconds',
      Dimensions: dims,
      Statistic: 'Maximum',
      Period: 1800,
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    expect(alarm(`AlarmsGroup${g}PredictionError`)).toMatchObject({
      ...notifies(),
      Namespace: 'Spotwise',
      MetricName: 'PostRestartPredictionError',
      Dimensions: dims,
      Statistic: 'Average',
      Period: 3600,
      Threshold: 0.5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('SpotwiseAlarms props', () => {
  it.each([
    [{ prediction_error_ratio: 0 }, 'thresholds.prediction_error_ratio must be positive (got 0)'],
    [{ reservation_refusals_per_5min: 0 }, 'thresholds.reservation_refusals_per_5min must be at least 1 (got 0)'],
    [{ stale_profile_minutes: Number.NaN }, 'thresholds.stale_profile_minutes must be at least 1 (got NaN)'],
    [{ stale_profile_minutes: 1441 }, 'thresholds.stale_profile_minutes must be a whole number of minutes, at most 1440 (got 1441)'],
  ])('refuses %j', (patch, message) => {
    expect(
      () =>
        new SpotwiseAlarms(bareStack(), 'Alarms', {
          functions: {} as never,
          thresholds: { reservation_refusals_per_5min: 5, prediction_error_ratio: 0.5, stale_profile_minutes: 30, ...patch },
          groupNames: [],
          serviceName: 'spotwise',
          profilerRateMinutes: 5,
        }),
    ).toThrow(`SpotwiseAlarms Test/Alarms: ${message}`);
  });

  it('refuses a profiler rate that is not a whole number of minutes', () => {
    expect(
      () =>
        new SpotwiseAlarms(bareStack(), 'Alarms', {
          functions: {} as never,
          thresholds: { reservation_refusals_per_5min: 5, prediction_error_ratio: 0.5, stale_profile_minutes: 30 },
          groupNames: [],
          serviceName: 'spotwise',
          profilerRateMinutes: 0.5,
        }),
    ).toThrow('SpotwiseAlarms Test/Alarms: profilerRateMinutes must be a whole number of minutes, at least 1 (got 0.5)');
  });

  it('a profiler slower than the stale window widens the period to one tick, so the gap between ticks is not silence', () => {
    const stack = bareStack();
    new SpotwiseAlarms(stack, 'Alarms', {
      functions: {} as never,
      thresholds: { reservation_refusals_per_5min: 5, prediction_error_ratio: 0.5, stale_profile_minutes: 10 },
      groupNames: ['web'],
      serviceName: 'spotwise',
      profilerRateMinutes: 15,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProfileAgeSeconds',
      Period: 900,
      Threshold: 600,
      TreatMissingData: 'breaching',
    });
  });
});
