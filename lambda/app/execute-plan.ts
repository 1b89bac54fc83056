import { STANDBY_MARK_TAG, type Action, type GroupId, type InstanceId, type Plan, type Reservation, type ReservationId, type Resources } from '../core/domain';
import { inheritProfile } from '../core/profile/inherit-profile';
import { forecastRecord } from '../core/predict/calibrate';
import { DetailType } from '../contracts/events';
import type { CapacityGateway } from '../ports/capacity-gateway';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InstanceGateway } from '../ports/instance-gateway';
import type { InterruptionScheduler } from '../ports/interruption-scheduler';
import {
  PoolOverCommitError,
  type ForecastStore,
  type PoolLedger,
  type PoolSignalStore,
  type ProfileStore,
  type RequestStore,
  type TrailEntry,
  type WarmClaimStore,
  type WarmPoolWriterStore,
} from '../ports/state-store';
import { appendTrail } from './decision-trail';
import { describeAction } from './describe-action';
import { openRestartWindowOf } from './restart-window';
import { isNotStopped, stageWarmInstance } from './stage-warm-instance';
import { writeWarmPool } from './warm-pool-writer';

/** The ports a plan is executed through. */
export interface ExecutionPorts {
  readonly instances: InstanceGateway;
  readonly capacity: CapacityGateway;
  /** Everything a plan may write: the ledger, profiles (lineage), requests, Spot signals, warm-pool writes and claims; never event marks. */
  readonly state: PoolLedger & ProfileStore & ForecastStore & RequestStore & PoolSignalStore & WarmPoolWriterStore & WarmClaimStore;
  readonly scheduler: InterruptionScheduler;
  readonly clock: Clock;
  /** Carries `request-throttle` actions' `Throttle Requested` events; a plan with one and no publisher fails that action. */
  readonly publisher?: EventPublisher;
}

export type ActionOutcome =
  /** Carried out (for `defer-interruption` and `noop`: recorded, no call needed). */
  | { readonly kind: 'done'; readonly action: Action; readonly at: number; readonly detail?: string }
  /** Not attempted: dry-run, an earlier failure, or a reservation it depends on was refused. */
  | { readonly kind: 'skipped'; readonly action: Action; readonly cause: SkipCause; readonly reason: string }
  /** A reserve the store refused: the capacity is not there (fail closed). */
  | { readonly kind: 'refused'; readonly action: Action & { readonly kind: 'reserve' }; readonly shortfall: Resources }
  | { readonly kind: 'failed'; readonly action: Action; readonly error: Error };

/**
 * Why an action was not carried out: `dry-run`; `earlier-failure` (an action before it failed); `fail-closed` (the
 * reservation a disruptive action depends on was refused); `kept` (a compensation that leaves something as it is);
 * `over-committed` (a pool refresh the ledger refused whole: reservations made since it was read leave no room);
 * `not-stopped` (a retype that only prepares a warm instance, refused because the instance is not stopped any more:
 * a concurrent plan started it, and the rest of this plan goes on); `not-active` (a lifecycle action's completion or
 * heartbeat refused because the action is over — completed already or timed out, its default result applied —: nothing
 * is left to complete, and the rest of this plan goes on).
 */
export type SkipCause = 'dry-run' | 'earlier-failure' | 'fail-closed' | 'kept' | 'over-committed' | 'not-stopped' | 'not-active';

/**
 * A retype that only prepares (a rebalance recommendation staging a warm instance, a staging tick reshaping one): the
 * plan does not start the instance afterwards. Refused because the instance is no longer stopped — a concurrent
 * warning started it — it is skipped, not failed: failing it would undo the plan's reservation (the restart's
 * capacity the warning reuses) and its Spot signal count for a preparation the instance no longer needs.
 */
const isPreparationOnly = (action: Action, rest: readonly Action[]): action is Action & { kind: 'retype-stopped-instance' } =>
  action.kind === 'retype-stopped-instance' && !rest.some((a) => a.kind === 'start-instance' && a.instanceId === action.instanceId);

/** The port's refusal of a lifecycle action that is over (CapacityGateway.completeLifecycleAction: every implementation). */
const isNotActive = (action: Action, error: unknown): boolean =>
  (action.kind === 'complete-lifecycle-action' || action.kind === 'heartbeat') && error instanceof Error && error.name === 'LifecycleActionNotActiveError';

