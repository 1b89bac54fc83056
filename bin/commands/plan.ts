import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Env } from '../../lambda/contracts/env';
import { parseSpotwiseConfig } from '../../lambda/contracts/config';
import { readConfigText } from '../../lambda/contracts/config-file';
import { type DomainEvent, type GroupId, type InstanceId, type ManagedInstance, type Notice, type Plan, type Resources } from '../../lambda/core/domain';
import { allocationOf, isServing, planPoolUpkeep, profileTickPlan } from '../../lambda/core/planner/plan-pool-upkeep';
import { refreshLineage } from '../../lambda/core/planner/choose-hand-over';
import { planStandbyReturn } from '../../lambda/core/staging/plan-standby-return';
import { outstandingLoans } from '../../lambda/core/pool/borrowing';
import { formatResources } from '../../lambda/core/resources/resources';
import { planNoticeResponse } from '../../lambda/core/planner/plan-notice';
import { describeAction } from '../../lambda/app/describe-action';
import { parseEvent } from '../../lambda/events/registry';
import { poolCapacity, type FleetPorts, type LoadedFleet } from '../../lambda/app/load-fleet';
import { planOnly } from '../../lambda/app/pipeline';
import type { StateStore } from '../../lambda/ports/state-store';
import { toManagedGroups, type ManagedGroups } from '../../lambda/app/managed-groups';
import { CLOUD_MUTATING, createInMemoryPorts, InMemoryStateStore, STATE_STORE_MUTATING, type InMemoryPorts } from '../../lambda/sim/memory';
import { buildSampleFleet } from '../../lambda/sim/sample-fleet';

/** Where `spotwise plan` looks: the fleet, the configuration, and the time the event is taken to arrive. */
export interface PlanTarget {
  readonly description: string;
  /** The fleet's reads, and the whole store (a profile tick reads profiles; --aws wraps it read-only). */
  readonly ports: Omit<FleetPorts, 'state'> & { readonly state: StateStore };
  readonly managed: ManagedGroups;
  readonly now: number;
  /**
   * The sample fleet adopts the instances it does not know (the event's instances join a group, whose
   * desired capacity grows by as many: they are members, not a surplus being scaled in). The adopted
   * configuration replaces `managed` when it names a new group (the event's own group name is kept).
   */
  readonly adopt?: (notice: Notice) => { readonly notice: Notice; readonly note?: string; readonly managed?: ManagedGroups };
}

/** A profile tick's pool as the profiler would leave it: who is held below what it wants, and what is on loan. */
export interface PoolView {
  readonly groupId: GroupId;
  readonly capacity: Resources;
  /** Members held below their wanted allocation (fair share under oversubscription, or a full pool). */
  readonly capped: readonly { readonly instanceId: InstanceId; readonly wanted: Resources; readonly allocated: Resources; readonly reason: string }[];
  readonly loans: readonly { readonly reservationId: string; readonly borrower: InstanceId; readonly lender: InstanceId; readonly amount: Resources }[];
}

export type PlanOutcome =
  | { readonly kind: 'malformed'; readonly errors: string }
  | { readonly kind: 'planned'; readonly notice: Notice; readonly plan: Plan; readonly notes: readonly string[]; readonly pool?: PoolView };

const MINUTE = 60_000;

/** The instance a notice is about, if any (an interruption request names one only by instance selector). */
export const noticeInstance = (n: Notice): InstanceId | undefined => {
  if (n.kind === 'interruption-request') return n.request.selector.kind === 'instance' ? n.request.selector.instanceId : undefined;
  return 'instanceId' in n ? n.instanceId : undefined;
};

/** Every instance a notice is about: scheduled maintenance may name several. */
export const noticeInstances = (n: Notice): InstanceId[] => {
  if (n.kind === 'scheduled-maintenance') return n.requests.flatMap((r) => (r.selector.kind === 'instance' ? [r.selector.instanceId] : []));
  const one = noticeInstance(n);
  return one === undefined ? [] : [one];
};

const noticeGroup = (n: Notice): GroupId | undefined =>
  'groupId' in n ? n.groupId : n.kind === 'interruption-request' && n.request.selector.kind === 'group' ? n.request.selector.groupId : undefined;

