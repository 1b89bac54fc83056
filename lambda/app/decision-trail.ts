import type { Action, FleetView, GroupId, InstanceId, InterruptionRequest, Plan } from '../core/domain';
import { checkDisruptionBudget } from '../core/budget/disruption-budget';
import { isActive } from '../core/common/locate-instance';
import { isHeldForRequest, reservationPurpose } from '../core/common/reservation-terms';
import { allocatedResources, availableResources, reservedResources } from '../core/pool/resource-pool';
import { formatResources } from '../core/resources/resources';
import type { TrailCheck, TrailEntry } from '../ports/state-store';
import { describeAction } from './describe-action';
import type { ExecutionReport } from './execute-plan';

/**
 * A request record keeps its newest decisions only: a request deferred every 5 minutes for 6 hours
 * would otherwise carry 72 entries (~60 KB) in an item DynamoDB bills per KB written on every retry.
 */
export const MAX_TRAIL_ENTRIES = 8;

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

const deferOf = (plan: Plan): (Action & { kind: 'defer-interruption' }) | undefined =>
  plan.actions.find((a): a is Action & { kind: 'defer-interruption' } => a.kind === 'defer-interruption');

const victimOf = (plan: Plan): { readonly instanceId: InstanceId; readonly groupId: GroupId } | undefined => {
  for (const a of plan.actions) {
    if (a.kind === 'schedule-interruption' || a.kind === 'interrupt-instance') return { instanceId: a.instanceId, groupId: a.groupId };
  }
  return undefined;
};

/** One outcome in words: what the executor did with an action. */
export const describeOutcome = (o: ExecutionReport['outcomes'][number]): string => {
  const what = describeAction(o.action);
  switch (o.kind) {
    case 'done':
      return `done: ${what}${o.detail !== undefined ? ` (${o.detail})` : ''}`;
    case 'skipped':
      return `skipped: ${what} (${o.reason})`;
    case 'refused':
      return `refused by the store: ${what} (short ${formatResources(o.shortfall)})`;
    case 'failed':
      return `failed: ${what} (${o.error.message})`;
  }
};

/**
 * The admission checks of a request decision with the numbers they were made on (the fleet snapshot the
 * plan was made from), marked failed where the plan's deferral or the store's refusal says so.
 */
