import { groupId, instanceId, type DomainEvent, type Notice, type Plan } from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import { isReclaimRecord } from '../core/common/reservation-terms';
import type { EventPublisher, PublishedAction, PublishedEntry, PublishedPlan } from '../ports/event-publisher';
import { executePlan, type ExecutionPorts, type ExecutionReport } from './execute-plan';
import type { Telemetry } from './telemetry';

export interface RunPlanInput {
  /** Which Lambda made the plan (profiler, notice, coordinator, executor). */
  readonly handler: string;
  readonly notice: Notice;
  readonly plan: Plan;
  readonly dryRun: boolean;
  readonly ports: ExecutionPorts & { readonly publisher: EventPublisher };
  readonly telemetry: Telemetry;
}

/** Log keys naming what an action touches (STYLE.md habit 11: instanceId, groupId, action, eventId). */
const actionKeys = (a: Plan['actions'][number]): Record<string, string> => ({
  action: a.kind,
  ...('groupId' in a ? { groupId: a.groupId } : {}),
  ...('instanceId' in a ? { instanceId: a.instanceId } : {}),
  ...(a.kind === 'reserve' ? { groupId: a.reservation.groupId, instanceId: a.reservation.instanceId, reservationId: a.reservation.id } : {}),
});

/**
 * The domain events to publish after execution: what the plan *said* would happen, corrected by what
 * did. A reservation the store refused is reported refused (with the store's shortfall), an interruption
 * that was not scheduled because its reservation was refused is reported deferred, events for actions
 * never carried out (or undone by compensation) are dropped, and a failed execution adds a fail-closed event naming the failure.
 */
export const reconcileEvents = (plan: Plan, report: ExecutionReport, at: number): DomainEvent[] => {
  const made = new Set<string>();
  const scheduled = new Set<string>();
  for (const o of report.outcomes) {
    if (o.kind !== 'done') continue;
    if (o.action.kind === 'reserve') made.add(o.action.reservation.id);
    if (o.action.kind === 'schedule-interruption') scheduled.add(o.action.requestId);
  }
  // Compensation undid some of it: a released reservation or a cancelled schedule did not happen after all.
  for (const c of report.compensations) {
    if (c.kind !== 'done') continue;
    if (c.action.kind === 'release') made.delete(c.action.reservationId);
    if (c.action.kind === 'schedule-interruption') scheduled.delete(c.action.requestId);
  }
  const releasedIds = new Set<string>(
    report.outcomes.flatMap((o) => (o.kind === 'done' && o.action.kind === 'release' ? [o.action.reservationId as string] : [])),
  );
  const refused = new Map(report.refused.map((r) => [r.reservation.id as string, r] as const));
  const blockedSchedules = new Set<string>(
    report.outcomes.flatMap((o) =>
      o.kind === 'skipped' && o.action.kind === 'schedule-interruption' && o.cause === 'fail-closed' ? [o.action.requestId] : [],
    ),
  );
  const out: DomainEvent[] = [];
  for (const e of plan.events) {
    if (e.kind === 'reservation-made') {
      const r = refused.get(e.reservationId);
      if (made.has(e.reservationId)) out.push(e);
      else if (r !== undefined)
        out.push({
          kind: 'reservation-refused',
          at,
          groupId: e.groupId,
          instanceId: e.instanceId,
          shortfall: r.shortfall,
          reason: `the store refused reservation ${e.reservationId}`,
        });
      continue;
    }
    // A loan exists only if its reservation was made; a revocation only if its release was carried out.
    if (e.kind === 'loan-made') {
      if (made.has(e.reservationId)) out.push(e);
      continue;
    }
    if (e.kind === 'loan-revoked') {
      if (releasedIds.has(e.reservationId)) out.push(e);
      continue;
    }
    if (e.kind === 'interruption-scheduled') {
      if (scheduled.has(e.requestId)) out.push(e);
      else if (blockedSchedules.has(e.requestId)) out.push({ kind: 'interruption-deferred', at, requestId: e.requestId, reason: 'reservation-does-not-fit' });
      continue;
    }
    out.push(e);
  }
  const failed = report.outcomes.find((o) => o.kind === 'failed');
  if (failed !== undefined && failed.kind === 'failed') {
    const keys = actionKeys(failed.action);
    out.push({
      kind: 'fail-closed',
      at,
      ...(keys.groupId !== undefined ? { groupId: groupId(keys.groupId) } : {}),
      ...(keys.instanceId !== undefined ? { instanceId: instanceId(keys.instanceId) } : {}),
      reason: `${failed.action.kind} failed: ${failed.error.message}; the rest of the plan was not carried out`,
    });
  }
  return out;
};

/** The plan as logged and published (`Plan Made`): a pool refresh's allocations counted, not listed. */
export const publishedPlan = (plan: Plan): PublishedPlan => ({
  actions: plan.actions.map((a): PublishedAction => (a.kind === 'refresh-pool' ? { ...a, allocations: a.allocations.length, lowered: a.lowered.length } : a)),
  events: plan.events,
});

