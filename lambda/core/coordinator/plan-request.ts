import {
  DIMENSIONS,
  type Action,
  type DomainEvent,
  type FleetView,
  type GroupView,
  type InstanceId,
  type InterruptionRequest,
  type Loan,
  type ManagedInstance,
  type Notice,
  type Plan,
  type Reservation,
  type Resources,
} from '../domain';
import { checkDisruptionBudget } from '../budget/disruption-budget';
import { joinPlans } from '../common/ignore-notice';
import { findGroup, isActive, locateInstance, runsAndStays } from '../common/locate-instance';
import { reserveInPlan, sweepForPlan, unusablePoolReason, type PlanBorrowing } from '../common/plan-pool';
import { lendersOf } from '../pool/borrowing';
import { estimatePostRestartDemand } from '../common/post-restart-demand';
import { buildReservation, isHeldForRequest, makeReservationId, requestReservations, reservationExpiry, reservationPurpose } from '../common/reservation-terms';
import { formatResources } from '../resources/resources';
import { rankCandidates } from './choose-victim';
import { deferRequest, retryTime } from './defer-request';
import { quietestStart } from './quiet-time';
import { standbyRefusal, voluntaryStop } from './voluntary-stop';

export { planEvictions } from './plan-evictions';

/**
 * How far ahead of its not-before time a request is admitted. Admitting reserves capacity at once,
 * so a request for next week would pin capacity for a week on a forecast made today; instead it is
 * deferred (reason 'not-before') until it is this close, and admitted then on fresh forecasts.
 */
export const ADMISSION_HORIZON_MS = 30 * 60_000;

type DueNotice = Extract<Notice, { kind: 'interruption-due' }>;

/** Spot instances launched by Auto Scaling cannot be stopped or hibernated by the user (DESIGN §1): terminate only. */
const modeAllowed = (instance: ManagedInstance, mode: InterruptionRequest['mode']): boolean => instance.lifecycle === 'on-demand' || mode === 'terminate';

/** Reservations this request holds anywhere in the fleet (from an earlier attempt). */
const heldByRequest = (fleet: FleetView, requestId: string): { readonly group: GroupView; readonly reservation: Reservation }[] =>
  requestReservations(fleet.groups, requestId);

const releasesOf = (held: readonly { readonly group: GroupView; readonly reservation: Reservation }[], why: string): Plan => ({
  actions: held.map(({ group, reservation }): Action => ({ kind: 'release', groupId: group.id, reservationId: reservation.id, reason: why })),
  events: [],
});

/**
 * Voluntary interruptions already admitted in `group` but not yet carried out (their victims still
 * run): they count against the disruption budget now, or two requests admitted a minute apart could
 * together exceed it when both fire.
 */
const pendingVoluntary = (fleet: FleetView, group: GroupView, request: InterruptionRequest, now: number): number => {
  const victims = new Set<string>();
  for (const r of group.pool.reservations.values()) {
    if (reservationPurpose(r) !== 'request' || isHeldForRequest(r, request.requestId) || r.expiresAt <= now) continue;
    const located = locateInstance(fleet, r.instanceId);
    // One Auto Scaling is terminating is in the group's disruptionsInFlight already (lambda/app/load-fleet.ts).
    if (located !== undefined && isActive(located.instance) && located.instance.terminating !== true) victims.add(r.instanceId);
  }
  return victims.size;
};

/**
 * Where a request's reservation may borrow its shortfall (policy `borrow_limit` above 0): from the group's running
 * lower-priority members, by what they use now. None for a victim that uses more than its allocation now (on any
 * dimension): an over-consumer does not borrow.
 */
const borrowingFor = (group: GroupView, fleet: FleetView, victim: ManagedInstance): PlanBorrowing | undefined => {
  const borrowLimit = group.policy.borrowLimit ?? 0;
  if (!(borrowLimit > 0)) return undefined;
  const forecast = fleet.forecasts.get(victim.id);
  const allocation = group.pool.allocations.get(victim.id);
  const use = forecast?.kind === 'known' ? forecast.recentUse : undefined;
  if (use !== undefined && allocation !== undefined && DIMENSIONS.some((d) => use[d] > allocation[d])) return undefined;
  return { lenders: lendersOf(group, fleet), borrowLimit };
};

