import type { SpotwiseConfig } from '../contracts/config';
import { groupId, type GroupId, type Resources, type ShapingPolicy, type WarmPoolView } from '../core/domain';
import { toShapingPolicy } from '../core/policy/to-shaping-policy';

/** What the configuration says about one managed group. */
export interface ManagedGroupSettings {
  readonly id: GroupId;
  readonly role: 'primary' | 'standby';
  readonly policy: ShapingPolicy;
  /** The pool budget (primary groups; a standby group's pool is the shape of its warm instances). */
  readonly capacity?: Resources;
  readonly standbyGroupId?: GroupId;
  /** The warm pool the configuration asks for (standby groups). */
  readonly warmPool?: WarmPoolView;
}

export interface ManagedGroups {
  readonly groups: ReadonlyMap<GroupId, ManagedGroupSettings>;
  readonly policies: ReadonlyMap<string, ShapingPolicy>;
  /** Groups carrying this tag are managed too (with the policy their `spotwise:policy` tag names). */
  readonly groupTag?: { readonly key: string; readonly value: string };
}

/** Tag on an Auto Scaling group, discovered through `group_tag`, naming the policy it follows. */
export const POLICY_TAG = 'spotwise:policy';

/**
 * The configuration as the handlers use it. A standby group follows the policy named like the group,
 * if there is one, else the policy of the first primary group it backs (it restores that group's
 * demand, so it shares its priorities and allowed types).
 */
export const toManagedGroups = (config: SpotwiseConfig): ManagedGroups => {
  const policies = new Map(config.policies.map((p) => [p.policy_name, toShapingPolicy(p)] as const));
  const groups = new Map<GroupId, ManagedGroupSettings>();
  for (const g of config.groups) {
    const policy = policies.get(g.policy);
    // parseSpotwiseConfig already refused unknown policy names; this guards a hand-built config.
    if (policy === undefined) throw new Error(`group ${JSON.stringify(g.name)}: no policy named ${JSON.stringify(g.policy)}`);
    groups.set(groupId(g.name), {
      id: groupId(g.name),
      role: 'primary',
      policy,
      capacity: { vcpu: g.capacity.vcpu, memoryGiB: g.capacity.memory_gib, networkMbps: g.capacity.network_mbps, diskIops: g.capacity.disk_iops },
      ...(g.standby !== undefined ? { standbyGroupId: groupId(g.standby) } : {}),
    });
  }
  for (const s of config.standby_groups) {
    const backed = config.groups.find((g) => g.standby === s.name);
    const policy = policies.get(s.name) ?? (backed !== undefined ? policies.get(backed.policy) : undefined) ?? [...policies.values()][0];
    if (policy === undefined) throw new Error(`standby group ${JSON.stringify(s.name)}: no policy to follow`);
    groups.set(groupId(s.name), {
      id: groupId(s.name),
      role: 'standby',
      policy,
      warmPool: {
        minSize: s.warm_pool.min_size,
        maxGroupPreparedCapacity: s.warm_pool.max_prepared_capacity,
        poolState: s.warm_pool.pool_state,
        reuseOnScaleIn: s.warm_pool.reuse_on_scale_in,
      },
    });
  }
  return { groups, policies, ...(config.group_tag !== undefined ? { groupTag: config.group_tag } : {}) };
};

/**
 * The groups a decision about `id` may touch: the group, its standby group, and the other primaries
 * that share that standby (they compete for the same warm capacity). For a standby group: it and every
 * primary it backs.
 */
export const relatedGroups = (managed: ManagedGroups, id: GroupId): GroupId[] => {
  const g = managed.groups.get(id);
  if (g === undefined) return [id];
  const standby = g.role === 'standby' ? g.id : g.standbyGroupId;
  const out = new Set<GroupId>([id]);
  if (standby !== undefined) {
    out.add(standby);
    for (const other of managed.groups.values()) if (other.standbyGroupId === standby) out.add(other.id);
  }
  return [...out];
};

/** A group is in dry-run when the deployment is, or when its own policy says so. */
export const effectiveDryRun = (globalDryRun: boolean, policy: ShapingPolicy | undefined): boolean => globalDryRun || policy?.dryRun === true;