/**
 * The event as if it arrived at `now`: every time in the notice moves by the same amount, so leads
 * (a warning's 120 s, a request's window) are kept while the plan is made against the target's clock
 * (the sample fleet's snapshot, or the present for --aws). An event from 2015 would otherwise be stale.
 */
export const retimeNotice = (n: Notice, now: number): Notice => {
  if (n.kind === 'noop' || n.at === now || !Number.isFinite(n.at)) return n;
  const shift = now - n.at;
  switch (n.kind) {
    case 'spot-interruption-warning':
    case 'capacity-reservation-interruption-warning':
      return { ...n, at: now, deadline: n.deadline + shift };
    case 'scheduled-maintenance':
      return {
        ...n,
        at: now,
        startTime: n.startTime + shift,
        requests: n.requests.map((r) => ({ ...r, notBefore: r.notBefore + shift, deadline: r.deadline + shift, requestedAt: r.requestedAt + shift })),
      };
    case 'interruption-request':
      return {
        ...n,
        at: now,
        request: { ...n.request, notBefore: n.request.notBefore + shift, deadline: n.request.deadline + shift, requestedAt: n.request.requestedAt + shift },
      };
    default:
      return { ...n, at: now };
  }
};

/** Parses an event and plans it against the target. Pure planning: nothing is executed, no state is written. */
export const planEvent = async (raw: unknown, target: PlanTarget): Promise<PlanOutcome> => {
  const parsed = parseEvent(raw, { receivedAt: target.now });
  if (parsed.kind === 'malformed') return { kind: 'malformed', errors: parsed.errors };
  const notes = [...parsed.warnings];
  let notice = parsed.notice;
  if (notice.kind !== 'noop' && notice.at !== target.now) {
    notes.push(`event time ${iso(notice.at)} taken as ${iso(target.now)} (${target.description}'s clock); leads and windows are kept`);
    notice = retimeNotice(notice, target.now);
  }
  let managed = target.managed;
  if (target.adopt !== undefined) {
    const adopted = target.adopt(notice);
    notice = adopted.notice;
    if (adopted.note !== undefined) notes.push(adopted.note);
    if (adopted.managed !== undefined) managed = adopted.managed;
  }
  const instance = noticeInstance(notice);
  let group = noticeGroup(notice);
  if (group === undefined && instance !== undefined) group = await target.ports.capacity.findGroupOfInstance(instance);
  const groupIds = [...new Set<GroupId>([...managed.groups.keys(), ...(group !== undefined ? [group] : [])])];
  // The pipeline's load and plan (lambda/app/pipeline.ts), as the Lambdas run them; the load's warnings are notes.
  const planned = await planOnly(
    { ports: target.ports, managed, telemetry: { log: { warn: (message) => notes.push(message) } } },
    { load: { groupIds, readPoolSignals: true }, keys: {}, plan: (fleet) => planNoticeResponse(notice, fleet, { now: target.now }) },
  );
  if (planned.kind !== 'planned') return { kind: 'planned', notice, plan: { actions: [], events: [] }, notes };
  const { loaded, plan: staged } = planned;
  if (notice.kind !== 'profile-tick') return { kind: 'planned', notice, plan: staged, notes };
  const upkeep = await profileTickUpkeep(notice.groupId, loaded, managed, target);
  if (upkeep === undefined) return { kind: 'planned', notice, plan: staged, notes };
  const { actions, events, pool } = upkeep(staged);
  return { kind: 'planned', notice, plan: { actions, events }, notes, pool };
};

/**
 * What the profiler's tick would also do to the group's pool (core planPoolUpkeep, the profiler's own code): from
 * the stored profiles and forecasts (no new metrics are read), the refreshed allocations with fair share, throttles
 * and loans called back. Returns a merger that puts them in the plan as the profiler does (loans called back
 * first, throttles last).
 */
