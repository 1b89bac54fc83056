import { parseSpotwiseConfig, type SpotwiseConfig } from '../contracts/config';
import { parseWith } from '../contracts/validation';
import type {
  BehaviourProfile, FleetView, Forecast, GroupId, GroupView, InstanceCatalog, InstanceId, InstanceTypeSpec,
  ManagedInstance, MetricSample, ResourcePool, Resources, ShapingPolicy, SpotPool, WarmPoolView,
} from '../core/domain';
import { groupId, instanceId } from '../core/domain';
import { shapingPolicyYamlSchema, toShapingPolicy } from '../core/policy/policy-schema';
import { checkPoolResources } from '../core/pool/pool-amounts';
import { toCatalog, lookupInstanceType } from '../core/resources/catalog';
import { addResources, scaleResources, sumResources, toResources, ZERO_RESOURCES } from '../core/resources/resources';
import { newProfile, updateProfile, steadyQuantile } from '../core/profile/behaviour-profile';
import { predictFallback } from '../core/predict/fallback-predictor';
import type { InMemoryCloudState } from './memory';
import { BUNDLED_DATA_DIR, BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from './bundled-data';
import { DEFAULT_INTERRUPTION_PARAMS, burstsPerHour } from './interruption-model';
import { loadPriceTable } from './price-table';
import { randomStream } from './random';
import { advisorEntry, loadSpotAdvisor, type SpotAdvisor } from './spot-advisor';
import { loadTraces, type TraceSeries } from './traces/load-traces';
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

const PRIMARIES: readonly PrimarySpec[] = [
  {
    id: GROUP_IDS.web,
    share: 0.6,
    types: ['m5.large', 'm5a.large', 'm6i.large'],
    jobType: 'web',
    policy: {
      policy_name: 'web', priority: 'high', disruption_budget: { max_unavailable: 1 }, forecast_quantile: 'p90',
      post_restart_window_minutes: 30, allowed_instance_types: ['m5.large', 'm5a.large', 'm6i.large', 'm5.xlarge', 'm6i.xlarge', 'm5.2xlarge'],
    },
  },
  {
    id: GROUP_IDS.batch,
    share: 0.4,
    types: ['c5.xlarge', 'c5a.xlarge', 'c6i.xlarge'],
    jobType: 'batch',
    policy: {
      policy_name: 'batch', priority: 'medium', behavior: { eviction_threshold: 0.9, preemption_enabled: true }, disruption_budget: { max_unavailable: '25%' },
      forecast_quantile: 'p90', post_restart_window_minutes: 30, allowed_instance_types: ['c5.xlarge', 'c5a.xlarge', 'c6i.xlarge', 'c5.2xlarge', 'm5.2xlarge'],
    },
  },
];

const STANDBY_POLICY = {
  policy_name: 'standby', priority: 'high', disruption_budget: { max_unavailable: 1 }, forecast_quantile: 'p90', post_restart_window_minutes: 30,
  allowed_instance_types: ['m5.large', 'm5.xlarge', 'm5.2xlarge', 'c5.xlarge', 'c5.2xlarge', 'm6i.xlarge', 'm6i.2xlarge'],
  allow_stop_modify_start: false,
} as const;
const STANDBY_INITIAL_TYPE = 'm5.xlarge';

/** Instance ids look like EC2's: "i-" and 17 hex digits; the group's letter keeps them apart by group. */
export const makeInstanceId = (groupLetter: string, n: number): InstanceId => instanceId(`i-0${groupLetter}${n.toString(16).padStart(15, '0')}`);
const GROUP_LETTERS: Record<string, string> = { web: 'a', batch: 'b', standby: 'c' };
export const groupLetter = (g: GroupId): string => GROUP_LETTERS[g] ?? 'f';

const policyOf = (yaml: Record<string, unknown>): ShapingPolicy => toShapingPolicy(parseWith(shapingPolicyYamlSchema, `sample policy ${String(yaml.policy_name)}`, yaml));

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

export const buildSampleFleet = (opts: SampleFleetOptions = {}): SampleFleet => {
  checkOptions(opts);
  const seed = opts.seed ?? 1;
  const dataDir = opts.dataDir ?? BUNDLED_DATA_DIR;
  const total = opts.instances ?? DEFAULT_SAMPLE_INSTANCES;
  const horizonMinutes = opts.horizonMinutes ?? 48 * 60;
  const rateScale = opts.rateScale ?? DEFAULT_INTERRUPTION_PARAMS.rateScale;
  const startAt = SAMPLE_START_AT;
  const historyMinutes = SAMPLE_HISTORY_MINUTES;

  const advisor = loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS);
  const catalogSpecs = loadPriceTable(BUNDLED_PRICE_FILE, advisor);
  const catalog: InstanceCatalog = toCatalog(catalogSpecs);
  const series = usableSeries(opts.traces ?? loadTraces(dataDir));
  if (series.length === 0) throw new Error(`no usable usage series (with CPU, ≥ 6 h) in ${dataDir}`);

  const rng = randomStream(seed, 'sample-fleet');
  const instances: ManagedInstance[] = [];
  const workloads: SampleWorkload[] = [];
  const groups: GroupView[] = [];
  const pools: ResourcePool[] = [];
  const profiles: BehaviourProfile[] = [];
  const history = new Map<InstanceId, MetricSample[]>();
  const policies = new Map<GroupId, ShapingPolicy>();

  const webCount = Math.round(total * (PRIMARIES[0]?.share ?? 0.5));
  PRIMARIES.forEach((spec, gi) => {
    const count = gi === 0 ? webCount : total - webCount;
    const policy = policyOf(spec.policy);
    policies.set(spec.id, policy);
    const members: ManagedInstance[] = [];
    for (let k = 0; k < count; k++) {
      // Round-robin over types and AZs, as a mixed-instances group with capacity-optimized allocation spreads them.
      const type = spec.types[k % spec.types.length] as string;
      const az = AZS[Math.floor(k / spec.types.length) % AZS.length] as string;
      const id = makeInstanceId(groupLetter(spec.id), k + 1);
      const launchedAt = startAt - historyMinutes * 60_000 - Math.floor(rng() * 24 * 60) * 60_000;
      const inst: ManagedInstance = { id, groupId: spec.id, instanceType: type, availabilityZone: az, lifecycle: 'spot', state: 'running', launchedAt, warm: false, priority: policy.priority, jobType: spec.jobType };
      members.push(inst);
      const home = lookupInstanceType(catalog, type);
      const s = series[Math.floor(rng() * series.length)] as TraceSeries;
      const offset = Math.floor(rng() * seriesMinutes(s) / 5) * 5;
      const demand = buildDemandTrace(s, home, { minutes: historyMinutes + horizonMinutes, offsetMinutes: offset });
      workloads.push({ instanceId: id, groupId: spec.id, homeType: type, jobType: spec.jobType, demand });
      const samples = Array.from({ length: historyMinutes }, (_, m) => sampleAt(demand, m, startAt - (historyMinutes - m) * 60_000, home));
      history.set(id, samples);
      const fresh = newProfile({ instanceId: id, groupId: spec.id, instanceType: type, vcpus: home.resources.vcpu, jobType: spec.jobType, launchedAt, now: startAt - historyMinutes * 60_000 });
      profiles.push(updateProfile(fresh, samples, startAt));
    }
    instances.push(...members);
    const capacity = checkPoolResources(
      scaleResources(sumResources(members.map((m) => lookupInstanceType(catalog, m.instanceType).resources)), 1 + POOL_HEADROOM),
      `pool capacity of ${spec.id}`, 'down',
    );
    const allocations = new Map<InstanceId, Resources>();
    for (const p of profiles.filter((p) => p.groupId === spec.id)) {
      allocations.set(p.instanceId, checkPoolResources(toResources(steadyQuantile(p, 0.9)), `allocation of ${p.instanceId}`, 'up'));
    }
    const pool: ResourcePool = { groupId: spec.id, capacity, allocations, reservations: new Map(), version: 1 };
    pools.push(pool);
    const spotPools: SpotPool[] = spec.types.flatMap((t) =>
      AZS.map((az) => {
        const rate = burstsPerHour({ instanceType: t, availabilityZone: az, monthlyReclaimRate: advisorEntry(advisor, t).monthlyReclaimRate }, { ...DEFAULT_INTERRUPTION_PARAMS, rateScale });
        return { instanceType: t, availabilityZone: az, interruptionProbability: 1 - Math.exp(-rate * STAGING_HORIZON_HOURS) };
      }),
    );
    groups.push({
      id: spec.id, role: 'primary', standbyGroupId: GROUP_IDS.standby, policy, pool, instances: members,
      desiredCapacity: count, minSize: 0, maxSize: count * 2, spotPools, disruptionsInFlight: 0,
    });
  });

  // The standby On-Demand group: nothing in service, a warm pool of stopped, initialised instances.
  const standbyPolicy = policyOf({ ...STANDBY_POLICY });
  policies.set(GROUP_IDS.standby, standbyPolicy);
  const warmSize = sampleWarmPoolSize(total);
  // MaxGroupPreparedCapacity = the warm size keeps the pool at minSize (Auto Scaling sizes a warm pool as
  // max(MinSize, MaxGroupPreparedCapacity − desired); the default −1 would mean "group max size − desired").
  const warmPool: WarmPoolView = { minSize: warmSize, maxGroupPreparedCapacity: warmSize, poolState: 'Stopped', reuseOnScaleIn: true };
  const warmMembers: ManagedInstance[] = Array.from({ length: warmSize }, (_, k) => ({
    id: makeInstanceId(groupLetter(GROUP_IDS.standby), k + 1), groupId: GROUP_IDS.standby, instanceType: STANDBY_INITIAL_TYPE,
    availabilityZone: AZS[k % AZS.length] as string, lifecycle: 'on-demand', state: 'stopped', launchedAt: startAt - historyMinutes * 60_000,
    warm: true, priority: standbyPolicy.priority, jobType: 'standby',
  }));
  instances.push(...warmMembers);
  const standbyCapacity = checkPoolResources(
    warmMembers.reduce((acc, m) => addResources(acc, lookupInstanceType(catalog, m.instanceType).resources), ZERO_RESOURCES),
    'pool capacity of standby', 'down',
  );
  const standbyPool: ResourcePool = { groupId: GROUP_IDS.standby, capacity: standbyCapacity, allocations: new Map(), reservations: new Map(), version: 1 };
  pools.push(standbyPool);
  groups.push({
    id: GROUP_IDS.standby, role: 'standby', policy: standbyPolicy, pool: standbyPool, instances: warmMembers,
    desiredCapacity: 0, minSize: 0, maxSize: total, warmPool, spotPools: [], disruptionsInFlight: 0,
  });

  const forecasts: Forecast[] = profiles.map((profile) => {
    const policy = policies.get(profile.groupId);
    return predictFallback({ profile, downtimeSeconds: 120, windowMinutes: policy?.postRestartWindowMinutes ?? 30, now: startAt });
  });

  const config = parseSpotwiseConfig({
    groups: PRIMARIES.map((p) => {
      const pool = pools.find((x) => x.groupId === p.id) as ResourcePool;
      return { name: p.id, policy: String(p.policy.policy_name), capacity: { vcpu: pool.capacity.vcpu, memory_gib: pool.capacity.memoryGiB, network_mbps: pool.capacity.networkMbps, disk_iops: pool.capacity.diskIops }, standby: GROUP_IDS.standby };
    }),
    standby_groups: [{ name: GROUP_IDS.standby, warm_pool: { min_size: warmSize, max_prepared_capacity: warmSize, pool_state: 'Stopped', reuse_on_scale_in: true } }],
    policies: [...PRIMARIES.map((p) => p.policy), { ...STANDBY_POLICY }],
    dry_run: false,
  });

  const cloud: InMemoryCloudState = {
    catalog: catalogSpecs,
    groups: groups.map((g) => ({
      id: g.id, desiredCapacity: g.desiredCapacity, minSize: g.minSize, maxSize: g.maxSize, availabilityZones: [...AZS],
      tags: { 'spotwise:managed': 'true', 'spotwise:role': g.role }, ...(g.warmPool ? { warmPool: g.warmPool } : {}),
    })),
    instances: instances.map((i) => ({ ...i, tags: { 'spotwise:managed': 'true', 'aws:autoscaling:groupName': i.groupId } })),
  };

  return {
    fleet: { groups, catalog, forecasts: new Map(forecasts.map((f) => [f.instanceId, f])) },
    startAt, historyMinutes, horizonMinutes, catalogSpecs, advisor, cloud, config, profiles, forecasts, pools, workloads, history, dataDir,
  };
};
