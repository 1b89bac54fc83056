import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DetailType } from '../../lambda/contracts/events';
import { instanceId, type GroupId } from '../../lambda/core/domain';
import { FallbackPredictor } from '../../lambda/core/predict/fallback-predictor';
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { makeHandler as makeExecutor } from '../../lambda/handlers/executor';
import type { HandlerResult } from '../../lambda/app/handler-deps';
import { makeHandler as makeNotice } from '../../lambda/handlers/notice';
import { makeHandler as makeProfiler } from '../../lambda/handlers/profiler';
import { createRandom } from '../../lambda/data/random';
import { FIXTURE_DIR, fixture, listJson } from '../events/event-fixtures';
import { GROUP, NOW, STANDBY, buildWorld, type World, addRequestVictim } from '../handlers/world';

/**
 * Reliability, unit tier: EventBridge delivers at least once and in no particular order. Every real
 * fixture event (test/fixtures/events: AWS documentation, NTH and Karpenter samples, spotwise's own
 * events) is routed to the handler its rule targets, once each in order — and, in a second world,
 * three times each in a shuffled order. The final state must be the same: instances and groups in the
 * cloud, lifecycle actions completed, pools (allocations and reservations), interruption requests,
 * schedules and profiles. Run at two clocks: the Karpenter warning's time (its warning is live) and the
 * request fixtures' time (their request is planned against the fleet).
 *
 * What "shuffled" may reorder: everything about different instances (and redeliveries of anything, any
 * time later). Events about ONE instance are causally ordered in reality — its launch hook before the
 * Spot warning before its terminate hook — and AWS stamps them minutes to hours apart, so the first
 * delivery of each keeps that order; its redeliveries go anywhere. (The samples here carry placeholder
 * times, so "in order" is the files' order.)
 *
 * Two facts of the corpus are made explicit rather than left to chance:
 * - The AWS documentation samples reuse one placeholder id ("12345678-1234-…") across different events.
 *   AWS gives every event its own id, and spotwise is idempotent on it, so each fixture whose id another
 *   fixture shares gets that id suffixed with its file name: distinct events, distinct ids.
 * - "Interruption Due" is sent by spotwise's own scheduler, which the coordinator sets up while handling
 *   the request: it can be redelivered and reordered among everything else, but never arrive before the
 *   request it belongs to. "In order" is the files' order with that cause first; shuffles keep it.
 */
const withUniqueIds = (fixtures: { name: string; event: Record<string, unknown> }[]) => {
  const count = new Map<unknown, number>();
  for (const f of fixtures) count.set(f.event.id, (count.get(f.event.id) ?? 0) + 1);
  return fixtures.map((f) =>
    typeof f.event.id === 'string' && (count.get(f.event.id) ?? 0) > 1
      ? { ...f, event: { ...f.event, id: `${f.event.id}-${f.name.replace(/\.json$/, '')}` } }
      : f,
  );
};
const detailOf = (e: Record<string, unknown>): Record<string, unknown> => (e.detail ?? {}) as Record<string, unknown>;
const isDue = (e: Record<string, unknown>): boolean => e['detail-type'] === DetailType.interruptionDue;
const causeOf =
  (due: Record<string, unknown>) =>
  (e: Record<string, unknown>): boolean =>
    e['detail-type'] === DetailType.interruptionRequested && detailOf(e).requestId === detailOf(due).requestId;

/** Holds each "Interruption Due" back until its request has been delivered (a due event without a request in the corpus goes anywhere). */
const respectCauses = (events: readonly Record<string, unknown>[]): Record<string, unknown>[] => {
  const out: Record<string, unknown>[] = [];
  const held: Record<string, unknown>[] = [];
  const hasCause = (due: Record<string, unknown>) => events.some(causeOf(due));
  for (const e of events) {
    if (isDue(e) && hasCause(e) && !out.some(causeOf(e))) {
      held.push(e);
      continue;
    }
    out.push(e);
    for (const h of [...held]) {
      if (out.some(causeOf(h))) {
        out.push(h);
        held.splice(held.indexOf(h), 1);
      }
    }
  }
  return [...out, ...held];
};

const FIXTURES = withUniqueIds(listJson(FIXTURE_DIR).map((name) => ({ name, event: fixture(name) })));
const IN_ORDER = respectCauses(FIXTURES.map((f) => f.event));
/** The request fixtures' time (their On-Demand victim is added to the world's group: addRequestVictim). */
const REQ_NOW = Date.parse('2024-05-01T12:00:00Z');

