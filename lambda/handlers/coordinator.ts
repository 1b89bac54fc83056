import type { GroupId, InstanceId, InterruptionRequest, Notice } from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import { planCancel } from '../core/coordinator/plan-cancel';
import { planInterruptionRequest } from '../core/coordinator/plan-request';
import type { StoredRequest } from '../ports/state-store';
import { buildAwsDeps } from '../app/aws-deps';
import { appendTrail, trailEntry } from '../app/decision-trail';
import { acceptEvent, instrumented } from '../app/handle-event';
import { resolveDeps, type BaseDeps, type DepsSource, type HandlerResult } from '../app/handler-deps';
import { relatedGroups } from '../app/managed-groups';
import { runPipeline } from '../app/pipeline';
import { requestStatusAfter, storeRequestRecord } from '../app/request-status';
import { lazy } from '../app/runtime';

export type CoordinatorDeps = BaseDeps;

const HANDLER = 'coordinator';

/**
 * Due deferred requests re-planned per invocation. Each loads a fleet snapshot and may reserve and
 * schedule; ten keeps an invocation well under a minute even when a burst of requests was deferred.
 */
export const MAX_RETRIES_PER_INVOCATION = 10;

type RequestNotice = Extract<Notice, { kind: 'interruption-request' }>;
type MaintenanceNotice = Extract<Notice, { kind: 'scheduled-maintenance' }>;
type CancelNotice = Extract<Notice, { kind: 'interruption-cancel' }>;

/** The stack's retry schedule invokes the coordinator with EventBridge's plain scheduled event. */
const isRetryTick = (n: Notice): boolean => n.kind === 'noop' && n.source === 'aws.events' && n.detailType === 'Scheduled Event';

/**
 * The coordinator Lambda (DESIGN.md flow 3). For an "Interruption Requested" event: idempotent on the
 * event id and on the request id (a request already scheduled, executed or refused is not planned
 * again), then plan (victim, admission against pool and budget), execute (reserve + schedule, or
 * defer) and record the request's status. On every invocation — including a plain scheduled trigger
 * that the registry treats as noop — it also re-plans up to MAX_RETRIES_PER_INVOCATION deferred
 * requests whose retry time has come.
 */
export const makeHandler =
  (source: DepsSource<CoordinatorDeps>) =>
  async (event: unknown): Promise<HandlerResult> => {
    const deps = resolveDeps(source);
    return instrumented(deps, HANDLER, async () => {
      const accepted = acceptEvent(HANDLER, event, ['interruption-request', 'interruption-cancel', 'scheduled-maintenance'] as const, deps, isRetryTick);
      let result: HandlerResult;
      if (accepted.kind === 'done') {
        if (accepted.result.status === 'malformed') return accepted.result;
        result = accepted.result;
      } else if (accepted.notice.kind === 'interruption-cancel') {
        result = await handleCancel(deps, accepted.notice, accepted.now);
      } else if (accepted.notice.kind === 'scheduled-maintenance') {
        result = await handleMaintenance(deps, accepted.notice, accepted.now);
      } else {
        result = await handleRequest(deps, accepted.notice, accepted.now);
      }
      await retryDueRequests(deps, result.status === 'planned' ? result.eventId : undefined);
      return result;
    });
  };

const handleRequest = async (deps: CoordinatorDeps, notice: RequestNotice, now: number): Promise<HandlerResult> => {
  const { log } = deps.telemetry;
  const { request } = notice;
  const existing = await deps.ports.state.getRequest(request.requestId);
  if (existing !== undefined && existing.status !== 'pending' && existing.status !== 'deferred') {
    log.info('request already handled', { handler: HANDLER, eventId: notice.eventId, requestId: request.requestId, status: existing.status });
    return { status: 'duplicate', eventId: notice.eventId };
  }
  return planRequest(deps, notice, now, true, existing);
};

/**
 * An operator's cancel (`spotwise cancel`): the stored request decides what is left to undo (planCancel);
 * the plan records the cancel, deletes the schedule and releases the reservations, all through the
 * executor. A cancel of an unknown, executed, refused or cancelled request plans nothing and says why.
 */
