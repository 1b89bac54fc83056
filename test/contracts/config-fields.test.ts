import { DescribeInstanceTypesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseSpotwiseConfig, spotwiseConfigSchema, type SpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, instanceId, requestId, type Notice, type ShapingPolicy } from '../../lambda/core/domain';
import { checkDisruptionBudget } from '../../lambda/core/budget/disruption-budget';
import { planEvictions } from '../../lambda/core/coordinator/plan-evictions';
import { planInterruptionRequest } from '../../lambda/core/coordinator/plan-request';
import { planNoticeResponse } from '../../lambda/core/planner/plan-notice';
import { assessPoolStability } from '../../lambda/core/planner/spot-pool-stability';
import { planThrottles } from '../../lambda/core/throttle/plan-throttles';
import { profileWithRecent } from '../core/throttle/throttle-fixtures';
import { buildAwsDeps } from '../../lambda/app/aws-deps';
import { loadFleet, poolCapacity, resolveManagedGroup } from '../../lambda/app/load-fleet';
import { relatedGroups, toManagedGroups } from '../../lambda/app/managed-groups';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { defaultDeps as profilerDefaultDeps, makeHandler as makeProfiler, type ProfilerDeps } from '../../lambda/handlers/profiler';
import { createInMemoryPorts } from '../../lambda/sim/memory';
import { rowlessCycles } from '../fixtures/learned-cycles';
import { InMemoryModelStore } from '../../lambda/sim/memory/in-memory-model-store';
import { readModelArtifact } from '../../lambda/adapters/model-loader';
import { BUNDLED_MODEL_DIR } from '../../lambda/sim/bundled-data';
import { InMemoryStateStore } from '../../lambda/sim/memory/in-memory-state-store';
import { RecordingTelemetry } from '../../lambda/sim/memory/recording-telemetry';
import { defaultDeps as retrainerDefaultDeps, makeHandler as makeRetrainer } from '../../lambda/handlers/retrainer';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { fixture } from '../events/event-fixtures';
import { forecast, group, instance, pool, roomyPool, T0, fleet as buildFleet } from '../core/fixtures/fleet-builders';
import { synthSpotwise } from '../lib/helpers';
import { CATALOG, GROUP, STANDBY, buildWorld } from '../handlers/world';

/**
 * Every leaf field of the spotwise configuration (policies included) changes something spotwise does: a
 * plan, a handler's decision, the deployed stack, or whether the configuration is accepted. The table
 * below has one row per field — a configuration that changes it and where the difference shows; the
 * schema is walked, so a field added without a row (a setting that nothing reads) fails this test.
 */

// ---------------------------------------------------------------------------------------------
// The schema's leaves
// ---------------------------------------------------------------------------------------------
interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Paths of the leaves: objects are walked, `[]` marks an array of objects, anything else is a leaf. */
const leaves = (s: z.ZodType, path: string): string[] => {
  const def = defOf(s);
  switch (def.type) {
    case 'default':
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'prefault':
      return leaves(def.innerType as z.ZodType, path);
    case 'pipe':
      return leaves(def.in as z.ZodType, path);
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([k, v]) => leaves(v, path === '' ? k : `${path}.${k}`));
    case 'array':
      return defOf(def.element as z.ZodType).type === 'object' ? leaves(def.element as z.ZodType, `${path}[]`) : [path];
    default:
      return [path];
  }
};

// ---------------------------------------------------------------------------------------------
// The base configuration and the observers (the consumers of the fields)
// ---------------------------------------------------------------------------------------------
type Input = Record<string, unknown> & {
  groups: Record<string, unknown>[];
  standby_groups: (Record<string, unknown> & { warm_pool: Record<string, unknown> })[];
  policies: Record<string, unknown>[];
};