type Handler = (event: unknown) => Promise<HandlerResult>;

const worldAt = async (now: number): Promise<{ world: World; route: (event: Record<string, unknown>) => Handler }> => {
  const world = await buildWorld();
  world.ports.clock.set(now);
  addRequestVictim(world, now);
  world.ports.clearCalls();
  const notice = makeNotice(world.deps);
  const coordinator = makeCoordinator(world.deps);
  const executor = makeExecutor(world.deps);
  const profiler = makeProfiler({
    ...world.deps,
    metricsReader: world.ports.metrics,
    predictor: new FallbackPredictor(),
    profiler: { windowMinutes: 60, halfLifeMs: 86_400_000 },
  });
  // As the stack's rules route them (lib/notice-rules.ts, request bus, scheduler, profiler schedule).
  const route = (event: Record<string, unknown>): Handler => {
    switch (event['detail-type']) {
      case DetailType.interruptionRequested:
      case DetailType.healthEvent:
        return coordinator;
      case DetailType.interruptionDue:
        return executor;
      case DetailType.profileTick:
        return profiler;
      default:
        return notice;
    }
  };
  return { world, route };
};

const byId = <T extends { readonly id: string }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => a.id.localeCompare(b.id));
const sortedEntries = <V>(m: ReadonlyMap<string, V>): [string, V][] => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

/** Everything delivery could change, in a form where order of arrival does not show. */
const finalState = async (w: World) => {
  const instances = byId(w.ports.cloud.allInstances()).map((i) => ({ id: i.id, state: i.state, type: i.instanceType, warm: i.warm, launchedAt: i.launchedAt }));
  const pools = [GROUP, STANDBY].map((g: GroupId) => {
    const p = w.ports.stateStore.poolSnapshot(g);
    return p === undefined ? undefined : { capacity: p.capacity, allocations: sortedEntries(p.allocations), reservations: sortedEntries(p.reservations) };
  });
  const lifecycle = (xs: readonly { instanceId: string; hookName: string; token: string; result?: string }[]) =>
    xs.map((x) => `${x.instanceId}/${x.hookName}/${x.token}/${x.result ?? 'heartbeat'}`).sort();
  const profiles = await w.ports.stateStore.getProfiles(instances.map((i) => instanceId(i.id)));
  return {
    instances,
    groups: byId(w.ports.cloud.allGroups()).map((g) => ({ id: g.id, desired: g.desiredCapacity, warmPool: g.warmPool })),
    completed: lifecycle(w.ports.cloud.completedLifecycleActions),
    heartbeats: lifecycle(w.ports.cloud.heartbeats),
    pools,
    // A request's decision trail is an audit log of what each decision saw (the pool's free capacity at that
    // moment, the disruptions in flight), so it differs with delivery order by nature; the request's status,
    // victim, reservation and note are its state and must not.
    requests: w.ports.stateStore
      .allRequests()
      .map(({ trail: _trail, ...r }) => r)
      .sort((a, b) => a.request.requestId.localeCompare(b.request.requestId)),
    schedules: w.ports.scheduler.pending(),
    profiles: sortedEntries(profiles),
  };
};

const deliver = async (events: readonly Record<string, unknown>[], now: number) => {
  const { world, route } = await worldAt(now);
  const results: string[] = [];
  for (const e of events) {
    // A fresh copy per delivery: a handler must not depend on (or change) the object it was given.
    const r = await route(e)(structuredClone(e));
    results.push(r.status);
  }
  return { world, results, state: await finalState(world) };
};

/** What an event is about: its instance, or its interruption request; events about nothing else are their own key. */
const keyOf = (e: Record<string, unknown>, index: number): string => {
  const d = detailOf(e);
  const id = d['instance-id'] ?? d.EC2InstanceId ?? (d.requestId === undefined ? d.instanceId : undefined);
  if (typeof id === 'string') return `instance:${id}`;
  if (typeof d.requestId === 'string') return `request:${d.requestId}`;
  return `event:${index}`;
};

/**
 * Each of `events` `copies` times, shuffled with `seed`, such that for every key the FIRST deliveries
 * of its events keep their order in `events`; redeliveries land anywhere after their first delivery.
 */
