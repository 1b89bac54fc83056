import type { GroupId, InstanceCatalog, ShapingPolicy } from '../../core/domain';
import type { TokenBucket } from '../api-throttle';
import type { InMemoryCloud, ManualClock } from '../memory';
import type { SampleFleet } from '../sample-fleet';
import type { SpotAdvisor } from '../spot-advisor';
import type { Deliveries } from './deliveries';
import type { EventQueue } from './event-queue';
import type { SimEvent, WorldParams, WorldTotals } from './sim-types';

/** Tolerance for comparing resource amounts (vCPU, GiB) that were summed or scaled in floating point. */
export const EPS = 1e-9;

/** EC2's request-rate buckets every EC2 and Auto Scaling call takes a token from (DESIGN.md §1). */
export interface ApiBuckets {
  readonly launch: TokenBucket;
  readonly mutating: TokenBucket;
  readonly describe: TokenBucket;
}

/** What the world knows of the fleet it runs: fixed for the run, derived once from the sample. */
export interface FleetFacts {
  readonly sample: SampleFleet;
  readonly advisor: SpotAdvisor;
  readonly catalog: InstanceCatalog;
  readonly policies: ReadonlyMap<GroupId, ShapingPolicy>;
  /** A primary group's standby group. */
  readonly standbyOf: ReadonlyMap<GroupId, GroupId>;
  readonly standbyGroups: ReadonlySet<GroupId>;
  /** The instance types each group launches (its mixed types, sorted; the standby's launch template). */
  readonly launchTypes: ReadonlyMap<GroupId, readonly string[]>;
}

export const fleetFacts = (sample: SampleFleet, advisor: SpotAdvisor): FleetFacts => ({
  sample,
  advisor,
  catalog: sample.fleet.catalog,
  policies: new Map(sample.fleet.groups.map((g) => [g.id, g.policy])),
  standbyOf: new Map(sample.fleet.groups.flatMap((g) => (g.standbyGroupId ? [[g.id, g.standbyGroupId] as const] : []))),
  standbyGroups: new Set(sample.fleet.groups.filter((g) => g.role === 'standby').map((g) => g.id)),
  launchTypes: new Map(sample.fleet.groups.map((g) => [g.id, [...new Set(g.instances.map((i) => i.instanceType))].sort()])),
});

/**
 * What every part of the world shares: simulated time, the cloud fake (the one record of instances and groups),
 * the timed events, the strategy's deliveries, the fleet, the run's parameters and its totals.
 */
export interface WorldContext {
  readonly clock: ManualClock;
  readonly startAt: number;
  readonly cloud: InMemoryCloud;
  readonly queue: EventQueue<SimEvent>;
  readonly buckets: ApiBuckets;
  readonly deliveries: Deliveries;
  readonly fleet: FleetFacts;
  readonly params: WorldParams;
  readonly totals: WorldTotals;
}
