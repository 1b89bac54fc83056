import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { awsClientConfig, createDynamoDbDocumentClient, type AwsClientOptions } from '../../lambda/adapters/aws-clients';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { EventBridgePublisher } from '../../lambda/adapters/eventbridge-publisher';
import { SchedulerInterruptionScheduler } from '../../lambda/adapters/scheduler-interruption-scheduler';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, instanceId, type InstanceId } from '../../lambda/core/domain';
import type { CoordinatorDeps } from '../../lambda/handlers/coordinator';
import { toManagedGroups } from '../../lambda/app/managed-groups';
import { createInMemoryPorts, RecordingTelemetry, type InMemoryPorts } from '../../lambda/sim/memory';
import { FleetBuilder } from '../../lambda/sim/fleet/fleet-builder';
import { INTERRUPTION_REQUEST_PATTERN } from '../../lib/request-bus';
import { knownForecast } from '../handlers/world';
import { createSpotwiseTable } from './dynamodb-table';

/**
 * The operator commands' emulator world: spotwise's table, bus and schedule group in moto, read and
 * written by the real adapters and the real coordinator handler. Auto Scaling and EC2 stay in the
 * in-memory cloud (moto 5.1's DescribeAutoScalingGroups answer is rejected by the SDK, see
 * ec2-instance-gateway.test.ts). What the CLI puts on the bus is read back from an SQS queue the bus's
 * request rule targets — the same pattern the stack's rule has — and handed to the coordinator as
 * EventBridge would deliver it.
 */
export const GROUP = groupId('web');
export const VICTIM = instanceId('i-0a1b2c3d4e5f60718');
export const SIBLING = instanceId('i-0a1b2c3d4e5f60719');
export const TABLE = 'spotwise-operator';
export const BUS = 'spotwise-operator-bus';
export const SCHEDULE_GROUP = 'spotwise';
const QUEUE = 'spotwise-operator-requests';
const ACCOUNT = '123456789012';

/** A minimal SQS client over moto's JSON protocol (the SDK's SQS client is not a dependency of spotwise). */
const sqs = async (options: AwsClientOptions, action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
  const response = await fetch(options.endpoint ?? '', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AmazonSQS.${action}`,
      // moto routes by the credential scope of the (unchecked) signature.
      Authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`SQS ${action} failed (${response.status}): ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
};

export interface OperatorWorld {
  readonly cloud: InMemoryPorts;
  readonly deps: CoordinatorDeps;
  readonly store: DynamoDbStateStore;
  readonly telemetry: RecordingTelemetry;
  /** Every event the request rule delivered since the last call, as EventBridge delivers them. */
  delivered(): Promise<Record<string, unknown>[]>;
  destroy(): void;
}

export const buildOperatorWorld = async (options: AwsClientOptions, now: number): Promise<OperatorWorld> => {
  await createSpotwiseTable(options, TABLE);
  const events = new EventBridgeClient(awsClientConfig(options));
  const scheduler = new SchedulerClient(awsClientConfig(options));
  await events.send(new CreateEventBusCommand({ Name: BUS }));
  const queue = await sqs(options, 'CreateQueue', { QueueName: QUEUE });
  const queueUrl = String(queue.QueueUrl);
  await events.send(
    new PutRuleCommand({
      Name: 'requests',
      EventBusName: BUS,
      EventPattern: JSON.stringify({ source: INTERRUPTION_REQUEST_PATTERN.source, 'detail-type': INTERRUPTION_REQUEST_PATTERN.detailType }),
    }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: 'requests', EventBusName: BUS, Targets: [{ Id: 'coordinator', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${QUEUE}` }] }),
  );
  await scheduler.send(new CreateScheduleGroupCommand({ Name: SCHEDULE_GROUP }));

  const fleet = new FleetBuilder({
    catalog: [
      { name: 'm5.large', resources: { vcpu: 2, memoryGiB: 8, networkMbps: 10_000, diskIops: 20_000 }, onDemandHourlyUsd: 0.096 },
      { name: 'm5.xlarge', resources: { vcpu: 4, memoryGiB: 16, networkMbps: 10_000, diskIops: 20_000 }, onDemandHourlyUsd: 0.192 },
    ],
  }).addGroup({ id: GROUP, desiredCapacity: 3, minSize: 1, maxSize: 6, availabilityZones: ['us-east-1a'] });
  [VICTIM, SIBLING, instanceId('i-0a1b2c3d4e5f60720')].forEach((id: InstanceId, i) =>
    fleet.addMember({
      id,
      groupId: GROUP,
      instanceType: i === 0 ? 'm5.xlarge' : 'm5.large',
      availabilityZone: 'us-east-1a',
      lifecycle: 'on-demand',
      launchedAt: now - 86_400_000,
      priority: i === 0 ? 40 : 60,
      jobType: 'web',
    }),
  );
  const cloud = createInMemoryPorts({ now, cloud: fleet.cloudState() });
  const doc = createDynamoDbDocumentClient(options);
  const store = new DynamoDbStateStore(doc, { tableName: TABLE, clock: cloud.clock });
  // What the profiler keeps in the table: the group's pool and the instances' forecasts.
  await store.putPoolCapacity(GROUP, { vcpu: 8, memoryGiB: 32, networkMbps: 30_000, diskIops: 60_000 });
  await store.putAllocations(GROUP, new Map([[SIBLING, { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 200 }]]));
  await store.putForecasts([
    knownForecast(VICTIM, { vcpu: 3, memoryGiB: 10, networkMbps: 100, diskIops: 200 }, now - 4 * 60_000),
    knownForecast(SIBLING, { vcpu: 1.5, memoryGiB: 6, networkMbps: 80, diskIops: 150 }, now - 4 * 60_000),
  ]);
  const telemetry = new RecordingTelemetry();
  const managed = toManagedGroups(
    parseSpotwiseConfig({
      groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 8, memory_gib: 32, network_mbps: 30_000, disk_iops: 60_000 } }],
      policies: [{ policy_name: 'web', priority: 'medium', disruption_budget: { max_unavailable: 2 } }],
      dry_run: false,
    }),
  );
  const deps: CoordinatorDeps = {
    ports: {
      clock: cloud.clock,
      instances: cloud.cloud,
      capacity: cloud.cloud,
      state: store,
      publisher: new EventBridgePublisher(events, { eventBusName: BUS }),
      scheduler: new SchedulerInterruptionScheduler(scheduler, {
        executorArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:spotwise-executor`,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/spotwise-scheduler`,
        groupName: SCHEDULE_GROUP,
      }),
    },
    managed,
    dryRun: false,
    telemetry,
  };
  return {
    cloud,
    deps,
    store,
    telemetry,
    delivered: async () => {
      const out: Record<string, unknown>[] = [];
      for (;;) {
        const received = await sqs(options, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
        const messages = (received.Messages ?? []) as { Body: string; ReceiptHandle: string }[];
        if (messages.length === 0) return out;
        for (const m of messages) {
          out.push(JSON.parse(m.Body) as Record<string, unknown>);
          await sqs(options, 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
        }
      }
    },
    destroy: () => {
      doc.destroy();
      events.destroy();
      scheduler.destroy();
    },
  };
};

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `spotwise <args>` as the operator would (bin/spotwise-cli.mjs under node), with the SDK's default
 * credential chain fed from the environment: fake keys and the region, nothing else.
 */
export const runCli = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliRun> =>
  new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['bin/spotwise-cli.mjs', ...args], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        // The SDK warns on stderr that Node 20 leaves its support window; the commands' own stderr is under test.
        NODE_NO_WARNINGS: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
