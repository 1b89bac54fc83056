import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

export interface DeadLetterQueueProps {
  /**
   * How long a failed event stays for inspection and redrive. SQS allows 60 s to 14 days.
   * @default Duration.days(14) (the SQS maximum: a failed notice is evidence, keep it as long as possible)
   */
  readonly retention?: Duration;
}

/**
 * A dead-letter queue for one function: EventBridge targets that cannot deliver, Lambda asynchronous
 * invocations that exhaust their retries, and (for the executor) EventBridge Scheduler deliveries all land
 * here. Encrypted with SQS managed keys (SSE-SQS) because EventBridge and Scheduler can write to it without
 * a KMS key policy, and every request must use TLS.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: IQueue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    const retention = props.retention ?? Duration.days(14);
    const seconds = retention.toSeconds();
    if (seconds < 60 || seconds > 14 * 24 * 3600) {
      throw new Error(`DeadLetterQueue ${this.node.path}: retention must be between 60 seconds and 14 days (got ${seconds} seconds)`);
    }
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
    });
    acknowledgeNag(this, {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of EventBridge targets, Lambda async invocations and Scheduler; a DLQ of a DLQ would only move the problem.',
    });
  }
}