/** The handler tests' fleet (test/handlers/world.ts) with every optional field set. */
const base = (): Input => ({
  groups: [{ name: GROUP, policy: 'web', capacity: { vcpu: 32, memory_gib: 128, network_mbps: 100_000, disk_iops: 200_000 }, standby: STANDBY }],
  group_tag: { key: 'team', value: 'web' },
  standby_groups: [{ name: STANDBY, warm_pool: { min_size: 2, max_prepared_capacity: -1, pool_state: 'Stopped', reuse_on_scale_in: true } }],
  policies: [
    { policy_name: 'web', priority: 'high', allowed_instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge'] },
    { policy_name: 'batch', priority: 'low', forecast_quantile: 'p50' },
  ],
  managed_tag: { key: 'spotwise:managed', value: 'true' },
  profiler: { rate_minutes: 5, metrics_every_minutes: 20, window_minutes: 60, half_life_hours: 24 },
  dry_run: false,
  alarm_email: 'oncall@example.com',
  alarms: { reservation_refusals_per_5min: 5, prediction_error_ratio: 0.5, stale_profile_minutes: 30 },
});

const webPolicy = (c: SpotwiseConfig): ShapingPolicy => toManagedGroups(c).groups.get(GROUP)!.policy;
const warning = (id: string): Notice => ({
  kind: 'spot-interruption-warning',
  eventId: `evt-${id}`,
  at: T0,
  instanceId: instanceId(id),
  action: 'terminate',
  deadline: T0 + 120_000,
});

/** The notice handler's plan for the Karpenter sample warning, in the handler tests' world. */
const noticeWorldPlan = async (input: Input): Promise<unknown> => {
  const w = await buildWorld({ config: input });
  await makeNotice(w.deps)(fixture('ec2-spot-instance-interruption-warning__karpenter.json'));
  return { plans: w.ports.publisher.plans().map((p) => ({ ...p, at: undefined })), mutating: w.ports.mutatingCalls().map((c) => [c.operation, c.args]) };
};

/** What a profiler tick of the standby group does to the cloud (staging: the warm pool's size, settings and shapes). */
const standbyTick = async (input: Input): Promise<unknown> => {
  const w = await buildWorld({ config: input });
  const deps: ProfilerDeps = {
    ...w.deps,
    metricsReader: w.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  };
  await makeProfiler(deps)({ source: 'spotwise', 'detail-type': 'Profile Tick', detail: { groupName: STANDBY } });
  return w.ports.cloud.log.mutatingCalls().map((c) => [c.operation, c.args]);
};

/** Where the load of a warned instance lands between two running siblings (one CPU-free, one memory-free). */
const placement = (c: SpotwiseConfig): unknown => {
  const f = buildFleet(
    [
      group('web', {
        policy: webPolicy(c),
        instances: [
          instance('i-a1'),
          instance('i-cpu', { lifecycle: 'on-demand', instanceType: 'm5.2xlarge', availabilityZone: 'us-east-1b' }),
          instance('i-mem', { lifecycle: 'on-demand', instanceType: 'm5.2xlarge', availabilityZone: 'us-east-1c' }),
        ],
        pool: roomyPool('web', { allocations: { 'i-cpu': { vcpu: 1, memoryGiB: 28 }, 'i-mem': { vcpu: 7, memoryGiB: 4 } } }),
      }),
    ],
    [forecast('i-a1', { vcpu: 1, memoryGiB: 2 })],
  );
  return planNoticeResponse(warning('i-a1'), f, { now: T0 }).events.map((e) => (e.kind === 'capacity-staged' ? e.detail : e.kind));
};

/** A victim bigger than its type, one running On-Demand sibling and no room to scale out: only a stop → modify → start could hold it. */
const siblingResize = (c: SpotwiseConfig): unknown => {
  const f = buildFleet(
    [
      group('web', {
        policy: webPolicy(c),
        instances: [instance('i-a1'), instance('i-od', { lifecycle: 'on-demand', availabilityZone: 'us-east-1b' })],
        desiredCapacity: 2,
        maxSize: 2,
        pool: roomyPool('web', { allocations: { 'i-od': { vcpu: 1, memoryGiB: 2 } } }),
      }),
    ],
    [forecast('i-a1', { vcpu: 3, memoryGiB: 12 }), forecast('i-od', { vcpu: 1, memoryGiB: 2 })],
  );
  return planNoticeResponse(warning('i-a1'), f, { now: T0 }).actions.map((a) => a.kind);
};

/** The eviction requests of a pool at 95 % of its vCPU with a low-priority instance on it. */
const evictions = (c: SpotwiseConfig): unknown => {
  const f = buildFleet([
    group('web', {
      policy: webPolicy(c),
      instances: [instance('i-hi', { priority: 90 }), instance('i-lo', { priority: 10 })],
      pool: pool('web', { vcpu: 10, memoryGiB: 100, networkMbps: 10_000, diskIops: 10_000 }, { allocations: { 'i-hi': { vcpu: 5 }, 'i-lo': { vcpu: 4.5 } } }),
    }),
  ]);
  return planEvictions(groupId('web'), f, { now: T0 }).map((r) => r.selector);
};

/**
 * A priority request whose victim's post-restart demand (4 vCPU) does not fit the 2 vCPU left in its pool, beside a
 * lower-priority instance allocated 8 vCPU and using 2: admitted only by borrowing.
 */
const borrowing = (c: SpotwiseConfig): unknown => {
  const lender = forecast('i-lo', { vcpu: 2, memoryGiB: 2 });
  const f = buildFleet(
    [
      group('web', {
        policy: webPolicy(c),
        instances: [instance('i-hi', { priority: 90 }), instance('i-lo', { priority: 10 })],
        pool: pool(
          'web',
          { vcpu: 16, memoryGiB: 64, networkMbps: 10_000, diskIops: 10_000 },
          { allocations: { 'i-hi': { vcpu: 6, memoryGiB: 8 }, 'i-lo': { vcpu: 8, memoryGiB: 8 } } },
        ),
      }),
    ],
    [forecast('i-hi', { vcpu: 4, memoryGiB: 4 }), { ...lender, recentUse: { vcpu: 2, memoryGiB: 2, networkMbps: 10, diskIops: 10 } } as typeof lender],
  );
  const request = {
    requestId: requestId('req-b'),
    selector: { kind: 'instance' as const, instanceId: instanceId('i-hi') },
    reason: 'patch',
    notBefore: T0,
    deadline: T0 + 3_600_000,
    mode: 'terminate' as const,
    requestedAt: T0,
  };
  return planInterruptionRequest(request, f, { now: T0 }).actions.map((a) => (a.kind === 'reserve' ? { reserve: a.reservation.loans ?? [] } : a.kind));
};

/** The throttles of an instance 20 minutes over its 1-vCPU allocation. */
const throttles = (c: SpotwiseConfig): unknown =>
  planThrottles(
    { id: groupId('web'), policy: webPolicy(c) },
    { allocations: new Map([[instanceId('i-a'), { vcpu: 1, memoryGiB: 8, networkMbps: 1000, diskIops: 1000 }]]) },
    [
      profileWithRecent(
        'i-a',
        Array.from({ length: 20 }, () => ({ vcpu: 1.5 })),
        T0,
      ),
    ],
    { now: T0, staleAfterMs: 0 },
  ).actions;

/** How many voluntary disruptions the budget allows in a group of 10 running instances. */
const budget = (c: SpotwiseConfig): unknown =>
  checkDisruptionBudget(group('web', { policy: webPolicy(c), instances: Array.from({ length: 10 }, (_, k) => instance(`i-${k}`)), desiredCapacity: 10 }));

/** Whether a Spot pool that lost instances at −50, −20, −10 and −1 minutes is unstable now, and until when. */
const stability = (c: SpotwiseConfig): unknown =>
  assessPoolStability(
    [-50, -20, -10, -1].map((m) => T0 + m * 60_000),
    webPolicy(c).unstablePool,
    T0,
  );

/** The notice plan's reservation for a victim with a forecast, under the group's policy. */
const reservation = (c: SpotwiseConfig): unknown => {
  const f = buildFleet(
    [group('web', { policy: webPolicy(c), instances: [instance('i-a1'), instance('i-a2')], pool: roomyPool('web') })],
    [forecast('i-a1', { vcpu: 1, memoryGiB: 4, networkMbps: 100, diskIops: 100 }, { vcpu: 0.5, memoryGiB: 2, networkMbps: 50, diskIops: 50 })],
  );
  return planNoticeResponse(warning('i-a1'), f, { now: T0 }).actions.flatMap((a) =>
    a.kind === 'reserve' ? [{ amount: a.reservation.amount, expiresAt: a.reservation.expiresAt }] : [],
  );
};

/** Whether a tagged group that the configuration does not name is managed (load-fleet's discovery by tag). */
const tagDiscovery = async (c: SpotwiseConfig): Promise<unknown> => {
  const ports = createInMemoryPorts({
    now: T0,
    cloud: {
      catalog: CATALOG,
      groups: [{ id: groupId('tagged-asg'), desiredCapacity: 0, minSize: 0, maxSize: 2, availabilityZones: ['us-west-2a'], tags: { team: 'web' } }],
      instances: [],
    },
  });
  return (await resolveManagedGroup({ capacity: ports.cloud }, toManagedGroups(c), groupId('tagged-asg')))?.policy.policyName ?? 'not managed';
};

/** Runs `f` with the Lambda environment the stack gives a function deployed with configuration `c`. */
const withLambdaEnv = <T>(c: SpotwiseConfig, f: () => T): T => {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('SPOTWISE_')) delete process.env[k];
  Object.assign(process.env, { SPOTWISE_TABLE_NAME: 't', SPOTWISE_EVENT_BUS_NAME: 'b', SPOTWISE_CONFIG: JSON.stringify(c), AWS_REGION: 'us-east-1' });
  try {
    return f();
  } finally {
    process.env = saved;
  }
};

