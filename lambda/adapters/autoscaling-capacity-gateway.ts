import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeWarmPoolCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  PutWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  ExecutePolicyCommand,
  paginateDescribePolicies,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type WarmPoolConfiguration,
} from '@aws-sdk/client-auto-scaling';
import { SCALE_OUT_POLICY_ADJUSTMENT, SCALE_OUT_POLICY_ID } from '../contracts/scaling-policy';
import { groupId as toGroupId, instanceId as toInstanceId, type GroupId, type InstanceId, type Lifecycle, type WarmPoolView } from '../core/domain';
import type { CapacityGateway, GroupDescription, WarmPoolDescription } from '../ports/capacity-gateway';
import { chunk } from './chunk';
import { callAws, NotFoundError } from './errors';

/** DescribeAutoScalingGroups: at most 100 names and 100 records per call. */
const GROUPS_PER_CALL = 100;
const MAX_RECORDS = 100;
/** Warm-pool instances are in lifecycle states "Warmed:Pending", "Warmed:Stopped", "Warmed:Running", ... */
const WARMED_PREFIX = 'Warmed:';

/**
 * CapacityGateway over the Auto Scaling API. EC2 events carry no group name, so the instance → group
 * lookup (DescribeAutoScalingInstances) is cached for the life of the object: an instance never moves
 * to another group. Only hits are cached: an instance Auto Scaling does not know yet may be one it is
 * still launching.
 */
export class AutoScalingCapacityGateway implements CapacityGateway {
  private readonly groupOfInstance = new Map<InstanceId, GroupId>();
  /** Each group's scale-out policy name (found once per container: the stack does not change it). */
  private readonly scaleOutPolicy = new Map<GroupId, string>();

  constructor(private readonly client: AutoScalingClient) {}

