import type { FleetView, GroupView, InstanceId, ManagedInstance, Resources } from '../domain';
import { estimatePostRestartDemand, standInDemand } from '../common/post-restart-demand';
import { addResources, maxResources, scaleResources, ZERO_RESOURCES } from '../resources/resources';

/** What losing one spot pool (instance type × AZ) of a group at once would cost, and how likely it is. */
export interface PoolExposure {
  readonly groupId: GroupView['id'];
  readonly instanceType: string;
  readonly availabilityZone: string;
  /** Probability the pool is interrupted within the staging horizon (0..1). */
  readonly interruptionProbability: number;
  /**
   * Where the probability came from: the pool's risk estimate (core/staging/pool-risk.ts) from the Advisor prior
   * alone ('prior') or from the group's own signals too ('observed'); a figure listed without saying
   * ('spot-advisor': the simulator's sample fleet lists Advisor figures); or a conservative assumption.
   */
  readonly probabilitySource: 'prior' | 'observed' | 'spot-advisor' | 'assumed';
  readonly instances: readonly InstanceId[];
  /** Post-restart p90 demand of every instance in the pool together (restored at once). */
  readonly demand: Resources;
  /** The largest single instance's post-restart p90 demand. */
  readonly largest: Resources;
  /**
   * Every sized instance's expected (p50) post-restart demand (its stand-in without a usable forecast), by id order:
   * what staging's decision says the warm shape holds or leaves to other hosts (plan-staging.ts; the shape itself is
   * chosen from the instances' own types, warmShapeNeed).
   */
  readonly expected: readonly { readonly instanceId: InstanceId; readonly amount: Resources }[];
  /** demand × interruptionProbability. */
  readonly weighted: Resources;
  /** Instances with no usable forecast, sized by their own type's shape instead. */
  readonly sizedByShape: readonly InstanceId[];
  /** Instances that could not be sized at all (type unknown to the catalog). */
  readonly unsized: readonly InstanceId[];
}

const poolKey = (instanceType: string, availabilityZone: string): string => `${instanceType}\u0000${availabilityZone}`;

/** A probability as given when it is one (0..1); otherwise undefined (NaN, negative, > 1). */
const validProbability = (p: number): number | undefined => (Number.isFinite(p) && p >= 0 && p <= 1 ? p : undefined);

/**
 * Per spot pool of `group`, the post-restart demand that would have to be restored if that whole
 * pool were interrupted at once (DESIGN §1: interruptions of a type × AZ pool are correlated),
 * weighted by its interruption probability (DESIGN §4 flow 1). Staging sizes for the worst case, so
 * the demand is the forecast's p90 whatever the policy's reservation quantile (each instance's p50 is kept as well:
 * staging says how many of those the warm shape holds); an instance without a
 * usable forecast counts with its own type's vCPU and memory (standInDemand: like-for-like — staging
 * is not disruptive, so a stand-in is safe here) and is listed in `sizedByShape`.
 *
 * Pools running instances but missing from `group.spotPools`, or listed with a probability that is
 * not in 0..1, are assumed as likely as the group's most likely listed pool (1 when none is listed):
 * an unknown risk is staged for, not ignored. Sorted by type, then AZ.
 */
export const computeExposure = (group: GroupView, fleet: FleetView): PoolExposure[] => {
  const listed = new Map<string, number | undefined>();
  const sources = new Map<string, 'prior' | 'observed' | 'spot-advisor'>();
  for (const p of group.spotPools) {
    listed.set(poolKey(p.instanceType, p.availabilityZone), validProbability(p.interruptionProbability));
    sources.set(poolKey(p.instanceType, p.availabilityZone), p.riskSource ?? 'spot-advisor');
  }
  const known = [...listed.values()].filter((p): p is number => p !== undefined);
  const assumed = known.length > 0 ? Math.max(...known) : 1;

  const members = new Map<string, ManagedInstance[]>();
  for (const p of group.spotPools) members.set(poolKey(p.instanceType, p.availabilityZone), []);
  for (const i of group.instances) {
    if (i.lifecycle !== 'spot' || i.warm || (i.state !== 'running' && i.state !== 'pending')) continue;
    const key = poolKey(i.instanceType, i.availabilityZone);
    members.set(key, [...(members.get(key) ?? []), i]);
  }

  return [...members.entries()]
    .map(([key, instances]): PoolExposure => {
      const [instanceType = '', availabilityZone = ''] = key.split('\u0000');
      const given = listed.get(key);
      const probability = given ?? assumed;
      let demand = ZERO_RESOURCES;
      let largest = ZERO_RESOURCES;
      const expectedRestarts: { instanceId: InstanceId; amount: Resources }[] = [];
      const sizedByShape: InstanceId[] = [];
      const unsized: InstanceId[] = [];
      for (const i of [...instances].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        const estimate = estimatePostRestartDemand(i, group, fleet, 'p90');
        let need: Resources | undefined = estimate.kind === 'known' ? estimate.amount : undefined;
        if (need === undefined) {
          need = standInDemand(i, fleet);
          if (need === undefined) {
            unsized.push(i.id);
            continue;
          }
          sizedByShape.push(i.id);
        }
        demand = addResources(demand, need);
        largest = maxResources(largest, need);
        const expected = estimate.kind === 'known' ? estimatePostRestartDemand(i, group, fleet, 'p50') : undefined;
        const p50 = expected?.kind === 'known' ? expected.amount : need;
        expectedRestarts.push({ instanceId: i.id, amount: p50 });
      }
      return {
        groupId: group.id,
        instanceType,
        availabilityZone,
        interruptionProbability: probability,
        probabilitySource: given === undefined ? 'assumed' : (sources.get(key) ?? 'spot-advisor'),
        instances: instances.map((i) => i.id).sort(),
        demand,
        largest,
        expected: expectedRestarts,
        weighted: scaleResources(demand, probability),
        sizedByShape,
        unsized,
      };
    })
    .sort((a, b) =>
      a.instanceType < b.instanceType
        ? -1
        : a.instanceType > b.instanceType
          ? 1
          : a.availabilityZone < b.availabilityZone
            ? -1
            : a.availabilityZone > b.availabilityZone
              ? 1
              : 0,
    );
};
