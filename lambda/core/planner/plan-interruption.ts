import type { Action, DomainEvent, FleetView, Plan, Resources } from '../domain';
import { planLoadAbsorption, type AbsorbRequest } from './absorb-load';
import { stageOneWarmInstance } from './plan-rebalance';
import { ignoreNotice } from '../common/ignore-notice';
import type { LocatedInstance } from '../common/locate-instance';
import { estimatePostRestartDemand, standInDemand } from '../common/post-restart-demand';
import { reserveForRestart } from './reserve-for-restart';
import { reservationExpiry, type ReservationPurpose } from '../common/reservation-terms';

export interface InterruptionInput {
  readonly fleet: FleetView;
  readonly located: LocatedInstance;
  /** Event id the reservation id derives from. */
  readonly eventId: string;
  readonly purpose: ReservationPurpose;
  /** When the instance goes away (the spot warning's deadline; `at` when there is no lead). */
  readonly interruptAt: number;
  readonly now: number;
  readonly why: string;
  /** Place the load on On-Demand capacity only (the victim's Spot pool is unstable). */
  readonly onDemandOnly?: boolean;
  /** Auto Scaling is launching the victim's replacement now at the latest (see AbsorbRequest.replacementLaunching). */
  readonly replacementLaunching?: boolean;
  /**
   * No rebalance recommendation staged a warm instance for this victim: when no warm instance holds its load, claim and
   * retype a stopped one for it before bringing one into service (see planSpotWarning).
   */
  readonly stageWarm?: boolean;
}

/**
 * The warning's own warm staging (InterruptionInput.stageWarm): the claim-and-retype a rebalance recommendation plans
 * (stageOneWarmInstance), kept only when it retypes — a warm instance that holds the load already comes into service
 * without a claim — and never asking Auto Scaling for one more warm instance when every candidate is claimed (`raise`
 * false: preparing one takes minutes, too late for a two-minute warning). The retyped instance counts with its new
 * shape for the placement that follows.
 */
const stageForVictim = (
  input: InterruptionInput,
  load: Resources,
  until: number,
): { readonly actions: Action[]; readonly events: DomainEvent[]; readonly retypedWarm?: AbsorbRequest['retypedWarm'] } | undefined => {
  const { group, instance } = input.located;
  const staged = stageOneWarmInstance(input.fleet, group, instance, load, until, input.now);
  const stage = staged.actions.find((a): a is Extract<Action, { kind: 'stage-warm-instance' }> => a.kind === 'stage-warm-instance');
  const first = stage?.candidates[0];
  if (stage === undefined || first === undefined || first.covers) return undefined;
  const shape = input.fleet.catalog.get(stage.toType)?.resources;
  return {
    actions: [
      {
        ...stage,
        raise: false,
        reason: `${input.why}, with no rebalance recommendation staged for it: claim and retype a stopped warm instance to ${stage.toType}`,
      },
    ],
    events: [...staged.events],
    ...(shape !== undefined ? { retypedWarm: { instanceId: first.instanceId, shape } } : {}),
  };
};

/**
 * An involuntary interruption (spot warning, terminate lifecycle action): reserve the victim's
 * post-restart demand, then place its load while it is away (warm capacity, siblings, scale-out).
 * It happens whether or not the reservation fits, so a refusal does not stop the safety moves.
 * With no usable forecast nothing is reserved and no disruptive move is made (fail closed); the
 * victim's own type shape sizes the non-disruptive moves (like-for-like replacement).
 */
export const planInterruption = (input: InterruptionInput): Plan => {
  const { group, instance } = input.located;
  const expiresAt = reservationExpiry(input.interruptAt, group);
  // A notice delivered after the restart window it would protect has closed (a replayed or long-queued
  // event, or one with a NaN time) has nothing left to prepare for.
  if (!(expiresAt > input.now)) return ignoreNotice(input.now, `${input.why}: stale, its post-restart window ended at ${String(expiresAt)}`, instance.id);
  const reservation = reserveForRestart({
    fleet: input.fleet,
    group,
    instance,
    purpose: input.purpose,
    source: input.eventId,
    now: input.now,
    expiresAt,
    why: input.why,
  });
  const actions: Action[] = [...reservation.actions];
  const events: DomainEvent[] = [...reservation.events];

  let load = reservation.kind === 'fail-closed' ? undefined : reservation.amount;
  if (reservation.kind === 'fail-closed') {
    events.push({
      kind: 'fail-closed',
      at: input.now,
      groupId: group.id,
      instanceId: instance.id,
      reason: `no reservation and no disruptive move for ${input.why}: ${reservation.reason}`,
    });
    const estimate = estimatePostRestartDemand(instance, group, input.fleet);
    load = estimate.kind === 'known' ? estimate.amount : standInDemand(instance, input.fleet);
  }
  if (load === undefined) {
    actions.push({ kind: 'noop', reason: `cannot size safety moves for ${input.why}: instance type ${instance.instanceType} is not in the catalog` });
    return { actions, events };
  }
  const staging = input.stageWarm === true && reservation.kind !== 'fail-closed' ? stageForVictim(input, load, expiresAt) : undefined;
  actions.push(...(staging?.actions ?? []));
  events.push(...(staging?.events ?? []));
  const absorbed = planLoadAbsorption({
    fleet: input.fleet,
    group,
    victim: instance,
    load,
    loadKnown: reservation.kind !== 'fail-closed',
    pool: reservation.pool,
    source: input.eventId,
    now: input.now,
    why: input.why,
    ...(input.onDemandOnly === true ? { onDemandOnly: true } : {}),
    ...(input.replacementLaunching === true ? { replacementLaunching: true } : {}),
    ...(staging?.retypedWarm !== undefined ? { retypedWarm: staging.retypedWarm } : {}),
  });
  return { actions: [...actions, ...absorbed.actions], events: [...events, ...absorbed.events] };
};