/** The reservation as the plan stores it (with what it borrows) and its loan events. */
const withLoans = (
  reservation: Reservation,
  loans: readonly Loan[],
  alreadyHeld: boolean,
  now: number,
): { readonly reservation: Reservation; readonly events: DomainEvent[] } => ({
  reservation: loans.length > 0 ? { ...reservation, loans } : reservation,
  events: alreadyHeld
    ? []
    : loans.map((loan): DomainEvent => ({
        kind: 'loan-made',
        at: now,
        groupId: reservation.groupId,
        reservationId: reservation.id,
        lender: loan.lender,
        borrower: reservation.instanceId,
        amount: loan.amount,
      })),
});

type Candidates =
  { readonly kind: 'found'; readonly group: GroupView; readonly instances: readonly ManagedInstance[] } | { readonly kind: 'none'; readonly plan: Plan };

const findCandidates = (request: InterruptionRequest, fleet: FleetView, now: number): Candidates => {
  const deferNone = (reason: 'unknown-instance' | 'no-eligible-victim', detail: string, retry: boolean): Candidates => ({
    kind: 'none',
    plan: deferRequest({ requestId: request.requestId, reason, detail, now, ...(retry ? { retryAt: retryTime(now, request.deadline) } : {}) }),
  });
  /** Already chosen by another request or being restarted after a notice: not a second time. */
  const busy = (group: GroupView, instance: ManagedInstance): boolean =>
    [...group.pool.reservations.values()].some((r) => r.instanceId === instance.id && r.expiresAt > now && !isHeldForRequest(r, request.requestId));

  if (request.selector.kind === 'instance') {
    const located = locateInstance(fleet, request.selector.instanceId);
    if (located === undefined) return deferNone('unknown-instance', `${request.selector.instanceId} is not a managed instance`, false);
    const { group, instance } = located;
    if (instance.warm || instance.state !== 'running') {
      return deferNone('no-eligible-victim', `${instance.id} is ${instance.warm ? 'a warm-pool instance' : instance.state}, not running`, false);
    }
    if (!modeAllowed(instance, request.mode)) {
      return deferNone(
        'no-eligible-victim',
        `${instance.id} is a Spot instance: Auto Scaling Spot instances can only be terminated, not ${request.mode === 'stop' ? 'stopped' : 'hibernated'}`,
        false,
      );
    }
    if (instance.terminating === true) return deferNone('no-eligible-victim', `${instance.id} is being terminated by Auto Scaling`, false);
    if (instance.inStandby === true) return deferNone('no-eligible-victim', `${instance.id} is in Standby (out of service)`, false);
    if (busy(group, instance)) return deferNone('no-eligible-victim', `${instance.id} already holds a reservation for another interruption or restart`, true);
    return { kind: 'found', group, instances: [instance] };
  }
  const { groupId, maxPriority } = request.selector;
  const group = findGroup(fleet, groupId);
  if (group === undefined) return deferNone('no-eligible-victim', `${groupId} is not a managed group`, false);
  const instances = group.instances.filter(
    // A member Auto Scaling is terminating (held running in Terminating:Wait) is leaving already: its reservation may
    // have gone to its replacement, so `busy` no longer sees it.
    (i) => runsAndStays(i) && i.priority <= maxPriority && modeAllowed(i, request.mode) && !busy(group, i),
  );
  // A member launched since the request was made is a restart already — often the replacement of an earlier victim of
  // the same maintenance wave, its load still warming up: choosing it would restart the same load twice. It is
  // chosen only when no member launched before the request is eligible.
  const older = instances.filter((i) => i.launchedAt < request.requestedAt);
  if (instances.length === 0) {
    return deferNone(
      'no-eligible-victim',
      `no running instance of ${groupId} with priority ≤ ${maxPriority} that can be ${request.mode === 'terminate' ? 'terminated' : request.mode === 'stop' ? 'stopped' : 'hibernated'} and is not already being interrupted`,
      true,
    );
  }
  return { kind: 'found', group, instances: older.length > 0 ? older : instances };
};

