import { parseSpotwiseConfig, type SpotwiseConfig } from '../contracts/config';
import { parseWith } from '../contracts/validation';
import type {
  BehaviourProfile,
  FleetView,
  Forecast,
  GroupId,
  GroupView,
  InstanceId,
  InstanceTypeSpec,
  ManagedInstance,
  MetricSample,
  ResourcePool,
  Resources,
  ShapingPolicy,
  SpotPool,
  WarmPoolView,
} from '../core/domain';
import { groupId } from '../core/domain';
import { shapingPolicyYamlSchema } from '../contracts/policy-schema';
import { toShapingPolicy } from '../core/policy/to-shaping-policy';
import { checkPoolResources } from '../core/pool/pool-amounts';
import { refreshPool } from '../core/pool/refresh-pool';
import { createPool } from '../core/pool/resource-pool';
import { lookupInstanceType } from '../core/resources/catalog';
import { scaleResources, toResources } from '../core/resources/resources';
import { newProfile, updateProfile, steadyQuantile } from '../core/profile/behaviour-profile';
import { predictFallback } from '../core/predict/fallback-predictor';
import type { InMemoryCloudState } from './memory';
import { FleetBuilder, makeInstanceId, makeInstanceIds, spreadSlot } from './fleet/fleet-builder';
import { BUNDLED_DATA_DIR, BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from './bundled-data';
import { DEFAULT_INTERRUPTION_PARAMS, burstsPerHour } from './interruption-model';
import { loadPriceTable } from './price-table';
import { randomStream, rankOf } from '../data/random';
import { advisorEntry, loadSpotAdvisor, type SpotAdvisor } from './spot-advisor';
import { loadTraces, type TraceSeries } from '../data/traces/load-traces';
import { buildDemandTrace, hasCpu, seriesMinutes, type DemandTrace } from './workload-demand';

/**
 * The built-in sample fleet: the simulator's starting point and `spotwise plan`'s default target.
 *
 * Two primary Spot groups with mixed instance types over two AZs — `web` (high priority, budget of one
 * disruption at a time) and `batch` (medium priority, 25 % budget, preemption allowed) — both backed by one
 * standby On-Demand group, `standby`, with a warm pool of stopped instances that spotwise sizes and
 * retypes. Every primary instance runs one workload whose demand follows a real usage series (bundled NAB
 * and Azure CPU series, or `dataDir`), and its behaviour profile is learned from the `historyMinutes` of
 * that series before the start, so forecasts exist from the first minute.
 */
export interface SampleFleetOptions {
  readonly seed?: number;
  /** A folder in the layout of ../shared/data; default: the repository's bundled data/. */
  readonly dataDir?: string;
  /** Primary (Spot) instances over both groups; default 40. */
  readonly instances?: number;
  /** Minutes of demand after the start to prepare (the simulated horizon); default 48 h. */
  readonly horizonMinutes?: number;
  /** Interruption rate scale the pools' risks are stated with (see interruption-model.ts). */
  readonly rateScale?: number;
  /** Traces already loaded (tests, or the simulator that also learns from them); default: read dataDir. */
  readonly traces?: readonly TraceSeries[];
  /**
   * The user's own configuration (`spotwise simulate --config`): its groups, policies and standby groups
   * replace the built-in ones, and `instances` is ignored (each group's size derives from its capacity; see
   * configFleetPlan). Unset: the built-in sample fleet.
   */
  readonly config?: SpotwiseConfig;
  /**
   * Each primary group's pool budget as a share of the capacity its fleet was sized from (`--pool-budget`,
   * default 1): below what the members use, the pool is oversubscribed — allocations follow priority-ordered fair
   * share and reservations often do not fit (the scenario where borrowing matters). The fleet's size is unchanged.
   */
  readonly poolBudget?: number;
}

export interface SampleWorkload {
  /** The instance it runs on at the start (its "home"). */
  readonly instanceId: InstanceId;
  readonly groupId: GroupId;
  readonly homeType: string;
  readonly jobType: string;
  /** Demand per minute over [-historyMinutes, horizonMinutes). */
  readonly demand: DemandTrace;
}

export interface SampleFleet {
  readonly fleet: FleetView;
  /** Start of the simulated period (epoch ms). */
  readonly startAt: number;
  readonly historyMinutes: number;
  readonly horizonMinutes: number;
  readonly catalogSpecs: readonly InstanceTypeSpec[];
  readonly advisor: SpotAdvisor;
  /** Groups, instances and catalog, ready for `new InMemoryCloud(cloud)`. */
  readonly cloud: InMemoryCloudState;
  readonly config: SpotwiseConfig;
  readonly profiles: readonly BehaviourProfile[];
  readonly forecasts: readonly Forecast[];
  readonly pools: readonly ResourcePool[];
  readonly workloads: readonly SampleWorkload[];
  /** Per-minute metric samples of each instance over the history, as CloudWatch would return them. */
  readonly history: ReadonlyMap<InstanceId, readonly MetricSample[]>;
  readonly dataDir: string;
  /** How the fleet's shape was derived where the configuration said nothing (empty for the built-in fleet). */
  readonly derivation: readonly string[];
}

/** Monday 2 June 2025, 00:00 UTC: a fixed start keeps every run reproducible. */
export const SAMPLE_START_AT = Date.UTC(2025, 5, 2, 0, 0, 0);
export const DEFAULT_SAMPLE_INSTANCES = 40;
export const SAMPLE_HISTORY_MINUTES = 6 * 60;
export const AZS = ['us-east-1a', 'us-east-1b'] as const;
/** Horizon the pools' interruption probabilities are stated over (one profiler hour of staging). */
export const STAGING_HORIZON_HOURS = 1;
/** A group's pool budget: its instances' capacity plus this share for post-restart peaks and reservations. */
export const POOL_HEADROOM = 0.25;

export const GROUP_IDS = { web: groupId('web'), batch: groupId('batch'), standby: groupId('standby') } as const;

interface PrimarySpec {
  readonly id: GroupId;
  readonly share: number;
  readonly types: readonly string[];
  readonly jobType: string;
  readonly policy: Record<string, unknown>;
}

/** One primary group as built: its members' count and types, its policy, and its pool budget if given. */
interface PrimaryPlan {
  readonly id: GroupId;
  readonly count: number;
  readonly types: readonly string[];
  readonly jobType: string;
  readonly policy: ShapingPolicy;
  /** The configured pool budget; unset: the members' capacity plus POOL_HEADROOM. */
  readonly capacity?: Resources;
  readonly standbyId?: GroupId;
}

interface StandbyPlan {
  readonly id: GroupId;
  readonly policy: ShapingPolicy;
  readonly instanceType: string;
  readonly warmSize: number;
  readonly warmPool: WarmPoolView;
  readonly maxSize: number;
}

/** The shape of a fleet before its instances and workloads are drawn. */
export interface FleetPlan {
  readonly primaries: readonly PrimaryPlan[];
  readonly standbys: readonly StandbyPlan[];
  /** The configuration the handlers run with (unset: built from the plan, the built-in fleet). */
  readonly config?: SpotwiseConfig;
  readonly derivation: readonly string[];
}

const PRIMARIES: readonly PrimarySpec[] = [
  {
    id: GROUP_IDS.web,
    share: 0.6,
    types: ['m5.large', 'm5a.large', 'm6i.large'],
    jobType: 'web',
    policy: {
      policy_name: 'web',
      priority: 'high',
      disruption_budget: { max_unavailable: 1 },
      forecast_quantile: 'p90',
      post_restart_window_minutes: 30,
      allowed_instance_types: ['m5.large', 'm5a.large', 'm6i.large', 'm5.xlarge', 'm6i.xlarge', 'm5.2xlarge'],
    },
  },
  {
    id: GROUP_IDS.batch,
    share: 0.4,
    types: ['c5.xlarge', 'c5a.xlarge', 'c6i.xlarge'],
    jobType: 'batch',
    policy: {
      policy_name: 'batch',
      priority: 'medium',
      behavior: { eviction_threshold: 0.9, preemption_enabled: true },
      disruption_budget: { max_unavailable: '25%' },
      forecast_quantile: 'p90',
      post_restart_window_minutes: 30,
      allowed_instance_types: ['c5.xlarge', 'c5a.xlarge', 'c6i.xlarge', 'c5.2xlarge', 'm5.2xlarge'],
    },
  },
];

const STANDBY_POLICY = {
  policy_name: 'standby',
  priority: 'high',
  disruption_budget: { max_unavailable: 1 },
  forecast_quantile: 'p90',
  post_restart_window_minutes: 30,
  allowed_instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'c5.xlarge', 'c5.2xlarge', 'm6i.xlarge', 'm6i.2xlarge'],
  allow_stop_modify_start: false,
} as const;
const STANDBY_INITIAL_TYPE = 'm5.xlarge';

