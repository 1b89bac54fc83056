import type { Notice, NoticeKind } from '../core/domain';
import { MetricDimension, MetricName } from '../contracts/metrics';
import { parseEvent } from '../events/registry';
import type { BaseDeps, HandlerResult } from './handler-deps';

type Accepted<K extends NoticeKind> = Extract<Notice, { kind: K }>;

/**
 * The front every handler shares: parse through the registry, never throw for a bad event.
 * Malformed → logged with what is wrong, counted (MalformedEvents), dropped. A noop notice, or a notice
 * this handler is not for → logged and counted (IgnoredEvents). Parser tolerances are logged as warnings.
 * Returns the notice to act on, or the result to return at once.
 */
export const acceptEvent = <K extends NoticeKind>(
  handler: string,
  raw: unknown,
  kinds: readonly K[],
  deps: Pick<BaseDeps, 'telemetry'> & { readonly ports: { readonly clock: { now(): number } } },
  /** Events this handler expects as plain triggers (not counted as ignored). */
  isTrigger: (notice: Notice) => boolean = () => false,
): { readonly kind: 'notice'; readonly notice: Accepted<K>; readonly now: number } | { readonly kind: 'done'; readonly result: HandlerResult } => {
  const { log, metrics } = deps.telemetry;
  const now = deps.ports.clock.now();
  const parsed = parseEvent(raw, { receivedAt: now });
  if (parsed.kind === 'malformed') {
    log.error('malformed event dropped', { handler, source: parsed.source, detailType: parsed.detailType, eventId: parsed.eventId, errors: parsed.errors });
    metrics.metric(MetricName.malformedEvents, 'Count', 1);
    return { kind: 'done', result: { status: 'malformed', errors: parsed.errors } };
  }
  const { notice, warnings } = parsed;
  for (const w of warnings) log.warn('event accepted with a tolerance', { handler, eventId: notice.eventId, noticeKind: notice.kind, warning: w });
  if (notice.kind === 'noop' || !(kinds as readonly NoticeKind[]).includes(notice.kind)) {
    const reason = notice.kind === 'noop' ? notice.reason : `the ${handler} handler does not handle ${notice.kind} notices`;
    if (isTrigger(notice)) {
      log.debug('trigger event', { handler, eventId: notice.eventId, reason });
      return { kind: 'done', result: { status: 'ignored', reason: 'trigger', ...(notice.eventId !== undefined ? { eventId: notice.eventId } : {}) } };
    }
    log.info('event ignored', { handler, eventId: notice.eventId, noticeKind: notice.kind, reason });
    metrics.metric(MetricName.ignoredEvents, 'Count', 1, { [MetricDimension.noticeKind]: notice.kind });
    return { kind: 'done', result: { status: 'ignored', reason, ...(notice.eventId !== undefined ? { eventId: notice.eventId } : {}) } };
  }
  return { kind: 'notice', notice: notice as Accepted<K>, now };
};

/** Runs an invocation inside the tracer and always flushes metrics, even when it throws. */
export const instrumented = async <T>(deps: Pick<BaseDeps, 'telemetry'>, handler: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await deps.telemetry.tracer.trace(handler, { handler }, fn);
  } finally {
    deps.telemetry.metrics.flush();
  }
};
