import { AutoScalingCapacityGateway } from '../lambda/adapters/autoscaling-capacity-gateway';
import { Ec2InstanceGateway, priceTableFromSpecs } from '../lambda/adapters/ec2-instance-gateway';
import { SPOT_WARNING_LEAD_SECONDS } from '../lambda/contracts/events';
import { DIMENSIONS, groupId, instanceId } from '../lambda/core/domain';
import { overCommitment } from '../lambda/core/pool/resource-pool';
import { makeHandler, type NoticeDeps } from '../lambda/handlers/notice';
import { DEFAULT_INTERRUPTION_PARAMS, selectVictims } from '../lambda/sim/interruption-model';
import { spotWarningEvent } from '../lambda/sim/strategies/sim-events';
import { EC2_THROTTLE_BUDGETS, TokenBucket } from '../lambda/sim/api-throttle';
import { API_CATEGORY, BUDGETED_APIS, describeBudget, replayAgainstBudgets, type NoticeCalls } from './aws/api-budget';
import { LatencyModel } from './aws/aws-latency';
import { ModelledAws, modelPublisher, modelScheduler, modelStateStore } from './aws/modelled-aws';
import { VirtualTime } from './aws/virtual-time';
import { isActionCall, NOTICE_CPU_SCALE } from './notice-modelled';
import { percentile } from './stats';
import { createCloudBackedClients } from './aws/cloud-backed-clients';
import { progress, type BenchResult } from './bench-result';
import { PRIMARY_GROUP } from './fleet/synthetic-fleet';
import { checkedTarget, equalTo, figure, lessThan, type Figure } from './figures';
import { buildNoticeWorld } from './notice-world';

/**
 * Interruption storm (DESIGN.md §1: interruptions of one pool land within ~3 minutes): a pool of 200 Spot
 * instances (one type, one AZ) is reclaimed whole; the warnings arrive spread as the simulator spreads
 * them (exponential, mean 60 s), clipped to 3 minutes. Each warning goes to the real notice handler with
 * the REAL EC2 and Auto Scaling adapters over SDK clients answered from the in-memory cloud, so the calls
 * counted per API are the ones spotwise would send — paging, batching and caches included.
 *
 * Every notice runs in a cold container (fresh adapters, empty caches): the worst case for API calls,
 * as if Lambda had started a new container for each of the 200 concurrent events.
 *
 * The calls are then replayed through the API budgets (bench/aws/api-budget.ts): a figure passes when no
 * call of that API would go through after its notice's 120-second deadline.
 */
export const STORM_POOL_SIZE = 200;
/** The concurrent storm's target: the slowest warning's last action within half of its 120 s. */
const CONCURRENT_LAST_ACTION_TARGET_S = 60;
/** Runs of each storm in one process: times are medians (the machine is shared). */
const STORM_RUNS = 3;
const STORM_SPREAD_SECONDS = 180;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

export interface StormMeasurement {
  readonly planMs: number;
  readonly notices: readonly NoticeCalls[];
  readonly handled: number;
  readonly overCommitted: boolean;
}