/**
 * Instance ids look like EC2's (fleet/fleet-builder.ts), the group's prefix keeping them apart by group; the world
 * names the instances Auto Scaling launches during a run the same way.
 */
export { makeInstanceId };
const GROUP_LETTERS: Record<string, string> = { web: 'a', batch: 'b', standby: 'c' };
/**
 * The id prefix of a group's instances: one hex digit for the built-in groups; for any other group name
 * "f" and six hex digits of a hash of the name (a configuration's groups; configFleetPlan refuses the
 * astronomically unlikely case of two names with the same prefix).
 */
export const groupLetter = (g: GroupId): string =>
  GROUP_LETTERS[g] ??
  `f${Math.floor(rankOf(0, `group:${g}`) * 0x1000000)
    .toString(16)
    .padStart(6, '0')}`;

const policyOf = (yaml: Record<string, unknown>): ShapingPolicy =>
  toShapingPolicy(parseWith(shapingPolicyYamlSchema, `sample policy ${String(yaml.policy_name)}`, yaml));

/** Warm pool size: one stopped instance per ten primary instances, at least two. */
export const sampleWarmPoolSize = (primaryInstances: number): number => Math.max(2, Math.round(primaryInstances / 10));

const checkOptions = (o: SampleFleetOptions): void => {
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new RangeError(`sample fleet: seed must be an integer (got ${o.seed})`);
  if (o.instances !== undefined && !(Number.isInteger(o.instances) && o.instances >= 2 && o.instances <= 2000)) {
    throw new RangeError(`sample fleet: instances must be an integer in [2, 2000] (got ${o.instances})`);
  }
  if (o.horizonMinutes !== undefined && !(Number.isInteger(o.horizonMinutes) && o.horizonMinutes > 0)) {
    throw new RangeError(`sample fleet: horizonMinutes must be a positive integer (got ${o.horizonMinutes})`);
  }
  if (o.poolBudget !== undefined && !(o.poolBudget > 0 && o.poolBudget <= 1))
    throw new RangeError(`sample fleet: poolBudget must be a share in (0, 1] (got ${o.poolBudget})`);
};

