import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../lib/dead-letter-queue';
import { bareStack, logicalIdsOf } from './helpers';

describe('DeadLetterQueue', () => {
  it('is encrypted (SSE-SQS), keeps messages 14 days and refuses requests without TLS', () => {
    const stack = bareStack();
    new DeadLetterQueue(stack, 'Dlq');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const [queueId] = logicalIdsOf(template, 'AWS::SQS::Queue');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'sqs:*',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          },
        ],
      },
    });
  });

  it.each([Duration.seconds(59), Duration.days(15)])('refuses a retention of %s', (retention) => {
    expect(() => new DeadLetterQueue(bareStack(), 'Dlq', { retention })).toThrow(
      `DeadLetterQueue Test/Dlq: retention must be between 60 seconds and 14 days (got ${retention.toSeconds()} seconds)`,
    );
  });
});
