import type {
  GroupId,
  InstanceCatalog,
  InstanceId,
  InstanceState,
  InstanceTypeSpec,
  InterruptionRequest,
  ManagedInstance,
  ShapingPolicy,
} from '../../core/domain';
import { EC2_THROTTLE_BUDGETS, TokenBucket } from '../api-throttle';
import { InMemoryCloud, ManualClock } from '../memory';
import type { SampleFleet } from '../sample-fleet';
import type { SpotAdvisor } from '../spot-advisor';
import { Deliveries } from './deliveries';
import { EventQueue } from './event-queue';
import { emptyTotals, SimAccounting } from './sim-accounting';
import { SimApplication } from './sim-application';
import { SimAutoScaling } from './sim-auto-scaling';
import { SimInstances, type Tenant, type TerminationCause } from './sim-instances';
import { SimLifecycleHooks } from './sim-lifecycle-hooks';
import type {
  Episode,
  InstanceMeta,
  LifecycleHookSettings,
  PlatformFeatures,
  RestartPeak,
  SimEvent,
  SimWorkload,
  StrategyHooks,
  TimelinePoint,
  WorldParams,
  WorldTotals,
} from './sim-types';
import { fleetFacts, type ApiBuckets, type WorldContext } from './world-context';

/**
 * The simulated world one strategy runs in, composed of its parts:
 * - the EC2 instances (sim-instances.ts: states that take time, launches, terminations) and the Auto Scaling
 *   groups (sim-auto-scaling.ts: desired capacity, warm pools, health checks, scale-in, the platform features a
 *   strategy switches on; sim-lifecycle-hooks.ts), their state kept in the in-memory cloud fake, the one record of it;
 * - the application the instances serve (sim-application.ts: workloads, placement, cut-overs, episodes);
 * - the accounting of demand, capacity and cost (sim-accounting.ts);
 * - the strategy's deliveries (deliveries.ts).
 *
 * The world only executes what a strategy asks; its own rules are AWS's, the same for every strategy
 * (each rule names its source, in the part that applies it):
 * - Every EC2 and Auto Scaling call goes through EC2's token buckets (DESIGN.md §1); a throttled call
 *   takes effect when the bucket allows (the SDK's adaptive retry), and the caller waits for it.
 * - The notices of one step reach the strategy concurrently: `post` starts each delivery without waiting,
 *   so Lambda-style handlers interleave at every await. A desired-capacity or warm-pool write computed from
 *   a value another writer changed since it was read is counted in `staleCapacityWrites`.
 */
export class SimWorld {
  readonly cloud: InMemoryCloud;
  readonly catalog: InstanceCatalog;
  readonly queue = new EventQueue<SimEvent>();
  readonly totals: WorldTotals = emptyTotals();
  readonly buckets: ApiBuckets;
  readonly policies: ReadonlyMap<GroupId, ShapingPolicy>;
  readonly standbyOf: ReadonlyMap<GroupId, GroupId>;
  readonly standbyGroups: ReadonlySet<GroupId>;
  readonly startAt: number;
  readonly endAt: number;
  readonly meta: Map<InstanceId, InstanceMeta>;
  readonly workloads: SimWorkload[];
  readonly episodes: Episode[];
  /** Every (re)start of a workload during the run, with its post-restart peak. */
  readonly restartPeaks: RestartPeak[];
  readonly timeline: TimelinePoint[];
  /** The first delivery failures (for the report's notes). */
  readonly deliveryErrors: string[];
  private readonly clock: ManualClock;
  private readonly deliveries: Deliveries;
  private readonly ec2: SimInstances;
  private readonly lifecycle: SimLifecycleHooks;
  private readonly autoScaling: SimAutoScaling;
  private readonly application: SimApplication;
  private readonly accounting: SimAccounting;