/** The usable series of a data folder (with CPU, long enough to say something), in a stable order. */
export const usableSeries = (traces: readonly TraceSeries[]): TraceSeries[] =>
  traces.filter((s) => hasCpu(s) && seriesMinutes(s) >= 6 * 60).sort((a, b) => a.id.localeCompare(b.id));

/** A profile's samples: per-minute demand turned back into what CloudWatch (with the agent) reports. */
export const sampleAt = (demand: DemandTrace, index: number, at: number, spec: InstanceTypeSpec): MetricSample => {
  const vcpu = demand.vcpu[index] ?? 0;
  const cpuPercent = Math.min(100, (vcpu / spec.resources.vcpu) * 100);
  return {
    at,
    cpuPercent,
    cpuMaxPercent: cpuPercent,
    memoryGiB: demand.memoryGiB[index] ?? 0,
    networkMbps: demand.networkMbps[index] ?? 0,
    diskIops: demand.diskIops[index] ?? 0,
  };
};

/** The built-in fleet's plan: web and batch sharing `total` instances 60/40, one standby group behind both. */
export const sampleFleetPlan = (total: number): FleetPlan => {
  const webCount = Math.round(total * (PRIMARIES[0]?.share ?? 0.5));
  const warmSize = sampleWarmPoolSize(total);
  return {
    primaries: PRIMARIES.map((spec, gi) => ({
      id: spec.id,
      count: gi === 0 ? webCount : total - webCount,
      types: spec.types,
      jobType: spec.jobType,
      policy: policyOf(spec.policy),
      standbyId: GROUP_IDS.standby,
    })),
    standbys: [
      {
        id: GROUP_IDS.standby,
        policy: policyOf({ ...STANDBY_POLICY }),
        instanceType: STANDBY_INITIAL_TYPE,
        warmSize,
        maxSize: total,
        // MaxGroupPreparedCapacity = the warm size keeps the pool at minSize (Auto Scaling sizes a warm pool as
        // max(MinSize, MaxGroupPreparedCapacity − desired); the default −1 would mean "group max size − desired").
        warmPool: { minSize: warmSize, maxGroupPreparedCapacity: warmSize, poolState: 'Stopped', reuseOnScaleIn: true },
      },
    ],
    derivation: [],
  };
};

