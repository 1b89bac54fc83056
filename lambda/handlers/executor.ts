import { MetricDimension, MetricName } from '../contracts/metrics';
import { planDueInterruption } from '../core/coordinator/plan-request';
import { buildAwsDeps } from '../app/aws-deps';
import { appendTrail, trailEntry } from '../app/decision-trail';
import { acceptEvent, instrumented } from '../app/handle-event';
import { resolveDeps, type BaseDeps, type DepsSource, type HandlerResult } from '../app/handler-deps';
import { relatedGroups } from '../app/managed-groups';
import { runPipeline } from '../app/pipeline';
import { requestStatusAfter, storeRequestRecord } from '../app/request-status';
import { lazy } from '../app/runtime';

export type ExecutorDeps = BaseDeps;

const HANDLER = 'executor';

/**
 * The executor Lambda: an EventBridge Scheduler one-time schedule firing ("Interruption Due"). Re-checks
 * everything at the moment of acting — the victim still runs, the deadline holds, the disruption budget
 * has room, the reservation is still held (or can be made again) — then stops, hibernates or terminates
 * it; otherwise defers (the planner releases the reservation of a deferred or refused request) and
 * records the request's status for the coordinator's retry pass.
 */
export const makeHandler =
  (source: DepsSource<ExecutorDeps>) =>
  async (event: unknown): Promise<HandlerResult> => {
    const deps = resolveDeps(source);
    return instrumented(deps, HANDLER, async () => {
      const { log, metrics } = deps.telemetry;
      const accepted = acceptEvent(HANDLER, event, ['interruption-due'] as const, deps);
      if (accepted.kind === 'done') return accepted.result;
      const { notice, now } = accepted;
      const keys = { handler: HANDLER, eventId: notice.eventId, requestId: notice.requestId, instanceId: notice.instanceId, groupId: notice.groupId };

      const stored = await deps.ports.state.getRequest(notice.requestId);
      if (stored !== undefined && (stored.status === 'executed' || stored.status === 'cancelled' || stored.status === 'refused')) {
        log.info('due interruption ignored: the request is already settled', { ...keys, status: stored.status });
        return { status: 'duplicate', eventId: notice.eventId };
      }
      if (stored === undefined) log.warn('due interruption for a request with no record: its deadline is unknown', keys);

      const outcome = await runPipeline(deps, {
        handler: HANDLER,
        notice,
        now,
        keys,
        group: notice.groupId,
        load: { groupIds: relatedGroups(deps.managed, notice.groupId) },
        plan: (fleet) =>
          planDueInterruption(notice, fleet, {
            now,
            ...(stored !== undefined ? { deadline: stored.request.deadline, groupRequest: stored.request.selector.kind === 'group' } : {}),
          }),
        mark: true,
      });
      if (outcome.kind !== 'ran') return outcome.result;
      const { loaded, plan, dryRun, report } = outcome;
      if (stored !== undefined) {
        const entry = trailEntry({
          handler: HANDLER,
          noticeKind: notice.kind,
          dryRun,
          request: stored.request,
          groupId: notice.groupId,
          victim: notice.instanceId,
          plan,
          report,
          fleet: loaded.fleet,
          now,
        });
        const status = { ...requestStatusAfter(stored.request, plan, report, now), trail: appendTrail(stored.trail, entry) };
        log.info('request status', { ...keys, status: status.status, note: status.note, dryRun });
        await storeRequestRecord(deps, { ...status, reservationId: notice.reservationId, victim: notice.instanceId }, dryRun, keys);
      }
      metrics.metric(MetricName.noticesHandled, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
      return outcome.result;
    });
  };

export const defaultDeps = (): (() => ExecutorDeps) => lazy(() => buildAwsDeps(HANDLER));

export const handler = makeHandler(defaultDeps());
