import type { InterruptionRequest, Plan } from '../core/domain';
import { RETRY_INTERVAL_MS } from '../core/coordinator/defer-request';
import type { StoredRequest } from '../ports/state-store';
import { executePlan, type ExecutionPorts, type ExecutionReport } from './execute-plan';
import { MetricName } from '../contracts/metrics';
import type { Telemetry } from './telemetry';

/**
 * What a request's record says after a plan for it ran: scheduled (with victim and reservation),
 * executed, deferred (with retryAt) or refused (a deferral without a retry time, or nothing to do).
 * A failed execution or a reservation the store refused is a deferral: the next retry re-plans from
 * fresh state — unless the deadline leaves no time, then it is refused.
 */
export const requestStatusAfter = (request: InterruptionRequest, plan: Plan, report: ExecutionReport, now: number): StoredRequest => {
  const base = { request, updatedAt: now };
  const retry = (note: string): StoredRequest => {
    const retryAt = Math.min(now + RETRY_INTERVAL_MS, request.deadline);
    return retryAt > now ? { ...base, status: 'deferred', retryAt, note } : { ...base, status: 'refused', note: `${note}; no time left before the deadline` };
  };
  const done = (kind: string) => report.outcomes.find((o) => o.kind === 'done' && o.action.kind === kind);

  const interrupted = done('interrupt-instance');
  if (interrupted !== undefined && interrupted.action.kind === 'interrupt-instance') {
    return { ...base, status: 'executed', victim: interrupted.action.instanceId, note: `${interrupted.action.mode} carried out` };
  }
  const scheduled = done('schedule-interruption');
  if (scheduled !== undefined && scheduled.action.kind === 'schedule-interruption') {
    const a = scheduled.action;
    return { ...base, status: 'scheduled', victim: a.instanceId, reservationId: a.reservationId, note: `scheduled for ${new Date(a.at).toISOString()}` };
  }
  const failed = report.outcomes.find((o) => o.kind === 'failed');
  if (failed !== undefined && failed.kind === 'failed') return retry(`${failed.action.kind} failed: ${failed.error.message}`);
  const blocked = report.outcomes.find((o) => o.kind === 'skipped' && o.cause === 'fail-closed');
  if (blocked !== undefined && blocked.kind === 'skipped') return retry(`not admitted: ${blocked.reason}`);
  const defer = plan.actions.find((a) => a.kind === 'defer-interruption');
  if (defer !== undefined && defer.kind === 'defer-interruption') {
    const note = `${defer.reason}: ${defer.detail}`;
    return defer.retryAt !== undefined ? { ...base, status: 'deferred', retryAt: defer.retryAt, note } : { ...base, status: 'refused', note };
  }
  const reasons = plan.actions.flatMap((a) => (a.kind === 'noop' ? [a.reason] : []));
  return { ...base, status: 'refused', note: reasons.length > 0 ? reasons.join('; ') : 'the plan carried out nothing for this request' };
};

/**
 * Writes a request's record after its decision through the executor (a one-action plan, `store-request`), so dry-run
 * is enforced for it where it is for every write. A failed write is logged, counted (ActionFailures) and thrown: the
 * invocation fails as a failed store call always has, and the request's previous record stands.
 */
export const storeRequestRecord = async (
  deps: { readonly ports: ExecutionPorts; readonly telemetry: Telemetry },
  record: StoredRequest,
  dryRun: boolean,
  keys: Readonly<Record<string, string>>,
): Promise<void> => {
  const report = await executePlan({ actions: [{ kind: 'store-request', record }], events: [] }, deps.ports, { dryRun });
  const failed = report.outcomes.find((o) => o.kind === 'failed');
  if (failed?.kind !== 'failed') return;
  deps.telemetry.log.error('storing the request record failed', { ...keys, error: failed.error.message });
  deps.telemetry.metrics.metric(MetricName.actionFailures, 'Count', 1);
  throw failed.error;
};