  constructor(
    readonly sample: SampleFleet,
    readonly advisor: SpotAdvisor,
    readonly params: WorldParams,
    readonly hours: number,
  ) {
    this.startAt = sample.startAt;
    this.endAt = sample.startAt + Math.round(hours * 3_600_000);
    this.clock = new ManualClock(sample.startAt);
    this.cloud = new InMemoryCloud(sample.cloud);
    this.buckets = {
      launch: new TokenBucket(EC2_THROTTLE_BUDGETS.launch, this.startAt),
      mutating: new TokenBucket(EC2_THROTTLE_BUDGETS.mutating, this.startAt),
      describe: new TokenBucket(EC2_THROTTLE_BUDGETS.describe, this.startAt),
    };
    const fleet = fleetFacts(sample, advisor);
    this.catalog = fleet.catalog;
    this.policies = fleet.policies;
    this.standbyOf = fleet.standbyOf;
    this.standbyGroups = fleet.standbyGroups;
    this.deliveries = new Deliveries(this, this.clock, this.totals);
    this.deliveryErrors = this.deliveries.errors;
    const ctx: WorldContext = {
      clock: this.clock,
      startAt: this.startAt,
      cloud: this.cloud,
      queue: this.queue,
      buckets: this.buckets,
      deliveries: this.deliveries,
      fleet,
      params,
      totals: this.totals,
    };
    // The platform and the application need each other: the platform tells the application of the hosts it loses.
    const tenant: Tenant = {
      isIdle: (id) => this.application.isIdle(id),
      loseHost: (id) => this.application.loseHost(id),
      hostReclaimed: (id) => this.application.hostReclaimed(id),
    };
    this.ec2 = new SimInstances(ctx, tenant);
    this.lifecycle = new SimLifecycleHooks(ctx, this.ec2, tenant);
    this.autoScaling = new SimAutoScaling(ctx, this.ec2, this.lifecycle, tenant);
    this.application = new SimApplication(ctx, this.ec2);
    this.accounting = new SimAccounting(ctx, this.ec2, this.application);
    this.meta = this.ec2.meta;
    this.workloads = this.application.workloads;
    this.episodes = this.application.episodes;
    this.restartPeaks = this.application.restartPeaks;
    this.timeline = this.accounting.timeline;
  }

  // ------------------------------------------------------------------ time and deliveries (deliveries.ts)

  now(): number {
    return this.clock.now();
  }

  setNow(at: number): void {
    this.clock.set(at);
  }

  post(work: () => Promise<void>): void {
    this.deliveries.post(work);
  }

  /** Deliveries still running (waiting for a throttled call or a later time). */
  get deliveriesInFlight(): number {
    return this.deliveries.running;
  }

  waitUntil(at: number): Promise<void> {
    return this.deliveries.waitUntil(at);
  }

  settle(): Promise<void> {
    return this.deliveries.settle();
  }

  drain(): Promise<void> {
    return this.deliveries.drain();
  }

  noteRead(groupId: GroupId, what: 'desired' | 'warm-pool'): void {
    this.deliveries.noteRead(groupId, what);
  }

  noteWrite(groupId: GroupId, what: 'desired' | 'warm-pool', apply: () => void): void {
    this.deliveries.noteWrite(groupId, what, apply);
  }

  bumpWarmPoolVersion(groupId: GroupId): void {
    this.deliveries.warmPoolChanged(groupId);
  }

  // ------------------------------------------------------------------ EC2 instances (sim-instances.ts)

  instance(id: InstanceId): ManagedInstance | undefined {
    return this.ec2.instance(id);
  }

  instances(): ManagedInstance[] {
    return this.ec2.instances();
  }

  spec(id: InstanceId): InstanceTypeSpec {
    return this.ec2.spec(id);
  }

  isAlive(id: InstanceId): boolean {
    return this.ec2.isAlive(id);
  }

  isServing(id: InstanceId): boolean {
    return this.ec2.isServing(id);
  }

  setState(id: InstanceId, state: InstanceState, hooks: StrategyHooks): void {
    this.ec2.setState(id, state, hooks);
  }

  beginStop(id: InstanceId, hibernate: boolean, hooks: StrategyHooks): void {
    this.ec2.beginStop(id, hibernate, hooks);
  }

  reachState(id: InstanceId, state: 'stopped' | 'terminated', hooks: StrategyHooks): void {
    this.ec2.reachState(id, state, hooks);
  }

  scheduleReady(id: InstanceId, at: number): void {
    this.ec2.scheduleReady(id, at);
  }

