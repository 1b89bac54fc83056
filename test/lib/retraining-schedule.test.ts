import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RetrainingSchedule } from '../../lib/retraining-schedule';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

const synth = (everyHours: number) => {
  const stack = bareStack();
  new RetrainingSchedule(stack, 'Retraining', { retrainer: dummyFunction(stack, 'Retrainer'), deadLetterQueue: dummyQueue(stack, 'Dlq'), everyHours });
  return Template.fromStack(stack);
};

describe('RetrainingSchedule', () => {
  it('invokes the retrainer every 24 hours with the plain scheduled event, its DLQ and an hour to deliver', () => {
    const template = synth(24);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(24 hours)',
      State: 'ENABLED',
      Description: 'spotwise: retrain the post-restart demand model every 24 h (retrainer)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdsOf(template, 'AWS::Lambda::Function')[0], 'Arn'] },
          Id: 'Target0',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdsOf(template, 'AWS::SQS::Queue')[0], 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 },
        },
      ],
    });
    // The plain scheduled event (source aws.events, detail-type "Scheduled Event"): what the retrainer parses.
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rule?.Properties.Targets[0].Input).toBeUndefined();
    expect(rule?.Properties.Targets[0].InputTransformer).toBeUndefined();
  });

  it.each([
    [1, 'rate(1 hour)'],
    [6, 'rate(6 hours)'],
    [720, 'rate(720 hours)'],
  ])('every %d hours: %s', (everyHours, expression) => {
    synth(everyHours).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: expression });
  });

  it.each([0, 721, 1.5])('refuses everyHours %d', (everyHours) => {
    expect(() => synth(everyHours)).toThrow(`RetrainingSchedule Test/Retraining: everyHours must be an integer between 1 and 720 (got ${everyHours})`);
  });

  it('refuses a delivery policy EventBridge would refuse', () => {
    const stack = bareStack();
    expect(
      () =>
        new RetrainingSchedule(stack, 'Retraining', {
          retrainer: dummyFunction(stack, 'R'),
          deadLetterQueue: dummyQueue(stack, 'Q'),
          everyHours: 24,
          delivery: { maxEventAge: Duration.seconds(59), retryAttempts: 0 },
        }),
    ).toThrow('RetrainingSchedule Test/Retraining: maxEventAge must be between 60 seconds and 24 hours (got 59 seconds)');
  });
});