/**
 * Plans a priority interruption request (DESIGN §4 flow 3, seed 10572412's Interruption
 * Coordinator). Refused after its deadline; deferred until ADMISSION_HORIZON_MS before not-before;
 * then the victim is chosen (the instance named, or the group's running instances up to maxPriority,
 * ranked by priority then predicted restart cost) and admitted only when the disruption budget has
 * room and its post-restart reservation fits the pool — after the plan's own releases of expired
 * reservations. Admitted: reserve, then schedule-interruption at max(now, notBefore). Otherwise a
 * deferral with the reason, the shortfall and a retry time (never after the deadline). Candidates
 * whose forecast is unknown are never admitted (fail closed); if the best-ranked candidate does not
 * fit, the next one is tried.
 */
export const planInterruptionRequest = (request: InterruptionRequest, fleet: FleetView, ctx: { readonly now: number }): Plan => {
  const { now } = ctx;
  const { requestId } = request;
  if (!Number.isFinite(now)) {
    return {
      actions: [{ kind: 'noop', reason: `request ${requestId}: the planning time is ${String(now)}` }],
      events: [{ kind: 'fail-closed', at: now, reason: `request ${requestId} not planned: now is ${String(now)}` }],
    };
  }
  const held = heldByRequest(fleet, requestId);
  if (!Number.isFinite(request.deadline) || now > request.deadline) {
    const detail = Number.isFinite(request.deadline)
      ? `deadline ${new Date(request.deadline).toISOString()} passed at ${new Date(now).toISOString()}`
      : `deadline is ${String(request.deadline)}: cannot be met`;
    return joinPlans(releasesOf(held, `request ${requestId} refused`), deferRequest({ requestId, reason: 'deadline-passed', detail, now }));
  }
  if (!Number.isFinite(request.notBefore)) {
    return joinPlans(
      releasesOf(held, `request ${requestId} refused`),
      deferRequest({ requestId, reason: 'not-before', detail: `notBefore is ${String(request.notBefore)}`, now }),
    );
  }
  if (request.notBefore > request.deadline) {
    return joinPlans(
      releasesOf(held, `request ${requestId} refused`),
      deferRequest({
        requestId,
        reason: 'deadline-passed',
        detail: `notBefore ${new Date(request.notBefore).toISOString()} is after the deadline ${new Date(request.deadline).toISOString()}: cannot be met`,
        now,
      }),
    );
  }
  if (request.notBefore - now > ADMISSION_HORIZON_MS) {
    return joinPlans(
      releasesOf(held, `request ${requestId} deferred until closer to its not-before time`),
      deferRequest({
        requestId,
        reason: 'not-before',
        detail: `admitted from ${ADMISSION_HORIZON_MS / 60_000} minutes before notBefore ${new Date(request.notBefore).toISOString()}`,
        now,
        retryAt: request.notBefore - ADMISSION_HORIZON_MS,
      }),
    );
  }

  const found = findCandidates(request, fleet, now);
  if (found.kind === 'none') return joinPlans(releasesOf(held, `request ${requestId} has no eligible victim`), found.plan);
  const { group } = found;
  const retryAt = retryTime(now, request.deadline);
  const release = (why: string): Plan => releasesOf(held, `request ${requestId} ${why}`);

  // Stop and hibernate go through Standby with a decrement: not admitted while the group is at its min size.
  const noStandby = request.mode === 'terminate' ? undefined : standbyRefusal(group);
  if (noStandby !== undefined) {
    return joinPlans(
      release('deferred: no room for Standby'),
      deferRequest({ requestId, reason: 'no-eligible-victim', detail: `${noStandby}; a terminate request would not need it`, now, retryAt }),
    );
  }

  const budget = checkDisruptionBudget(group, 1 + pendingVoluntary(fleet, group, request, now));
  if (budget.kind === 'exhausted') {
    return joinPlans(
      release('deferred: disruption budget'),
      deferRequest({ requestId, reason: 'disruption-budget-exhausted', detail: budget.reason, now, retryAt }),
    );
  }
  const poolProblem = unusablePoolReason(group);
  if (poolProblem !== undefined) {
    return joinPlans(
      release('deferred: pool unusable'),
      deferRequest({
        requestId,
        reason: 'reservation-does-not-fit',
        detail: poolProblem,
        now,
        retryAt,
        extraEvents: [{ kind: 'fail-closed', at: now, groupId: group.id, reason: `request ${requestId} not admitted: ${poolProblem}` }],
      }),
    );
  }

  const known: { instance: ManagedInstance; demand: Resources }[] = [];
  const unknown: string[] = [];
  for (const instance of found.instances) {
    const estimate = estimatePostRestartDemand(instance, group, fleet);
    if (estimate.kind === 'known') known.push({ instance, demand: estimate.amount });
    else unknown.push(estimate.reason);
  }
  if (known.length === 0) {
    const detail = `no candidate has a usable forecast: ${unknown.join('; ')}`;
    return joinPlans(
      release('deferred: forecast unknown'),
      deferRequest({
        requestId,
        reason: 'forecast-unknown',
        detail,
        now,
        retryAt,
        extraEvents: [{ kind: 'fail-closed', at: now, groupId: group.id, reason: `request ${requestId} not admitted: ${detail}` }],
      }),
    );
  }

  // A redelivered or retried request keeps the victim it already holds a reservation for.
  const heldVictims = new Set(held.map((h) => h.reservation.instanceId));
  const ranked = rankCandidates(known, group.pool.capacity).sort((a, b) => Number(heldVictims.has(b.instance.id)) - Number(heldVictims.has(a.instance.id)));
  const swept = sweepForPlan(group, group.pool, now);
  const earliest = Math.max(now, request.notBefore);
  let firstRefusal: { readonly instance: ManagedInstance; readonly demand: Resources; readonly shortfall: Resources } | undefined;
  const invalid: string[] = [];
  for (const candidate of ranked) {
    // The quietest predicted time in the window (quiet-time.ts); a victim already holding this request's reservation (a
    // redelivery, a retry) keeps the earliest start, which its reservation covers whatever time was chosen before.
    const start = heldVictims.has(candidate.instance.id)
      ? { at: earliest, reason: 'already admitted: the earliest start' }
      : quietestStart(fleet.forecasts.get(candidate.instance.id), { from: earliest, deadline: request.deadline });
    const scheduledFor = start.at;
    const reservation = buildReservation({
      id: makeReservationId('request', requestId, candidate.instance.id),
      purpose: 'request',
      source: requestId,
      group,
      instance: candidate.instance,
      amount: candidate.demand,
      now,
      expiresAt: reservationExpiry(scheduledFor, group),
      reason: `post-restart demand of ${candidate.instance.id} for request ${requestId} (${request.reason}); runs at ${new Date(scheduledFor).toISOString()}: ${start.reason}`,
    });
    const outcome = reserveInPlan(swept.pool, reservation, now, borrowingFor(group, fleet, candidate.instance));
    if (outcome.kind === 'invalid') {
      invalid.push(outcome.reason);
      continue;
    }
    if (outcome.kind === 'refused') {
      firstRefusal ??= { instance: candidate.instance, demand: candidate.demand, shortfall: outcome.shortfall };
      continue;
    }
    const stale = held.filter((h) => h.reservation.id !== reservation.id);
    const lent = withLoans(reservation, outcome.loans, outcome.alreadyHeld, now);
    const events: DomainEvent[] = [
      ...(outcome.alreadyHeld
        ? []
        : [
            {
              kind: 'reservation-made' as const,
              at: now,
              groupId: group.id,
              instanceId: candidate.instance.id,
              reservationId: reservation.id,
              amount: reservation.amount,
            },
          ]),
      ...lent.events,
      { kind: 'interruption-scheduled', at: now, groupId: group.id, instanceId: candidate.instance.id, requestId, scheduledFor },
    ];
    return {
      actions: [
        ...swept.actions,
        ...releasesOf(stale, `request ${requestId} chose ${candidate.instance.id}`).actions,
        { kind: 'reserve', reservation: lent.reservation },
        {
          kind: 'schedule-interruption',
          groupId: group.id,
          instanceId: candidate.instance.id,
          requestId,
          reservationId: reservation.id,
          at: scheduledFor,
          mode: request.mode,
        },
      ],
      events,
    };
  }
  if (firstRefusal === undefined) {
    // Every candidate's reservation was malformed (e.g. a NaN priority tag): a data problem, fail closed.
    const detail = `no candidate's reservation could be evaluated: ${invalid.join('; ')}`;
    return joinPlans(
      { actions: swept.actions, events: [] },
      release('deferred: invalid reservation'),
      deferRequest({
        requestId,
        reason: 'reservation-does-not-fit',
        detail,
        now,
        retryAt,
        extraEvents: [{ kind: 'fail-closed', at: now, groupId: group.id, reason: `request ${requestId} not admitted: ${detail}` }],
      }),
    );
  }
  const refusal = firstRefusal;
  const detail = `${formatResources(refusal.demand)} for ${refusal.instance.id} does not fit in ${group.id}'s pool (short ${formatResources(refusal.shortfall)})${ranked.length > 1 ? `; ${ranked.length - 1} other candidate(s) do not fit either` : ''}`;
  return joinPlans(
    { actions: swept.actions, events: [] },
    release('deferred: reservation does not fit'),
    deferRequest({
      requestId,
      reason: 'reservation-does-not-fit',
      detail,
      now,
      retryAt,
      shortfall: refusal.shortfall,
      extraEvents: [
        {
          kind: 'reservation-refused',
          at: now,
          groupId: group.id,
          instanceId: refusal.instance.id,
          shortfall: refusal.shortfall,
          reason: `request ${requestId}: ${detail}`,
        },
      ],
    }),
  );
};

