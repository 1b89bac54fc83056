import { parseSpotwiseConfig, type SpotwiseConfig } from '../../lambda/contracts/config';
import { groupId, type Forecast, type InstanceId, type InstanceTypeSpec, type ManagedInstance, type Resources } from '../../lambda/core/domain';
import { checkPoolResources } from '../../lambda/core/pool/pool-amounts';
import { scaleResources } from '../../lambda/core/resources/resources';
import { toManagedGroups, type ManagedGroups } from '../../lambda/app/managed-groups';
import { BUNDLED_OS, BUNDLED_PRICE_FILE, BUNDLED_REGION, BUNDLED_SPOT_ADVISOR_FILE } from '../../lambda/sim/bundled-data';
import { FleetBuilder, historyForecast, makeInstanceId, makeInstanceIds, seedFleetState, spreadSlot } from '../../lambda/sim/fleet/fleet-builder';
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

let catalogCache: readonly InstanceTypeSpec[] | undefined;
/** The bundled price table as instance type specs (read once per process). */
export const benchCatalog = (): readonly InstanceTypeSpec[] => {
  catalogCache ??= loadPriceTable(BUNDLED_PRICE_FILE, loadSpotAdvisor(BUNDLED_SPOT_ADVISOR_FILE, BUNDLED_REGION, BUNDLED_OS));
  return catalogCache;
};

const forecastOf = (id: InstanceId, shape: Resources, utilisation: number, madeAt: number): Forecast =>
  historyForecast(id, madeAt, (d) => {
    const p50 = shape[d] * utilisation;
    return { p50, p90: Math.min(shape[d], p50 * 1.3) };
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
  const now = opts.now;
  const total = opts.instances + siblings;
  const fleet = new FleetBuilder({ catalog: benchCatalog(), managedTag: true })
    .addGroup({ id: PRIMARY_GROUP, desiredCapacity: total, minSize: 0, maxSize: total * 2, availabilityZones: [...azs] })
    .addGroup({
      id: STANDBY_GROUP,
      desiredCapacity: 0,
      minSize: 0,
      maxSize: total,
      availabilityZones: [...azs],
      warmPool: { minSize: warmCount, maxGroupPreparedCapacity: warmCount, poolState: 'Stopped', reuseOnScaleIn: true },
    });

  const primary: ManagedInstance[] = [];
  const forecasts: Forecast[] = [];
  const allocations = new Map<InstanceId, Resources>();
  for (let k = 0; k < total; k++) {
    const spot = k < opts.instances;
    const slot = spreadSlot(k, types, azs);
    const id = makeInstanceId(spot ? 'd' : 'f', k + 1);
    primary.push(
      fleet.addMember({
        id,
        groupId: PRIMARY_GROUP,
        ...slot,
        lifecycle: spot ? 'spot' : 'on-demand',
        launchedAt: now - Math.floor(uniform(rng, 2, 72) * 3_600_000),
        priority: 90,
        jobType: spot ? 'web' : 'web-od',
      }),
    );
    const shape = fleet.shapeOf(slot.instanceType);
    const utilisation = uniform(rng, opts.utilisation?.min ?? 0.2, opts.utilisation?.max ?? 0.6);
    forecasts.push(forecastOf(id, shape, utilisation, now - 120_000));
    allocations.set(id, checkPoolResources(scaleResources(shape, utilisation), `allocation of ${id}`, 'up'));
  }
  const warm = fleet.addWarmMembers({
    groupId: STANDBY_GROUP,
    ids: makeInstanceIds('e', warmCount),
    instanceType: STANDBY_TYPE,
    azs,
    launchedAt: now - 86_400_000,
    priority: 90,
  });

  const primaryCapacity = checkPoolResources(scaleResources(fleet.shapes(primary), 1 + headroom), 'pool capacity of the primary group', 'down');
  const standbyCapacity = checkPoolResources(fleet.shapes(warm), 'pool capacity of the standby group', 'down');
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

  return {
    now,
    cloud: fleet.cloudState(),
    config,
    managed: toManagedGroups(config),
    catalogSpecs: fleet.catalogSpecs,
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
  await seedFleetState(ports.stateStore, {
    pools: [
      { groupId: PRIMARY_GROUP, capacity: fleet.capacity.primary, allocations: fleet.allocations },
      { groupId: STANDBY_GROUP, capacity: fleet.capacity.standby },
    ],
    forecasts: fleet.forecasts,
  });
  ports.clearCalls();
};
