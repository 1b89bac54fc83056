import { AutoScalingCapacityGateway } from '../adapters/autoscaling-capacity-gateway';
import { createAwsClients } from '../adapters/aws-clients';
import { CloudWatchMetricsReader } from '../adapters/cloudwatch-metrics-reader';
import { DynamoDbModelStore, DynamoDbStateStore } from '../adapters/dynamodb-state-store';
import { Ec2InstanceGateway } from '../adapters/ec2-instance-gateway';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher';
import { SchedulerInterruptionScheduler } from '../adapters/scheduler-interruption-scheduler';
import { SystemClock } from '../adapters/system-clock';
import { MetricName } from '../contracts/metrics';
import type { ModelStore } from '../ports/learning-store';
import type { MetricsReader } from '../ports/metrics-reader';
import { UnconfiguredScheduler, type BaseDeps } from './handler-deps';
import { toManagedGroups } from './managed-groups';
import { createPowertoolsTelemetry, loadRuntimeSettings, type RuntimeSettings } from './runtime';

export interface AwsDeps extends BaseDeps {
  readonly settings: RuntimeSettings;
  readonly metricsReader: MetricsReader;
  /** The retrained model in the table (the profiler forecasts with it; the retrainer replaces it). */
  readonly models: ModelStore;
}

/**
 * The real composition: validated environment and configuration, Powertools telemetry, SDK clients
 * (adaptive retry, traced by X-Ray when tracing is on) and the adapters over them. Called on a
 * handler's first invocation, never at import.
 *
 * Prices: EC2 has no price API and the Lambda bundle carries no price table, so the catalog's prices
 * are unknown (infinite) here; the planner then compares types by shape only (see README).
 */
export const buildAwsDeps = (handlerName: string, opts: { readonly needsScheduler?: boolean } = {}): AwsDeps => {
  const telemetry = createPowertoolsTelemetry(handlerName);
  const settings = loadRuntimeSettings(process.env, opts);
  const managed = toManagedGroups(settings.config);
  // Retries the SDK absorbed (throttling, mostly) would be invisible otherwise: counted per call.
  const clients = createAwsClients({ onRetries: (retries) => telemetry.metrics.metric(MetricName.awsCallRetries, 'Count', retries) });
  const trace = <T>(client: T): T => telemetry.powertoolsTracer.captureAWSv3Client(client);
  const clock = new SystemClock();
  const ports = {
    clock,
    instances: new Ec2InstanceGateway(trace(clients.ec2), { prices: new Map() }),
    capacity: new AutoScalingCapacityGateway(trace(clients.autoScaling)),
    state: new DynamoDbStateStore(trace(clients.dynamoDb), { tableName: settings.tableName, clock }),
    publisher: new EventBridgePublisher(trace(clients.eventBridge), { eventBusName: settings.eventBusName }),
    scheduler:
      settings.scheduler === undefined
        ? new UnconfiguredScheduler()
        : new SchedulerInterruptionScheduler(trace(clients.scheduler), {
            executorArn: settings.scheduler.executorArn,
            roleArn: settings.scheduler.roleArn,
            groupName: settings.scheduler.groupName,
            ...(settings.scheduler.deadLetterArn !== undefined ? { deadLetterArn: settings.scheduler.deadLetterArn } : {}),
          }),
  };
  return {
    settings,
    managed,
    dryRun: settings.dryRun,
    telemetry,
    ports,
    metricsReader: new CloudWatchMetricsReader(trace(clients.cloudWatch)),
    models: new DynamoDbModelStore(trace(clients.dynamoDb), { tableName: settings.tableName, clock }),
  };
};