/** The profiler's settings as its Lambda builds them from the configuration it is deployed with. */
const profilerSettings = (c: SpotwiseConfig): unknown => withLambdaEnv(c, () => profilerDefaultDeps()().profiler);

/**
 * A retraining run of the retrainer Lambda deployed with `c` (its settings as its defaultDeps reads them from the
 * environment) over 45 stored cycles without usable rows: what it did and why, and how it split the cycles.
 */
const retrainingRun = async (c: SpotwiseConfig): Promise<unknown> => {
  const retraining = withLambdaEnv(c, () => retrainerDefaultDeps()().retraining);
  const state = new InMemoryStateStore();
  await state.putCycles(rowlessCycles(45, GROUP, T0));
  const models = new InMemoryModelStore();
  const result = await makeRetrainer({
    telemetry: new RecordingTelemetry(),
    cycles: state,
    models,
    bundled: () => readModelArtifact(BUNDLED_MODEL_DIR),
    now: () => T0,
    groups: [groupId(GROUP)],
    retraining,
  })({ id: 'run-1', source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(T0).toISOString() });
  const record = (await models.listRetrainingRecords(1))[0];
  return { status: result.status, record: record === undefined ? undefined : { outcome: record.outcome, reason: record.reason, cycles: record.cycles } };
};