/** The configuration cannot be simulated as it is; names the field (dotted path) and the value. */
export class ConfigFleetError extends Error {
  override readonly name = 'ConfigFleetError';
  constructor(
    readonly path: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`${path}: ${reason} (got ${JSON.stringify(value)})`);
  }
}

/** The types a configured group runs when its policy allows any type or none the price table knows. */
export const STAND_IN_TYPES = ['m5.large', 'm5a.large', 'm6i.large'] as const;
/** …and the types its policy then allows for retyping warm instances (the stand-ins and two larger sizes). */
const STAND_IN_ALLOWED = [...STAND_IN_TYPES, 'm5.xlarge', 'm6i.xlarge', 'm5.2xlarge'] as const;
/** At most this many instance types per group: a mixed-instances group of one size over a few families. */
const TYPES_PER_GROUP = 3;
export const MAX_CONFIG_INSTANCES = 500;

const listText = (xs: readonly string[]): string => xs.join(', ');

/**
 * The fleet of a user's configuration. It names groups, policies, pool budgets and standby groups, but not
 * how many instances each group runs or of which types; the simulator derives them (each rule goes into
 * `derivation`, printed with the run):
 * - types: the group policy's allowed_instance_types that the bundled price table prices, the smallest
 *   `TYPES_PER_GROUP` by vCPU (file order among equals); the stand-ins m5.large, m5a.large, m6i.large when
 *   the policy allows any type or none priced (then the policy allows the stand-ins and two larger sizes);
 * - count: as many instances as fit the group's capacity with POOL_HEADROOM to spare, in vCPU and in
 *   memory (whichever is fewer), at least one; two AZs, round-robin over types and AZs;
 * - a standby group: maximum size = the instances of the groups it backs; its warm pool sized as Auto
 *   Scaling sizes it, max(min_size, max_prepared_capacity − 0 in service), max_prepared_capacity −1 meaning
 *   the maximum size; its instances the cheapest On-Demand type (its policy's, else any priced) that holds
 *   the largest type of the groups it backs;
 * - dry_run: the simulation runs spotwise live (global and per-policy dry_run off), since a dry run acts on nothing.
 */
