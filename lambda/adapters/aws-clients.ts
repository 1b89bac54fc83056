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
  /** Told about every call the SDK retried (see observeRetries); the handlers count them as AwsCallRetries. */
  readonly onRetries?: RetryObserver;
}

/** A call the SDK made more than once: how many retries, on which client and operation. */
export type RetryObserver = (retries: number, call: { readonly client: string; readonly operation: string }) => void;

/** What every SDK v3 client has: a middleware stack (typed loosely, as it differs per client). */
interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<{ readonly output: unknown }>,
        context: { readonly clientName?: string; readonly commandName?: string },
      ) => (args: unknown) => Promise<{ readonly output: unknown }>,
      options: { readonly step: 'initialize'; readonly name: string; readonly override: boolean },
    ): void;
  };
}

const attemptsOf = (x: unknown): number | undefined => {
  const attempts = (x as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : undefined;
};

/**
 * Reports the retries of every call through `client`. The SDK's retry middleware records the attempts it
 * made in `$metadata.attempts` of the response, and of the error when it gives up; this middleware sits
 * outside it (the initialize step) and reads that count, so throttling that the adaptive retry absorbed
 * stays visible. Calls that succeeded at once report nothing.
 */
export const observeRetries = <C extends object>(client: C, observe: RetryObserver): C => {
  (client as unknown as WithMiddleware).middlewareStack.add(
    (next, context) => async (args) => {
      const report = (attempts: number | undefined): void => {
        if (attempts !== undefined && attempts > 1)
          observe(attempts - 1, { client: context.clientName ?? 'unknown', operation: context.commandName ?? 'unknown' });
      };
      try {
        const result = await next(args);
        report(attemptsOf(result.output));
        return result;
      } catch (error) {
        report(attemptsOf(error));
        throw error;
      }
    },
    { step: 'initialize', name: 'spotwiseRetryObserver', override: true },
  );
  return client;
};

const observed = <C extends object>(client: C, options: AwsClientOptions | undefined): C =>
  options?.onRetries === undefined ? client : observeRetries(client, options.onRetries);

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

export const createEc2Client = (options?: AwsClientOptions): EC2Client => observed(new EC2Client(awsClientConfig(options)), options);
export const createAutoScalingClient = (options?: AwsClientOptions): AutoScalingClient => observed(new AutoScalingClient(awsClientConfig(options)), options);
export const createCloudWatchClient = (options?: AwsClientOptions): CloudWatchClient => observed(new CloudWatchClient(awsClientConfig(options)), options);
export const createEventBridgeClient = (options?: AwsClientOptions): EventBridgeClient => observed(new EventBridgeClient(awsClientConfig(options)), options);
export const createSchedulerClient = (options?: AwsClientOptions): SchedulerClient => observed(new SchedulerClient(awsClientConfig(options)), options);

/**
 * DynamoDB through the document client: plain JS values in and out. `removeUndefinedValues` because
 * optional fields of spotwise's records are left undefined rather than deleted.
 */
export const createDynamoDbDocumentClient = (options?: AwsClientOptions): DynamoDBDocumentClient =>
  // The document client sends through the wrapped client's middleware stack, so observing it covers both.
  DynamoDBDocumentClient.from(observed(new DynamoDBClient(awsClientConfig(options)), options), {
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
