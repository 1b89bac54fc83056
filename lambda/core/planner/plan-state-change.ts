import type { Action, FleetView, GroupView, ManagedInstance, Notice, Plan } from '../domain';
import { pendingRetype, stoppedThroughStandby } from '../coordinator/voluntary-stop';
import { standbyExitFor } from '../coordinator/standby-exit';
import { ignoreNotice } from '../common/ignore-notice';
import { locateInstance } from '../common/locate-instance';
import { reservationsFor } from '../common/reservation-terms';
import { forecastRecord } from '../predict/calibrate';

type StateChange = Extract<Notice, { kind: 'state-change' }>;

/**
 * A member spotwise moved to Standby runs again with no reservation held for its restart (it expired; an operator or a
 * Spot victim's absorb-load started it): back in service now, rather than at the next profiler tick
 * (standby-exit.ts). The notice says it runs, whatever EC2's description still says of it.
 */
const standbyExitOnRunning = (group: GroupView, instance: ManagedInstance, now: number): Action[] => {
  const decision = standbyExitFor(group, instance.state === 'pending' ? { ...instance, state: 'running' } : instance, now);
  return decision?.kind === 'exit' ? [decision.action] : [];
};

/**
 * EC2 state changes.
 *
 * - `running` is only ever entered from `pending`, so a running notice is the pending → running boundary that
 *   opens the post-restart window (the profiler then records the demand curve, DESIGN §4 flow 4), and a
 *   reservation held for this very instance (spot stop / hibernate, a voluntary stop, or a stop → modify → start
 *   sibling) becomes its allocation. A voluntary stop went through Standby (coordinator/voluntary-stop.ts), so the
 *   instance goes back in service (ExitStandby) after the hand-over. Warm-pool instances pass through running
 *   while they initialise, which is not a restart.
 * - `stopped` continues a stop → modify → start: the sibling's reservation names the type to change to, so the
 *   plan is retype (unless already that type) → start. A stop takes tens of seconds, far longer than waiting inside
 *   the notice that asked for it would be safe; the instance waits in Standby, out of the health check's reach.
 * Other states need no action here.
 */
export const planStateChange = (notice: StateChange, fleet: FleetView, now: number): Plan => {
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `state change of ${notice.instanceId} to ${notice.state}: not a managed instance`, notice.instanceId);
  const { group, instance } = located;
  if (notice.state === 'stopped') return planResizeContinuation(notice, group, instance, now);
  if (notice.state !== 'running') return ignoreNotice(now, `state change of ${instance.id} to ${notice.state}: no action needed`, instance.id);
  if (instance.warm) return ignoreNotice(now, `warm-pool instance ${instance.id} is initialising: not a restart`, instance.id);
  // Only a reservation made before this boundary was waiting for the restart; one made later is for
  // an interruption still to come (a duplicate or late notice must not consume it).
  const own = reservationsFor(group.pool, instance.id, now).find((r) => r.createdAt <= notice.at);
  const actions: Action[] =
    own === undefined
      ? standbyExitOnRunning(group, instance, now)
      : [
          {
            kind: 'hand-over',
            groupId: group.id,
            reservationId: own.id,
            instanceId: instance.id,
            reason: `${instance.id} restarted; takes over its reservation`,
          },
          // Last: a refused ExitStandby must not keep the restarted instance from its allocation.
          ...(stoppedThroughStandby(own)
            ? [
                {
                  kind: 'exit-standby' as const,
                  groupId: group.id,
                  instanceId: instance.id,
                  reason: `${instance.id} runs again after its voluntary stop (${own.id})`,
                },
              ]
            : []),
        ];
  // Last: the restart is learned whatever else the plan does (a learning action, carried out in dry-run too).
  const spec = fleet.catalog.get(instance.instanceType);
  // The stored forecast made before the restart is the last one from before the interruption (the profiler forecasts
  // only serving instances); one made at or after the restart is not that forecast.
  const stored = fleet.forecasts.get(instance.id);
  const before = stored?.kind === 'known' && stored.madeAt < notice.at ? forecastRecord(stored) : undefined;
  const window: Action[] =
    spec === undefined
      ? []
      : [
          {
            kind: 'open-restart-window',
            groupId: group.id,
            instanceId: instance.id,
            restartedAt: notice.at,
            windowMinutes: group.policy.postRestartWindowMinutes,
            instance: { instanceType: instance.instanceType, vcpus: spec.resources.vcpu, jobType: instance.jobType },
            ...(before ?? {}),
          },
        ];
  return {
    actions: [...actions, ...window],
    events: [
      {
        kind: 'restart-window-opened',
        at: now,
        groupId: group.id,
        instanceId: instance.id,
        closesAt: notice.at + group.policy.postRestartWindowMinutes * 60_000,
      },
    ],
  };
};

const planResizeContinuation = (notice: StateChange, group: GroupView, instance: ManagedInstance, now: number): Plan => {
  const pending = reservationsFor(group.pool, instance.id, now).find((r) => r.createdAt <= notice.at && pendingRetype(r) !== undefined);
  const toType = pending === undefined ? undefined : pendingRetype(pending);
  if (pending === undefined || toType === undefined)
    return ignoreNotice(now, `state change of ${instance.id} to stopped: no stop → modify → start waits for it`, instance.id);
  // A late or redelivered event: the instance has moved on (started already, or gone).
  if (instance.state !== 'stopped')
    return ignoreNotice(now, `${instance.id} stopped earlier but is ${instance.state} now: its stop → modify → start has moved on`, instance.id);
  const reason = `stop → modify → start continued: ${instance.id} is stopped (${pending.id})`;
  return {
    actions: [
      ...(instance.instanceType === toType
        ? []
        : [{ kind: 'retype-stopped-instance' as const, groupId: group.id, instanceId: instance.id, fromType: instance.instanceType, toType, reason }]),
      { kind: 'start-instance', groupId: group.id, instanceId: instance.id, reason },
    ],
    events: [],
  };
};