const profileTickUpkeep = async (groupId: GroupId, loaded: LoadedFleet, managed: ManagedGroups, target: PlanTarget) => {
  const { fleet } = loaded;
  const group = fleet.groups.find((g) => g.id === groupId);
  const settings = managed.groups.get(groupId);
  if (group === undefined || settings === undefined) return undefined;
  const serving = group.instances.filter(isServing);
  const profiles = await target.ports.state.getProfiles(serving.map((i) => i.id));
  const allocations = new Map<InstanceId, Resources>();
  for (const i of serving) {
    const spec = fleet.catalog.get(i.instanceType);
    if (spec !== undefined) allocations.set(i.id, allocationOf(profiles.get(i.id), spec.resources));
  }
  const upkeep = planPoolUpkeep({
    group,
    fleet,
    allocations,
    profiles: [...profiles.values()],
    forecasts: [...fleet.forecasts.values()],
    now: target.now,
    capacity: poolCapacity(settings, group.instances, fleet.catalog),
    staleAfterMs: PROFILE_STALE_MS,
    stored: !loaded.poolsNotStored.includes(groupId),
  });
  const pool: PoolView = {
    groupId,
    capacity: upkeep.refresh.pool.capacity,
    capped: upkeep.refresh.capped.map((c) => ({
      instanceId: c.instanceId,
      wanted: c.wanted,
      allocated: c.allocated,
      reason: `held ${formatResources(c.shortfall)} below its steady p90: its priority tier's fair share of a pool that cannot hold every member's demand, or a pool full of reservations`,
    })),
    loans: outstandingLoans(upkeep.refresh.pool)
      .filter((o) => !upkeep.revocations.actions.some((a) => a.kind === 'release' && a.reservationId === o.reservation.id))
      .map((o) => ({ reservationId: o.reservation.id, borrower: o.reservation.instanceId, lender: o.loan.lender, amount: o.loan.amount })),
  };
  // A standby group's tick also returns the members nobody uses any more (from their stored profiles here).
  const standbyReturn =
    group.role === 'standby' ? planStandbyReturn({ standby: { ...group, pool: upkeep.refresh.pool }, fleet, profiles, now: target.now }).actions : undefined;
  const lineage = refreshLineage(fleet, group, upkeep.refresh.handedOver);
  return (staged: Plan): Plan & { readonly pool: PoolView } => ({
    ...profileTickPlan(upkeep, staged, { ...(standbyReturn !== undefined ? { standbyReturn } : {}), lineage }),
    pool,
  });
};

/** The profiler's default read window (60 min) plus CloudWatch's lag: a profile older than this decides no throttle. */
const PROFILE_STALE_MS = 63 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

/**
 * The built-in sample fleet (lambda/sim/sample-fleet.ts: two Spot groups and a standby group with a warm
 * pool, profiles and forecasts from bundled traces) behind the in-memory ports, at the fleet's start time.
 */
