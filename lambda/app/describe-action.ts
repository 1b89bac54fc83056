import { STANDBY_MARK_TAG, type Action } from '../core/domain';
import { formatResources } from '../core/resources/resources';

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));

/** One action in words, as `spotwise plan` and `spotwise explain` print it. */
export const describeAction = (a: Action): string => {
  switch (a.kind) {
    case 'reserve':
      return `reserve ${formatResources(a.reservation.amount)} in ${a.reservation.groupId} for ${a.reservation.instanceId} until ${iso(a.reservation.expiresAt)} (${a.reservation.id})${
        (a.reservation.loans ?? []).length > 0
          ? `, borrowing ${(a.reservation.loans ?? []).map((l) => `${formatResources(l.amount)} from ${l.lender}`).join(' and ')} (borrow_limit)`
          : ''
      }`;
    case 'release':
      return `release ${a.reservationId} in ${a.groupId}: ${a.reason}`;
    case 'hand-over':
      return `hand ${a.reservationId} over to ${a.instanceId} in ${a.groupId}: ${a.reason}`;
    case 'inherit-profile':
      return `${a.toInstanceId} inherits the profile lineage of ${a.fromInstanceId} (restart at ${iso(a.restartedAt)}, window ${a.windowMinutes} min) in ${a.groupId}: ${a.reason}`;
    case 'retype-stopped-instance':
      return `retype stopped ${a.instanceId} in ${a.groupId} ${a.fromType} → ${a.toType}: ${a.reason}`;
    case 'start-instance':
      return `start ${a.instanceId} in ${a.groupId}: ${a.reason}`;
    case 'change-desired-capacity':
      return `raise desired capacity of ${a.groupId} by ${a.by} (seen at ${a.from}): ${a.reason}`;
    case 'put-warm-pool':
      return `warm pool of ${a.groupId}: min ${a.warmPool.minSize} (read ${a.readMinSize}), max prepared ${a.warmPool.maxGroupPreparedCapacity}, ${a.warmPool.poolState}: ${a.reason}`;
    case 'raise-warm-pool':
      return `raise the warm pool of ${a.groupId} by ${a.by} (room ${a.room}): ${a.reason}`;
    case 'stage-warm-instance':
      return `stage a warm instance of ${a.groupId} for ${a.victimId}: claim the first free of ${a.candidates.map((c) => `${c.instanceId} (${c.covers ? `${c.fromType}, covers` : `${c.fromType} → ${a.toType}`})`).join(', ')}${a.raise ? `, else raise the warm pool by 1 (room ${a.room})` : ''}: ${a.reason}`;
    case 'open-restart-window':
      return `open ${a.instanceId}'s ${a.windowMinutes}-minute post-restart window at ${iso(a.restartedAt)} in ${a.groupId}${a.forecastBefore !== undefined ? ` (forecast before: ${formatResources(a.forecastBefore)})` : ''}`;
    case 'refresh-pool':
      return `refresh the pool of ${a.groupId}: capacity ${formatResources(a.capacity)}${a.create ? ' (created)' : ''}, ${a.reason}`;
    case 'return-standby-instance':
      return `return idle standby ${a.instanceId} of ${a.groupId} (desired capacity − 1): ${a.reason}`;
    case 'complete-lifecycle-action':
      return `complete lifecycle action ${a.hookName} for ${a.instanceId} in ${a.groupId}: ${a.result}`;
    case 'heartbeat':
      return `heartbeat lifecycle action ${a.hookName} for ${a.instanceId} in ${a.groupId}`;
    case 'interrupt-instance':
      return `${a.mode} ${a.instanceId} in ${a.groupId}: ${a.reason}`;
    case 'enter-standby':
      return `tag ${a.instanceId} of ${a.groupId} ${STANDBY_MARK_TAG} and move it to Standby (desired capacity − 1, no health-check replacement): ${a.reason}`;
    case 'exit-standby':
      return `return ${a.instanceId} of ${a.groupId} from Standby to service (desired capacity + 1), then delete its ${STANDBY_MARK_TAG} tag: ${a.reason}`;
    case 'clear-standby-mark':
      return `delete the ${STANDBY_MARK_TAG} tag of ${a.instanceId} in ${a.groupId} (in service): ${a.reason}`;
    case 'schedule-interruption':
      return `schedule ${a.mode} of ${a.instanceId} in ${a.groupId} at ${iso(a.at)} (request ${a.requestId}, reservation ${a.reservationId})`;
    case 'defer-interruption':
      return `defer request ${a.requestId}: ${a.reason}${a.retryAt !== undefined ? `, retry at ${iso(a.retryAt)}` : ', no retry'}${a.shortfall !== undefined ? `, short ${formatResources(a.shortfall)}` : ''}: ${a.detail}`;
    case 'cancel-schedule':
      return `delete the schedule of request ${a.requestId}: ${a.reason}`;
    case 'submit-request':
      return `submit request ${a.request.requestId} (${a.request.selector.kind === 'instance' ? a.request.selector.instanceId : `group ${a.request.selector.groupId}, priority ≤ ${a.request.selector.maxPriority}`}, ${a.request.mode}): ${a.note}`;
    case 'store-request':
      return `record request ${a.record.request.requestId} as ${a.record.status}${a.record.note !== undefined ? `: ${a.record.note}` : ''}`;
    case 'record-request-status':
      return `record request ${a.request.requestId} as ${a.status}: ${a.note}`;
    case 'record-pool-signal':
      return `count the ${a.signal.signal} of ${a.signal.instanceId} (${a.signal.eventId}) against Spot pool ${a.signal.instanceType}@${a.signal.availabilityZone} of ${a.groupId}`;
    case 'request-throttle':
      return `throttle ${a.throttle.instanceId} in ${a.throttle.groupId} on ${a.throttle.dimension} (publish Throttle Requested, ${a.throttle.excess} over): ${a.reason}`;
    case 'noop':
      return `nothing to do: ${a.reason}`;
  }
};