  async describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const names of chunk([...new Set(ids)], GROUPS_PER_CALL)) {
      const operation = `describing Auto Scaling group(s) ${names.join(', ')}`;
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const response = await callAws(operation, () =>
          this.client.send(
            new DescribeAutoScalingGroupsCommand({
              AutoScalingGroupNames: [...names],
              MaxRecords: MAX_RECORDS,
              ...(token !== undefined ? { NextToken: token } : {}),
            }),
          ),
        );
        for (const group of response.AutoScalingGroups ?? []) {
          const description = toGroupDescription(group);
          for (const instance of description.instances) this.groupOfInstance.set(instance.id, description.id);
          out.push(description);
        }
        nextToken = response.NextToken === '' ? undefined : response.NextToken;
      } while (nextToken !== undefined);
    }
    return out;
  }

  async findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined> {
    const cached = this.groupOfInstance.get(id);
    if (cached !== undefined) return cached;
    const response = await callAws(`looking up the Auto Scaling group of ${id}`, () =>
      this.client.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [id] })),
    );
    const name = response.AutoScalingInstances?.find((i) => i.InstanceId === id)?.AutoScalingGroupName;
    if (name === undefined || name === '') return undefined;
    const group = toGroupId(name);
    this.groupOfInstance.set(id, group);
    return group;
  }

  /** The group's warm pool and its instances, or undefined when the group has no warm pool. */
  async describeWarmPool(id: GroupId): Promise<WarmPoolDescription | undefined> {
    const operation = `describing the warm pool of group ${id}`;
    let configuration: WarmPoolConfiguration | undefined;
    const instances: WarmPoolDescription['instances'][number][] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const response = await callAws(operation, () =>
        this.client.send(
          new DescribeWarmPoolCommand({ AutoScalingGroupName: id, MaxRecords: MAX_RECORDS, ...(token !== undefined ? { NextToken: token } : {}) }),
        ),
      );
      configuration ??= response.WarmPoolConfiguration;
      for (const instance of response.Instances ?? []) {
        if (instance.InstanceId === undefined) continue;
        instances.push({
          id: toInstanceId(instance.InstanceId),
          instanceType: instance.InstanceType ?? 'unknown',
          availabilityZone: instance.AvailabilityZone ?? 'unknown',
          lifecycleState: instance.LifecycleState ?? 'unknown',
        });
        this.groupOfInstance.set(toInstanceId(instance.InstanceId), id);
      }
      nextToken = response.NextToken === '' ? undefined : response.NextToken;
    } while (nextToken !== undefined);
    if (configuration === undefined) return undefined;
    return { ...toWarmPoolView(configuration), instances };
  }

  /**
   * Creates or updates the warm pool. MaxGroupPreparedCapacity -1 is Auto Scaling's own "unset" value
   * (prepared capacity = the group's max size), so it is passed through as is.
   */
  async putWarmPool(id: GroupId, warmPool: WarmPoolView): Promise<void> {
    await callAws(
      `sizing the warm pool of group ${id} (min ${warmPool.minSize}, max prepared ${warmPool.maxGroupPreparedCapacity}, ${warmPool.poolState})`,
      () =>
        this.client.send(
          new PutWarmPoolCommand({
            AutoScalingGroupName: id,
            MinSize: warmPool.minSize,
            MaxGroupPreparedCapacity: warmPool.maxGroupPreparedCapacity,
            PoolState: warmPool.poolState,
            InstanceReusePolicy: { ReuseOnScaleIn: warmPool.reuseOnScaleIn },
          }),
        ),
    );
  }

  /**
   * Raises the group by `by` instances: ExecutePolicy of its spotwise scale-out policy (+1 each) `by` times,
   * with HonorCooldown false (spotwise brings staged capacity in on a notice, when waiting out a cooldown
   * defeats it). Each execution is applied by Auto Scaling to the desired capacity it holds at that moment,
   * so concurrent handlers add up instead of overwriting each other. Only increases: spotwise lowers a group
   * by terminating the specific idle instance with a decrement. A group without the policy (not named in the
   * configuration at synth) is refused with NotFoundError: nothing is changed.
   */
  async changeDesiredCapacity(id: GroupId, by: number): Promise<void> {
    if (!(Number.isInteger(by) && by >= 0)) throw new RangeError(`raising the desired capacity of group ${id}: by must be an integer ≥ 0 (got ${by})`);
    if (by === 0) return;
    const policy = await this.findScaleOutPolicy(id);
    for (let k = 1; k <= by; k++) {
      await callAws(`raising the desired capacity of group ${id} by one (${k} of ${by}) with policy ${policy}`, () =>
        this.client.send(new ExecutePolicyCommand({ AutoScalingGroupName: id, PolicyName: policy, HonorCooldown: false })),
      );
    }
  }

  private async findScaleOutPolicy(id: GroupId): Promise<string> {
    const cached = this.scaleOutPolicy.get(id);
    if (cached !== undefined) return cached;
    const operation = `finding the spotwise scale-out policy of group ${id}`;
    const found = await callAws(operation, async () => {
      for await (const page of paginateDescribePolicies({ client: this.client }, { AutoScalingGroupName: id, PolicyTypes: ['SimpleScaling'] })) {
        const hit = (page.ScalingPolicies ?? []).find(
          (p) =>
            (p.PolicyName ?? '').includes(SCALE_OUT_POLICY_ID) &&
            p.AdjustmentType === 'ChangeInCapacity' &&
            p.ScalingAdjustment === SCALE_OUT_POLICY_ADJUSTMENT,
        );
        if (hit?.PolicyName !== undefined) return hit.PolicyName;
      }
      return undefined;
    });
    if (found === undefined) {
      throw new NotFoundError(
        operation,
        undefined,
        `group ${id} has no simple scaling policy named *${SCALE_OUT_POLICY_ID}* adding ${SCALE_OUT_POLICY_ADJUSTMENT} (the stack creates one for every group named in the configuration)`,
      );
    }
    this.scaleOutPolicy.set(id, found);
    return found;
  }

  async completeLifecycleAction(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
    readonly result: 'CONTINUE' | 'ABANDON';
  }): Promise<void> {
    await callAws(`completing lifecycle hook ${input.hookName} for ${input.instanceId} in group ${input.groupId} with ${input.result}`, () =>
      this.client.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: input.groupId,
          LifecycleHookName: input.hookName,
          LifecycleActionToken: input.token,
          LifecycleActionResult: input.result,
          InstanceId: input.instanceId,
        }),
      ),
    );
  }

  async recordLifecycleActionHeartbeat(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
  }): Promise<void> {
    await callAws(`extending lifecycle hook ${input.hookName} for ${input.instanceId} in group ${input.groupId}`, () =>
      this.client.send(
        new RecordLifecycleActionHeartbeatCommand({
          AutoScalingGroupName: input.groupId,
          LifecycleHookName: input.hookName,
          LifecycleActionToken: input.token,
          InstanceId: input.instanceId,
        }),
      ),
    );
  }

  async terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    await callAws(`terminating ${id} through its Auto Scaling group${options.decrementDesiredCapacity ? ' (decrementing desired capacity)' : ''}`, () =>
      this.client.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: options.decrementDesiredCapacity })),
    );
  }

  /**
   * EnterStandby (one instance). Auto Scaling refuses it (ValidationError) for a member that is not InService, and,
   * with ShouldDecrementDesiredCapacity, when desired capacity would drop below the group's min size.
   */
  async enterStandby(groupId: GroupId, id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void> {
    await callAws(`moving ${id} of group ${groupId} to Standby${options.decrementDesiredCapacity ? ' (decrementing desired capacity)' : ''}`, () =>
      this.client.send(
        new EnterStandbyCommand({ AutoScalingGroupName: groupId, InstanceIds: [id], ShouldDecrementDesiredCapacity: options.decrementDesiredCapacity }),
      ),
    );
  }

  /** ExitStandby (one instance): Auto Scaling raises desired capacity by one; refused above max size or for a member not in Standby. */
  async exitStandby(groupId: GroupId, id: InstanceId): Promise<void> {
    await callAws(`returning ${id} of group ${groupId} from Standby to service`, () =>
      this.client.send(new ExitStandbyCommand({ AutoScalingGroupName: groupId, InstanceIds: [id] })),
    );
  }
}