export const measureStorm = async (size = STORM_POOL_SIZE, seed = 11): Promise<StormMeasurement> => {
  const world = await buildNoticeWorld({
    instances: size,
    now: NOW,
    seed,
    types: ['m5.large'],
    azs: ['us-east-1a'],
    warmInstances: Math.max(2, Math.round(size / 10)),
  });
  const clients = createCloudBackedClients(world.ports.cloud);
  try {
    const burst = { id: 'storm', instanceType: 'm5.large', availabilityZone: 'us-east-1a', at: NOW + 60_000, reclaimShare: 1, seed };
    const victims = selectVictims(
      burst,
      world.fleet.primary.map((i) => i.id),
      { ...DEFAULT_INTERRUPTION_PARAMS, warningSpreadMaxSeconds: STORM_SPREAD_SECONDS },
    );
    if (victims.length !== size) throw new Error(`storm: expected the whole pool of ${size} to be warned, got ${victims.length}`);
    const prices = priceTableFromSpecs(world.fleet.catalogSpecs);
    const notices: NoticeCalls[] = [];
    let planMs = 0;
    let handled = 0;
    for (const v of victims) {
      world.ports.clock.set(v.warningAt);
      // A cold container per notice: new adapters, so no cached group lookups or instance types.
      const deps: NoticeDeps = {
        ...world.deps,
        ports: {
          ...world.deps.ports,
          instances: new Ec2InstanceGateway(clients.ec2, { prices }),
          capacity: new AutoScalingCapacityGateway(clients.autoScaling),
        },
      };
      const before = clients.calls.length;
      const started = performance.now();
      const result = await makeHandler(deps)(spotWarningEvent(instanceId(v.instanceId), v.warningAt));
      planMs += performance.now() - started;
      if (result.status === 'planned' && result.succeeded) handled += 1;
      notices.push({ arrivedAt: v.warningAt, deadline: v.warningAt + SPOT_WARNING_LEAD_SECONDS * 1000, calls: clients.calls.slice(before) });
    }
    const pool = world.ports.stateStore.poolSnapshot(PRIMARY_GROUP);
    const over = pool === undefined ? undefined : overCommitment(pool);
    return { planMs, notices, handled, overCommitted: over === undefined || DIMENSIONS.some((d) => over[d] > 0) };
  } finally {
    clients.restore();
  }
};

export interface ConcurrentStormMeasurement {
  readonly notices: number;
  readonly handled: number;
  /** Per notice: virtual ms from its warning to the end of its last action call (undefined: no action call). */
  readonly lastActionMs: readonly (number | undefined)[];
  /** Per notice: virtual ms from its warning until its handler returned. */
  readonly handlerMs: readonly number[];
  readonly staleWrites: number;
  readonly staleByApi: Readonly<Record<string, number>>;
  /** Desired-capacity increments asked for by the notices, and how much the groups' desired capacities rose. */
  readonly desiredIncrementsAsked: number;
  readonly desiredRise: number;
  readonly throttledCalls: number;
  readonly throttleWaitMs: number;
  readonly overCommitted: boolean;
  readonly errors: readonly string[];
}

/** The Auto Scaling APIs (their buckets are separate from EC2's; see bench/aws/api-budget.ts). */
const AUTO_SCALING = 'autoscaling';

/**
 * The same storm with the notices handled concurrently, as Lambda runs them (one container each, cold):
 * every warning's handler starts at its warning time and runs interleaved with the others, every AWS call
 * waits its modelled round trip (bench/aws/aws-latency.ts) in virtual time, and every EC2 and Auto Scaling
 * call first waits for a token of its rate budget (DESIGN §1; a call that finds its bucket empty waits for the
 * refill, as the SDK's adaptive retry would make it — an optimistic stand-in for throttling errors and backoff).
 *
 * A stale write is a SetDesiredCapacity or PutWarmPool a notice sends after another notice changed the same
 * group's desired capacity (or warm pool) since this notice read it (DescribeAutoScalingGroups or
 * DescribeWarmPool): the value it writes was computed from a number that is no longer true, and the other
 * writer's change is lost or doubled.
 */
