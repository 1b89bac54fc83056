import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RequestRetrySchedule } from '../../lib/request-retry-schedule';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

describe('RequestRetrySchedule', () => {
  it('invokes the coordinator every minute with the plain scheduled event, DLQ and a short retry', () => {
    const stack = bareStack();
    new RequestRetrySchedule(stack, 'Retry', { coordinator: dummyFunction(stack, 'Coordinator'), deadLetterQueue: dummyQueue(stack, 'Dlq') });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdsOf(template, 'AWS::Lambda::Function')[0], 'Arn'] },
          Id: 'Target0',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdsOf(template, 'AWS::SQS::Queue')[0], 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 1 },
        },
      ],
    });
    // The plain scheduled event (source aws.events): the coordinator's registry treats it as a noop.
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rule?.Properties.Targets[0].Input).toBeUndefined();
    expect(rule?.Properties.Targets[0].InputTransformer).toBeUndefined();
  });

  it.each([0, 61, 1.5])('refuses rateMinutes %d', (rateMinutes) => {
    const stack = bareStack();
    expect(
      () => new RequestRetrySchedule(stack, 'Retry', { coordinator: dummyFunction(stack, 'C'), deadLetterQueue: dummyQueue(stack, 'Q'), rateMinutes }),
    ).toThrow(`RequestRetrySchedule Test/Retry: rateMinutes must be an integer between 1 and 60 (got ${rateMinutes})`);
  });
});
