import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SPOT_WARNING_LEAD_SECONDS } from '../../lambda/contracts/events';
import { MetricName } from '../../lambda/contracts/metrics';
import { groupId, instanceId, type InstanceId } from '../../lambda/core/domain';
import type { HandlerResult } from '../../lambda/app/handler-deps';
import { makeHandler, type NoticeDeps } from '../../lambda/handlers/notice';
import type { CapacityGateway } from '../../lambda/ports/capacity-gateway';
import type { EventPublisher } from '../../lambda/ports/event-publisher';
import type { InstanceGateway } from '../../lambda/ports/instance-gateway';
import type { InterruptionScheduler } from '../../lambda/ports/interruption-scheduler';
import type { StateStore } from '../../lambda/ports/state-store';
import { createInMemoryPorts, RecordingTelemetry, type InMemoryPorts } from '../../lambda/sim/memory';
import { createRandom } from '../../lambda/data/random';
import { rebalanceEvent, spotWarningEvent } from '../../lambda/sim/strategies/sim-events';
import { buildSyntheticFleet, PRIMARY_GROUP, seedInMemoryState, type SyntheticFleet } from '../../bench/fleet/synthetic-fleet';
import { createRetryStrategy, emptyStats, withSdkRetries, type FaultPlan, type FaultStats } from './support/sdk-retry-faults';

/**
 * Reliability, unit tier: AWS misbehaving under a Spot storm. ThrottlingException / RequestLimitExceeded /
 * Throttling, HTTP 500 and HTTP 503 are injected into 30 % of AWS call attempts (seeded), every call
 * retried by the AWS SDK's own retry middleware and adaptive strategy in simulated time
 * (support/sdk-retry-faults.ts), each attempt taking 50 ms. Notices are delivered as EventBridge delivers
 * them to Lambda: asynchronously, each invocation in its own container (its own SDK retry state); an
 * invocation that throws is retried by Lambda after 1 and then 2 more minutes, and after the third
 * failure the event goes to the function's dead-letter queue.
 *
 * Checked: every invocation that returns does so inside the warning's 120 s, SDK back-off included;
 * every event ends handled or in the DLQ, never silently lost; a plan that failed part-way left no
 * reservation and no stopped instance behind (compensation), or says which compensation failed;
 * failures show up as ActionFailures and fail-closed events; the DLQ path (a whole API down) keeps the
 * event replayable — nothing was done, nothing was marked processed.
 */
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const LATENCY_MS = 50;
const FAULT_RATE = 0.3;
/** Lambda's asynchronous invocation retries: two, about 1 and 2 minutes apart (Lambda developer guide, "Asynchronous invocation"). */
const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000] as const;
const BUDGET_MS = SPOT_WARNING_LEAD_SECONDS * 1000;

const EC2_METHODS = [
  'describeInstances',
  'describeInstanceTypes',
  'retypeStoppedInstance',
  'startInstances',
  'stopInstances',
  'terminateInstances',
  'tagInstances',
] as const satisfies readonly (keyof InstanceGateway)[];
const ASG_METHODS = [
  'describeGroups',
  'findGroupOfInstance',
  'describeWarmPool',
  'putWarmPool',
  'changeDesiredCapacity',
  'completeLifecycleAction',
  'recordLifecycleActionHeartbeat',
  'terminateInstanceInGroup',
] as const satisfies readonly (keyof CapacityGateway)[];
const STATE_METHODS = [
  'getPool',
  'putPoolCapacity',
  'putAllocations',
  'reserve',
  'release',
  'sweepExpired',
  'getProfiles',
  'putProfiles',
  'getForecasts',
  'putForecasts',
  'getRequest',
  'putRequest',
  'listDueRequests',
  'markEventProcessed',
] as const satisfies readonly (keyof StateStore)[];

interface Attempt {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result?: HandlerResult;
  readonly error?: Error;
}
interface Delivery {
  readonly event: Record<string, unknown>;
  readonly id: string;
  readonly arrivedAt: number;
  readonly attempts: Attempt[];
  final?: 'returned' | 'dlq';
}