  markReady(id: InstanceId, at: number, hooks: StrategyHooks): void {
    this.ec2.markReady(id, at, hooks);
  }

  terminate(id: InstanceId, hooks: StrategyHooks, why: TerminationCause): void {
    this.ec2.terminate(id, hooks, why);
  }

  doom(id: InstanceId): number {
    return this.ec2.doom(id);
  }

  pickRunningPrimary(pick: number): InstanceId | undefined {
    return this.ec2.pickRunningPrimary(pick);
  }

  markExhausted(type: string, az: string, until: number): void {
    this.ec2.markExhausted(type, az, until);
  }

  // ------------------------------------------------------------------ Auto Scaling (sim-auto-scaling.ts, sim-lifecycle-hooks.ts)

  get features(): PlatformFeatures {
    return this.autoScaling.features;
  }

  set features(features: PlatformFeatures) {
    this.autoScaling.features = features;
  }

  /** Lifecycle hooks on the managed groups (the same for every strategy, see run-strategy.ts). */
  get lifecycleHooks(): LifecycleHookSettings | undefined {
    return this.lifecycle.settings;
  }

  set lifecycleHooks(settings: LifecycleHookSettings | undefined) {
    this.lifecycle.settings = settings;
  }

  setDesired(groupId: GroupId, desiredCapacity: number): void {
    this.autoScaling.setDesired(groupId, desiredCapacity);
  }

  inServiceCount(groupId: GroupId): number {
    return this.autoScaling.inServiceCount(groupId);
  }

  reconcile(hooks: StrategyHooks): void {
    this.autoScaling.reconcile(hooks);
  }

  scaleInIdleStandby(hooks: StrategyHooks): void {
    this.autoScaling.scaleInIdleStandby(hooks);
  }

  launchReplacementFor(victim: InstanceId, hooks: StrategyHooks): boolean {
    return this.autoScaling.launchReplacementFor(victim, hooks);
  }

  detach(id: InstanceId, hooks: StrategyHooks): void {
    this.autoScaling.detach(id, hooks);
  }

  markDraining(id: InstanceId): void {
    this.autoScaling.markDraining(id);
  }

  settleDrains(hooks: StrategyHooks): void {
    this.autoScaling.settleDrains(hooks);
  }

  beginTerminateHook(id: InstanceId, hooks: StrategyHooks): boolean {
    return this.lifecycle.beginTerminate(id, hooks);
  }

  /** Whether a lifecycle action is still active (Auto Scaling refuses completing or extending any other). */
  lifecycleActionActive(id: InstanceId, token: string): boolean {
    return this.lifecycle.isActive(id, token);
  }

  completeLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): void {
    this.lifecycle.complete(id, token, hooks);
  }

  heartbeatLifecycleHook(id: InstanceId, token: string): void {
    this.lifecycle.heartbeat(id, token);
  }

  expireLifecycleHook(id: InstanceId, token: string, hooks: StrategyHooks): void {
    this.lifecycle.expire(id, token, hooks);
  }

  // ------------------------------------------------------------------ the application (sim-application.ts)

  isIdle(id: InstanceId): boolean {
    return this.application.isIdle(id);
  }

  placeWorkloads(hooks: StrategyHooks): void {
    this.application.placeWorkloads(hooks);
  }

  targetRequest(request: InterruptionRequest): InterruptionRequest {
    return this.application.targetRequest(request);
  }

  workloadDemand(w: SimWorkload, at: number): { vcpu: number; memoryGiB: number } {
    return this.application.workloadDemand(w, at);
  }

  workloadCapacity(w: SimWorkload): { vcpu: number; memoryGiB: number } {
    return this.application.workloadCapacity(w);
  }

  recordVoluntaryDisruption(id: InstanceId): void {
    this.application.recordVoluntaryDisruption(id);
  }

  groupSize(groupId: GroupId): number {
    return this.application.groupSize(groupId);
  }

  voluntaryInFlight(groupId: GroupId): number {
    return this.application.voluntaryInFlight(groupId);
  }

  // ------------------------------------------------------------------ accounting (sim-accounting.ts)

  accountStep(): void {
    this.accounting.accountStep();
  }

  checkInvariants(): void {
    this.accounting.checkInvariants();
  }
}