/**
 * The due request's victim, or why it cannot be interrupted now: gone (reclaimed or replaced), leaving (Auto Scaling
 * terminating it: a Spot reclaim, a scale-in, a failed health check) or not running (stopped, back in the warm pool).
 * None of these is this request's own doing: the executor skips a request already carried out before planning, and a
 * due event is planned once (marked processed before anything is executed).
 */
const dueVictim = (
  fleet: FleetView,
  instanceId: InstanceId,
):
  | { readonly kind: 'running'; readonly group: GroupView; readonly instance: ManagedInstance }
  | { readonly kind: 'unavailable'; readonly reason: 'unknown-instance' | 'no-eligible-victim'; readonly detail: string; readonly why: string } => {
  const located = locateInstance(fleet, instanceId);
  if (located === undefined)
    return {
      kind: 'unavailable',
      reason: 'unknown-instance',
      detail: `${instanceId} is no longer a managed instance`,
      why: 'reclaimed or replaced before its scheduled time',
    };
  const { group, instance } = located;
  if (instance.terminating === true)
    return {
      kind: 'unavailable',
      reason: 'no-eligible-victim',
      detail: `${instance.id} is being terminated by Auto Scaling`,
      why: 'leaving before its scheduled time',
    };
  if (instance.warm || instance.state !== 'running') {
    const where = instance.warm ? 'in the warm pool' : instance.state;
    return { kind: 'unavailable', reason: 'no-eligible-victim', detail: `${instance.id} is ${where}, not running`, why: 'stopped before its scheduled time' };
  }
  if (instance.inStandby === true)
    return {
      kind: 'unavailable',
      reason: 'no-eligible-victim',
      detail: `${instance.id} is in Standby (out of service)`,
      why: 'taken out of service before its scheduled time',
    };
  return { kind: 'running', group, instance };
};

