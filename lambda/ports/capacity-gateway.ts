import type { GroupId, InstanceId, ManagedInstance, WarmPoolView } from '../core/domain';

export interface GroupDescription {
  readonly id: GroupId;
  readonly desiredCapacity: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly instances: readonly (Pick<ManagedInstance, 'id' | 'instanceType' | 'availabilityZone' | 'lifecycle' | 'warm'> & {
    /** Auto Scaling's lifecycle state of the member (InService, Pending:Wait, Terminating, Standby, ...), when known. */
    readonly lifecycleState?: string;
  })[];
  readonly availabilityZones: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The group launches both Spot and On-Demand instances, so a member's purchase option (`lifecycle` above) cannot be
   * told from the group: only EC2 knows it. False for a pure Spot or a pure On-Demand group.
   */
  readonly mixedPurchase?: boolean;
  /** Capacity Rebalancing is on (`CapacityRebalance`). */
  readonly capacityRebalance?: boolean;
  /**
   * Load balancers serve the group (`TargetGroupARNs`, `LoadBalancerNames` or `TrafficSources` not empty): EnterStandby
   * deregisters a member and it stays EnteringStandby while the load balancer drains it (a target group's
   * deregistration delay, 300 s by default).
   */
  readonly loadBalanced?: boolean;
}

export interface WarmPoolDescription extends WarmPoolView {
  readonly instances: readonly { readonly id: InstanceId; readonly instanceType: string; readonly availabilityZone: string; readonly lifecycleState: string }[];
}

/** Auto Scaling: groups, warm pools, desired capacity and lifecycle actions. */
export interface CapacityGateway {
  describeGroups(ids: readonly GroupId[]): Promise<GroupDescription[]>;
  /** The managed group an instance belongs to (EC2 events carry no group); undefined when none. Cached. */
  findGroupOfInstance(id: InstanceId): Promise<GroupId | undefined>;
  describeWarmPool(id: GroupId): Promise<WarmPoolDescription | undefined>;
  putWarmPool(id: GroupId, warmPool: WarmPoolView): Promise<void>;
  /**
   * Raises (or lowers) the group's desired capacity by `by` relative to whatever it is when Auto Scaling applies
   * it: concurrent callers never lose each other's change. Clamped to the group's [min, max] by Auto Scaling.
   */
  changeDesiredCapacity(id: GroupId, by: number): Promise<void>;
  /**
   * Completes (and `recordLifecycleActionHeartbeat` extends) a lifecycle action. An action that is not active any more
   * — completed already, or its heartbeat timeout passed — is refused with an error named LifecycleActionNotActiveError
   * (Auto Scaling: ValidationError "No active Lifecycle Action found"), by every implementation.
   */
  completeLifecycleAction(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
    readonly result: 'CONTINUE' | 'ABANDON';
  }): Promise<void>;
  recordLifecycleActionHeartbeat(input: {
    readonly groupId: GroupId;
    readonly instanceId: InstanceId;
    readonly hookName: string;
    readonly token: string;
  }): Promise<void>;
  terminateInstanceInGroup(id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void>;
  /**
   * EnterStandby: an InService member leaves service (no health checks, no load balancer traffic) before a voluntary
   * stop. With `decrementDesiredCapacity` Auto Scaling launches no replacement; refused below the group's min size.
   */
  enterStandby(groupId: GroupId, id: InstanceId, options: { readonly decrementDesiredCapacity: boolean }): Promise<void>;
  /** ExitStandby: a member in Standby goes back in service; Auto Scaling raises desired capacity by one for it. */
  exitStandby(groupId: GroupId, id: InstanceId): Promise<void>;
}
