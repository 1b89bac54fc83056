import type { GroupId } from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import { withLineage } from '../core/planner/choose-hand-over';
import { planNoticeResponse } from '../core/planner/plan-notice';
import { buildAwsDeps } from '../app/aws-deps';
import { acceptEvent, instrumented } from '../app/handle-event';
import { resolveDeps, type BaseDeps, type DepsSource, type HandlerResult } from '../app/handler-deps';
import { noticeForecastScope } from '../app/load-fleet';
import { relatedGroups } from '../app/managed-groups';
import { runPipeline } from '../app/pipeline';
import { lazy } from '../app/runtime';

export type NoticeDeps = BaseDeps;

const HANDLER = 'notice';
const KINDS = [
  'spot-interruption-warning',
  'capacity-reservation-interruption-warning',
  'rebalance-recommendation',
  'state-change',
  'lifecycle-launch',
  'lifecycle-terminate',
] as const;

/**
 * The notice Lambda (DESIGN.md flow 2): spot warnings, rebalance recommendations, state changes and
 * lifecycle actions. Idempotent on the event id (marked after the reads, before the first effect); finds the instance's group (EC2 events carry none);
 * loads the fleet snapshot — stored forecasts only, no model on this path, so it answers well inside
 * the two-minute warning — plans, executes, publishes, and counts NoticesHandled (by kind) and
 * NoticeToLastActionSeconds.
 */
export const makeHandler =
  (source: DepsSource<NoticeDeps>) =>
  async (event: unknown): Promise<HandlerResult> => {
    const deps = resolveDeps(source);
    return instrumented(deps, HANDLER, async () => {
      const { log, metrics } = deps.telemetry;
      const accepted = acceptEvent(HANDLER, event, KINDS, deps);
      if (accepted.kind === 'done') return accepted.result;
      const { notice, now } = accepted;
      const keys = { handler: HANDLER, eventId: notice.eventId, noticeKind: notice.kind, instanceId: notice.instanceId };

      // Lifecycle actions name their group; EC2 events do not, so look the instance up (cached by the adapter).
      const group: GroupId | undefined =
        notice.kind === 'lifecycle-launch' || notice.kind === 'lifecycle-terminate'
          ? notice.groupId
          : await deps.ports.capacity.findGroupOfInstance(notice.instanceId);
      if (group === undefined) {
        log.info('event ignored: the instance is in no Auto Scaling group', keys);
        metrics.metric(MetricName.ignoredEvents, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
        return { status: 'ignored', reason: `${notice.instanceId} is in no Auto Scaling group`, eventId: notice.eventId };
      }

      // Only the forecasts the planners read here: the noticed instance's and its On-Demand siblings' (noticeForecastScope).
      const outcome = await runPipeline(deps, {
        handler: HANDLER,
        notice,
        now,
        keys: { ...keys, groupId: group },
        group,
        load: {
          groupIds: relatedGroups(deps.managed, group),
          forecastScope: noticeForecastScope(notice.instanceId),
          describeOnly: [notice.instanceId],
          // Only a recommendation stages a warm instance by the claims on them.
          readWarmClaims: notice.kind === 'rebalance-recommendation',
        },
        check: (loaded) => {
          if (loaded.fleet.groups.some((g) => g.id === group)) return undefined;
          log.info('event ignored: the group is not managed by spotwise', { ...keys, groupId: group });
          metrics.metric(MetricName.ignoredEvents, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
          return { status: 'ignored', reason: `group ${group} is not managed by spotwise`, eventId: notice.eventId };
        },
        // A hand-over to a newcomer carries its victim's profile lineage (restart learning), in the same plan.
        plan: (fleet) =>
          withLineage(planNoticeResponse(notice, fleet, { now }), fleet, notice.at, notice.kind === 'lifecycle-launch' ? notice.groupId : undefined),
        mark: true,
      });
      if (outcome.kind !== 'ran') return outcome.result;
      const { report } = outcome;

      metrics.metric(MetricName.noticesHandled, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
      if (report.lastActionAt !== undefined) {
        // From the event's time (when AWS emitted it) to the last call made: what the 120 s warning leaves.
        metrics.metric(MetricName.noticeToLastActionSeconds, 'Seconds', Math.max(0, (report.lastActionAt - notice.at) / 1000));
      }
      return outcome.result;
    });
  };

/** Real AWS adapters, built on the first invocation (importing this module needs no AWS environment). */
export const defaultDeps = (): (() => NoticeDeps) => lazy(() => buildAwsDeps(HANDLER));

export const handler = makeHandler(defaultDeps());