/** Whether a Lambda deployed with `c` acts (its dry-run switch, as the handlers read it). */
const lambdaDryRun = (c: SpotwiseConfig): unknown => withLambdaEnv(c, () => buildAwsDeps('notice').dryRun);

/**
 * The priority the Lambdas give an instance of the group that carries no `spotwise:priority` tag: the fleet as the
 * handlers load it (loadFleet with the EC2 gateway and the groups they build, against a mocked DescribeInstances;
 * Auto Scaling and the store in memory).
 */
const ec2 = mockClient(EC2Client);
afterAll(() => ec2.restore());
const defaultInstancePriority = async (c: SpotwiseConfig): Promise<unknown> => {
  ec2.reset();
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: 'i-0123456789abcdef0',
            InstanceType: 'm5.large',
            Placement: { AvailabilityZone: 'us-west-2a' },
            State: { Name: 'running' },
            LaunchTime: new Date(T0),
            Tags: [{ Key: 'aws:autoscaling:groupName', Value: GROUP }],
          },
        ],
      },
    ],
  });
  ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [] });
  const deps = withLambdaEnv(c, () => buildAwsDeps('notice'));
  const world = await buildWorld();
  const { fleet } = await loadFleet({ ...world.deps.ports, instances: deps.ports.instances }, deps.managed, { groupIds: [groupId(GROUP)] });
  return fleet.groups.flatMap((g) => g.instances.map((i) => i.priority));
};