export interface ExecutionReport {
  readonly dryRun: boolean;
  /** One outcome per planned action, in plan order. */
  readonly outcomes: readonly ActionOutcome[];
  /** Undo steps taken after a failure (releases, restarts), in the order taken. */
  readonly compensations: readonly ActionOutcome[];
  /** True when no action failed (refusals and dependent skips are decisions, not failures). */
  readonly succeeded: boolean;
  /** Reservations this plan made (not those already held from an earlier delivery). */
  readonly reserved: readonly Reservation[];
  readonly refused: readonly { readonly reservation: Reservation; readonly shortfall: Resources }[];
  /** Time the last mutating call completed; undefined when none was made. */
  readonly lastActionAt?: number;
}

/**
 * Actions that disrupt a running instance: they need the capacity for its restart held first. EnterStandby takes a
 * running member out of service ahead of its stop, so it is one of them.
 */
const isDisruptive = (a: Action): a is Action & { kind: 'interrupt-instance' | 'schedule-interruption' | 'enter-standby' } =>
  a.kind === 'interrupt-instance' || a.kind === 'schedule-interruption' || a.kind === 'enter-standby';

/** Actions that call no port. */
const isRecordOnly = (a: Action): boolean => a.kind === 'noop' || a.kind === 'defer-interruption';

/**
 * Actions that change only what spotwise learns (profiles), never the fleet, the ledger or requests: carried
 * out in dry-run too, like the profiles the profiler stores in dry-run, so a dry run learns what a live one would.
 */