export const configFleetPlan = (input: SpotwiseConfig, catalogSpecs: readonly InstanceTypeSpec[]): FleetPlan => {
  const derivation: string[] = [];
  if (input.groups.length === 0) throw new ConfigFleetError('groups', input.groups, 'the simulator needs named groups (group_tag alone names none)');
  const priced = new Map(catalogSpecs.map((c) => [c.name, c]));
  const specOf = (t: string): InstanceTypeSpec => priced.get(t) as InstanceTypeSpec;
  if (input.dry_run || input.policies.some((p) => p.dry_run)) derivation.push('dry_run: off for the simulation (a dry run acts on nothing to compare)');
  const policies = input.policies.map((p) => ({ ...p, dry_run: false }));
  const groupTypes = new Map<string, string[]>();
  for (const g of input.groups) {
    const yamlPolicy = policies.find((p) => p.policy_name === g.policy);
    if (yamlPolicy === undefined) throw new ConfigFleetError(`groups.${input.groups.indexOf(g)}.policy`, g.policy, 'no policy of that name');
    const allowed = yamlPolicy.allowed_instance_types;
    const known = allowed.filter((t) => priced.has(t));
    if (allowed.length === 0) {
      groupTypes.set(g.name, [...STAND_IN_TYPES]);
      derivation.push(`${g.name}: policy ${g.policy} allows any type; runs the stand-ins ${listText(STAND_IN_TYPES)}`);
    } else if (known.length === 0) {
      groupTypes.set(g.name, [...STAND_IN_TYPES]);
      // Every group following this policy then retypes among the stand-ins.
      const i = policies.indexOf(yamlPolicy);
      policies[i] = { ...yamlPolicy, allowed_instance_types: [...STAND_IN_ALLOWED] };
      derivation.push(
        `${g.name}: none of ${listText(allowed)} is in the bundled price table; runs the stand-ins ${listText(STAND_IN_TYPES)} (policy ${g.policy} allows ${listText(STAND_IN_ALLOWED)} for the simulation)`,
      );
    } else {
      const types = [...known]
        .sort((a, b) => specOf(a).resources.vcpu - specOf(b).resources.vcpu || known.indexOf(a) - known.indexOf(b))
        .slice(0, TYPES_PER_GROUP);
      groupTypes.set(g.name, types);
      const unknown = allowed.filter((t) => !priced.has(t));
      derivation.push(
        `${g.name}: runs ${listText(types)} (the smallest of policy ${g.policy}'s allowed types${unknown.length > 0 ? `; not priced, left out: ${listText(unknown)}` : ''})`,
      );
    }
  }
  const policyByName = new Map(policies.map((p) => [p.policy_name, toShapingPolicy(p)]));
  const primaries: PrimaryPlan[] = input.groups.map((g) => {
    const types = groupTypes.get(g.name) as string[];
    const mean = (f: (r: Resources) => number): number => types.reduce((a, t) => a + f(specOf(t).resources), 0) / types.length;
    const byVcpu = Math.floor(g.capacity.vcpu / ((1 + POOL_HEADROOM) * mean((r) => r.vcpu)));
    const byMemory = Math.floor(g.capacity.memory_gib / ((1 + POOL_HEADROOM) * mean((r) => r.memoryGiB)));
    const count = Math.max(1, Math.min(byVcpu, byMemory));
    derivation.push(
      `${g.name}: ${count} Spot instances (capacity ${g.capacity.vcpu} vCPU / ${g.capacity.memory_gib} GiB over ${(1 + POOL_HEADROOM).toFixed(2)} × the types' mean size${byVcpu < 1 || byMemory < 1 ? ', at least one' : ''})`,
    );
    return {
      id: groupId(g.name),
      count,
      types,
      jobType: g.policy,
      policy: policyByName.get(g.policy) as ShapingPolicy,
      capacity: { vcpu: g.capacity.vcpu, memoryGiB: g.capacity.memory_gib, networkMbps: g.capacity.network_mbps, diskIops: g.capacity.disk_iops },
      ...(g.standby !== undefined ? { standbyId: groupId(g.standby) } : {}),
    };
  });
  const total = primaries.reduce((a, p) => a + p.count, 0);
  if (total > MAX_CONFIG_INSTANCES) {
    throw new ConfigFleetError(
      'groups',
      input.groups.map((g) => ({ name: g.name, capacity: g.capacity })),
      `the capacities make ${total} Spot instances; the simulator runs at most ${MAX_CONFIG_INSTANCES}`,
    );
  }
  const standbys: StandbyPlan[] = input.standby_groups.map((sg) => {
    const backed = primaries.filter((p) => p.standbyId === sg.name);
    const firstBacked = input.groups.find((g) => g.standby === sg.name);
    const yamlPolicy = policies.find((p) => p.policy_name === sg.name) ?? policies.find((p) => p.policy_name === firstBacked?.policy) ?? policies[0];
    const policy = toShapingPolicy(yamlPolicy as (typeof policies)[number]);
    const largest = backed
      .flatMap((p) => p.types.map(specOf))
      .reduce<InstanceTypeSpec | undefined>((a, t) => (a === undefined || t.resources.vcpu > a.resources.vcpu ? t : a), undefined);
    const allowedPriced = policy.allowedInstanceTypes.filter((t) => priced.has(t));
    const candidates = (allowedPriced.length > 0 ? allowedPriced : [...priced.keys()])
      .map(specOf)
      .filter((t) => largest === undefined || (t.resources.vcpu >= largest.resources.vcpu && t.resources.memoryGiB >= largest.resources.memoryGiB))
      .sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd || a.name.localeCompare(b.name));
    const instanceType = candidates[0]?.name ?? largest?.name ?? STANDBY_INITIAL_TYPE;
    const maxSize = Math.max(
      1,
      backed.reduce((a, p) => a + p.count, 0),
    );
    const wp = sg.warm_pool;
    const prepared = wp.max_prepared_capacity === -1 ? maxSize : wp.max_prepared_capacity;
    const warmSize = Math.max(wp.min_size, prepared);
    derivation.push(
      `${sg.name}: standby for ${backed.map((p) => p.id).join(', ') || 'no group'}, maximum size ${maxSize}, warm pool of ${warmSize} stopped ${instanceType} (max(min_size ${wp.min_size}, max_prepared_capacity ${wp.max_prepared_capacity === -1 ? `-1 = ${maxSize}` : wp.max_prepared_capacity}))`,
    );
    // The simulated warm pool keeps its instances stopped; say so rather than let the setting look honoured.
    if (wp.pool_state !== 'Stopped')
      derivation.push(`${sg.name}: pool_state ${wp.pool_state} is simulated as Stopped (the simulator's warm pools hold stopped instances only)`);
    return {
      id: groupId(sg.name),
      policy,
      instanceType,
      warmSize,
      maxSize,
      warmPool: { minSize: wp.min_size, maxGroupPreparedCapacity: wp.max_prepared_capacity, poolState: wp.pool_state, reuseOnScaleIn: wp.reuse_on_scale_in },
    };
  });
  const names = [...primaries.map((p) => p.id), ...standbys.map((s) => s.id)];
  const prefixes = new Map<string, string>();
  for (const n of names) {
    const prefix = groupLetter(n);
    const other = prefixes.get(prefix);
    if (other !== undefined) throw new ConfigFleetError('groups', [other, n], 'two group names give the same instance-id prefix; rename one');
    prefixes.set(prefix, n);
  }
  derivation.push('every group: two AZs (us-east-1a, us-east-1b); demand from the usage series of the data folder, one series per instance');
  return { primaries, standbys, config: { ...input, dry_run: false, policies }, derivation };
};

