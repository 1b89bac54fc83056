import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Options shared by every client spotwise creates. All optional: Lambda supplies region and credentials. */
export interface AwsClientOptions {
  readonly region?: string;
  /** A local emulator (the integration tier's moto server) or a VPC endpoint. */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Attempts per call including the first (SDK default 3). */
  readonly maxAttempts?: number;
}

/**
 * EC2 throttles per account and action (DESIGN.md §1: mutating calls ~5/s, describes ~20/s). The SDK's
 * adaptive retry mode adds a client-side token bucket that slows down after throttling responses instead
 * of retrying at full speed, which is what a fleet-wide burst of notices needs.
 */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The configuration every client gets: adaptive retry, and the optional endpoint/credentials. */
export const awsClientConfig = (options: AwsClientOptions = {}) => ({
  retryMode: 'adaptive' as const,
  maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  ...(options.region !== undefined ? { region: options.region } : {}),
  ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
});

export const createEc2Client = (options?: AwsClientOptions): EC2Client => new EC2Client(awsClientConfig(options));
export const createAutoScalingClient = (options?: AwsClientOptions): AutoScalingClient => new AutoScalingClient(awsClientConfig(options));
export const createCloudWatchClient = (options?: AwsClientOptions): CloudWatchClient => new CloudWatchClient(awsClientConfig(options));
export const createEventBridgeClient = (options?: AwsClientOptions): EventBridgeClient => new EventBridgeClient(awsClientConfig(options));
export const createSchedulerClient = (options?: AwsClientOptions): SchedulerClient => new SchedulerClient(awsClientConfig(options));

/**
 * DynamoDB through the document client: plain JS values in and out. `removeUndefinedValues` because
 * optional fields of spotwise's records are left undefined rather than deleted.
 */
export const createDynamoDbDocumentClient = (options?: AwsClientOptions): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(options)), {
    marshallOptions: { removeUndefinedValues: true },
  });

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly autoScaling: AutoScalingClient;
  readonly cloudWatch: CloudWatchClient;
  readonly dynamoDb: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
  readonly scheduler: SchedulerClient;
}

/**
 * Every client, created on first use: a Lambda that only reads metrics never builds the Scheduler client.
 * Module scope of a handler may hold the result (clients are reused across invocations).
 */
export const createAwsClients = (options?: AwsClientOptions): AwsClients => {
  const cache = new Map<keyof AwsClients, unknown>();
  const lazy = <K extends keyof AwsClients>(key: K, make: () => AwsClients[K]): AwsClients[K] => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as AwsClients[K];
  };
  return {
    get ec2() {
      return lazy('ec2', () => createEc2Client(options));
    },
    get autoScaling() {
      return lazy('autoScaling', () => createAutoScalingClient(options));
    },
    get cloudWatch() {
      return lazy('cloudWatch', () => createCloudWatchClient(options));
    },
    get dynamoDb() {
      return lazy('dynamoDb', () => createDynamoDbDocumentClient(options));
    },
    get eventBridge() {
      return lazy('eventBridge', () => createEventBridgeClient(options));
    },
    get scheduler() {
      return lazy('scheduler', () => createSchedulerClient(options));
    },
  };
};
