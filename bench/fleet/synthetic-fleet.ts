import { parseSpotwiseConfig, type SpotwiseConfig } from '../../lambda/contracts/config';
import {
  DIMENSIONS,
  groupId,
  instanceId,
  type Dimension,
  type DimensionForecast,
  type Forecast,
  type GroupId,
  type InstanceId,
  type InstanceTypeSpec,
  type ManagedInstance,
  type Resources,
} from '../../lambda/core/domain';
import { checkPoolResources } from '../../lambda/core/pool/pool-amounts';
import { lookupInstanceType, toCatalog } from '../../lambda/core/resources/catalog';
import { scaleResources, sumResources } from '../../lambda/core/resources/resources';
import { toManagedGroups, type ManagedGroups } from '../../lambda/app/managed-groups';
import { BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from '../../lambda/sim/bundled-data';
import type { InMemoryCloudState, InMemoryPorts } from '../../lambda/sim/memory';
import { loadPriceTable } from '../../lambda/sim/price-table';
import { randomStream, uniform } from '../../lambda/data/random';
import { loadSpotAdvisor } from '../../lambda/sim/spot-advisor';

/**
 * A synthetic fleet of any size for the benchmarks and the reliability suite, shaped like the simulator's
 * sample fleet (lambda/sim/sample-fleet.ts, which stops at 2,000 instances because it learns every
 * profile from real traces): one primary Spot group spread over instance types × AZs, backed by an
 * On-Demand standby group with a warm pool of stopped instances, with a stored forecast for every
 * primary instance and a pool whose budget is the members' shapes plus headroom. Types and prices come
 * from the bundled price table (data/prices), so the catalog is the simulator's.
 */
export interface SyntheticFleetOptions {
  /** Spot instances in the primary group. */
  readonly instances: number;
  readonly seed?: number;
  /** Epoch ms the fleet is built at (launch times and forecasts are before it). */
  readonly now: number;
  /** Spot pools: every instance type × AZ; instances are spread round-robin over them. */
  readonly types?: readonly string[];
  readonly azs?: readonly string[];
  /** On-Demand siblings in the primary group (stop → modify → start candidates). Default 0. */
  readonly onDemandSiblings?: number;
  /** Stopped warm-pool instances of the standby group. Default max(2, instances / 10). */
  readonly warmInstances?: number;
  /** Pool budget = members' shapes × (1 + headroom). Default 0.25, as the sample fleet. */
  readonly headroom?: number;
  /** Share of each instance's shape it uses (its allocation and forecast p50): uniform in [min, max]. Default 0.2..0.6. */
  readonly utilisation?: { readonly min: number; readonly max: number };
  /** Extra keys of the primary group's YAML policy (e.g. allow_stop_modify_start). */
  readonly policy?: Readonly<Record<string, unknown>>;
}

export const PRIMARY_GROUP = groupId('bench-primary');
export const STANDBY_GROUP = groupId('bench-standby');
export const DEFAULT_TYPES = ['m5.large', 'm5.xlarge', 'c5.xlarge', 'm6i.large'] as const;
export const DEFAULT_AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'] as const;
const STANDBY_TYPE = 'm5.xlarge';

export interface SyntheticFleet {
  readonly now: number;
  readonly cloud: InMemoryCloudState;
  readonly config: SpotwiseConfig;
  readonly managed: ManagedGroups;
  readonly catalogSpecs: readonly InstanceTypeSpec[];
  /** Primary group members (Spot first, then On-Demand siblings). */
  readonly primary: readonly ManagedInstance[];
  readonly warm: readonly ManagedInstance[];
  readonly forecasts: readonly Forecast[];
  readonly capacity: { readonly primary: Resources; readonly standby: Resources };
  readonly allocations: ReadonlyMap<InstanceId, Resources>;
}

/** EC2-like ids: "i-0", a letter per group, 15 hex digits. */
const makeId = (letter: string, n: number): InstanceId => instanceId(`i-0${letter}${n.toString(16).padStart(15, '0')}`);

let catalogCache: readonly InstanceTypeSpec[] | undefined;
/** The bundled price table as instance type specs (read once per process). */
export const benchCatalog = (): readonly InstanceTypeSpec[] => {
  catalogCache ??= loadPriceTable(BUNDLED_PRICE_FILE, loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS));
  return catalogCache;
};

const forecastOf = (id: InstanceId, shape: Resources, utilisation: number, madeAt: number): Forecast => ({
  kind: 'known',
  instanceId: id,
  madeAt,
  downtimeSeconds: 120,
  windowMinutes: 30,
  dims: Object.fromEntries(
    DIMENSIONS.map((d): [Dimension, DimensionForecast] => {
      const p50 = shape[d] * utilisation;
      return [d, { p50, p90: Math.min(shape[d], p50 * 1.3), basis: 'instance-history', confidence: 0.8 }];
    }),
  ) as Record<Dimension, DimensionForecast>,
});