/**
 * The tail every handler shares: log the plan, execute it (or not, in dry-run), log each outcome,
 * publish the plan ("Plan Made") and, when live, the reconciled domain events, and count what happened.
 * Never throws for a failed action or a failed publish: those are logged and counted (ActionFailures),
 * so a half-done plan is not retried blindly by EventBridge.
 */
export const runPlan = async (input: RunPlanInput): Promise<{ readonly report: ExecutionReport; readonly events: readonly DomainEvent[] }> => {
  const { handler, notice, plan, dryRun, ports, telemetry } = input;
  const { log, metrics } = telemetry;
  const base = { handler, eventId: notice.eventId, noticeKind: notice.kind, dryRun };
  const published = publishedPlan(plan);
  log.info('plan made', { ...base, actions: plan.actions.map((a) => a.kind), plan: published });

  const report = await executePlan(plan, ports, { dryRun });
  for (const o of report.outcomes) {
    if (o.kind === 'failed') log.error('action failed', { ...base, ...actionKeys(o.action), error: o.error.message, errorName: o.error.name });
    else if (o.kind === 'refused') log.warn('reservation refused by the store', { ...base, ...actionKeys(o.action), shortfall: o.shortfall });
    else if (o.kind === 'skipped' && !dryRun) log.warn('action skipped', { ...base, ...actionKeys(o.action), reason: o.reason });
    else if (o.kind === 'done') log.debug('action done', { ...base, ...actionKeys(o.action), ...(o.detail !== undefined ? { detail: o.detail } : {}) });
  }
  for (const c of report.compensations) {
    const level = c.kind === 'failed' ? 'error' : 'warn';
    log[level]('compensation', {
      ...base,
      ...actionKeys(c.action),
      outcome: c.kind,
      ...(c.kind === 'failed' ? { error: c.error.message } : c.kind === 'done' ? { detail: c.detail } : c.kind === 'skipped' ? { reason: c.reason } : {}),
    });
  }

  const events = dryRun ? [] : reconcileEvents(plan, report, ports.clock.now());
  const entries: PublishedEntry[] = [
    { detailType: 'Plan Made', detail: { handler, dryRun, plan: published, noticeKind: notice.kind } },
    ...events.map((e): PublishedEntry => ({ detailType: 'Domain Event', detail: e })),
  ];
  try {
    await ports.publisher.publish(entries);
  } catch (error) {
    log.error('publishing the plan and its events failed', { ...base, error: (error as Error).message });
    metrics.metric(MetricName.actionFailures, 'Count', 1, { [MetricDimension.reason]: 'publish' });
  }

  const failures = report.outcomes.filter((o) => o.kind === 'failed').length + report.compensations.filter((c) => c.kind === 'failed').length;
  if (failures > 0) metrics.metric(MetricName.actionFailures, 'Count', failures);
  // Reclaim records (spot-pool-stability.ts) hold no capacity: they are history, not reservations made.
  const made = report.reserved.filter((r) => !isReclaimRecord(r)).length;
  if (made > 0) metrics.metric(MetricName.reservationsMade, 'Count', made);
  if (report.refused.length > 0) metrics.metric(MetricName.reservationRefusals, 'Count', report.refused.length);
  const scheduledCount = report.outcomes.filter((o) => o.kind === 'done' && o.action.kind === 'schedule-interruption').length;
  if (scheduledCount > 0) metrics.metric(MetricName.interruptionsScheduled, 'Count', scheduledCount);
  for (const o of report.outcomes)
    if (o.kind === 'done' && o.action.kind === 'request-throttle')
      metrics.metric(MetricName.throttlesRequested, 'Count', 1, { [MetricDimension.group]: o.action.throttle.groupId });
  for (const e of events) {
    if (e.kind === 'interruption-deferred') metrics.metric(MetricName.deferrals, 'Count', 1, { [MetricDimension.reason]: e.reason });
    if (e.kind === 'spot-pool-unstable') metrics.metric(MetricName.unstableSpotPoolShifts, 'Count', 1, { [MetricDimension.group]: e.groupId });
    if (e.kind === 'loan-made') metrics.metric(MetricName.loansMade, 'Count', 1, { [MetricDimension.group]: e.groupId });
    if (e.kind === 'loan-revoked') metrics.metric(MetricName.loansRevoked, 'Count', 1, { [MetricDimension.group]: e.groupId });
  }
  // Fail-closed decisions are counted in dry-run too (from the plan, as nothing was executed): an unknown
  // forecast that would leave an interruption unprotected must be visible before anyone turns dry-run off.
  const failClosed = (dryRun ? plan.events : events).filter((e) => e.kind === 'fail-closed');
  if (failClosed.length > 0) metrics.metric(MetricName.failClosedDecisions, 'Count', failClosed.length);
  return { report, events };
};