/** The synthesized stack (one synth per configuration: see stackOf). */
const stackView = (t: Template): Record<string, unknown> => ({
  schedules: Object.values(t.findResources('AWS::Scheduler::Schedule')).map(
    (r) => (r as { Properties: { ScheduleExpression: unknown } }).Properties.ScheduleExpression,
  ),
  rules: Object.values(t.findResources('AWS::Events::Rule'))
    .map((r) => (r as { Properties: { ScheduleExpression?: unknown } }).Properties.ScheduleExpression)
    .filter((e) => e !== undefined),
  // The groups the profiler schedule ticks: one target per group, its input naming the group.
  ticked: Object.values(t.findResources('AWS::Events::Rule'))
    .flatMap((r) =>
      ((r as { Properties: { Targets?: { InputTransformer?: { InputTemplate?: string } }[] } }).Properties.Targets ?? []).map(
        (x) => x.InputTransformer?.InputTemplate,
      ),
    )
    .filter((i): i is string => typeof i === 'string' && i.includes('groupName'))
    .sort(),
  alarms: Object.values(t.findResources('AWS::CloudWatch::Alarm'))
    .map((r) => (r as { Properties: { Threshold?: unknown; AlarmDescription?: unknown } }).Properties)
    .map((p) => [p.AlarmDescription, p.Threshold])
    .sort(),
  timeouts: Object.values(t.findResources('AWS::Lambda::Function'))
    .map((r) => (r as { Properties: { Timeout?: unknown } }).Properties.Timeout)
    .sort(),
  subscriptions: Object.values(t.findResources('AWS::SNS::Subscription')).map((r) => (r as { Properties: { Endpoint?: unknown } }).Properties.Endpoint),
  policies: JSON.stringify(
    Object.values(t.findResources('AWS::IAM::Policy')).map((r) => (r as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument),
  ),
});
const stacks = new Map<string, Record<string, unknown>>();
const stackOf = (input: Input): Record<string, unknown> => {
  const key = JSON.stringify(input);
  let view = stacks.get(key);
  if (view === undefined) {
    view = stackView(synthSpotwise({ spotwise: input }).template);
    stacks.set(key, view);
  }
  return view;
};

// ---------------------------------------------------------------------------------------------
// The table: field → a configuration that changes it → where the difference shows
// ---------------------------------------------------------------------------------------------
type Observe = (c: SpotwiseConfig, input: Input) => unknown;
/** `given` (optional) is applied to both configurations: the setting the field needs to matter at all. */
interface Row {
  readonly given?: (i: Input) => void;
  readonly change: (i: Input) => void;
  readonly observe: Observe;
  readonly via: string;
}

const web = (i: Input) => i.policies[0]!;
const sb = (i: Input) => i.standby_groups[0]!;
const gp = (i: Input) => i.groups[0]!;
const cap = (i: Input) => gp(i)['capacity'] as Record<string, number>;
const sub = (o: Record<string, unknown>, k: string): Record<string, unknown> => (o[k] ??= {}) as Record<string, unknown>;

const ROWS: Record<string, Row> = {
  'groups[].name': {
    change: (i) => {
      gp(i)['name'] = 'api-asg';
    },
    observe: (c, i) => [[...toManagedGroups(c).groups.keys()], stackOf(i)['ticked']],
    via: 'the groups the handlers manage and the profiler ticks',
  },
  'groups[].policy': {
    change: (i) => {
      gp(i)['policy'] = 'batch';
    },
    observe: (c) => reservation(c),
    via: 'notice plan: the reservation follows the batch policy (p50)',
  },
  'groups[].capacity.vcpu': {
    change: (i) => {
      cap(i)['vcpu'] = 16;
    },
    observe: (c) => poolCapacity(toManagedGroups(c).groups.get(groupId(c.groups[0]!.name))!, [], new Map()),
    via: 'the pool budget (load-fleet)',
  },
  'groups[].capacity.memory_gib': {
    change: (i) => {
      cap(i)['memory_gib'] = 64;
    },
    observe: (c) => poolCapacity(toManagedGroups(c).groups.get(GROUP)!, [], new Map()),
    via: 'the pool budget (load-fleet)',
  },
  'groups[].capacity.network_mbps': {
    change: (i) => {
      cap(i)['network_mbps'] = 5_000;
    },
    observe: (c) => poolCapacity(toManagedGroups(c).groups.get(GROUP)!, [], new Map()),
    via: 'the pool budget (load-fleet)',
  },
  'groups[].capacity.disk_iops': {
    change: (i) => {
      cap(i)['disk_iops'] = 5_000;
    },
    observe: (c) => poolCapacity(toManagedGroups(c).groups.get(GROUP)!, [], new Map()),
    via: 'the pool budget (load-fleet)',
  },
  'groups[].standby': {
    change: (i) => {
      delete gp(i)['standby'];
    },
    observe: (c) => relatedGroups(toManagedGroups(c), GROUP),
    via: 'the groups a notice may touch',
  },
  'group_tag.key': {
    change: (i) => {
      sub(i, 'group_tag')['key'] = 'owner';
    },
    observe: (c) => tagDiscovery(c),
    via: 'discovery of tagged groups',
  },
  'group_tag.value': {
    change: (i) => {
      sub(i, 'group_tag')['value'] = 'batch';
    },
    observe: (c) => tagDiscovery(c),
    via: 'discovery of tagged groups',
  },
  'standby_groups[].name': {
    change: (i) => {
      sb(i)['name'] = 'other-standby';
      gp(i)['standby'] = 'other-standby';
    },
    observe: (c, i) => [[...toManagedGroups(c).groups.keys()], stackOf(i)['ticked']],
    via: 'the groups the handlers manage and the profiler ticks',
  },
  'standby_groups[].warm_pool.min_size': {
    change: (i) => {
      sb(i).warm_pool['min_size'] = 4;
    },
    observe: (_c, i) => standbyTick(i),
    via: 'profiler tick: PutWarmPool floor',
  },
  'standby_groups[].warm_pool.max_prepared_capacity': {
    change: (i) => {
      sb(i).warm_pool['max_prepared_capacity'] = 3;
    },
    observe: (_c, i) => standbyTick(i),
    via: 'profiler tick: PutWarmPool settings',
  },
  'standby_groups[].warm_pool.pool_state': {
    change: (i) => {
      sb(i).warm_pool['pool_state'] = 'Hibernated';
    },
    observe: (_c, i) => standbyTick(i),
    via: 'profiler tick: PutWarmPool settings',
  },
  'standby_groups[].warm_pool.reuse_on_scale_in': {
    change: (i) => {
      sb(i).warm_pool['reuse_on_scale_in'] = false;
    },
    observe: (_c, i) => standbyTick(i),
    via: 'profiler tick: PutWarmPool settings',
  },
  'policies[].policy_name': {
    change: (i) => {
      i.policies[1]!['policy_name'] = STANDBY;
    },
    observe: (c) => toManagedGroups(c).groups.get(STANDBY)?.policy.priority,
    via: 'a standby group follows the policy named like it',
  },
  'policies[].priority': {
    change: (i) => {
      web(i)['priority'] = 'low';
    },
    observe: (c) => defaultInstancePriority(c),
    via: 'the priority of an instance without a priority tag',
  },
  'policies[].resource_demand.cpu_cores': {
    change: (i) => {
      sub(web(i), 'resource_demand')['cpu_cores'] = 3;
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reserved vCPU',
  },
  'policies[].resource_demand.memory_gb': {
    change: (i) => {
      sub(web(i), 'resource_demand')['memory_gb'] = 9;
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reserved memory',
  },
  'policies[].resource_demand.network_bandwidth_mbps': {
    change: (i) => {
      sub(web(i), 'resource_demand')['network_bandwidth_mbps'] = 900;
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reserved network',
  },
  'policies[].resource_demand.storage_io_ops': {
    change: (i) => {
      sub(web(i), 'resource_demand')['storage_io_ops'] = 900;
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reserved IOPS',
  },
  'policies[].behavior.eviction_threshold': {
    given: (i) => {
      web(i)['behavior'] = { eviction_threshold: 0.9, preemption_enabled: true };
    },
    change: (i) => {
      web(i)['behavior'] = { eviction_threshold: 0.99, preemption_enabled: true };
    },
    observe: (c) => evictions(c),
    via: 'eviction plan',
  },
  'policies[].behavior.preemption_enabled': {
    change: (i) => {
      web(i)['behavior'] = { eviction_threshold: 0.9, preemption_enabled: true };
    },
    observe: (c) => evictions(c),
    via: 'eviction plan',
  },
  'policies[].disruption_budget.max_unavailable': {
    change: (i) => {
      web(i)['disruption_budget'] = { max_unavailable: '30%' };
    },
    observe: (c) => budget(c),
    via: 'disruption budget check',
  },
  'policies[].forecast_quantile': {
    change: (i) => {
      web(i)['forecast_quantile'] = 'p50';
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reserved amount',
  },
  'policies[].post_restart_window_minutes': {
    change: (i) => {
      web(i)['post_restart_window_minutes'] = 90;
    },
    observe: (c) => reservation(c),
    via: 'notice plan: reservation expiry',
  },
  'policies[].allowed_instance_types': {
    change: (i) => {
      web(i)['allowed_instance_types'] = ['m5.2xlarge'];
    },
    observe: (_c, i) => standbyTick(i),
    via: 'profiler tick: warm instances retyped to an allowed type',
  },
  'policies[].allow_stop_modify_start': {
    change: (i) => {
      web(i)['allow_stop_modify_start'] = true;
    },
    observe: (c) => siblingResize(c),
    via: 'notice plan: stop → modify → start of a sibling',
  },
  'policies[].dry_run': {
    change: (i) => {
      web(i)['dry_run'] = true;
    },
    observe: (_c, i) => noticeWorldPlan(i),
    via: 'notice handler: plans without acting',
  },
  'policies[].unstable_pool.enabled': {
    change: (i) => {
      web(i)['unstable_pool'] = { enabled: true };
    },
    observe: (c) => stability(c),
    via: 'Spot pool stability verdict',
  },
  'policies[].unstable_pool.reclaim_threshold': {
    given: (i) => {
      web(i)['unstable_pool'] = { enabled: true };
    },
    change: (i) => {
      web(i)['unstable_pool'] = { enabled: true, reclaim_threshold: 5 };
    },
    observe: (c) => stability(c),
    via: 'Spot pool stability verdict',
  },
  'policies[].unstable_pool.window_minutes': {
    given: (i) => {
      web(i)['unstable_pool'] = { enabled: true };
    },
    change: (i) => {
      web(i)['unstable_pool'] = { enabled: true, window_minutes: 15 };
    },
    observe: (c) => stability(c),
    via: 'Spot pool stability verdict',
  },
  'policies[].unstable_pool.cool_down_minutes': {
    given: (i) => {
      web(i)['unstable_pool'] = { enabled: true };
    },
    change: (i) => {
      web(i)['unstable_pool'] = { enabled: true, cool_down_minutes: 30 };
    },
    observe: (c) => stability(c),
    via: 'Spot pool stability verdict',
  },
  'policies[].borrow_limit': {
    change: (i) => {
      web(i)['borrow_limit'] = 0.5;
    },
    observe: (c) => borrowing(c),
    via: 'request plan: admitted on a loan from a lower-priority instance',
  },
  'policies[].throttle.enabled': {
    change: (i) => {
      web(i)['throttle'] = { enabled: true };
    },
    observe: (c) => throttles(c),
    via: 'throttle plan',
  },
  'policies[].throttle.over_allocation_minutes': {
    given: (i) => {
      web(i)['throttle'] = { enabled: true };
    },
    change: (i) => {
      web(i)['throttle'] = { enabled: true, over_allocation_minutes: 30 };
    },
    observe: (c) => throttles(c),
    via: 'throttle plan',
  },
  'policies[].placement_weights.free_cpu': {
    change: (i) => {
      web(i)['placement_weights'] = { free_cpu: 0.05 };
    },
    observe: (c) => placement(c),
    via: 'notice plan: which sibling takes the load',
  },
  'policies[].placement_weights.free_memory': {
    change: (i) => {
      web(i)['placement_weights'] = { free_memory: 0.9 };
    },
    observe: (c) => placement(c),
    via: 'notice plan: which sibling takes the load',
  },
  'managed_tag.key': {
    change: (i) => {
      sub(i, 'managed_tag')['key'] = 'ops:managed';
    },
    observe: (_c, i) => stackOf(i)['policies'],
    via: 'stack: IAM conditions on the managed tag',
  },
  'managed_tag.value': {
    change: (i) => {
      sub(i, 'managed_tag')['value'] = 'yes';
    },
    observe: (_c, i) => stackOf(i)['policies'],
    via: 'stack: IAM conditions on the managed tag',
  },
  'profiler.rate_minutes': {
    change: (i) => {
      sub(i, 'profiler')['rate_minutes'] = 10;
    },
    observe: (_c, i) => [stackOf(i)['schedules'], stackOf(i)['rules']],
    via: 'stack: the profiler schedule',
  },
  'profiler.metrics_every_minutes': {
    change: (i) => {
      sub(i, 'profiler')['metrics_every_minutes'] = 30;
    },
    observe: (c) => profilerSettings(c),
    via: 'profiler Lambda settings',
  },
  'profiler.window_minutes': {
    change: (i) => {
      sub(i, 'profiler')['window_minutes'] = 120;
    },
    observe: (c) => profilerSettings(c),
    via: 'profiler Lambda settings',
  },
  'profiler.half_life_hours': {
    change: (i) => {
      sub(i, 'profiler')['half_life_hours'] = 6;
    },
    observe: (c) => profilerSettings(c),
    via: 'profiler Lambda settings',
  },
  dry_run: {
    change: (i) => {
      i['dry_run'] = true;
    },
    observe: (c) => lambdaDryRun(c),
    via: "the Lambdas' dry-run switch",
  },
  alarm_email: {
    change: (i) => {
      i['alarm_email'] = 'sre@example.com';
    },
    observe: (_c, i) => stackOf(i)['subscriptions'],
    via: 'stack: the alarm topic subscription',
  },
  'alarms.reservation_refusals_per_5min': {
    change: (i) => {
      sub(i, 'alarms')['reservation_refusals_per_5min'] = 9;
    },
    observe: (_c, i) => stackOf(i)['alarms'],
    via: 'stack: alarm threshold',
  },
  'alarms.prediction_error_ratio': {
    change: (i) => {
      sub(i, 'alarms')['prediction_error_ratio'] = 0.8;
    },
    observe: (_c, i) => stackOf(i)['alarms'],
    via: 'stack: alarm threshold',
  },
  'retraining.enabled': {
    change: (i) => {
      sub(i, 'retraining')['enabled'] = false;
    },
    observe: async (c, i) => [stackOf(i)['rules'], await retrainingRun(c)],
    via: 'stack: the retraining schedule; the retrainer runs or not',
  },
  'retraining.every_hours': {
    change: (i) => {
      sub(i, 'retraining')['every_hours'] = 6;
    },
    observe: (_c, i) => stackOf(i)['rules'],
    via: 'stack: the retraining schedule',
  },
  'retraining.min_cycles': {
    change: (i) => {
      sub(i, 'retraining')['min_cycles'] = 50;
    },
    observe: (c) => retrainingRun(c),
    via: 'retrainer: whether a run trains',
  },
  'retraining.max_cycles_per_group': {
    change: (i) => {
      sub(i, 'retraining')['max_cycles_per_group'] = 20;
    },
    observe: (c) => retrainingRun(c),
    via: 'retrainer: the cycles a run reads',
  },
  'retraining.held_back_share': {
    change: (i) => {
      sub(i, 'retraining')['held_back_share'] = 0.5;
    },
    observe: (c) => retrainingRun(c),
    via: 'retrainer: the cycles held back to judge',
  },
  'retraining.budget_seconds': {
    change: (i) => {
      sub(i, 'retraining')['budget_seconds'] = 120;
    },
    observe: (_c, i) => stackOf(i)['timeouts'],
    via: "stack: the retrainer's timeout (the budget plus a minute)",
  },
  'alarms.stale_profile_minutes': {
    change: (i) => {
      sub(i, 'alarms')['stale_profile_minutes'] = 45;
    },
    observe: (_c, i) => stackOf(i)['alarms'],
    via: 'stack: alarm threshold',
  },
};

describe('every configuration field changes what spotwise does', () => {
  const fields = leaves(spotwiseConfigSchema, '');

  it('the table has one row per leaf field of the configuration schema, and no row for a field that is not there', () => {
    expect(fields.length).toBeGreaterThan(30);
    expect(Object.keys(ROWS).sort()).toEqual([...fields].sort());
  });

  it('the stack observer sees what it compares: the profiler ticks each named group, alarms and IAM conditions exist', () => {
    const view = stackOf(base());
    expect(view['ticked']).toEqual(expect.arrayContaining([expect.stringContaining(GROUP), expect.stringContaining(STANDBY)]));
    expect((view['alarms'] as unknown[]).length).toBeGreaterThan(0);
    expect(view['policies']).toContain('spotwise:managed');
    expect(view['subscriptions']).toEqual(['oncall@example.com']);
  });

  it.each(Object.entries(ROWS).map(([field, row]) => [field, row.via, row] as const))(
    '%s (%s)',
    async (_field, _via, row) => {
      const before = base();
      row.given?.(before);
      const after = base();
      row.given?.(after);
      row.change(after);
      const [c0, c1] = [parseSpotwiseConfig(before), parseSpotwiseConfig(after)];
      const [o0, o1] = [await row.observe(c0, before), await row.observe(c1, after)];
      expect(JSON.stringify(o1)).not.toEqual(JSON.stringify(o0));
      // The observer is deterministic: the unchanged configuration observed again gives the same, so the
      // difference above is the field's doing.
      const again = base();
      row.given?.(again);
      expect(JSON.stringify(await row.observe(parseSpotwiseConfig(again), again))).toEqual(JSON.stringify(o0));
    },
    60_000,
  );
});