const isLearning = (a: Action): boolean => a.kind === 'inherit-profile' || a.kind === 'record-pool-signal' || a.kind === 'open-restart-window';

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * Executes a plan's actions in order through the ports — the only place a plan touches the world.
 *
 * - Dry-run: nothing is called; every action is reported skipped ("dry-run"), except those that only change
 *   what spotwise learns (`inherit-profile` and `open-restart-window`: profiles are learned in dry-run too;
 *   `record-pool-signal`: a Spot pool's signal count). A failed signal count or restart window is reported in its
 *   outcome and does not fail the plan.
 * - Fail closed: when the store refuses a reserve, the disruptive actions that depend on it
 *   (a schedule-interruption naming the reservation, an interrupt-instance of the reserved instance) are
 *   skipped; preparation that only adds capacity (warm pool, desired capacity, lifecycle actions) goes on.
 * - On a failed action the rest of the plan is not attempted, and compensations run: an instance this
 *   plan stopped is started again when the plan had a start for it still to come (stop → modify → start
 *   must never end stopped; a failed retype of a stopped instance with a start to come still starts it), a member
 *   this plan moved to Standby and did not stop goes back in service (ExitStandby), interruptions it scheduled are
 *   cancelled, and reservations it made are
 *   released — except one whose instance was already interrupted, since that capacity is what the
 *   restart now needs.
 * - Refusals that only say the world moved on are skipped, not failed, and the rest of the plan goes on: a retype
 *   that only prepares a warm instance a concurrent plan has started since (`not-stopped`), and the completion or
 *   heartbeat of a lifecycle action that is over (`not-active`).
 * Port errors never escape: they are reported as `failed` outcomes, so a handler decides what to log,
 * count and publish (and never falls into an EventBridge retry loop on a half-executed plan).
 */
export const executePlan = async (plan: Plan, ports: ExecutionPorts, opts: { readonly dryRun: boolean }): Promise<ExecutionReport> => {
  const outcomes: ActionOutcome[] = [];
  const compensations: ActionOutcome[] = [];
  const reserved: Reservation[] = [];
  const refused: { reservation: Reservation; shortfall: Resources }[] = [];
  const refusedIds = new Set<ReservationId>();
  const refusedInstances = new Set<string>();
  const stopped = new Set<string>();
  /** Members this plan moved to Standby and has not stopped yet (running, out of service). */
  const standby = new Map<string, Action & { kind: 'enter-standby' }>();
  const disrupted = new Set<string>();
  const scheduled: (Action & { kind: 'schedule-interruption' })[] = [];
  /** Reservations this plan's hand-overs actually handed over (a lineage depends on its hand-over). */
  const handedOver = new Set<ReservationId>();
  let lastActionAt: number | undefined;
  let failure: Error | undefined;

  const mark = (): number => {
    lastActionAt = ports.clock.now();
    return lastActionAt;
  };

  for (const [index, action] of plan.actions.entries()) {
    if (opts.dryRun && !isLearning(action)) {
      outcomes.push(
        isRecordOnly(action)
          ? { kind: 'done', action, at: ports.clock.now(), detail: 'recorded (dry-run)' }
          : { kind: 'skipped', action, cause: 'dry-run', reason: 'dry-run' },
      );
      continue;
    }
    if (failure !== undefined) {
      outcomes.push({ kind: 'skipped', action, cause: 'earlier-failure', reason: `an earlier action failed: ${failure.message}` });
      continue;
    }
    if (isDisruptive(action)) {
      const blockedBy =
        action.kind === 'schedule-interruption' && refusedIds.has(action.reservationId)
          ? `reservation ${action.reservationId} was refused`
          : refusedInstances.has(action.instanceId)
            ? `the reservation for ${action.instanceId} was refused`
            : undefined;
      if (blockedBy !== undefined) {
        outcomes.push({ kind: 'skipped', action, cause: 'fail-closed', reason: `fail closed: ${blockedBy}` });
        continue;
      }
    }
    try {
      if (action.kind === 'reserve') {
        const out = await ports.state.reserve(action.reservation);
        mark();
        if (out.kind === 'refused') {
          refusedIds.add(action.reservation.id);
          refusedInstances.add(action.reservation.instanceId);
          refused.push({ reservation: action.reservation, shortfall: out.shortfall });
          outcomes.push({ kind: 'refused', action, shortfall: out.shortfall });
        } else {
          if (out.kind === 'reserved') reserved.push(out.reservation);
          outcomes.push({
            kind: 'done',
            action,
            at: lastActionAt ?? ports.clock.now(),
            ...(out.kind === 'already-reserved' ? { detail: 'already held' } : {}),
          });
        }
        continue;
      }
      if (action.kind === 'refresh-pool') {
        const out = await writeRefresh(action, ports.state, handedOver);
        const at = mark();
        outcomes.push(
          out.kind === 'over-committed'
            ? { kind: 'skipped', action, cause: 'over-committed', reason: `not written, the next tick recomputes: ${out.reason}` }
            : { kind: 'done', action, at, ...(out.detail !== undefined ? { detail: out.detail } : {}) },
        );
        continue;
      }
      const detail = await perform(action, ports, plan, handedOver, opts.dryRun);
      const at = isRecordOnly(action) || isLearning(action) ? ports.clock.now() : mark();
      if (action.kind === 'interrupt-instance') {
        disrupted.add(action.instanceId);
        if (action.mode !== 'terminate') stopped.add(action.instanceId);
        standby.delete(action.instanceId);
      }
      if (action.kind === 'enter-standby') standby.set(action.instanceId, action);
      if (action.kind === 'start-instance') stopped.delete(action.instanceId);
      if (action.kind === 'schedule-interruption') scheduled.push(action);
      outcomes.push({ kind: 'done', action, at, ...(detail !== undefined ? { detail } : {}) });
    } catch (error) {
      if (isNotStopped(error) && isPreparationOnly(action, plan.actions.slice(index + 1))) {
        outcomes.push({ kind: 'skipped', action, cause: 'not-stopped', reason: `not retyped: ${asError(error).message}; the rest of the plan goes on` });
        continue;
      }
      if (isNotActive(action, error)) {
        // A redelivery or a late handler: Auto Scaling already let the instance go on (or applied the hook's default).
        outcomes.push({ kind: 'skipped', action, cause: 'not-active', reason: `nothing to complete: ${asError(error).message}; the rest of the plan goes on` });
        continue;
      }
      failure = asError(error);
      outcomes.push({ kind: 'failed', action, error: failure });
      // From the failed action on: a start that failed is retried once, since the instance must not stay stopped.
      await compensate(plan.actions.slice(index), { ports, stopped, standby, disrupted, scheduled, reserved, compensations, mark });
    }
  }

  return {
    dryRun: opts.dryRun,
    outcomes,
    compensations,
    succeeded: failure === undefined,
    reserved,
    refused,
    ...(lastActionAt !== undefined ? { lastActionAt } : {}),
  };
};

const compensate = async (
  rest: readonly Action[],
  ctx: {
    readonly ports: ExecutionPorts;
    readonly stopped: ReadonlySet<string>;
    readonly standby: ReadonlyMap<string, Action & { kind: 'enter-standby' }>;
    readonly disrupted: ReadonlySet<string>;
    readonly scheduled: readonly (Action & { kind: 'schedule-interruption' })[];
    readonly reserved: readonly Reservation[];
    readonly compensations: ActionOutcome[];
    readonly mark: () => number;
  },
): Promise<void> => {
  // 1. Restarts first: an instance left stopped is an outage; a reservation held a little longer is not.
  const failed = rest[0];
  const failedRetypeOf = failed?.kind === 'retype-stopped-instance' ? failed.instanceId : undefined;
  for (const a of rest) {
    if (a.kind !== 'start-instance' || !(ctx.stopped.has(a.instanceId) || a.instanceId === failedRetypeOf)) continue;
    try {
      await ctx.ports.instances.startInstances([a.instanceId]);
      ctx.compensations.push({ kind: 'done', action: a, at: ctx.mark(), detail: 'compensation: restart after a failed step' });
    } catch (error) {
      ctx.compensations.push({ kind: 'failed', action: a, error: asError(error) });
    }
  }
  // 1b. A member moved to Standby whose stop did not happen is running out of service: back in service.
  for (const a of ctx.standby.values()) {
    try {
      const detail = await exitStandbyMarked(a.groupId, a.instanceId, ctx.ports);
      ctx.compensations.push({
        kind: 'done',
        action: { kind: 'exit-standby', groupId: a.groupId, instanceId: a.instanceId, reason: 'compensation: its stop did not happen' },
        at: ctx.mark(),
        detail: `compensation: back in service${detail !== undefined ? `; ${detail}` : ''}`,
      });
    } catch (error) {
      ctx.compensations.push({ kind: 'failed', action: a, error: asError(error) });
    }
  }
  // 2. Cancel interruptions this plan scheduled: their reservations are about to go.
  for (const a of ctx.scheduled) {
    try {
      await ctx.ports.scheduler.cancel(a.requestId);
      ctx.compensations.push({ kind: 'done', action: a, at: ctx.mark(), detail: 'compensation: schedule cancelled' });
    } catch (error) {
      ctx.compensations.push({ kind: 'failed', action: a, error: asError(error) });
    }
  }
  // 3. Release what this plan reserved, newest first, unless its instance was already disrupted.
  for (const r of [...ctx.reserved].reverse()) {
    const action: Action = { kind: 'release', groupId: r.groupId, reservationId: r.id, reason: 'compensation: a later step of the plan failed' };
    if (ctx.disrupted.has(r.instanceId)) {
      ctx.compensations.push({
        kind: 'skipped',
        action,
        cause: 'kept',
        reason: `kept: ${r.instanceId} was already interrupted and its restart needs the capacity`,
      });
      continue;
    }
    try {
      await ctx.ports.state.release(r.groupId, r.id);
      ctx.compensations.push({ kind: 'done', action, at: ctx.mark() });
    } catch (error) {
      // The reservation expires on its own (expiresAt) and is swept; report and go on.
      ctx.compensations.push({ kind: 'failed', action, error: asError(error) });
    }
  }
};

/** An EC2 tag value holds at most 256 Unicode characters. */
const TAG_VALUE_MAX = 256;

/**
 * EnterStandby after the member's STANDBY_MARK_TAG is written, decrementing: the same instance comes back (retyped, or
 * started again), so no replacement is launched; ExitStandby raises desired capacity by one when it runs again. The
 * mark comes first so that every member spotwise takes out of service says so after its reservation is gone (fail
 * closed: no mark, no Standby). If EnterStandby then fails, the mark is deleted again; should that fail too, a
 * profiler tick deletes it (core/coordinator/standby-exit.ts).
 */
const enterStandbyMarked = async (action: Action & { kind: 'enter-standby' }, ports: ExecutionPorts): Promise<void> => {
  const mark = [...action.reason].slice(0, TAG_VALUE_MAX).join('');
  await ports.instances.tagInstances([action.instanceId], { [STANDBY_MARK_TAG]: mark });
  try {
    await ports.capacity.enterStandby(action.groupId, action.instanceId, { decrementDesiredCapacity: true });
  } catch (error) {
    await ports.instances.untagInstances([action.instanceId], [STANDBY_MARK_TAG]).catch(() => undefined);
    throw error;
  }
};

/**
 * ExitStandby, then the member's STANDBY_MARK_TAG deleted: the mark must not outlive the Standby, or an operator's
 * later Standby of the same member would be taken for spotwise's. A failed delete does not fail the action (the member
 * is back in service): it is reported, and a profiler tick deletes the mark of a member in service.
 */
const exitStandbyMarked = async (groupId: GroupId, instanceId: InstanceId, ports: ExecutionPorts): Promise<string | undefined> => {
  await ports.capacity.exitStandby(groupId, instanceId);
  try {
    await ports.instances.untagInstances([instanceId], [STANDBY_MARK_TAG]);
    return undefined;
  } catch (error) {
    return `back in service; its ${STANDBY_MARK_TAG} tag was not deleted (a profiler tick deletes it): ${asError(error).message}`;
  }
};

/** One action through its port. Returns a detail worth reporting, if any. */
const perform = async (
  action: Exclude<Action, { kind: 'reserve' }>,
  ports: ExecutionPorts,
  plan: Plan,
  handedOver: Set<ReservationId>,
  dryRun: boolean,
): Promise<string | undefined> => {
  switch (action.kind) {
    case 'release': {
      const released = await ports.state.release(action.groupId, action.reservationId);
      return released ? undefined : 'already released';
    }
    case 'hand-over': {
      const out = await handOverReservation(action, ports.state);
      if (out.kind === 'handed-over') handedOver.add(action.reservationId);
      return out.kind === 'handed-over' ? undefined : 'nothing to hand over (released, swept or already handed over)';
    }
    case 'inherit-profile':
      // Concurrent launch hooks (and a profiler's refresh) may each plan the hand-over of one reservation: only the one
      // that got it inherits. A launch hook's lineage depends on its hand-over in dry-run too (where nothing is handed
      // over); a dry-run refresh's is learned, as profiles are — the refresh recomputes the same hand-over every tick.
      if (handsOver(plan, action.reservationId, action.toInstanceId, dryRun) && !handedOver.has(action.reservationId)) {
        return `kept: reservation ${action.reservationId} was not handed to ${action.toInstanceId} by this plan`;
      }
      return inheritLineage(action, ports.state, ports.clock.now());
    case 'refresh-pool':
      throw new Error('refresh-pool is written by executePlan itself');
    case 'retype-stopped-instance':
      await ports.instances.retypeStoppedInstance(action.instanceId, action.toType);
      return undefined;
    case 'start-instance':
      await ports.instances.startInstances([action.instanceId]);
      return undefined;
    case 'change-desired-capacity':
      await ports.capacity.changeDesiredCapacity(action.groupId, action.by);
      return undefined;
    case 'put-warm-pool':
    case 'raise-warm-pool':
      // Under the group's warm-pool lease: concurrent writers neither overwrite each other nor wait.
      return writeWarmPool(action, ports);
    case 'stage-warm-instance':
      // One warm instance per victim: claimed with a conditional write, then retyped or only kept (a raise when none is free).
      return stageWarmInstance(action, ports);
    case 'return-standby-instance':
      // With decrement: the group shrinks by exactly this instance, whatever other writers do meanwhile.
      await ports.capacity.terminateInstanceInGroup(action.instanceId, { decrementDesiredCapacity: true });
      return undefined;
    case 'complete-lifecycle-action':
      await ports.capacity.completeLifecycleAction({
        groupId: action.groupId,
        instanceId: action.instanceId,
        hookName: action.hookName,
        token: action.token,
        result: action.result,
      });
      return undefined;
    case 'heartbeat':
      await ports.capacity.recordLifecycleActionHeartbeat({
        groupId: action.groupId,
        instanceId: action.instanceId,
        hookName: action.hookName,
        token: action.token,
      });
      return undefined;
    case 'enter-standby':
      await enterStandbyMarked(action, ports);
      return undefined;
    case 'exit-standby':
      return exitStandbyMarked(action.groupId, action.instanceId, ports);
    case 'clear-standby-mark':
      await ports.instances.untagInstances([action.instanceId], [STANDBY_MARK_TAG]);
      return undefined;
    case 'interrupt-instance':
      if (action.mode === 'terminate') {
        // Through Auto Scaling without decrementing: the group launches the replacement (the "restart").
        await ports.capacity.terminateInstanceInGroup(action.instanceId, { decrementDesiredCapacity: false });
      } else {
        await ports.instances.stopInstances([action.instanceId], action.mode === 'hibernate' ? { hibernate: true } : {});
      }
      return undefined;
    case 'schedule-interruption':
      await ports.scheduler.schedule({
        requestId: action.requestId,
        groupId: action.groupId,
        instanceId: action.instanceId,
        reservationId: action.reservationId,
        at: action.at,
        mode: action.mode,
      });
      return undefined;
    case 'cancel-schedule':
      await ports.scheduler.cancel(action.requestId);
      return undefined;
    case 'submit-request': {
      // Idempotent on the request id: a request already stored (pending, admitted or settled) is left as it is.
      if ((await ports.state.getRequest(action.request.requestId)) !== undefined) return `request ${action.request.requestId} already submitted`;
      await ports.state.putRequest({ request: action.request, status: 'pending', updatedAt: ports.clock.now(), note: action.note });
      return undefined;
    }
    case 'store-request':
      await ports.state.putRequest(action.record);
      return undefined;
    case 'record-request-status': {
      // The record keeps what it had; the status, note and time are the plan's, and its trail gets this
      // decision. Only the coordinator's cancel plans this action (lambda/core/coordinator/plan-cancel.ts).
      const before = await ports.state.getRequest(action.request.requestId);
      const now = ports.clock.now();
      const entry: TrailEntry = {
        at: now,
        handler: 'coordinator',
        noticeKind: 'interruption-cancel',
        dryRun: false,
        checks: [{ name: 'status', passed: true, detail: `${before?.status ?? 'not stored'}: not carried out yet, so it can be cancelled` }],
        actions: plan.actions.map(describeAction),
        outcomes: [`done: ${describeAction(action)} (first: a schedule that fires from now on is ignored; the rest of the plan follows)`],
      };
      await ports.state.putRequest({
        ...(before ?? {}),
        request: action.request,
        status: action.status,
        note: action.note,
        ...(action.victim !== undefined ? { victim: action.victim } : {}),
        ...(action.reservationId !== undefined ? { reservationId: action.reservationId } : {}),
        updatedAt: now,
        trail: appendTrail(before?.trail, entry),
      });
      return undefined;
    }
    case 'open-restart-window':
      // Learning, not acting: a failed write is reported in the outcome and does not fail (or undo) the plan's moves.
      try {
        return await openRestartWindowOf(action, ports.state, ports.clock.now());
      } catch (error) {
        return `not recorded: ${asError(error).message}`;
      }
    case 'record-pool-signal':
      // What the pool's risk is learned from, never what the signal's response needs: a failed count is reported
      // in the outcome, and does not fail the plan (that would undo the reservations the warning just made).
      try {
        return (await ports.state.recordPoolSignal(action.groupId, action.signal))
          ? undefined
          : `already counted (${action.signal.eventId} was the pool's last signal)`;
      } catch (error) {
        return `not counted: ${asError(error).message}`;
      }
    case 'request-throttle':
      if (ports.publisher === undefined) throw new Error(`publishing Throttle Requested for ${action.throttle.instanceId}: no event publisher`);
      await ports.publisher.publish([{ detailType: DetailType.throttleRequested, detail: action.throttle }]);
      return undefined;
    case 'defer-interruption':
      return `deferred: ${action.reason}`;
    case 'noop':
      return action.reason;
  }
};

/**
 * The reservation becomes the restarted instance's allocation (DESIGN.md flow 4), in one atomic store write
 * (StateStore.handOver): the allocation is the max of the current one and the reserved amount, as in the
 * core's handOver, and the pool never counts the capacity twice. The write is the claim: of concurrent
 * hand-overs of one reservation only one succeeds, and only that one counts as handed over (a lineage
 * depends on it).
 */
/** The plan hands `reservationId` over to `instanceId` (a launch hook's hand-over, or a live profiler's refresh). */
const handsOver = (plan: Plan, reservationId: ReservationId, instanceId: string, dryRun: boolean): boolean =>
  plan.actions.some(
    (a) =>
      (a.kind === 'hand-over' && a.reservationId === reservationId && a.instanceId === instanceId) ||
      (!dryRun && a.kind === 'refresh-pool' && a.handedOver.some((h) => h.reservationId === reservationId && h.instanceId === instanceId)),
  );

const sameResources = (a: Resources, b: Resources): boolean =>
  a.vcpu === b.vcpu && a.memoryGiB === b.memoryGiB && a.networkMbps === b.networkMbps && a.diskIops === b.diskIops;

/**
 * Writes a pool refresh so that no state the ledger passes through is over-committed: the PoolLedger has no single
 * refresh write, so (1) allocations are first only lowered, (2) the handed-over reservations are released and expired
 * ones swept, (3) the capacity is set, and (4) the final allocations are written. Until (2) the handed-over capacity
 * still counts as a reservation and (1) has raised nothing; after (3) the final pool fits its capacity. A concurrent
 * reserve in between can only be refused. The hand-overs this write released (the others were taken meanwhile) are
 * added to `handedOver`: only their replacements inherit their victims' lineage.
 */
const writeRefresh = async (
  action: Action & { readonly kind: 'refresh-pool' },
  state: PoolLedger,
  handedOver: Set<ReservationId>,
): Promise<{ readonly kind: 'written'; readonly detail?: string } | { readonly kind: 'over-committed'; readonly reason: string }> => {
  try {
    const lowered = new Map(action.lowered);
    if (action.create) await state.putPoolCapacity(action.groupId, action.capacity);
    const raised = action.allocations.some(([id, a]) => {
      const low = lowered.get(id);
      return low === undefined || !sameResources(low, a);
    });
    if (!action.create && raised) await state.putAllocations(action.groupId, lowered);
    for (const h of action.handedOver) if (await state.release(action.groupId, h.reservationId)) handedOver.add(h.reservationId);
    const swept = await state.sweepExpired(action.groupId, action.sweepAt);
    if (!action.create && !sameResources(action.capacity, action.previousCapacity)) await state.putPoolCapacity(action.groupId, action.capacity);
    await state.putAllocations(action.groupId, new Map(action.allocations));
    const taken = action.handedOver.filter((h) => !handedOver.has(h.reservationId)).map((h) => h.reservationId);
    const notes = [
      ...(swept.length > 0 ? [`expired reservations released: ${swept.join(', ')}`] : []),
      ...(taken.length > 0 ? [`already taken by a concurrent hand-over: ${taken.join(', ')}`] : []),
    ];
    return notes.length > 0 ? { kind: 'written', detail: notes.join('; ') } : { kind: 'written' };
  } catch (error) {
    if (error instanceof PoolOverCommitError) return { kind: 'over-committed', reason: error.message };
    throw error;
  }
};

const handOverReservation = async (action: Action & { kind: 'hand-over' }, state: PoolLedger): Promise<{ readonly kind: 'handed-over' | 'nothing-held' }> => ({
  kind: (await state.handOver(action.groupId, action.reservationId, action.instanceId)) ? 'handed-over' : 'nothing-held',
});

/**
 * The replacement's profile inherits its victim's lineage (core inheritProfile: idempotent, never over a
 * profile with history of its own). The victim's stored forecast is the last one made before it went down
 * (the profiler forecasts serving instances only), kept so the closed cycle is compared with it.
 */
const inheritLineage = async (action: Action & { kind: 'inherit-profile' }, state: ProfileStore & ForecastStore, now: number): Promise<string> => {
  const [profiles, forecasts] = await Promise.all([
    state.getProfiles([action.fromInstanceId, action.toInstanceId]),
    state.getForecasts([action.fromInstanceId]),
  ]);
  const forecast = forecasts.get(action.fromInstanceId);
  const before = forecast?.kind === 'known' && forecast.madeAt < action.restartedAt ? forecastRecord(forecast) : undefined;
  const outcome = inheritProfile(profiles.get(action.fromInstanceId), profiles.get(action.toInstanceId), {
    heirId: action.toInstanceId,
    groupId: action.groupId,
    restartedAt: action.restartedAt,
    windowMinutes: action.windowMinutes,
    ...(action.heir !== undefined ? { heir: action.heir } : {}),
    ...(before ?? {}),
    now,
  });
  if (outcome.kind === 'kept') return `kept: ${outcome.reason}`;
  await state.putProfiles([outcome.profile, outcome.victim]);
  return `inherited ${outcome.profile.restarts.length} restart cycle(s) and the steady state of ${action.fromInstanceId}`;
};