export const measureConcurrentStorm = async (
  size = STORM_POOL_SIZE,
  seed = 11,
  spread: { readonly meanSeconds: number; readonly maxSeconds: number } = {
    meanSeconds: DEFAULT_INTERRUPTION_PARAMS.warningSpreadMeanSeconds,
    maxSeconds: STORM_SPREAD_SECONDS,
  },
): Promise<ConcurrentStormMeasurement> => {
  const world = await buildNoticeWorld({
    instances: size,
    now: NOW,
    seed,
    types: ['m5.large'],
    azs: ['us-east-1a'],
    warmInstances: Math.max(2, Math.round(size / 10)),
  });
  let clockAt = NOW;
  const time = new VirtualTime(NOW, {
    cpuScale: NOTICE_CPU_SCALE,
    onAdvance: (t) => {
      clockAt = Math.max(clockAt, Math.floor(t));
      world.ports.clock.set(clockAt);
    },
  });
  const buckets = new Map<string, TokenBucket>();
  const gate = (service: string, api: string, at: number): number => {
    const category = API_CATEGORY[api];
    if (category === undefined) return at;
    const key = `${service}/${category}`;
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = new TokenBucket(EC2_THROTTLE_BUDGETS[category], NOW)));
    return b.take(at);
  };
  const aws = new ModelledAws(time, new LatencyModel(seed, 'storm-concurrent'), gate);

  // Per group: how many writes of desired capacity / the warm pool so far; per notice and group: the count it last read.
  const written = { desired: new Map<string, number>(), warm: new Map<string, number>() };
  const seen = { desired: new Map<string, number>(), warm: new Map<string, number>() };
  const staleByApi: Record<string, number> = {};
  let desiredIncrementsAsked = 0;
  const desiredRead = new Map<string, number>();
  const key = (notice: string | undefined, group: string): string => `${notice ?? '?'}\u0000${group}`;
  const clients = createCloudBackedClients(world.ports.cloud, {
    onCall: async (call, input) => {
      await aws.call(call.service === 'ec2' ? 'ec2' : AUTO_SCALING, call.api);
      // The round trip is over: the cloud answers (or applies the write) right after this returns.
      const notice = aws.currentNotice;
      const i = input as { AutoScalingGroupNames?: string[]; AutoScalingGroupName?: string; DesiredCapacity?: number };
      const note = (kind: 'desired' | 'warm', group: string) => {
        seen[kind].set(key(notice, group), written[kind].get(group) ?? 0);
        if (kind === 'desired') desiredRead.set(key(notice, group), world.ports.cloud.group(groupId(group))?.desiredCapacity ?? 0);
      };
      const write = (kind: 'desired' | 'warm', group: string) => {
        const k = key(notice, group);
        const now = written[kind].get(group) ?? 0;
        if (seen[kind].has(k) && seen[kind].get(k) !== now) staleByApi[call.api] = (staleByApi[call.api] ?? 0) + 1;
        written[kind].set(group, now + 1);
        seen[kind].set(k, now + 1);
      };
      if (call.api === 'DescribeAutoScalingGroups') for (const g of i.AutoScalingGroupNames ?? []) note('desired', g);
      if (call.api === 'DescribeWarmPool' && i.AutoScalingGroupName !== undefined) note('warm', i.AutoScalingGroupName);
      if (call.api === 'SetDesiredCapacity' && i.AutoScalingGroupName !== undefined) {
        // What this notice asked for: the value it writes over the value it read.
        const read = desiredRead.get(key(notice, i.AutoScalingGroupName));
        if (read !== undefined) desiredIncrementsAsked += (i.DesiredCapacity ?? read) - read;
        write('desired', i.AutoScalingGroupName);
      }
      if (call.api === 'PutWarmPool' && i.AutoScalingGroupName !== undefined) write('warm', i.AutoScalingGroupName);
      // ExecutePolicy of the +1 scale-out policy is relative: Auto Scaling applies it to the capacity it holds, never stale.
      if (call.api === 'ExecutePolicy' && i.AutoScalingGroupName !== undefined) {
        desiredIncrementsAsked += 1;
        // Not stale itself, but it changes the value any read-then-SetDesiredCapacity of this group was computed from.
        written.desired.set(i.AutoScalingGroupName, (written.desired.get(i.AutoScalingGroupName) ?? 0) + 1);
      }
    },
  });
  try {
    const burst = { id: 'storm', instanceType: 'm5.large', availabilityZone: 'us-east-1a', at: NOW + 60_000, reclaimShare: 1, seed };
    const victims = selectVictims(
      burst,
      world.fleet.primary.map((i) => i.id),
      { ...DEFAULT_INTERRUPTION_PARAMS, warningSpreadMeanSeconds: spread.meanSeconds, warningSpreadMaxSeconds: spread.maxSeconds },
    );
    if (victims.length !== size) throw new Error(`storm: expected the whole pool of ${size} to be warned, got ${victims.length}`);
    const prices = priceTableFromSpecs(world.fleet.catalogSpecs);
    const desiredOfGroups = (): number => [...world.fleet.managed.groups.keys()].reduce((n, g) => n + (world.ports.cloud.group(g)?.desiredCapacity ?? 0), 0);
    const desiredBefore = desiredOfGroups();
    const errors: string[] = [];
    const results = await time.run(() =>
      Promise.all(
        victims.map(async (v, k) => {
          const id = `storm-${k}`;
          await time.until(v.warningAt);
          return aws.within(id, async () => {
            // A cold container per notice: new adapters, so no cached group lookups or instance types.
            const deps: NoticeDeps = {
              ...world.deps,
              ports: {
                clock: world.ports.clock,
                instances: new Ec2InstanceGateway(clients.ec2, { prices }),
                capacity: new AutoScalingCapacityGateway(clients.autoScaling),
                state: modelStateStore(world.ports.stateStore, aws),
                publisher: modelPublisher(world.ports.publisher, aws),
                scheduler: modelScheduler(world.ports.scheduler, aws),
              },
            };
            try {
              const result = await makeHandler(deps)(spotWarningEvent(instanceId(v.instanceId), v.warningAt));
              return { id, warningAt: v.warningAt, returnedAt: time.now(), ok: result.status === 'planned' && result.succeeded === true };
            } catch (error) {
              errors.push(`${v.instanceId}: ${(error as Error).message}`);
              return { id, warningAt: v.warningAt, returnedAt: time.now(), ok: false };
            }
          });
        }),
      ),
    );
    const desiredAfter = desiredOfGroups();
    const pool = world.ports.stateStore.poolSnapshot(PRIMARY_GROUP);
    const over = pool === undefined ? undefined : overCommitment(pool);
    const lastActionMs = results.map((r) => {
      const acts = aws.calls.filter((c) => c.notice === r.id && isActionCall(c));
      return acts.length === 0 ? undefined : Math.max(...acts.map((c) => c.endedAt)) - r.warningAt;
    });
    return {
      notices: size,
      handled: results.filter((r) => r.ok).length,
      lastActionMs,
      handlerMs: results.map((r) => r.returnedAt - r.warningAt),
      staleWrites: Object.values(staleByApi).reduce((a, b) => a + b, 0),
      staleByApi,
      desiredIncrementsAsked,
      desiredRise: desiredAfter - desiredBefore,
      throttledCalls: [...buckets.values()].reduce((n, b) => n + b.throttled, 0),
      throttleWaitMs: [...buckets.values()].reduce((n, b) => n + b.waitedMs, 0),
      overCommitted: over === undefined || DIMENSIONS.some((d) => over[d] > 0),
      errors,
    };
  } finally {
    clients.restore();
  }
};

