import type { Action, FleetView, Notice, Plan } from '../domain';
import { ignoreNotice } from './ignore-notice';
import { locateInstance } from './locate-instance';
import { reservationsFor } from './reservation-terms';

type StateChange = Extract<Notice, { kind: 'state-change' }>;

/**
 * EC2 state changes. `running` is only ever entered from `pending`, so a running notice is the
 * pending → running boundary that opens the post-restart window (the profiler then records the
 * demand curve, DESIGN §4 flow 4), and a reservation held for this very instance (spot stop /
 * hibernate, or a stop → modify → start sibling) becomes its allocation. Warm-pool instances pass
 * through running while they initialise, which is not a restart. Other states need no action here.
 */
export const planStateChange = (notice: StateChange, fleet: FleetView, now: number): Plan => {
  const located = locateInstance(fleet, notice.instanceId);
  if (located === undefined) return ignoreNotice(now, `state change of ${notice.instanceId} to ${notice.state}: not a managed instance`, notice.instanceId);
  const { group, instance } = located;
  if (notice.state !== 'running') return ignoreNotice(now, `state change of ${instance.id} to ${notice.state}: no action needed`, instance.id);
  if (instance.warm) return ignoreNotice(now, `warm-pool instance ${instance.id} is initialising: not a restart`, instance.id);
  // Only a reservation made before this boundary was waiting for the restart; one made later is for
  // an interruption still to come (a duplicate or late notice must not consume it).
  const own = reservationsFor(group.pool, instance.id, now).find((r) => r.createdAt <= notice.at);
  const actions: Action[] =
    own === undefined
      ? []
      : [{ kind: 'hand-over', groupId: group.id, reservationId: own.id, instanceId: instance.id, reason: `${instance.id} restarted; takes over its reservation` }];
  return {
    actions,
    events: [{ kind: 'restart-window-opened', at: now, groupId: group.id, instanceId: instance.id, closesAt: notice.at + group.policy.postRestartWindowMinutes * 60_000 }],
  };
};