const lifecycleTerminateEvent = (id: InstanceId, at: number, n: number) => ({
  version: '0',
  id: `lifecycle-terminate-${n}`,
  'detail-type': 'EC2 Instance-terminate Lifecycle Action',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: new Date(at).toISOString(),
  region: 'us-east-1',
  resources: [`arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/${PRIMARY_GROUP}`],
  detail: {
    LifecycleActionToken: `token-${n}`,
    AutoScalingGroupName: PRIMARY_GROUP,
    LifecycleHookName: 'spotwise-terminate',
    EC2InstanceId: id,
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
  },
});

interface Scenario {
  readonly fleet: SyntheticFleet;
  readonly ports: InMemoryPorts;
  readonly telemetry: RecordingTelemetry;
  readonly stats: FaultStats;
  readonly deliveries: Delivery[];
  readonly dlq: Delivery[];
}

/**
 * A group of 60 busy Spot instances (90–100 % of their shapes in use), 8 On-Demand siblings (two of them
 * stopped) and no warm capacity, whose policy allows stop → modify → start: the planner reaches for the
 * siblings — retyping and starting the stopped ones, placing load where there is room. 30 Spot warnings within 3 minutes, 10 rebalance recommendations before them, and the
 * terminate lifecycle hook of 10 warned instances when they go.
 */
const runStorm = async (seed: number, rate: number, outage?: ReadonlySet<string>): Promise<Scenario> => {
  const fleet = buildSyntheticFleet({
    instances: 60,
    now: NOW,
    seed,
    onDemandSiblings: 8,
    warmInstances: 0,
    types: ['m5.large', 'm5.xlarge'],
    utilisation: { min: 0.9, max: 1 },
    policy: { allow_stop_modify_start: true, disruption_budget: { max_unavailable: 4 } },
  });
  const ports = createInMemoryPorts({ cloud: fleet.cloud, now: NOW });
  await seedInMemoryState(ports, fleet);
  for (const sibling of fleet.primary.filter((i) => i.lifecycle === 'on-demand').slice(0, 2)) ports.cloud.setInstanceState(sibling.id, 'stopped');

  const random = createRandom(seed);
  const stats = emptyStats();
  const plan: FaultPlan = { rate, random, latencyMs: LATENCY_MS, stats, ...(outage !== undefined ? { outage } : {}) };
  const telemetry = new RecordingTelemetry();
  const clock = { now: () => Date.now() };
  const spot = fleet.primary.filter((i) => i.lifecycle === 'spot').map((i) => i.id);
  const deliveries: Delivery[] = [];
  const add = (event: Record<string, unknown>, arrivedAt: number) => deliveries.push({ event, id: String(event.id), arrivedAt, attempts: [] });
  spot.slice(0, 30).forEach((id, k) => {
    const warnedAt = NOW + Math.floor(random() * 180) * 1000;
    add(spotWarningEvent(id, warnedAt), warnedAt);
    if (k < 10) add(lifecycleTerminateEvent(id, warnedAt + BUDGET_MS, k), warnedAt + BUDGET_MS);
  });
  spot.slice(30, 40).forEach((id) => {
    const at = NOW - Math.floor(random() * 300) * 1000;
    add(rebalanceEvent(id, at), at);
  });

  const dlq: Delivery[] = [];
  /** One invocation = one container: fresh SDK clients, so fresh retry quota and rate limiter. */
  const invoke = (event: Record<string, unknown>): Promise<HandlerResult> => {
    const deps: NoticeDeps = {
      ports: {
        clock,
        instances: withSdkRetries(ports.cloud as InstanceGateway, EC2_METHODS, 'ec2', createRetryStrategy(), plan),
        capacity: withSdkRetries(ports.cloud as CapacityGateway, ASG_METHODS, 'autoscaling', createRetryStrategy(), plan),
        state: withSdkRetries(ports.stateStore as StateStore, STATE_METHODS, 'dynamodb', createRetryStrategy(), plan),
        scheduler: withSdkRetries(ports.scheduler as InterruptionScheduler, ['schedule', 'cancel'], 'scheduler', createRetryStrategy(), plan),
        publisher: withSdkRetries(ports.publisher as EventPublisher, ['publish'], 'eventbridge', createRetryStrategy(), plan),
      },
      managed: fleet.managed,
      dryRun: false,
      telemetry,
    };
    return makeHandler(deps)(structuredClone(event));
  };
  const run = (d: Delivery) => async (): Promise<void> => {
    const startedAt = Date.now();
    try {
      const result = await invoke(d.event);
      d.attempts.push({ startedAt, endedAt: Date.now(), result });
      d.final = 'returned';
    } catch (error) {
      d.attempts.push({ startedAt, endedAt: Date.now(), error: error as Error });
      const delay = LAMBDA_RETRY_DELAYS_MS[d.attempts.length - 1];
      if (delay === undefined) {
        d.final = 'dlq';
        dlq.push(d);
      } else {
        setTimeout(() => void run(d)(), delay);
      }
    }
  };
  for (const d of deliveries) setTimeout(() => void run(d)(), Math.max(0, d.arrivedAt - Date.now()));
  await vi.runAllTimersAsync();
  return { fleet, ports, telemetry, stats, deliveries, dlq };
};