export const runStormBench = async (): Promise<BenchResult> => {
  const serial: StormMeasurement[] = [];
  for (let r = 0; r < STORM_RUNS; r++) {
    progress(`storm: a pool of ${STORM_POOL_SIZE} instances warned within ${STORM_SPREAD_SECONDS / 60} minutes, run ${r + 1} of ${STORM_RUNS}`);
    serial.push(await measureStorm());
  }
  // Calls and budgets are the same in every run (same seed); the planning time is the median.
  const m = serial[serial.length - 1] as StormMeasurement;
  const planSeconds = serial.map((x) => x.planMs / 1000);
  const report = replayAgainstBudgets(m.notices);
  const figures: Figure[] = [figure(`storm.planSeconds.${STORM_POOL_SIZE}`, percentile(planSeconds, 50), 's', lessThan(SPOT_WARNING_LEAD_SECONDS, 's'))];
  for (const api of BUDGETED_APIS) {
    const r = report.perApi.get(api) ?? { calls: 0, late: 0, throttled: 0 };
    figures.push(
      figure(
        `storm.calls.${api}`,
        r.calls,
        'calls',
        checkedTarget(`each within its notice's ${SPOT_WARNING_LEAD_SECONDS} s (${describeBudget(api)})`, r.late === 0),
      ),
    );
  }
  const worst = Math.max(...report.noticeMs);
  figures.push(figure(`storm.worstNoticeSeconds.${STORM_POOL_SIZE}`, worst / 1000, 's', lessThan(SPOT_WARNING_LEAD_SECONDS, 's')));
  const throttled = [...report.perApi.entries()].filter(([, r]) => r.throttled > 0).map(([api, r]) => `${api} ${r.throttled}`);
  const notes = [
    `storm: ${m.handled} of ${STORM_POOL_SIZE} warnings planned and executed without a failed action; planning and executing them one after another took ${planSeconds.map((x) => x.toFixed(2)).join(', ')} s in ${STORM_RUNS} runs; the pool ${m.overCommitted ? 'WAS over-committed' : 'was never over-committed'}; ` +
      `each notice ran in a cold container (no adapter caches), the worst case for API calls; calls that had to wait for a token: ${throttled.length === 0 ? 'none' : throttled.join(', ')}.`,
    'storm budgets: EC2 APIs are held to DESIGN.md §1; Auto Scaling APIs, which publish no token-bucket figures, to the same categories in a bucket set of their own.',
  ];

  const concurrent: ConcurrentStormMeasurement[] = [];
  for (let r = 0; r < STORM_RUNS; r++) {
    progress(`storm: the same ${STORM_POOL_SIZE} warnings handled concurrently, with modelled AWS latency and rate budgets, run ${r + 1} of ${STORM_RUNS}`);
    concurrent.push(await measureConcurrentStorm());
  }
  // Virtual time is the same in every run but for the handlers' own CPU: the slowest warning's time is the median
  // over the runs; a stale write in any run counts (the most any run made).
  const worstOf = (x: ConcurrentStormMeasurement): number => {
    const times = x.lastActionMs.filter((t): t is number => t !== undefined);
    return times.length === x.notices ? Math.max(...times) / 1000 : Number.NaN;
  };
  const worstRuns = concurrent.map(worstOf);
  const c = concurrent.reduce((a, b) => (b.staleWrites > a.staleWrites ? b : a));
  const acted = c.lastActionMs.filter((x): x is number => x !== undefined);
  const worstAction = worstRuns.some((x) => Number.isNaN(x)) ? Number.NaN : percentile(worstRuns, 50);
  figures.push(
    figure(`storm.concurrent.lastActionSeconds.${STORM_POOL_SIZE}`, worstAction, 's', lessThan(CONCURRENT_LAST_ACTION_TARGET_S, 's')),
    figure(
      `storm.concurrent.staleWrites.${STORM_POOL_SIZE}`,
      c.staleWrites,
      'writes',
      equalTo(0, 'no write computed from a value another notice changed since'),
    ),
  );
  const stale = Object.entries(c.staleByApi)
    .map(([api, n]) => `${api} ${n}`)
    .join(', ');
  notes.push(
    `storm, concurrent (one cold container per warning, every call with modelled latency and behind its rate budget; arrivals as above): ${c.handled} of ${c.notices} warnings planned and executed without a failed action` +
      `${c.errors.length > 0 ? ` (${c.errors.length} handlers threw, e.g. ${c.errors[0]?.slice(0, 200) ?? ''})` : ''}; ` +
      `slowest warning to last action ${worstAction.toFixed(1)} s (runs ${worstRuns.map((x) => x.toFixed(2)).join(', ')} s), p50 ${(percentile(acted, 50) / 1000).toFixed(1)} s (${c.notices - acted.length} warnings made no action call); handler p99 ${(percentile(c.handlerMs, 99) / 1000).toFixed(1)} s; ` +
      `${c.throttledCalls} calls waited for a token (${(c.throttleWaitMs / 1000).toFixed(0)} s in all); stale writes: ${c.staleWrites === 0 ? 'none' : stale}; ` +
      `desired capacity: the notices asked for ${c.desiredIncrementsAsked} more in all, the groups rose by ${c.desiredRise}; the pool ${c.overCommitted ? 'WAS over-committed' : 'was never over-committed'}.`,
  );
  // The harshest case, not a figure: the whole pool warned in the same second.
  const once = await measureConcurrentStorm(STORM_POOL_SIZE, 11, { meanSeconds: 0.5, maxSeconds: 1 });
  const onceActed = once.lastActionMs.filter((x): x is number => x !== undefined);
  notes.push(
    `storm, concurrent, all ${once.notices} warnings in the same second: ${once.handled} handled; slowest warning to last action ${(Math.max(...onceActed) / 1000).toFixed(1)} s; ` +
      `${once.throttledCalls} calls waited for a token (${(once.throttleWaitMs / 1000).toFixed(0)} s in all); stale writes ${once.staleWrites}; desired capacity asked +${once.desiredIncrementsAsked}, rose +${once.desiredRise}.`,
  );
  return { figures, notes };
};