export const buildSyntheticFleet = (opts: SyntheticFleetOptions): SyntheticFleet => {
  if (!Number.isInteger(opts.instances) || opts.instances < 1)
    throw new RangeError(`synthetic fleet: instances must be a positive integer (got ${opts.instances})`);
  const u = opts.utilisation;
  if (u !== undefined && !(u.min > 0 && u.min <= u.max && u.max <= 1))
    throw new RangeError(`synthetic fleet: utilisation must satisfy 0 < min ≤ max ≤ 1 (got ${JSON.stringify(u)})`);
  const types = opts.types ?? DEFAULT_TYPES;
  const azs = opts.azs ?? DEFAULT_AZS;
  const siblings = opts.onDemandSiblings ?? 0;
  const warmCount = opts.warmInstances ?? Math.max(2, Math.round(opts.instances / 10));
  const headroom = opts.headroom ?? 0.25;
  const rng = randomStream(opts.seed ?? 1, 'synthetic-fleet');
  const specs = benchCatalog();
  const catalog = toCatalog(specs);
  const now = opts.now;

  const primary: ManagedInstance[] = [];
  const forecasts: Forecast[] = [];
  const allocations = new Map<InstanceId, Resources>();
  const total = opts.instances + siblings;
  for (let k = 0; k < total; k++) {
    const spot = k < opts.instances;
    const type = types[k % types.length] as string;
    const az = azs[Math.floor(k / types.length) % azs.length] as string;
    const id = makeId(spot ? 'd' : 'f', k + 1);
    primary.push({
      id,
      groupId: PRIMARY_GROUP,
      instanceType: type,
      availabilityZone: az,
      lifecycle: spot ? 'spot' : 'on-demand',
      state: 'running',
      launchedAt: now - Math.floor(uniform(rng, 2, 72) * 3_600_000),
      warm: false,
      priority: 90,
      jobType: spot ? 'web' : 'web-od',
    });
    const shape = lookupInstanceType(catalog, type).resources;
    const utilisation = uniform(rng, opts.utilisation?.min ?? 0.2, opts.utilisation?.max ?? 0.6);
    forecasts.push(forecastOf(id, shape, utilisation, now - 120_000));
    allocations.set(id, checkPoolResources(scaleResources(shape, utilisation), `allocation of ${id}`, 'up'));
  }
  const warm: ManagedInstance[] = Array.from({ length: warmCount }, (_, k) => ({
    id: makeId('e', k + 1),
    groupId: STANDBY_GROUP,
    instanceType: STANDBY_TYPE,
    availabilityZone: azs[k % azs.length] as string,
    lifecycle: 'on-demand',
    state: 'stopped',
    launchedAt: now - 86_400_000,
    warm: true,
    priority: 90,
    jobType: 'standby',
  }));

  const shapes = (members: readonly ManagedInstance[]): Resources => sumResources(members.map((m) => lookupInstanceType(catalog, m.instanceType).resources));
  const primaryCapacity = checkPoolResources(scaleResources(shapes(primary), 1 + headroom), 'pool capacity of the primary group', 'down');
  const standbyCapacity = checkPoolResources(shapes(warm), 'pool capacity of the standby group', 'down');
  const allowed = [...new Set([...types, STANDBY_TYPE, 'm5.2xlarge', 'c5.2xlarge'])];

  const config = parseSpotwiseConfig({
    groups: [
      {
        name: PRIMARY_GROUP,
        policy: 'bench',
        standby: STANDBY_GROUP,
        capacity: {
          vcpu: primaryCapacity.vcpu,
          memory_gib: primaryCapacity.memoryGiB,
          network_mbps: primaryCapacity.networkMbps,
          disk_iops: primaryCapacity.diskIops,
        },
      },
    ],
    standby_groups: [
      { name: STANDBY_GROUP, warm_pool: { min_size: warmCount, max_prepared_capacity: warmCount, pool_state: 'Stopped', reuse_on_scale_in: true } },
    ],
    policies: [
      { policy_name: 'bench', priority: 'high', disruption_budget: { max_unavailable: '10%' }, allowed_instance_types: allowed, ...opts.policy },
      { policy_name: STANDBY_GROUP, priority: 'high', allowed_instance_types: allowed },
    ],
    dry_run: false,
  });

  const tagsOf = (g: GroupId) => ({ 'spotwise:managed': 'true', 'aws:autoscaling:groupName': g });
  const cloud: InMemoryCloudState = {
    catalog: specs,
    groups: [
      { id: PRIMARY_GROUP, desiredCapacity: total, minSize: 0, maxSize: total * 2, availabilityZones: [...azs], tags: { 'spotwise:managed': 'true' } },
      {
        id: STANDBY_GROUP,
        desiredCapacity: 0,
        minSize: 0,
        maxSize: total,
        availabilityZones: [...azs],
        tags: { 'spotwise:managed': 'true' },
        warmPool: { minSize: warmCount, maxGroupPreparedCapacity: warmCount, poolState: 'Stopped', reuseOnScaleIn: true },
      },
    ],
    instances: [...primary, ...warm].map((i) => ({ ...i, tags: tagsOf(i.groupId) })),
  };
  return {
    now,
    cloud,
    config,
    managed: toManagedGroups(config),
    catalogSpecs: specs,
    primary,
    warm,
    forecasts,
    capacity: { primary: primaryCapacity, standby: standbyCapacity },
    allocations,
  };
};

/**
 * Puts the fleet's pools, allocations and forecasts into the in-memory store (what the profiler would
 * have stored), then clears every call log so a measurement starts from nothing.
 */
export const seedInMemoryState = async (ports: InMemoryPorts, fleet: SyntheticFleet): Promise<void> => {
  await ports.stateStore.putPoolCapacity(PRIMARY_GROUP, fleet.capacity.primary);
  await ports.stateStore.putAllocations(PRIMARY_GROUP, fleet.allocations);
  await ports.stateStore.putPoolCapacity(STANDBY_GROUP, fleet.capacity.standby);
  ports.stateStore.seedForecasts(fleet.forecasts);
  clearCallLogs(ports);
};

export const clearCallLogs = (ports: InMemoryPorts): void => {
  ports.journal.calls.length = 0;
  for (const log of [ports.cloud.log, ports.stateStore.log, ports.scheduler.log, ports.publisher.log, ports.metrics.log]) log.calls.length = 0;
};