/** The source event id inside a reservation id ("warning:<event id>:<instance>", "sibling:<event id>:…"). */
const eventOfReservation = (id: string, deliveries: readonly Delivery[]): Delivery | undefined => deliveries.find((d) => id.includes(`:${d.id}:`));

describe('reliability: 30 % of AWS calls throttled or failing (SDK retries in simulated time)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW - 600_000, toFake: ['setTimeout', 'clearTimeout', 'Date'], loopLimit: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // Three seeds at the suite's 30 % fault rate, and one at 50 %, where calls fail past the SDK's retries often enough
  // to drive many plans into compensation and some events into the DLQ.
  describe.each([
    [FAULT_RATE, 1],
    [FAULT_RATE, 2],
    [FAULT_RATE, 3],
    [0.5, 4],
  ])('%d of attempts failing, seed %d', (rate, seed) => {
    it('every notice is handled inside its 120 s or ends in the DLQ; failed plans are compensated and counted', async () => {
      const s = await runStorm(seed, rate);

      // The faults happened as configured, and the SDK retried them.
      expect(s.stats.faults / s.stats.attempts).toBeGreaterThan(rate - 0.05);
      expect(s.stats.faults / s.stats.attempts).toBeLessThan(rate + 0.05);
      expect(s.stats.attempts).toBeGreaterThan(s.stats.calls);
      for (const k of ['throttling', 'http500', 'http503'] as const) expect(s.stats.byKind[k]).toBeGreaterThan(0);

      // Nothing lost: every event returned or went to the DLQ after three failed invocations.
      for (const d of s.deliveries) {
        expect({ id: d.id, final: d.final }).toEqual({ id: d.id, final: d.final === 'dlq' ? 'dlq' : 'returned' });
        if (d.final === 'dlq') expect(d.attempts.map((a) => a.error !== undefined)).toEqual([true, true, true]);
      }
      // An event in the DLQ left nothing behind: not marked processed (a redrive acts), nothing reserved for it.
      for (const d of s.dlq) {
        expect(s.ports.stateStore.log.callsTo('markEventProcessed').filter((c) => c.args[0] === d.id)).toEqual([]);
        expect(s.ports.stateStore.allReservations().filter((r) => r.id.includes(`:${d.id}:`))).toEqual([]);
      }
      // Every invocation that returned did so inside the warning's lead time, retries and back-off included.
      const slow = s.deliveries.flatMap((d) =>
        d.attempts.filter((a) => a.result !== undefined && a.endedAt - a.startedAt > BUDGET_MS).map((a) => `${d.id}: ${(a.endedAt - a.startedAt) / 1000} s`),
      );
      expect(slow).toEqual([]);
      // An invocation that threw did nothing the retry would repeat: it never got to mark its event processed.
      const returned = s.deliveries.map((d) => d.attempts.at(-1)?.result).filter((r): r is HandlerResult => r !== undefined);
      expect(returned.filter((r) => r.status === 'duplicate')).toEqual([]);

      const planned = returned.filter((r): r is Extract<HandlerResult, { status: 'planned' }> => r.status === 'planned');
      const failed = planned.filter((r) => !r.succeeded);
      expect(planned.length).toBeGreaterThan(30);

      // Compensation: a reservation still held belongs to a plan that succeeded — or its release was tried and failed (logged, swept at expiry).
      const failedReleases = new Set(
        s.telemetry
          .logsAt('error')
          .filter((l) => l.message === 'compensation' && l.fields.action === 'release')
          .map((l) => String(l.fields.reservationId ?? '')),
      );
      for (const r of s.ports.stateStore.allReservations()) {
        const source = eventOfReservation(r.id, s.deliveries);
        const result = source?.attempts.at(-1)?.result;
        const ok = result?.status === 'planned' && result.succeeded;
        expect({ reservation: r.id, ok: ok || failedReleases.has(r.id) }).toEqual({ reservation: r.id, ok: true });
        expect(r.expiresAt).toBeGreaterThan(NOW);
      }
      // No instance left stopped that was running before, unless a logged restart compensation failed for it.
      const failedStarts = new Set(
        s.telemetry
          .logsAt('error')
          .filter((l) => l.message === 'compensation' && l.fields.action === 'start-instance')
          .map((l) => String(l.fields.instanceId)),
      );
      const initiallyStopped = new Set<string>(
        s.fleet.primary
          .filter((i) => i.lifecycle === 'on-demand')
          .slice(0, 2)
          .map((i) => i.id),
      );
      const leftStopped = s.ports.cloud
        .allInstances()
        .filter((i) => !i.warm && i.state === 'stopped' && !initiallyStopped.has(i.id) && !failedStarts.has(i.id));
      expect(leftStopped.map((i) => i.id)).toEqual([]);

      // Failures show up: each failed plan is counted (ActionFailures) and published as fail-closed when publishing got through.
      expect(s.telemetry.total(MetricName.actionFailures)).toBeGreaterThanOrEqual(failed.length);
      const failClosed = s.ports.publisher.domainEvents().filter((e) => e.kind === 'fail-closed').length;
      const publishFailures = s.telemetry.logsAt('error').filter((l) => l.message === 'publishing the plan and its events failed').length;
      expect(failClosed + publishFailures).toBeGreaterThanOrEqual(failed.length);
      // Dropped events are logged as malformed or ignored, never because of a fault.
      expect(s.telemetry.total(MetricName.malformedEvents)).toBe(0);
    }, 60_000);
  });

  it('an API down for good: the handler rethrows, Lambda retries twice, the event lands in the DLQ untouched and replays once AWS is back', async () => {
    const s = await runStorm(7, 0, new Set(['autoscaling.describeGroups']));
    const warnings = s.deliveries.filter((d) => d.id.startsWith('sim-warning-'));
    expect(warnings.length).toBe(30);
    // Every notice needs the group description: all of them exhaust the SDK's retries, three invocations each, then the DLQ.
    expect(s.dlq.length).toBe(s.deliveries.length);
    for (const d of s.dlq) {
      expect(d.attempts).toHaveLength(3);
      expect(d.attempts[1]!.startedAt - d.attempts[0]!.endedAt).toBe(LAMBDA_RETRY_DELAYS_MS[0]);
      expect(d.attempts[0]?.error?.name).toBe('AwsCallError');
      expect(d.attempts[0]?.error?.message).toMatch(/autoscaling describeGroups .*AWS call failed \(ServiceUnavailable, HTTP 503\)/);
    }
    // Each call was tried DEFAULT_MAX_ATTEMPTS (5) times by the SDK before giving up.
    expect(s.stats.attempts).toBeGreaterThanOrEqual(s.stats.exhausted * 5);
    // Nothing happened to the fleet or the ledger, and no event was marked processed...
    expect(s.ports.mutatingCalls()).toEqual([]);
    expect(s.ports.stateStore.allReservations()).toEqual([]);
    expect(s.ports.stateStore.log.callsTo('markEventProcessed')).toEqual([]);
    // ...so a redrive from the DLQ, once Auto Scaling answers again, handles every event.
    const handler = makeHandler({
      ports: {
        clock: { now: () => Date.now() },
        instances: s.ports.cloud,
        capacity: s.ports.cloud,
        state: s.ports.stateStore,
        scheduler: s.ports.scheduler,
        publisher: s.ports.publisher,
      },
      managed: s.fleet.managed,
      dryRun: false,
      telemetry: s.telemetry,
    });
    const replayed = [];
    for (const d of s.dlq) replayed.push(await handler(structuredClone(d.event)));
    expect(replayed.every((r) => r.status === 'planned')).toBe(true);
    expect(s.ports.stateStore.allReservations().length).toBeGreaterThan(0);
    expect(groupId(PRIMARY_GROUP)).toBe(PRIMARY_GROUP);
    expect(instanceId('i-0')).toBe('i-0');
  }, 60_000);
});
