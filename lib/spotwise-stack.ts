import { existsSync, readFileSync } from 'node:fs';
import { ScaleOutPolicies } from './scale-out-policies';
import { resolve } from 'node:path';
import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { SpotwiseConfig } from '../lambda/contracts/config';
import { SpotwiseAlarms } from './alarms';
import type { LoadedConfig } from './config/load-config';
import { DEMO_STANDBY_INSTANCE_TYPE, demoGroupNames } from './config/demo-config';
import { SpotwiseDashboard } from './dashboard';
import { DemoFleet } from './demo-fleet';
import { SERVICE_NAME, SpotwiseFunctions } from './functions';
import { PROJECT_ROOT } from './project-root';
import { ExistingGroupLifecycleHooks, LIFECYCLE_HOOK_NAMES } from './lifecycle-hooks';
import { NoticeRules } from './notice-rules';
import { ProfilerSchedule } from './profiler-schedule';
import { RequestBus } from './request-bus';
import { RequestRetrySchedule } from './request-retry-schedule';
import { RetrainingSchedule } from './retraining-schedule';
import { InterruptionScheduler } from './scheduler';
import { StateTable } from './state-table';

/** The CloudWatch agent configuration the adapters team maintains (the MetricsReader reads what it publishes). */
export const AGENT_CONFIG_FILE = 'lambda/adapters/cloudwatch-agent-config.json';

export interface SpotwiseStackProps extends StackProps {
  /** The validated configuration (lib/config/load-config.ts). */
  readonly loaded: LoadedConfig;
  /**
   * Repository root (handlers, lock file, model, agent configuration).
   * @default PROJECT_ROOT
   */
  readonly projectRoot?: string;
  /**
   * Handlers directory relative to projectRoot.
   * @default 'lambda/handlers'
   */
  readonly handlersDir?: string;
  /**
   * Model artifact directory relative to projectRoot.
   * @default DEFAULT_MODEL_DIR (see functions.ts)
   */
  readonly modelDir?: string;
  /**
   * Log retention of the functions.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** All group names spotwise manages by name: primaries and their standby groups. */
export const managedGroupNames = (config: SpotwiseConfig): string[] => [...config.groups.map((g) => g.name), ...config.standby_groups.map((s) => s.name)];

/**
 * The spotwise stack: state table, the five functions, notice rules on the default bus, the request bus,
 * the profiler schedule, the deferred-request retry tick, the retraining schedule (when retraining.enabled), the
 * interruption scheduler, alarms and dashboard, and with `-c demo=true` the demo fleet it manages.
 * Environment-agnostic unless an account and region are given: synth never calls AWS.
 */
export class SpotwiseStack extends Stack {
  /** The validated configuration the stack was built from. */
  readonly config: SpotwiseConfig;
  readonly functions: SpotwiseFunctions;
  readonly demo?: DemoFleet;