/**
 * What the executor knows of the request besides the due notice: its deadline (when its record was found) and whether
 * it let the coordinator choose any member of a group (`groupRequest`), so a victim gone before its time can be
 * replaced by another member.
 */
interface DueContext {
  readonly now: number;
  readonly deadline?: number;
  readonly groupRequest?: boolean;
}

/**
 * The executor's re-check when a scheduled interruption fires (DESIGN §4 flow 3): the victim must
 * still run, the deadline (when known) must not have passed, the disruption budget must have room,
 * and the reservation must still be held — or, if it expired or was swept, be made again and fit.
 * Then interrupt-instance; otherwise defer (releasing the reservation, so a deferred request does not
 * sit on capacity a spot warning may need) or refuse. A victim gone, leaving or stopped before its time (dueVictim) ends a
 * request that named it; a group request is planned again for another member while its deadline allows.
 */
const planDue = (notice: DueNotice, fleet: FleetView, ctx: DueContext): Plan => {
  const { now } = ctx;
  const { requestId } = notice;
  if (!Number.isFinite(now)) {
    return {
      actions: [{ kind: 'noop', reason: `due interruption ${requestId}: the planning time is ${String(now)}` }],
      events: [{ kind: 'fail-closed', at: now, reason: `due interruption ${requestId} not planned: now is ${String(now)}` }],
    };
  }
  if (ctx.deadline !== undefined && !Number.isFinite(ctx.deadline)) {
    return deferRequest({ requestId, reason: 'deadline-passed', detail: `deadline is ${String(ctx.deadline)}: cannot be met`, now });
  }
  const deadline = ctx.deadline ?? Number.POSITIVE_INFINITY;
  const victim = dueVictim(fleet, notice.instanceId);
  if (victim.kind === 'unavailable') {
    if (ctx.groupRequest === true && now < deadline) {
      return deferRequest({
        requestId,
        reason: victim.reason,
        detail: `${victim.detail} (${victim.why}): planned again for another member of ${notice.groupId}`,
        now,
        retryAt: retryTime(now, deadline),
      });
    }
    return deferRequest({ requestId, reason: victim.reason, detail: victim.detail, now });
  }
  const { group, instance } = victim;
  const held = group.pool.reservations.get(notice.reservationId);
  const releaseHeld = (why: string): Plan =>
    held === undefined
      ? { actions: [], events: [] }
      : { actions: [{ kind: 'release', groupId: group.id, reservationId: held.id, reason: `request ${requestId} ${why}` }], events: [] };
  if (now > deadline) {
    return joinPlans(
      releaseHeld('refused: deadline passed'),
      deferRequest({ requestId, reason: 'deadline-passed', detail: `deadline ${new Date(deadline).toISOString()} passed`, now }),
    );
  }
  if (!modeAllowed(instance, notice.mode)) {
    return joinPlans(
      releaseHeld('refused'),
      deferRequest({ requestId, reason: 'no-eligible-victim', detail: `${instance.id} is a Spot instance: terminate only`, now }),
    );
  }
  if (held !== undefined && held.instanceId !== instance.id) {
    return deferRequest({ requestId, reason: 'no-eligible-victim', detail: `reservation ${held.id} is held for ${held.instanceId}, not ${instance.id}`, now });
  }
  const retryAt = retryTime(now, deadline);
  const budget = checkDisruptionBudget(group, 1);
  if (budget.kind === 'exhausted') {
    return joinPlans(
      releaseHeld('deferred: disruption budget'),
      deferRequest({ requestId, reason: 'disruption-budget-exhausted', detail: budget.reason, now, retryAt }),
    );
  }
  // A stop or hibernation goes through Standby (voluntary-stop.ts); a group at its min size cannot take one more.
  const noStandby = notice.mode === 'terminate' ? undefined : standbyRefusal(group);
  if (noStandby !== undefined) {
    return joinPlans(
      releaseHeld('deferred: no room for Standby'),
      deferRequest({ requestId, reason: 'no-eligible-victim', detail: `${noStandby}; a terminate request would not need it`, now, retryAt }),
    );
  }
  const reason = `scheduled interruption ${requestId}`;
  const interrupt: Action[] =
    notice.mode === 'terminate'
      ? [{ kind: 'interrupt-instance', groupId: group.id, instanceId: instance.id, mode: notice.mode, requestId, reason }]
      : voluntaryStop({ group, instance, mode: notice.mode, reason, requestId });
  if (held !== undefined && held.expiresAt > now) return { actions: interrupt, events: [] };

  // The reservation is gone (expired and swept, or released): admit again from scratch.
  const poolProblem = unusablePoolReason(group);
  const estimate = estimatePostRestartDemand(instance, group, fleet);
  if (poolProblem !== undefined || estimate.kind === 'unknown') {
    const why = poolProblem ?? (estimate.kind === 'unknown' ? estimate.reason : '');
    return joinPlans(
      releaseHeld('deferred'),
      deferRequest({
        requestId,
        reason: poolProblem !== undefined ? 'reservation-does-not-fit' : 'forecast-unknown',
        detail: why,
        now,
        retryAt,
        extraEvents: [
          { kind: 'fail-closed', at: now, groupId: group.id, instanceId: instance.id, reason: `due interruption ${requestId} not carried out: ${why}` },
        ],
      }),
    );
  }
  const swept = sweepForPlan(group, group.pool, now);
  const reservation = buildReservation({
    id: notice.reservationId,
    purpose: 'request',
    source: requestId,
    group,
    instance,
    amount: estimate.amount,
    now,
    expiresAt: reservationExpiry(now, group),
    reason: `post-restart demand of ${instance.id} for request ${requestId} (re-reserved when due)`,
  });
  const outcome = reserveInPlan(swept.pool, reservation, now, borrowingFor(group, fleet, instance));
  if (outcome.kind === 'invalid') {
    return joinPlans(
      { actions: swept.actions, events: [] },
      deferRequest({
        requestId,
        reason: 'reservation-does-not-fit',
        detail: outcome.reason,
        now,
        retryAt,
        extraEvents: [{ kind: 'fail-closed', at: now, groupId: group.id, instanceId: instance.id, reason: `due interruption ${requestId}: ${outcome.reason}` }],
      }),
    );
  }
  if (outcome.kind === 'refused') {
    const detail = `${formatResources(estimate.amount)} for ${instance.id} no longer fits in ${group.id}'s pool (short ${formatResources(outcome.shortfall)})`;
    return joinPlans(
      { actions: swept.actions, events: [] },
      deferRequest({
        requestId,
        reason: 'reservation-does-not-fit',
        detail,
        now,
        retryAt,
        shortfall: outcome.shortfall,
        extraEvents: [
          {
            kind: 'reservation-refused',
            at: now,
            groupId: group.id,
            instanceId: instance.id,
            shortfall: outcome.shortfall,
            reason: `due interruption ${requestId}: ${detail}`,
          },
        ],
      }),
    );
  }
  const lent = withLoans(reservation, outcome.loans, outcome.alreadyHeld, now);
  return {
    actions: [...swept.actions, { kind: 'reserve', reservation: lent.reservation }, ...interrupt],
    events: outcome.alreadyHeld
      ? []
      : [
          { kind: 'reservation-made', at: now, groupId: group.id, instanceId: instance.id, reservationId: reservation.id, amount: reservation.amount },
          ...lent.events,
        ],
  };
};

