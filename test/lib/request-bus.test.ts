import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RequestBus } from '../../lib/request-bus';
import { bareStack, logicalIdsOf } from './helpers';
import { dummyFunction, dummyQueue } from './dummies';

describe('RequestBus', () => {
  it('is a custom bus whose rule sends "Interruption Requested" from spotwise to the coordinator, with DLQ and retries', () => {
    const stack = bareStack();
    const bus = new RequestBus(stack, 'Events');
    bus.routeRequestsTo({ target: dummyFunction(stack, 'Coordinator'), deadLetterQueue: dummyQueue(stack, 'Dlq') });
    const template = Template.fromStack(stack);
    const [busId] = logicalIdsOf(template, 'AWS::Events::EventBus');
    const [fnId] = logicalIdsOf(template, 'AWS::Lambda::Function');
    const [dlqId] = logicalIdsOf(template, 'AWS::SQS::Queue');
    template.resourceCountIs('AWS::Events::EventBus', 1);
    // No resource policy: only IAM principals of this account can put events.
    template.resourceCountIs('AWS::Events::EventBusPolicy', 0);
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { source: ['spotwise'], 'detail-type': ['Interruption Requested', 'Interruption Cancel Requested'] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
          Id: 'Target0',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
        },
      ],
    });
  });

  it('refuses a delivery policy outside EventBridge limits', () => {
    const stack = bareStack();
    const bus = new RequestBus(stack, 'Events');
    expect(() =>
      bus.routeRequestsTo({
        target: dummyFunction(stack, 'C'),
        deadLetterQueue: dummyQueue(stack, 'Q'),
        delivery: { maxEventAge: Duration.hours(25), retryAttempts: 1 },
      }),
    ).toThrow('RequestBus Test/Events: maxEventAge must be between 60 seconds and 24 hours (got 90000 seconds)');
  });
});