const shuffledDeliveries = (events: readonly Record<string, unknown>[], copies: number, seed: number): Record<string, unknown>[] => {
  const random = createRandom(seed);
  const slots = events.flatMap((e, i) => Array.from({ length: copies }, () => keyOf(e, i)));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j] as string, slots[i] as string];
  }
  // Fill each key's slots: either an event of the key already delivered (with copies left), or the next new one.
  const queue = new Map<string, number[]>();
  events.forEach((e, i) => queue.set(keyOf(e, i), [...(queue.get(keyOf(e, i)) ?? []), i]));
  const left = events.map(() => copies);
  const started = new Map<string, number[]>();
  return slots.map((key) => {
    const seen = (started.get(key) ?? []).filter((i) => (left[i] ?? 0) > 0);
    const next = queue.get(key)?.[0];
    const choices = next === undefined ? seen : [...seen, next];
    const pick = choices[Math.floor(random() * choices.length)] as number;
    if (pick === next) {
      queue.get(key)?.shift();
      started.set(key, [...(started.get(key) ?? []), pick]);
    }
    left[pick] = (left[pick] ?? 0) - 1;
    return events[pick] as Record<string, unknown>;
  });
};

describe('reliability: at-least-once, out-of-order delivery of every fixture event', () => {
  it("shuffles keep each key's first deliveries in order, deliver everything three times, and do reorder", () => {
    const a = shuffledDeliveries(IN_ORDER, 3, 1);
    const b = shuffledDeliveries(IN_ORDER, 3, 2);
    expect(a).toHaveLength(IN_ORDER.length * 3);
    for (const e of IN_ORDER) expect(a.filter((x) => x === e)).toHaveLength(3);
    const firsts = (xs: readonly Record<string, unknown>[]) => xs.filter((x, i) => xs.indexOf(x) === i);
    for (const key of new Set(IN_ORDER.map(keyOf))) {
      const ref = IN_ORDER.filter((e, i) => keyOf(e, i) === key);
      expect(firsts(a).filter((e) => ref.includes(e))).toEqual(ref);
    }
    expect(a).not.toEqual(b);
    expect(firsts(a)).not.toEqual(IN_ORDER);
  });

  it('in order: every due event after its request; ids unique', () => {
    const dueAt = IN_ORDER.findIndex(isDue);
    expect(dueAt).toBeGreaterThan(
      IN_ORDER.findIndex((e) => e['detail-type'] === DetailType.interruptionRequested && detailOf(e).requestId === 'patch-2024-05-01-web'),
    );
    const ids = IN_ORDER.map((e) => e.id).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    const reversed = respectCauses([...IN_ORDER].reverse());
    expect(reversed).toHaveLength(IN_ORDER.length);
    expect(reversed.findIndex(isDue)).toBeGreaterThan(reversed.findIndex((e) => detailOf(e).requestId === 'patch-2024-05-01-web' && !isDue(e)));
  });

  it('the fixture corpus covers every kind spotwise acts on', () => {
    const types = new Set(FIXTURES.map((f) => f.event['detail-type']));
    for (const t of [
      DetailType.spotInterruptionWarning,
      DetailType.rebalanceRecommendation,
      DetailType.stateChange,
      DetailType.lifecycleLaunch,
      DetailType.lifecycleTerminate,
      DetailType.interruptionRequested,
      DetailType.interruptionDue,
      DetailType.profileTick,
    ]) {
      expect(types).toContain(t);
    }
    expect(FIXTURES.length).toBeGreaterThanOrEqual(30);
  });

  describe.each([
    ["at the Karpenter warning's time", NOW],
    ["at the request fixtures' time", REQ_NOW],
  ])('%s', (_label, now) => {
    it('once in order has effects: something is reserved, planned and recorded', async () => {
      const once = await deliver(IN_ORDER, now);
      expect(once.results.filter((s) => s === 'planned').length).toBeGreaterThanOrEqual(5);
      expect(once.results).not.toContain('malformed');
      expect(once.state.pools.some((p) => (p?.reservations.length ?? 0) > 0)).toBe(true);
    });

    it('property: three times each, shuffled, ends in the same state as once in order', async () => {
      const once = await deliver(IN_ORDER, now);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
          const many = await deliver(shuffledDeliveries(IN_ORDER, 3, seed), now);
          expect(many.state).toEqual(once.state);
          // Each event had its effect once: the redeliveries were recognised (duplicate) or had nothing left to do.
          expect(many.results.filter((s) => s === 'planned').length).toBeGreaterThanOrEqual(once.results.filter((s) => s === 'planned').length);
        }),
        { numRuns: 15 },
      );
    }, 60_000);
  });
});