export const sampleTarget = (): PlanTarget & { readonly fake: InMemoryPorts } => {
  const sample = buildSampleFleet();
  const fake = createInMemoryPorts({ cloud: sample.cloud, now: sample.startAt });
  for (const pool of sample.pools) fake.stateStore.seedPool(pool);
  fake.stateStore.seedForecasts(sample.forecasts);
  fake.stateStore.seedProfiles(sample.profiles);
  let managed = toManagedGroups(sample.config);
  const primaries = [...managed.groups.values()].filter((g) => g.role === 'primary');
  const home = primaries[0];

  /**
   * The group an event names that the sample fleet lacks becomes a primary group of that name, configured
   * like the first primary (policy, pool budget, standby group) and empty, so the event keeps its group.
   */
  const adoptGroup = (name: GroupId, like: NonNullable<typeof home>): string | undefined => {
    const cloudGroup = fake.cloud.group(like.id);
    const pool = sample.pools.find((p) => p.groupId === like.id);
    if (cloudGroup === undefined || pool === undefined) return undefined;
    fake.cloud.putGroup({ ...cloudGroup, id: name, desiredCapacity: 0, minSize: 0 });
    fake.stateStore.seedPool({ ...pool, groupId: name, allocations: new Map(), reservations: new Map(), version: 0 });
    managed = { ...managed, groups: new Map([...managed.groups, [name, { ...like, id: name }]]) };
    return `group ${name} is not in the sample fleet: added, configured like ${like.id}`;
  };

  return {
    description: 'the built-in sample fleet',
    fake,
    ports: { instances: fake.cloud, capacity: fake.cloud, state: fake.stateStore },
    managed,
    now: sample.startAt,
    adopt: (notice) => {
      const ids = noticeInstances(notice).filter((id) => fake.cloud.instance(id) === undefined);
      if (ids.length === 0 || home === undefined) return { notice };
      // Each joins a group as one more instance like the first primary's first member, with that member's
      // forecast: the event is then planned the way the sample fleet would plan for its own instance.
      const like = fake.cloud.allInstances().find((i) => i.groupId === home.id && i.state === 'running' && !i.warm);
      if (like === undefined) return { notice };
      const notes: string[] = [];
      const named = noticeGroup(notice);
      let into: GroupId = home.id;
      if (named !== undefined && notice.kind !== 'profile-tick') {
        if (managed.groups.has(named)) into = named;
        else {
          const added = adoptGroup(named, home);
          if (added !== undefined) {
            into = named;
            notes.push(added);
          }
        }
      }
      const state: ManagedInstance['state'] =
        notice.kind === 'lifecycle-launch' || (notice.kind === 'state-change' && notice.state === 'running') ? 'pending' : 'running';
      // Instances in an interruptible Capacity Reservation are On-Demand; so is a request's victim that may be stopped.
      const onDemand =
        notice.kind === 'capacity-reservation-interruption-warning' || (notice.kind === 'interruption-request' && notice.request.mode !== 'terminate');
      const lifecycle = onDemand ? 'on-demand' : like.lifecycle;
      const forecast = sample.forecasts.find((f) => f.instanceId === like.id);
      for (const id of ids) {
        fake.cloud.putInstance({
          ...like,
          id,
          groupId: into,
          state: notice.kind === 'state-change' ? notice.state : state,
          lifecycle,
          launchedAt: sample.startAt - 60 * MINUTE,
          tags: { ...like.tags },
        });
        if (forecast !== undefined) fake.stateStore.seedForecasts([{ ...forecast, instanceId: id }]);
        notes.push(
          `${id} is not in the sample fleet: adopted into group ${into} as ${lifecycle === 'on-demand' ? 'an' : 'a'} ${lifecycle} ${like.instanceType} in ${like.availabilityZone}, with the forecast of ${like.id}`,
        );
      }
      // A launching instance is not a member yet; every other adopted instance is one more member, so the
      // desired capacity grows with it — otherwise a terminate lifecycle action would look like a scale-in.
      const members = notice.kind === 'lifecycle-launch' ? 0 : ids.length;
      const group = fake.cloud.group(into);
      if (group !== undefined && members > 0) {
        const desiredCapacity = group.desiredCapacity + members;
        fake.cloud.putGroup({ ...group, desiredCapacity, maxSize: Math.max(group.maxSize, desiredCapacity) });
        notes.push(`desired capacity of ${into} raised from ${group.desiredCapacity} to ${desiredCapacity} for the adopted instance${members > 1 ? 's' : ''}`);
      }
      return { notice, note: notes.join('; '), managed };
    },
  };
};

/** Wraps a port so that any mutating method throws: `--aws` must never change anything. */
const readOnly = <T extends object>(port: T, mutating: ReadonlySet<string>): T =>
  new Proxy(port, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && mutating.has(prop)) {
        return () => Promise.reject(new Error(`spotwise plan --aws is read-only: refusing ${prop}`));
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });

const STORE_WRITES: ReadonlySet<string> = new Set([...STATE_STORE_MUTATING, 'putProfiles', 'putForecasts', 'markEventProcessed']);

/**
 * The configuration for --aws: a YAML or JSON file read as synth reads one (lambda/contracts/config-file.ts:
 * documents merged, names given twice refused), else SPOTWISE_CONFIG (JSON), as the Lambdas get it.
 */
export const readConfig = (file: string | undefined, env: Readonly<Record<string, string | undefined>>): ManagedGroups => {
  if (file !== undefined) return toManagedGroups(parseSpotwiseConfig(readConfigText(readFileSync(file, 'utf8'), file)));
  const json = env[Env.config];
  if (json === undefined) throw new Error(`--aws needs the spotwise configuration: --config FILE, or ${Env.config} (JSON)`);
  return toManagedGroups(parseSpotwiseConfig(JSON.parse(json)));
};

/**
 * Real AWS, read-only: describes through EC2 and Auto Scaling; pools and forecasts from the state table if
 * named. The SDK adapters are imported only here, so the default (sample fleet) path starts quickly.
 */