const handleCancel = async (deps: CoordinatorDeps, notice: CancelNotice, now: number): Promise<HandlerResult> => {
  const { log, metrics } = deps.telemetry;
  const keys = { handler: HANDLER, eventId: notice.eventId, requestId: notice.requestId };
  const stored = await deps.ports.state.getRequest(notice.requestId);
  const group = stored === undefined ? undefined : await groupOf(deps, stored.request, stored.victim);
  const outcome = await runPipeline(deps, {
    handler: HANDLER,
    notice,
    now,
    keys,
    ...(group !== undefined ? { group } : {}),
    load: group === undefined ? {} : { groupIds: relatedGroups(deps.managed, group) },
    plan: (fleet) => planCancel(notice.requestId, stored, fleet, { now, reason: notice.reason }),
    mark: true,
  });
  if (outcome.kind !== 'ran') return outcome.result;
  const { plan, dryRun } = outcome;
  log.info('cancel planned', {
    ...keys,
    ...(group !== undefined ? { groupId: group } : {}),
    status: stored?.status ?? 'unknown',
    actions: plan.actions.map((a) => a.kind),
    dryRun,
  });
  metrics.metric(MetricName.noticesHandled, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
  return outcome.result;
};

/**
 * AWS Health scheduled maintenance: each affected instance's request is handled like an "Interruption
 * Requested" event (idempotent on its own event id and request id, planned against a fresh snapshot, so
 * a later request sees the reservations of the earlier ones), one after the other.
 */
const handleMaintenance = async (deps: CoordinatorDeps, notice: MaintenanceNotice, now: number): Promise<HandlerResult> => {
  const results: HandlerResult[] = [];
  for (const request of notice.requests) {
    // Health reports every instance of the account: one in no group spotwise manages is not a request of ours.
    const group = await groupOf(deps, request);
    if (group === undefined || (!deps.managed.groups.has(group) && deps.managed.groupTag === undefined)) {
      deps.telemetry.log.info('scheduled maintenance of an instance spotwise does not manage', {
        handler: HANDLER,
        eventId: notice.eventId,
        requestId: request.requestId,
        ...(group !== undefined ? { groupId: group } : {}),
      });
      continue;
    }
    const target = request.selector.kind === 'instance' ? request.selector.instanceId : request.selector.groupId;
    results.push(await handleRequest(deps, { kind: 'interruption-request', eventId: `${notice.eventId}:${target}`, at: notice.at, request }, now));
  }
  if (results.length === 0) {
    deps.telemetry.metrics.metric(MetricName.ignoredEvents, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
    return {
      status: 'ignored',
      reason: `none of the ${notice.requests.length} instance(s) of AWS Health ${notice.eventTypeCode} is managed by spotwise`,
      eventId: notice.eventId,
    };
  }
  const planned = results.filter((r): r is Extract<HandlerResult, { status: 'planned' }> => r.status === 'planned');
  if (planned.length === 0) return { status: 'duplicate', eventId: notice.eventId };
  return {
    status: 'planned',
    eventId: notice.eventId,
    noticeKind: notice.kind,
    dryRun: planned.some((r) => r.dryRun),
    actions: planned.flatMap((r) => r.actions),
    succeeded: planned.every((r) => r.succeeded),
  };
};

/** Plans one request, executes the plan and records the request's new status. */
const planRequest = async (
  deps: CoordinatorDeps,
  notice: RequestNotice,
  now: number,
  markEvent: boolean,
  previous: StoredRequest | undefined,
): Promise<HandlerResult> => {
  const { log, metrics } = deps.telemetry;
  const { request } = notice;
  const keys = { handler: HANDLER, eventId: notice.eventId, requestId: request.requestId };
  const group = await groupOf(deps, request);
  const outcome = await runPipeline(deps, {
    handler: HANDLER,
    notice,
    now,
    keys,
    ...(group !== undefined ? { group } : {}),
    load: group === undefined ? {} : { groupIds: relatedGroups(deps.managed, group) },
    plan: (fleet) => planInterruptionRequest(request, fleet, { now }),
    mark: markEvent,
  });
  if (outcome.kind !== 'ran') return outcome.result;
  const { loaded, plan, dryRun, report } = outcome;
  const entry = trailEntry({
    handler: HANDLER,
    noticeKind: notice.kind,
    dryRun,
    request,
    ...(group !== undefined ? { groupId: group } : {}),
    plan,
    report,
    fleet: loaded.fleet,
    now,
  });
  const status = { ...requestStatusAfter(request, plan, report, now), trail: appendTrail(previous?.trail, entry) };
  log.info('request status', { ...keys, ...(group !== undefined ? { groupId: group } : {}), status: status.status, note: status.note, dryRun });
  await storeRequestRecord(deps, status, dryRun, keys);
  metrics.metric(MetricName.noticesHandled, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
  return outcome.result;
};

/** The group a request's selector points at (an instance through the cached instance → group lookup). */
const groupOf = async (deps: CoordinatorDeps, request: InterruptionRequest, victim?: InstanceId): Promise<GroupId | undefined> =>
  request.selector.kind === 'group' ? request.selector.groupId : deps.ports.capacity.findGroupOfInstance(victim ?? request.selector.instanceId);

const retryDueRequests = async (deps: CoordinatorDeps, justPlanned: string | undefined): Promise<void> => {
  const now = deps.ports.clock.now();
  const due = (await deps.ports.state.listDueRequests(now)).filter((r) => r.request.requestId !== justPlanned);
  for (const stored of due.slice(0, MAX_RETRIES_PER_INVOCATION)) {
    const notice: RequestNotice = { kind: 'interruption-request', eventId: `retry:${stored.request.requestId}:${now}`, at: now, request: stored.request };
    try {
      await planRequest(deps, notice, now, false, stored);
    } catch (error) {
      // One request's failure (e.g. a throttled describe) must not starve the others; it stays due.
      deps.telemetry.log.error('retrying a deferred request failed', {
        handler: HANDLER,
        requestId: stored.request.requestId,
        error: (error as Error).message,
      });
    }
  }
  if (due.length > MAX_RETRIES_PER_INVOCATION) {
    deps.telemetry.log.warn('more deferred requests are due than one invocation retries', {
      handler: HANDLER,
      due: due.length,
      retried: MAX_RETRIES_PER_INVOCATION,
    });
  }
};

export const defaultDeps = (): (() => CoordinatorDeps) => lazy(() => buildAwsDeps(HANDLER, { needsScheduler: true }));

export const handler = makeHandler(defaultDeps());