export const admissionChecks = (input: {
  readonly request?: InterruptionRequest;
  readonly groupId?: GroupId;
  readonly victim?: InstanceId;
  readonly plan: Plan;
  readonly report: ExecutionReport;
  readonly fleet: FleetView;
  readonly now: number;
}): TrailCheck[] => {
  const { request, plan, report, fleet, now } = input;
  const defer = deferOf(plan);
  const chosen = victimOf(plan);
  const victim = chosen?.instanceId ?? input.victim ?? (request?.selector.kind === 'instance' ? request.selector.instanceId : undefined);
  const groupId =
    chosen?.groupId ??
    input.groupId ??
    (request?.selector.kind === 'group' ? request.selector.groupId : fleet.groups.find((g) => g.instances.some((i) => i.id === victim))?.id);
  const group = fleet.groups.find((g) => g.id === groupId);
  const checks: TrailCheck[] = [];

  if (request !== undefined) {
    checks.push({
      name: 'window',
      passed: defer?.reason !== 'not-before' && defer?.reason !== 'deadline-passed',
      detail: `now ${iso(now)}, not before ${iso(request.notBefore)}, deadline ${iso(request.deadline)}`,
    });
  }
  const instance = group?.instances.find((i) => i.id === victim);
  const victimFailed = defer?.reason === 'unknown-instance' || defer?.reason === 'no-eligible-victim';
  checks.push({
    name: 'victim',
    passed: !victimFailed,
    detail: victimFailed
      ? defer.detail
      : instance !== undefined
        ? `${instance.id}: ${instance.lifecycle} ${instance.instanceType} in ${instance.availabilityZone}, priority ${instance.priority}, ${instance.state}`
        : victim !== undefined
          ? `${victim} (not in the snapshot)`
          : 'none chosen (the decision did not get that far)',
  });
  if (victim !== undefined) {
    const f = fleet.forecasts.get(victim);
    const text =
      f === undefined
        ? `no forecast for ${victim}`
        : f.kind === 'unknown'
          ? `unknown for ${victim}: ${f.reason}`
          : `${victim} p90 ${formatResources({ vcpu: f.dims.vcpu.p90, memoryGiB: f.dims.memoryGiB.p90, networkMbps: f.dims.networkMbps.p90, diskIops: f.dims.diskIops.p90 })} (vCPU basis ${f.dims.vcpu.basis}, made ${Math.round((now - f.madeAt) / 60_000)} min before)`;
    checks.push({ name: 'forecast', passed: defer?.reason !== 'forecast-unknown' && f?.kind === 'known', detail: text });
  }
  if (group !== undefined) {
    const budget = checkDisruptionBudget(group, 0);
    // As the coordinator counts them: other requests admitted and not carried out yet hold the budget too.
    const admitted = new Set(
      [...group.pool.reservations.values()]
        .filter((r) => reservationPurpose(r) === 'request' && (request === undefined || !isHeldForRequest(r, request.requestId)) && r.expiresAt > now)
        .filter((r) => {
          const i = group.instances.find((m) => m.id === r.instanceId);
          return i !== undefined && isActive(i);
        })
        .map((r) => r.instanceId),
    ).size;
    checks.push({
      name: 'budget',
      passed: defer?.reason !== 'disruption-budget-exhausted',
      detail: `${budget.inFlight} disruption(s) in flight + ${admitted} admitted and not carried out yet, ${budget.allowed} allowed (maxUnavailable ${JSON.stringify(group.policy.disruptionBudget.maxUnavailable)})`,
    });
    const reserve = plan.actions.find(
      (a): a is Action & { kind: 'reserve' } => a.kind === 'reserve' && (victim === undefined || a.reservation.instanceId === victim),
    );
    const refused = report.outcomes.find((o) => o.kind === 'refused');
    const pool = group.pool;
    const shortfall = refused?.kind === 'refused' ? refused.shortfall : defer?.shortfall;
    checks.push({
      name: 'pool',
      passed: refused === undefined && defer?.reason !== 'reservation-does-not-fit',
      detail: [
        reserve !== undefined ? `needs ${formatResources(reserve.reservation.amount)}` : undefined,
        (reserve?.reservation.loans ?? []).length > 0
          ? `borrows ${(reserve?.reservation.loans ?? []).map((l) => `${formatResources(l.amount)} of ${l.lender}'s unused allocation`).join(' and ')} (borrow_limit ${group.policy.borrowLimit ?? 0})`
          : undefined,
        `free ${formatResources(availableResources(pool))} of capacity ${formatResources(pool.capacity)} (allocated ${formatResources(allocatedResources(pool))}, reserved ${formatResources(reservedResources(pool))})`,
        shortfall !== undefined ? `short ${formatResources(shortfall)}` : undefined,
      ]
        .filter((s): s is string => s !== undefined)
        .join('; '),
    });
  }
  return checks;
};

/** The trail entry of one decision. */
export const trailEntry = (
  input: Parameters<typeof admissionChecks>[0] & { readonly handler: string; readonly noticeKind: string; readonly dryRun: boolean },
): TrailEntry => ({
  at: input.now,
  handler: input.handler,
  noticeKind: input.noticeKind,
  dryRun: input.dryRun,
  checks: admissionChecks(input),
  actions: input.plan.actions.map(describeAction),
  outcomes: input.report.outcomes.map(describeOutcome),
});

/** The trail with one more entry, keeping the newest MAX_TRAIL_ENTRIES. */
export const appendTrail = (trail: readonly TrailEntry[] | undefined, entry: TrailEntry): TrailEntry[] => [...(trail ?? []), entry].slice(-MAX_TRAIL_ENTRIES);