  constructor(scope: Construct, id: string, props: SpotwiseStackProps) {
    super(scope, id, props);
    const { config, input, demo } = props.loaded;
    this.config = config;
    const root = props.projectRoot ?? PROJECT_ROOT;
    const tagSelected = config.group_tag !== undefined;
    const named = managedGroupNames(config);
    // IAM and rule filters by name only when every managed group is named; tag selection widens them to any
    // group name (the managed-tag condition still applies).
    const filterNames = tagSelected || named.length === 0 ? undefined : named;

    // The Lambdas validate this again at cold start; alarm_email is not theirs to know.
    const { alarm_email: _alarmEmail, ...lambdaInput } = input;
    const configJson = JSON.stringify(lambdaInput);

    const table = new StateTable(this, 'State').table;
    const requestBus = new RequestBus(this, 'Events');
    this.functions = new SpotwiseFunctions(this, 'Functions', {
      table,
      bus: requestBus.bus,
      config,
      configJson,
      groupNames: filterNames,
      projectRoot: root,
      ...(props.handlersDir !== undefined ? { handlersDir: props.handlersDir } : {}),
      ...(props.modelDir !== undefined ? { modelDir: props.modelDir } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
    });
    const { profiler, notice, coordinator, executor, retrainer } = this.functions;

    requestBus.routeRequestsTo({ target: coordinator.function, deadLetterQueue: coordinator.deadLetterQueue.queue });
    new RequestRetrySchedule(this, 'RequestRetry', { coordinator: coordinator.function, deadLetterQueue: coordinator.deadLetterQueue.queue });
    const scheduler = new InterruptionScheduler(this, 'Scheduler', { executor: executor.function, deadLetterQueue: executor.deadLetterQueue.queue });
    scheduler.grantScheduling(coordinator, { dryRun: config.dry_run });

    new NoticeRules(this, 'Notices', {
      target: notice.function,
      deadLetterQueue: notice.deadLetterQueue.queue,
      maintenance: { target: coordinator.function, deadLetterQueue: coordinator.deadLetterQueue.queue },
      groupNames: filterNames,
    });

    // Every named group gets its tick, standby groups too: their serving instances need profiles and their
    // pools a refresh like any other (the profiler resolves a standby group from the configuration).
    if (named.length > 0) {
      new ProfilerSchedule(this, 'ProfilerSchedule', {
        profiler: profiler.function,
        deadLetterQueue: profiler.deadLetterQueue.queue,
        groupNames: named,
        rateMinutes: config.profiler.rate_minutes,
      });
    }
    // Disabled: no schedule, so the retrainer never runs (the function stays, see SpotwiseFunctions) and the profiler
    // keeps forecasting with the model it has, the table's or the bundled one.
    if (config.retraining.enabled) {
      new RetrainingSchedule(this, 'RetrainingSchedule', {
        retrainer: retrainer.function,
        deadLetterQueue: retrainer.deadLetterQueue.queue,
        everyHours: config.retraining.every_hours,
      });
    }
    if (tagSelected) {
      Annotations.of(this).addWarningV2(
        'spotwise:group-tag-profiling',
        'group_tag: notices of every tagged group are handled, but the profiler schedule ticks only the groups named in `groups` and `standby_groups` (a tick needs a group name at synth); tagged groups that are not named have no forecasts and spotwise fails closed for them.',
      );
    }

    if (demo) this.demo = this.createDemoFleet(config, root);

    // Atomic scale-out for every named group (concurrent notices add up, never overwrite each other).
    if (named.length > 0) new ScaleOutPolicies(this, 'ScaleOutPolicies', { groupNames: named });

    // Hooks on existing groups: opt-in, and never in dry-run (nobody would complete the lifecycle actions, so
    // every launch would wait for the heartbeat timeout).
    const existing = named.filter((n) => !this.isDemoGroup(n));
    if (props.loaded.lifecycleHooksOnExistingGroups && existing.length > 0) {
      if (config.dry_run) {
        Annotations.of(this).addWarningV2(
          'spotwise:lifecycle-hooks-dry-run',
          'lifecycle_hooks=true is ignored in dry-run: spotwise would not complete the lifecycle actions, so every launch and termination would wait for the heartbeat timeout.',
        );
      } else {
        new ExistingGroupLifecycleHooks(this, 'LifecycleHooks', { groupNames: existing, managedTag: config.managed_tag });
      }
    }

    const alarms = new SpotwiseAlarms(this, 'Alarms', {
      functions: this.functions.byName,
      thresholds: config.alarms,
      profilerRateMinutes: config.profiler.rate_minutes,
      groupNames: config.groups.map((g) => g.name),
      serviceName: SERVICE_NAME,
      ...(config.alarm_email !== undefined ? { alarmEmail: config.alarm_email } : {}),
    });
    const dashboard = new SpotwiseDashboard(this, 'Dashboard', {
      groups: config.groups.map((g) => ({ name: g.name, ...(g.standby !== undefined ? { standby: g.standby } : {}) })),
      tagSelected,
      serviceName: SERVICE_NAME,
      dryRun: config.dry_run,
    });

    new CfnOutput(this, 'RequestBusName', { value: requestBus.bus.eventBusName, description: 'Put "Interruption Requested" events here (source "spotwise")' });
    new CfnOutput(this, 'StateTableName', {
      value: table.tableName,
      description: 'spotwise status / explain / cancel read it (--table or SPOTWISE_TABLE_NAME)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'SNS topic of the spotwise alarms' });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName, description: 'CloudWatch dashboard' });
    new CfnOutput(this, 'LifecycleHookNames', {
      value: `${LIFECYCLE_HOOK_NAMES.launch},${LIFECYCLE_HOOK_NAMES.terminate}`,
      description: 'Hook names to add to existing managed groups (or deploy with -c lifecycle_hooks=true)',
    });
    new CfnOutput(this, 'DryRun', {
      value: String(config.dry_run),
      description: 'true: spotwise plans and reports, and holds no permission to change the fleet',
    });
  }

  /** Names of the groups the demo fleet creates (their hooks come with them). */
  private demoGroupNames: readonly string[] = [];

  private isDemoGroup(name: string): boolean {
    return this.demoGroupNames.includes(name);
  }

  private createDemoFleet(config: SpotwiseConfig, root: string): DemoFleet {
    const names = demoGroupNames(this.stackName);
    const primary = config.groups.find((g) => g.name === names.primary);
    const standby = config.standby_groups.find((s) => s.name === primary?.standby);
    if (primary === undefined || standby === undefined) {
      throw new Error(
        `SpotwiseStack: the demo needs its groups ${names.primary} (with standby ${names.standby}) in the configuration (got groups ${JSON.stringify(config.groups.map((g) => g.name))}); a configuration combined with -c demo=true must not redefine them without a standby`,
      );
    }
    const policy = config.policies.find((p) => p.policy_name === primary.policy);
    const agentFile = resolve(root, AGENT_CONFIG_FILE);
    const agentConfig = existsSync(agentFile) ? (JSON.parse(readFileSync(agentFile, 'utf8')) as Record<string, unknown>) : undefined;
    if (agentConfig === undefined) {
      Annotations.of(this).addWarningV2(
        'spotwise:agent-config-missing',
        `${AGENT_CONFIG_FILE} not found: the demo instances run without the CloudWatch agent.`,
      );
    }
    this.demoGroupNames = [primary.name, standby.name];
    return new DemoFleet(this, 'Demo', {
      primary: { name: primary.name, instanceTypes: policy?.allowed_instance_types.length ? policy.allowed_instance_types : [DEMO_STANDBY_INSTANCE_TYPE] },
      standby: { name: standby.name, instanceType: DEMO_STANDBY_INSTANCE_TYPE, warmPool: standby.warm_pool },
      managedTag: config.managed_tag,
      ...(agentConfig !== undefined ? { agentConfig } : {}),
      lifecycleHooks: !config.dry_run,
    });
  }
}