/**
 * A refused due interruption (a deferral without a retry time) is abandoned: the reservation made for its
 * victim's restart is released, unless the planner already does, or the victim is gone — then the
 * reservation may already have been handed over to its replacement, and the planner keeps it on purpose.
 */
const releaseIfAbandoned = (plan: Plan, notice: DueNotice, fleet: FleetView): Plan => {
  const defer = plan.actions.find((a) => a.kind === 'defer-interruption');
  if (defer === undefined || defer.kind !== 'defer-interruption' || defer.retryAt !== undefined || defer.reason === 'unknown-instance') return plan;
  if (plan.actions.some((a) => a.kind === 'release' && a.reservationId === notice.reservationId)) return plan;
  const held = fleet.groups.find((g) => g.id === notice.groupId)?.pool.reservations.get(notice.reservationId);
  if (held === undefined) return plan;
  const release: Action = {
    kind: 'release',
    groupId: notice.groupId,
    reservationId: notice.reservationId,
    reason: `request ${notice.requestId} abandoned: ${defer.reason}`,
  };
  return { ...plan, actions: [release, ...plan.actions] };
};

/**
 * The executor's re-check when a scheduled interruption fires (planDue), and — when it refuses the request for good —
 * the release of the reservation held for its victim's restart (releaseIfAbandoned), in one plan.
 */
export const planDueInterruption = (notice: DueNotice, fleet: FleetView, ctx: DueContext): Plan =>
  releaseIfAbandoned(planDue(notice, fleet, ctx), notice, fleet);