export const buildSampleFleet = (opts: SampleFleetOptions = {}): SampleFleet => {
  checkOptions(opts);
  const seed = opts.seed ?? 1;
  const dataDir = opts.dataDir ?? BUNDLED_DATA_DIR;
  const horizonMinutes = opts.horizonMinutes ?? 48 * 60;
  const rateScale = opts.rateScale ?? DEFAULT_INTERRUPTION_PARAMS.rateScale;
  const startAt = SAMPLE_START_AT;
  const historyMinutes = SAMPLE_HISTORY_MINUTES;

  const advisor = loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS);
  const catalogSpecs = loadPriceTable(BUNDLED_PRICE_FILE, advisor);
  // Tagged as a deployment that finds its groups by tag has them.
  const builder = new FleetBuilder({ catalog: catalogSpecs, managedTag: true });
  const catalog = builder.catalog;
  const plan = opts.config !== undefined ? configFleetPlan(opts.config, catalogSpecs) : sampleFleetPlan(opts.instances ?? DEFAULT_SAMPLE_INSTANCES);
  const series = usableSeries(opts.traces ?? loadTraces(dataDir));
  if (series.length === 0) throw new Error(`no usable usage series (with CPU, ≥ 6 h) in ${dataDir}`);

  const rng = randomStream(seed, 'sample-fleet');
  const workloads: SampleWorkload[] = [];
  const groups: GroupView[] = [];
  const pools: ResourcePool[] = [];
  const profiles: BehaviourProfile[] = [];
  const history = new Map<InstanceId, MetricSample[]>();
  const policies = new Map<GroupId, ShapingPolicy>();
  /** A group as spotwise sees it, and as Auto Scaling holds it (its size, the AZs, its role as a tag). */
  const addGroup = (g: GroupView): void => {
    groups.push(g);
    builder.addGroup({
      id: g.id,
      desiredCapacity: g.desiredCapacity,
      minSize: g.minSize,
      maxSize: g.maxSize,
      availabilityZones: [...AZS],
      tags: { 'spotwise:role': g.role },
      ...(g.warmPool ? { warmPool: g.warmPool } : {}),
    });
  };

  for (const spec of plan.primaries) {
    const { count, policy } = spec;
    policies.set(spec.id, policy);
    const members: ManagedInstance[] = [];
    for (let k = 0; k < count; k++) {
      const slot = spreadSlot(k, spec.types, AZS);
      const type = slot.instanceType;
      const id = makeInstanceId(groupLetter(spec.id), k + 1);
      const launchedAt = startAt - historyMinutes * 60_000 - Math.floor(rng() * 24 * 60) * 60_000;
      members.push(builder.addMember({ id, groupId: spec.id, ...slot, launchedAt, priority: policy.priority, jobType: spec.jobType }));
      const home = lookupInstanceType(catalog, type);
      const s = series[Math.floor(rng() * series.length)] as TraceSeries;
      const offset = Math.floor((rng() * seriesMinutes(s)) / 5) * 5;
      const demand = buildDemandTrace(s, home, { minutes: historyMinutes + horizonMinutes, offsetMinutes: offset });
      workloads.push({ instanceId: id, groupId: spec.id, homeType: type, jobType: spec.jobType, demand });
      const samples = Array.from({ length: historyMinutes }, (_, m) => sampleAt(demand, m, startAt - (historyMinutes - m) * 60_000, home));
      history.set(id, samples);
      const fresh = newProfile({
        instanceId: id,
        groupId: spec.id,
        instanceType: type,
        vcpus: home.resources.vcpu,
        jobType: spec.jobType,
        launchedAt,
        now: startAt - historyMinutes * 60_000,
      });
      profiles.push(updateProfile(fresh, samples, startAt));
    }
    const sized = spec.capacity ?? scaleResources(builder.shapes(members), 1 + POOL_HEADROOM);
    const capacity = checkPoolResources(scaleResources(sized, opts.poolBudget ?? 1), `pool capacity of ${spec.id}`, 'down');
    const wanted = profiles
      .filter((p) => p.groupId === spec.id)
      .map((p) => ({
        instanceId: p.instanceId,
        amount: checkPoolResources(toResources(steadyQuantile(p, 0.9)), `allocation of ${p.instanceId}`, 'up'),
        priority: policy.priority,
      }));
    // A reduced budget is divided as the profiler's refresh divides it (fair share), so the pool starts sound.
    const pool: ResourcePool =
      (opts.poolBudget ?? 1) === 1
        ? { groupId: spec.id, capacity, allocations: new Map(wanted.map((w) => [w.instanceId, w.amount])), reservations: new Map(), version: 1 }
        : { ...refreshPool(createPool(spec.id, capacity), { capacity, wanted, handOvers: [], now: startAt }).pool, version: 1 };
    pools.push(pool);
    const spotPools: SpotPool[] = spec.types.flatMap((t) =>
      AZS.map((az) => {
        const rate = burstsPerHour(
          { instanceType: t, availabilityZone: az, monthlyReclaimRate: advisorEntry(advisor, t).monthlyReclaimRate },
          { ...DEFAULT_INTERRUPTION_PARAMS, rateScale },
        );
        return { instanceType: t, availabilityZone: az, interruptionProbability: 1 - Math.exp(-rate * STAGING_HORIZON_HOURS) };
      }),
    );
    addGroup({
      id: spec.id,
      role: 'primary',
      ...(spec.standbyId !== undefined ? { standbyGroupId: spec.standbyId } : {}),
      policy,
      pool,
      instances: members,
      desiredCapacity: count,
      minSize: 0,
      maxSize: count * 2,
      spotPools,
      disruptionsInFlight: 0,
    });
  }

  // Standby On-Demand groups: nothing in service, a warm pool of stopped, initialised instances.
  for (const sb of plan.standbys) {
    policies.set(sb.id, sb.policy);
    const warmMembers = builder.addWarmMembers({
      groupId: sb.id,
      ids: makeInstanceIds(groupLetter(sb.id), sb.warmSize),
      instanceType: sb.instanceType,
      azs: AZS,
      launchedAt: startAt - historyMinutes * 60_000,
      priority: sb.policy.priority,
    });
    const standbyCapacity = checkPoolResources(builder.shapes(warmMembers), `pool capacity of ${sb.id}`, 'down');
    const standbyPool: ResourcePool = { groupId: sb.id, capacity: standbyCapacity, allocations: new Map(), reservations: new Map(), version: 1 };
    pools.push(standbyPool);
    addGroup({
      id: sb.id,
      role: 'standby',
      policy: sb.policy,
      pool: standbyPool,
      instances: warmMembers,
      desiredCapacity: 0,
      minSize: 0,
      maxSize: sb.maxSize,
      warmPool: sb.warmPool,
      spotPools: [],
      disruptionsInFlight: 0,
    });
  }

  const forecasts: Forecast[] = profiles.map((profile) => {
    const policy = policies.get(profile.groupId);
    return predictFallback({ profile, downtimeSeconds: 120, windowMinutes: policy?.postRestartWindowMinutes ?? 30, now: startAt });
  });

  // A reduced pool budget (poolBudget) is what spotwise is configured with: the user's groups get the pools' capacities.
  const budgeted = (c: SpotwiseConfig): SpotwiseConfig =>
    (opts.poolBudget ?? 1) === 1
      ? c
      : {
          ...c,
          groups: c.groups.map((g) => {
            const pool = pools.find((x) => x.groupId === g.name);
            return pool === undefined
              ? g
              : {
                  ...g,
                  capacity: {
                    vcpu: pool.capacity.vcpu,
                    memory_gib: pool.capacity.memoryGiB,
                    network_mbps: pool.capacity.networkMbps,
                    disk_iops: pool.capacity.diskIops,
                  },
                };
          }),
        };
  const config =
    plan.config !== undefined
      ? budgeted(plan.config)
      : parseSpotwiseConfig({
          groups: PRIMARIES.map((p) => {
            const pool = pools.find((x) => x.groupId === p.id) as ResourcePool;
            return {
              name: p.id,
              policy: String(p.policy.policy_name),
              capacity: {
                vcpu: pool.capacity.vcpu,
                memory_gib: pool.capacity.memoryGiB,
                network_mbps: pool.capacity.networkMbps,
                disk_iops: pool.capacity.diskIops,
              },
              standby: GROUP_IDS.standby,
            };
          }),
          standby_groups: plan.standbys.map((sb) => ({
            name: sb.id,
            warm_pool: {
              min_size: sb.warmPool.minSize,
              max_prepared_capacity: sb.warmPool.maxGroupPreparedCapacity,
              pool_state: sb.warmPool.poolState,
              reuse_on_scale_in: sb.warmPool.reuseOnScaleIn,
            },
          })),
          policies: [...PRIMARIES.map((p) => p.policy), { ...STANDBY_POLICY }],
          dry_run: false,
        });

  return {
    fleet: { groups, catalog, forecasts: new Map(forecasts.map((f) => [f.instanceId, f])) },
    startAt,
    historyMinutes,
    horizonMinutes,
    catalogSpecs,
    advisor,
    cloud: builder.cloudState(),
    config,
    profiles,
    forecasts,
    pools,
    workloads,
    history,
    dataDir,
    derivation: plan.derivation,
  };
};