export const toWarmPoolView = (configuration: WarmPoolConfiguration): WarmPoolView => ({
  minSize: configuration.MinSize ?? 0,
  maxGroupPreparedCapacity: configuration.MaxGroupPreparedCapacity ?? -1,
  poolState: configuration.PoolState ?? 'Stopped',
  // Auto Scaling's default is to terminate instances on scale in, unless a reuse policy says otherwise.
  reuseOnScaleIn: configuration.InstanceReusePolicy?.ReuseOnScaleIn ?? false,
});

/**
 * Auto Scaling does not say whether an instance is spot. The group's purchase options do: a mixed
 * instances policy with OnDemandPercentageAboveBaseCapacity 100 (or no spot above a base that covers the
 * group) launches On-Demand only; any other mixed policy launches spot beyond the On-Demand base, and those
 * instances are reported as spot (overstating spot exposure errs towards staging more capacity, not less).
 * A group without a mixed policy is On-Demand unless its launch template asks for spot, which only EC2's
 * DescribeInstances (InstanceLifecycle) tells: Ec2InstanceGateway is authoritative for an instance.
 */
export const inferLifecycle = (group: AutoScalingGroup): Lifecycle => (purchaseMix(group) === 'on-demand' ? 'on-demand' : 'spot');

/**
 * What a group launches, by its purchase options: On-Demand only, Spot only (a mixed instances policy with no
 * On-Demand base or share), or both (an On-Demand base or share that covers part of the group, not all of it).
 */
const purchaseMix = (group: AutoScalingGroup): 'on-demand' | 'spot' | 'both' => {
  const distribution = group.MixedInstancesPolicy?.InstancesDistribution;
  if (group.MixedInstancesPolicy === undefined) return 'on-demand';
  const aboveBase = distribution?.OnDemandPercentageAboveBaseCapacity ?? 100;
  const base = distribution?.OnDemandBaseCapacity ?? 0;
  if (aboveBase >= 100 || base >= (group.MaxSize ?? 0)) return 'on-demand';
  return base > 0 || aboveBase > 0 ? 'both' : 'spot';
};

/** The group launches both Spot and On-Demand instances (see purchaseMix): only EC2 tells a member's. */
export const launchesBothPurchaseOptions = (group: AutoScalingGroup): boolean => purchaseMix(group) === 'both';

export const toGroupDescription = (group: AutoScalingGroup): GroupDescription => {
  const lifecycle = inferLifecycle(group);
  return {
    id: toGroupId(group.AutoScalingGroupName ?? ''),
    desiredCapacity: group.DesiredCapacity ?? 0,
    minSize: group.MinSize ?? 0,
    maxSize: group.MaxSize ?? 0,
    instances: (group.Instances ?? [])
      .filter((i) => i.InstanceId !== undefined)
      .map((i) => ({
        id: toInstanceId(i.InstanceId ?? ''),
        instanceType: i.InstanceType ?? 'unknown',
        availabilityZone: i.AvailabilityZone ?? 'unknown',
        lifecycle,
        warm: (i.LifecycleState ?? '').startsWith(WARMED_PREFIX),
        ...(i.LifecycleState !== undefined ? { lifecycleState: i.LifecycleState } : {}),
      })),
    availabilityZones: group.AvailabilityZones ?? [],
    tags: Object.fromEntries((group.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key ?? '', t.Value ?? ''])),
    mixedPurchase: launchesBothPurchaseOptions(group),
    capacityRebalance: group.CapacityRebalance === true,
    loadBalanced: (group.TargetGroupARNs ?? []).length > 0 || (group.LoadBalancerNames ?? []).length > 0 || (group.TrafficSources ?? []).length > 0,
  };
};
