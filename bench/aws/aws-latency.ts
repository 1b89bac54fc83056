import { randomStream, uniform } from '../../lambda/data/random';

type Random = ReturnType<typeof randomStream>;

/**
 * Modelled round-trip times of the AWS calls spotwise makes, from a Lambda function to the service in the
 * same Region: what the benchmarks' AWS stand-in waits (in virtual time, bench/aws/virtual-time.ts) before it
 * answers a call. Each call draws uniformly from its range with a seeded generator.
 *
 * Sources, and where there are none:
 * - DynamoDB: "consistent single-digit millisecond response times at any scale"
 *   (https://aws.amazon.com/dynamodb/, and the Developer Guide's "What is Amazon DynamoDB?"). A point read or
 *   write is held to 3–10 ms. A BatchGetItem of up to 100 items or a Query page is several item reads served in
 *   parallel by the service: 5–25 ms. TransactWriteItems performs two underlying writes of every item it
 *   touches (Developer Guide, "Capacity management for transactions"): 10–30 ms.
 * - EC2 and Auto Scaling: AWS publishes no latency for its control-plane APIs. The ranges are assumptions,
 *   deliberately an order of magnitude above DynamoDB's documented figures, in line with the 100 ms per API
 *   request the EBS direct APIs guide takes as its working figure ("Optimize performance",
 *   https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-performance.html): describes 100–400 ms (a page of up
 *   to 1,000 instances), mutating calls 150–500 ms (each returns once the request is accepted; the instance's
 *   state change that follows is asynchronous and is not waited for here).
 * - EventBridge PutEvents and EventBridge Scheduler CreateSchedule/DeleteSchedule: no published latency;
 *   assumed 20–100 ms and 50–200 ms.
 * - EventBridge's delivery of the EC2 event to the function is not modelled: figures run from the moment the
 *   handler is invoked.
 *
 * Calls that do not change anything are reads; every other call is mutating.
 */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

const range = (minMs: number, maxMs: number): LatencyRange => ({ minMs, maxMs });

export const AWS_LATENCY_MS: Readonly<Record<string, LatencyRange>> = {
  // DynamoDB (documented: single-digit milliseconds).
  GetItem: range(3, 10),
  PutItem: range(3, 10),
  UpdateItem: range(3, 10),
  DeleteItem: range(3, 10),
  Query: range(5, 25),
  BatchGetItem: range(5, 25),
  BatchWriteItem: range(5, 25),
  TransactWriteItems: range(10, 30),
  // EC2 (assumed).
  DescribeInstances: range(100, 400),
  DescribeInstanceTypes: range(100, 400),
  StartInstances: range(150, 500),
  StopInstances: range(150, 500),
  ModifyInstanceAttribute: range(150, 500),
  TerminateInstances: range(150, 500),
  CreateTags: range(150, 500),
  // Auto Scaling (assumed).
  DescribeAutoScalingGroups: range(100, 400),
  DescribeAutoScalingInstances: range(100, 400),
  DescribeWarmPool: range(100, 400),
  SetDesiredCapacity: range(150, 500),
  ExecutePolicy: range(150, 500),
  DescribePolicies: range(100, 400),
  PutWarmPool: range(150, 500),
  CompleteLifecycleAction: range(150, 500),
  RecordLifecycleActionHeartbeat: range(150, 500),
  TerminateInstanceInAutoScalingGroup: range(150, 500),
  // EventBridge and Scheduler (assumed).
  PutEvents: range(20, 100),
  CreateSchedule: range(50, 200),
  DeleteSchedule: range(50, 200),
};

/** Calls that read only; the rest change state. */
export const READ_APIS: ReadonlySet<string> = new Set([
  'GetItem',
  'Query',
  'BatchGetItem',
  'DescribeInstances',
  'DescribeInstanceTypes',
  'DescribeAutoScalingGroups',
  'DescribeAutoScalingInstances',
  'DescribeWarmPool',
  'DescribePolicies',
]);

export const isMutating = (api: string): boolean => !READ_APIS.has(api);

/** Draws round-trip times from AWS_LATENCY_MS. An API without a range is an error: every call must be modelled. */
export class LatencyModel {
  private readonly rng: Random;

  constructor(seed: number, label = 'aws-latency') {
    this.rng = randomStream(seed, label);
  }

  draw(api: string): number {
    const r = AWS_LATENCY_MS[api];
    if (r === undefined) throw new RangeError(`no modelled latency for AWS API ${api}`);
    return uniform(this.rng, r.minMs, r.maxMs);
  }
}