export const awsTarget = async (
  opts: { readonly config?: string; readonly table?: string },
  env = process.env,
): Promise<PlanTarget & { readonly notes: string[] }> => {
  const managed = readConfig(opts.config, env);
  const [{ AutoScalingCapacityGateway }, { createAwsClients }, { DynamoDbStateStore }, { Ec2InstanceGateway }] = await Promise.all([
    import('../../lambda/adapters/autoscaling-capacity-gateway'),
    import('../../lambda/adapters/aws-clients'),
    import('../../lambda/adapters/dynamodb-state-store'),
    import('../../lambda/adapters/ec2-instance-gateway'),
  ]);
  const clients = createAwsClients();
  const table = opts.table ?? env[Env.tableName];
  const notes: string[] = [];
  if (table === undefined)
    notes.push(
      `no state table (--table or ${Env.tableName}): no stored pools or forecasts, so reservations are planned against configured capacity and fail closed without forecasts`,
    );
  const state = table === undefined ? new InMemoryStateStore() : new DynamoDbStateStore(clients.dynamoDb, { tableName: table });
  const gateway = new Ec2InstanceGateway(clients.ec2, { prices: new Map() });
  return {
    description: 'AWS',
    notes,
    ports: {
      instances: readOnly(gateway, CLOUD_MUTATING),
      capacity: readOnly(new AutoScalingCapacityGateway(clients.autoScaling), CLOUD_MUTATING),
      state: readOnly(state, STORE_WRITES),
    },
    managed,
    now: Date.now(),
  };
};

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** The notice as JSON output: the notice itself, with `instanceId` (or, for several, `instanceIds`) on top. */
export const noticeJson = (n: Notice): Record<string, unknown> => {
  const instance = noticeInstance(n);
  return {
    ...n,
    ...(instance !== undefined ? { instanceId: instance } : {}),
    ...(n.kind === 'scheduled-maintenance' ? { instanceIds: noticeInstances(n) } : {}),
  };
};

export { describeAction };

export const describeEvent = (e: DomainEvent): string => {
  // The unstable-pool shift changes where capacity comes from for a while: said in words, with its times.
  if (e.kind === 'spot-pool-unstable') {
    return (
      `spot-pool-unstable: ${e.instanceType} in ${e.availabilityZone} of ${e.groupId} had ${e.reclaims} Spot reclaims in ${e.windowMinutes} min; ` +
      `${e.standbyGroupId !== undefined ? `replacement capacity goes to On-Demand standby ${e.standbyGroupId}` : 'no standby group to shift to'} until ${iso(e.until)}`
    );
  }
  if (e.kind === 'spot-pool-calmed') {
    return `spot-pool-calmed: ${e.instanceType} in ${e.availabilityZone} of ${e.groupId} calmed (unstable until ${iso(e.unstableUntil)}); the group relies on it again`;
  }
  const rest = Object.entries(e)
    .filter(([k]) => k !== 'kind' && k !== 'at')
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${e.kind} ${rest}`;
};

export const formatText = (outcome: Extract<PlanOutcome, { kind: 'planned' }>, target: Pick<PlanTarget, 'description' | 'now'>, file: string): string => {
  const n = outcome.notice;
  const instances = noticeInstances(n);
  const group = noticeGroup(n);
  const lines = [
    `Event:  ${file}`,
    `Notice: ${n.kind}${instances.length === 1 ? `  instance ${instances[0]}` : instances.length > 1 ? `  instances ${instances.join(', ')}` : ''}${group !== undefined ? `  group ${group}` : ''}${n.eventId !== undefined ? `  (event ${n.eventId})` : ''}`,
    `Target: ${target.description} at ${iso(target.now)}`,
  ];
  if (outcome.notes.length > 0) lines.push('Notes:', ...outcome.notes.map((s) => `  - ${s}`));
  if (outcome.pool !== undefined) {
    const p = outcome.pool;
    lines.push(`Pool:   ${p.groupId}, capacity ${formatResources(p.capacity)} after the refresh`);
    lines.push(p.capped.length === 0 ? '  allocations: every member at its steady p90' : `  allocations below what the member wants (${p.capped.length}):`);
    for (const c of p.capped) lines.push(`    ${c.instanceId}: wants ${formatResources(c.wanted)}, allocated ${formatResources(c.allocated)} — ${c.reason}`);
    lines.push(p.loans.length === 0 ? '  loans: none' : `  loans (${p.loans.length}):`);
    for (const l of p.loans) lines.push(`    ${l.reservationId} for ${l.borrower} borrows ${formatResources(l.amount)} from ${l.lender}`);
  }
  lines.push(`Plan:   ${outcome.plan.actions.length} action(s)`);
  outcome.plan.actions.forEach((a, i) => lines.push(`  ${i + 1}. ${describeAction(a)}`));
  if (outcome.plan.events.length > 0) lines.push('Events:', ...outcome.plan.events.map((e) => `  - ${describeEvent(e)}`));
  return lines.join('\n');
};

// ---------------------------------------------------------------------------------------------
// Command
// ---------------------------------------------------------------------------------------------

interface PlanOptions {
  readonly event: string;
  readonly json?: boolean;
  readonly aws?: boolean;
  readonly config?: string;
  readonly table?: string;
}

const fail = (message: string): void => {
  console.error(`spotwise plan: ${message}`);
  process.exitCode = 1;
};

export const runPlanCommand = async (opts: PlanOptions): Promise<void> => {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(opts.event, 'utf8'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    fail(e.code !== undefined ? `cannot read ${opts.event}: ${e.message}` : `${opts.event} is not JSON: ${e.message}`);
    return;
  }
  // A malformed event is reported before the target is built (the sample fleet takes seconds to build).
  const early = parseEvent(raw, { receivedAt: Date.now() });
  if (early.kind === 'malformed') {
    fail(`${opts.event}: ${early.errors}`);
    return;
  }
  if (early.notice.kind === 'noop') {
    // Nothing to plan against: spotwise does not act on this event, whatever the fleet.
    const plan = planNoticeResponse(early.notice, { groups: [], catalog: new Map(), forecasts: new Map() }, { now: Date.now() });
    if (opts.json === true)
      process.stdout.write(`${JSON.stringify({ notice: noticeJson(early.notice), plan: { actions: plan.actions, events: plan.events } })}\n`);
    else console.log(formatText({ kind: 'planned', notice: early.notice, plan, notes: [] }, { description: 'any fleet', now: Date.now() }, opts.event));
    return;
  }
  let target: PlanTarget;
  const targetNotes: string[] = [];
  try {
    if (opts.aws === true) {
      const t = await awsTarget({ ...(opts.config !== undefined ? { config: opts.config } : {}), ...(opts.table !== undefined ? { table: opts.table } : {}) });
      targetNotes.push(...t.notes);
      target = t;
    } else {
      target = sampleTarget();
    }
  } catch (error) {
    fail((error as Error).message);
    return;
  }
  const outcome = await planEvent(raw, target);
  if (outcome.kind === 'malformed') {
    fail(`${opts.event}: ${outcome.errors}`);
    return;
  }
  const full = { ...outcome, notes: [...targetNotes, ...outcome.notes] };
  if (opts.json === true) {
    // stdout carries exactly one JSON object; notes go to stderr.
    for (const note of full.notes) console.error(`note: ${note}`);
    process.stdout.write(
      `${JSON.stringify({ notice: noticeJson(full.notice), plan: { actions: full.plan.actions, events: full.plan.events }, ...(full.pool !== undefined ? { pool: full.pool } : {}) })}\n`,
    );
    return;
  }
  console.log(formatText(full, target, opts.event));
};

export const registerPlan = (program: Command): void => {
  program
    .command('plan')
    .description('Print what spotwise would do for an event JSON file: the parsed notice and the plan (nothing is executed)')
    .requiredOption('--event <file>', "event JSON file (any EventBridge event, or spotwise's own)")
    .option('--json', 'print exactly one JSON object {"notice": ..., "plan": {"actions": [...], "events": [...]}}')
    .option('--aws', 'plan against the real AWS account, read-only (default: the built-in sample fleet)')
    .option('--config <file>', 'with --aws: the spotwise configuration (YAML or JSON; default: $SPOTWISE_CONFIG)')
    .option('--table <name>', 'with --aws: the state table holding pools and forecasts (default: $SPOTWISE_TABLE_NAME)')
    .action(async (opts: PlanOptions) => {
      await runPlanCommand(opts);
    });
};
